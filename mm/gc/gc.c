/*
 * gc/gc.c - generational cycle collector (contract and invariants C1..C6:
 * mm_gc.h).
 *
 * Algorithm: trial deletion (Christopher 1984; Bacon & Rajan 2001; the
 * variant of CPython's Modules/gcmodule.c), without CPython's per-object
 * gc_refs word: the slot's own refcount is the scratch. For the set S of
 * tracked objects of generations 0..g, two walks over S, at most one pass
 * over the tentative list, then one or two over the garbage only:
 *  1. SUBTRACT: for every edge m -> c with m in S and c any object (in S
 *     or not; the sink's count, which nothing reads, is parked again at
 *     the end): rc(c) -= 1. Now a member's rc counts only
 *     the references from outside S (it may be 0), and so does an
 *     outsider's (0: only S holds it). No code but the collector's and
 *     the types' refs/traverse runs until the release.             O(S + E)
 *  2. MARK, one walk in walk order (mark_body, after CPython's
 *     move_unreachable): a member passed with rc > 0 is reachable; its
 *     edges are followed there and then, each adding 1 back to rc(c). A
 *     child the walk has not passed yet needs nothing more (it will be
 *     passed with rc > 0); only a child passed already as TENTATIVE
 *     (SCANNED alone: a back edge) is flagged REACHED and scanned with an
 *     explicit stack, its own edges likewise. A member passed with rc ==
 *     0 is TENTATIVE and goes on the tentative list (back-link bits, C3);
 *     a later reachable object may still reach it (SCANNED alone -> REACHED, scanned;
 *     it stays on the list). Each reachable member is settled as the
 *     walk passes it (full collection: flags cleared, generation 2; else
 *     SCANNED and REACHED, for the promote walk). Every reachable object's refcount
 *     is then exact but for the edges garbage holds on it, and so is
 *     every outsider's. Stack overflow: the object stays REACHED and
 *     unscanned on the list, which is walked again (rescan_pending, C4).
 *     The walk counts the tentative members by type (whether a type with
 *     its own clear() is among them is read from those counts after).
 *                                         O(S + E + rescans x (T + E_T))
 *  3. FIND, one pass over the tentative list, only when a tentative
 *     member was reached after all, or one has its type's own clear(), or
 *     a track_hook wrapper is installed (otherwise the list is all
 *     garbage and the walk's counts are the result: the release follows
 *     at once): a REACHED entry survives (back-link restored, unlinked;
 *     settled in a full collection); the others are GARBAGE, counted by
 *     type, one HOLD reference each (rc 0 -> 1), and the edges of those
 *     whose type has its own clear() restored (rc(c) += 1: that clear
 *     drops them all), left linked: the list is now the garbage list.
 *                                                            O(T + E_T)
 *  4. RELEASE over the garbage list. Each list or instance drops its
 *     references itself (drop_ref): garbage and live children keep the
 *     refcount SUBTRACT left them (the edge is gone), and a child left at
 *     0 that is not garbage (an outsider, or an older member, that only
 *     garbage held) gets refcount 1 and waits on the deferred list, to
 *     die by the refcount drain once the loop is over (drop_deferred); a
 *     handle gone stale (garbage freed before, or an object a clear()'s
 *     drain freed) is told by its slot and skipped. Then it is freed
 *     inline with its body and slot. With the collector's
 *     own hook and no garbage of another type (release_fast) that is one
 *     pass, each object dropping its references and freed at once;
 *     otherwise two (release_garbage): (a) every garbage object drops its
 *     references (another type through its clear(), its restored edges
 *     to garbage leaving their holds: no garbage object is freed); (b)
 *     each, held by its hold alone, gets its back-link back and is
 *     destroyed and freed with its slot, as the drain would (track hook,
 *     destroy, block, slot). The drain never reaches garbage: anything
 *     that references garbage is garbage. For generations 0 and 1 the
 *     PROMOTE walk follows: survivors move to generation g + 1 (drop_ref
 *     told members from older objects by generation).      O(G + E_G)
 * Edges of lists and instances are read straight from their handle
 * arrays (gc->fast, per type id: no call), of other types with refs()
 * from the array it gives, else through traverse() and a visitor; lists
 * and instances are also cleared and freed inline (the one-pass release
 * hands their blocks to the allocator a pool page at a time, mm__run;
 * the other release through mm_free_inline), other types through their
 * clear and destroy. Each
 * walk is compiled per generation (WALK_FN: young table, handle table
 * for generation 1, handle table for full collections, where membership
 * is the tracked bit alone), so that its loop carries no per-position
 * test of which one it walks.
 * Walks over S use the young table for g = 0 (O(young)), the handle table
 * otherwise (O(slots)). Memory: struct mm_gc only (young table, mark
 * stack of slot pointers, per-type counters); nothing per object beyond
 * the header bits. The refcount is biased in the slot (mm_obj.h H3):
 * field = rc - 1, so rc +/- 1 is meta +/- MM_RC_ONE and rc == 0 is the
 * all-ones field; the helpers below do exactly what mm_rc_get/mm_rc_set
 * would, inline.
 */
#include "gc/mm_gc.h"

#include <string.h>

#include "fmt/mm_fmt.h"
#include "heap/heap_int.h"
#include "mm_port.h"
#include "types/mm_types.h"

static_assert(MM_META_RC_SHIFT + 20u == 32u, "refcount field is the top 20 bits");
static_assert(MM_META_RC_ZERO == (1u << 20) - 1u, "rc 0 is the all-ones field");
static_assert(MM_HDR_GCGEN_MASK >> MM_HDR_GCGEN_SHIFT == 3u, "2-bit generation");
static_assert(MM_CFG_GC_STACK >= 1, "the mark stack needs an entry");
static_assert(MM_CFG_GC_YOUNG_MAX >= 1, "the young table needs an entry");
static_assert(MM_CFG_GC_RESULT_TYPES >= 2, "room for a type and (other)");

#define GC_OLDEST 2u
#define GC_SCANNED MM_HDR_GC_SCANNED
#define GC_REACHED MM_HDR_GC_REACHED

/* ------------------------------------------------------ small helpers */

static inline uint32_t rc_field(uint32_t meta) { return meta >> MM_META_RC_SHIFT; }
/* rc == 0 (the all-ones field): during marking, a member with no
 * reference from outside the set (yet). */
static inline bool rc_is_zero(const mm_slot *s)
{
    return s->meta >= MM_META_RC_ZERO << MM_META_RC_SHIFT; /* one cmn, no constant */
}
static inline void rc_dec(mm_slot *s) { s->meta -= MM_RC_ONE; }
static inline uint32_t slot_gen(const mm_slot *s) { return s->meta & MM_META_EPOCH_MASK; }


/* The type of o, from the table cache_types filled (no call). */
static inline const mm_type *type_of(const mm_gc *gc, const mm_obj *o)
{
    return gc->types[mm_hdr_type(o)];
}

/* Membership in one test: hdr's tracked bit and generation, less the
 * tracked bit, is at most lim = gen << MM_HDR_GCGEN_SHIFT iff the object
 * is tracked and of generation <= gen (untracked: the subtraction wraps
 * to a huge value). */
static inline uint32_t member_lim(uint32_t gen) { return gen << MM_HDR_GCGEN_SHIFT; }
static inline bool member_hdr(uint32_t hdr, uint32_t lim)
{
    if (__builtin_constant_p(lim) && lim >= member_lim(2u)) {
        return (hdr & MM_HDR_TRACKED) != 0u; /* every tracked object */
    }
    return (hdr & (MM_HDR_TRACKED | MM_HDR_GCGEN_MASK)) - MM_HDR_TRACKED <= lim;
}

/* The slot of the member named by child handle h, or NULL (untracked,
 * older generation). The null handle and every immortal handle have index
 * 0: the sink, whose obj is always NULL (H4), so they need no test of
 * their own. Children of live containers are live (H2): no generation
 * check. (The edge walks take every child but the sink: edge_slot.) */
static inline mm_slot *child_slot(mm_slot *tab, mm_h h, uint32_t lim)
{
    mm_slot *s = &tab[h & MM_H_INDEX_MASK];
    const mm_obj *c = s->obj;
    return (c != NULL && member_hdr(c->hdr, lim)) ? s : NULL;
}

/* The slot of child handle h for the edge walks, or NULL for the sink
 * (the null handle, immortals: index 0, H4). Every other child counts,
 * in the set or not: SUBTRACT takes each edge of a member off its child's
 * refcount, MARK gives those of reachable members back, and the release
 * leaves an object outside the set that only garbage held at refcount 0
 * to free (drop_ref). Children of live containers are live (H2). */
static inline mm_slot *edge_slot(mm_slot *tab, mm_h h)
{
    uint32_t idx = h & MM_H_INDEX_MASK;
    return idx != 0u ? &tab[idx] : NULL;
}

/* The live object at walk position pos (SET_WALK), or NULL, with its
 * slot in *sp and the slot word in *meta: young entry pos for a young
 * collection (NULL if that object died since: the slot's epoch
 * moved on), else the slot at address pos. Callers test membership. No
 * slot is dying here: collections never run inside a refcount drain.
 * `young` is a constant in each walk (see WALK), so the test folds. */
static inline __attribute__((always_inline)) mm_obj *
set_slot(mm_slot *tab, const mm_h *young_tab, uintptr_t pos, bool young, mm_slot **sp,
         uint32_t *meta)
{
    mm_slot *s;
    if (young) {
        mm_h h = young_tab[pos];
        s = &tab[mm_h_index(h)];
        *meta = s->meta;
        if (((*meta ^ (h >> MM_H_INDEX_BITS)) & MM_META_EPOCH_MASK) != 0u) {
            return NULL;
        }
    } else {
        s = (mm_slot *)pos;
        *meta = s->meta;
    }
    *sp = s;
    return s->obj;
}

/* The member of the set at walk position pos, with its slot in *s, its
 * header in *hdr and its slot word in *meta, or NULL (no live object
 * there, or not a member: see member_hdr). The one loop head of every
 * walk over the set. */
static inline __attribute__((always_inline)) mm_obj *
set_member(mm_slot *tab, const mm_h *young_tab, uintptr_t pos, bool young, uint32_t lim,
           mm_slot **s, uint32_t *hdr, uint32_t *meta)
{
    mm_obj *o = set_slot(tab, young_tab, pos, young, s, meta);
    if (o == NULL) {
        return NULL;
    }
    *hdr = o->hdr;
    return member_hdr(*hdr, lim) ? o : NULL;
}

/* Header hdr with its back-link bits set to link (a slot index): a
 * tentative or garbage list's next entry (C3). */
static_assert(MM_HDR_SLOT_MASK == (1u << 20) - 1u, "back-link: bits 0..19");
static inline uint32_t hdr_link(uint32_t hdr, uint32_t link)
{
    return mm__insert_low20(hdr, link);
}

/* A walk's positions (see set_slot): young-table entries 0..young_len,
 * else the slots themselves, by address (tab .. tab + fresh): one
 * induction variable, no index kept beside the pointer. */
#define SET_WALK(pos, gc, tab, young)                                             \
    for (uintptr_t pos = (young) ? 0u : (uintptr_t)(tab),                        \
                   pos##_end = (young) ? (uintptr_t)(gc)->young_len                \
                                       : (uintptr_t)((tab) + (gc)->rt->fresh);    \
         pos != pos##_end; pos += (young) ? 1u : sizeof(mm_slot)) /* NOLINT(bugprone-macro-parentheses): pos names the variable */


/* The live object of young handle h, or NULL if it died since. */
static inline mm_obj *young_obj(const mm_rt *rt, mm_h h)
{
    const mm_slot *s = &rt->tab[mm_h_index(h)];
    return (s->obj != NULL && slot_gen(s) == mm_h_epoch(h)) ? s->obj : NULL;
}

static inline void gen_move(mm_gc *gc, mm_obj *o, uint32_t to)
{
    gc->pop[mm_gc_gen(o)]--;
    mm_gc_set_gen(o, to);
    gc->pop[to]++;
}

static void track_hook(mm_rt *rt, mm_obj *o, bool born);

/* ------------------------------------------------------------- edges */

/* What one edge m -> c (c any object but the sink) does in each walk. */
enum { EDGE_SUBTRACT, EDGE_MARK, EDGE_RESTORE };

/* Mark stack entries are slot indices; a CONTINUATION is two entries, the
 * position to resume at, then the container's slot index | GC_CONT. */
#define GC_CONT 0x80000000u
static_assert(MM_H_INDEX_MASK < GC_CONT, "slot indices leave bit 31 free");

/* gc->fast[type id]: how the collector reads and frees objects of a type
 * without an indirect call. 0: through the descriptor (refs or traverse,
 * clear, destroy); GC_FAST_LIST (1: one compare with a small constant):
 * a list (mm__list); else GC_FAST_INST + the number of handle fields of
 * an instance (mm__inst_fields). Filled per collection by cache_types. */
#define GC_FAST_LIST 1u
#define GC_FAST_INST 2u
static_assert(MM_CFG_MAX_SLOTS + GC_FAST_INST <= 0xFFFFu, "field counts fit the table");

#define GC_FLAGS (GC_SCANNED | GC_REACHED)

/* True iff header ch of a child reached by an edge from a reachable
 * object must now be flagged REACHED and scanned: it is TENTATIVE
 * (SCANNED alone: passed by the mark walk with no outside reference). Any other
 * child only gets its refcount back: flagless, it is a member not passed
 * yet (the walk will find it with rc > 0), a settled survivor or an
 * object outside the set (C3: flags clear); REACHED, it is scanned or on
 * its way. */
static inline bool must_reach(uint32_t ch) { return (ch & GC_FLAGS) == GC_SCANNED; }
/* The header once reached: REACHED alone (TENTATIVE's SCANNED dropped). */
static inline uint32_t reached_hdr(uint32_t ch) { return (ch & ~GC_SCANNED) | GC_REACHED; }

/* TENTATIVE in the slot word too: the mark walk sets MM_META_TENTATIVE (DYING's bit:
 * outside a drain, and a collection never runs in one, H5) on each member
 * it puts on the tentative list, and reaching it clears it, so that an
 * edge tells a tentative child by the slot word it increments, without
 * reading the child's header (must_reach holds exactly when it is set).
 * Garbage keeps it until it is freed (one-pass release) or the find pass
 * takes it off with the hold; no slot has it once a collection is over. */
#define GC_TENTATIVE MM_META_TENTATIVE

/* Child slot c, its slot word incremented already in m, is TENTATIVE:
 * the word is stored without the flag and the header flagged REACHED.
 * The caller pushes c or notes the overflow. */
static inline void reach(mm_gc *gc, mm_slot *c, uint32_t m)
{
    c->meta = m & ~GC_TENTATIVE;
    mm_obj *co = c->obj;
    uint32_t ch = co->hdr;
    if (MM_CFG_DEBUG) {
        MM_ASSERT(must_reach(ch), "gc: tentative slot word, header not tentative");
    }
    co->hdr = reached_hdr(ch);
    gc->reached++;
}

static inline void push(mm_gc *gc, const mm_slot *s)
{
    if (gc->sp < gc->stack_limit) {
        gc->stack[gc->sp++] = (uint32_t)(s - gc->rt->tab);
    } else {
        gc->overflow = true; /* stays REACHED, unscanned: rescan finds it */
    }
}

static inline __attribute__((always_inline)) void edge(mm_gc *gc, mm_slot *tab, mm_h h,
                                                       int op)
{
    mm_slot *s = edge_slot(tab, h);
    if (s == NULL) {
        return;
    }
    if (op == EDGE_SUBTRACT) {
        if (MM_CFG_DEBUG) {
            MM_ASSERT(!rc_is_zero(s), "gc: refcount lower than the references held");
        }
        rc_dec(s);
        return;
    }
    /* an edge from a reachable or garbage object: restored */
    uint32_t m = s->meta + MM_RC_ONE;
    if (op == EDGE_MARK && (m & GC_TENTATIVE) != 0u) {
        reach(gc, s, m);
        push(gc, s);
        return;
    }
    s->meta = m;
}

static void visit_subtract(mm_rt *rt, mm_h h, void *arg)
{
    edge((mm_gc *)arg, rt->tab, h, EDGE_SUBTRACT);
}
static void visit_mark(mm_rt *rt, mm_h h, void *arg)
{
    edge((mm_gc *)arg, rt->tab, h, EDGE_MARK);
}
static void visit_restore(mm_rt *rt, mm_h h, void *arg)
{
    edge((mm_gc *)arg, rt->tab, h, EDGE_RESTORE);
}

/* The references of o as one array of handles: *a and *n, read straight
 * from a list or an instance (no call), else from the type's refs().
 * False when the type offers only traverse(). */
static inline __attribute__((always_inline)) bool ref_array(const mm_gc *gc, mm_obj *o,
                                                            uint32_t hdr, const mm_h **a,
                                                            uint32_t *n)
{
    uint32_t t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT;
    if (t == MM_T_LIST) { /* always mm_type_list (a builtin): gc->fast says GC_FAST_LIST */
        const mm__list *l = (const mm__list *)(const void *)o;
        *n = l->len;
        *a = (const mm_h *)l->body;
        return true;
    }
    uint32_t f = gc->fast[t];
    if (f != 0u) {
        *n = f - GC_FAST_INST;
        *a = mm__inst_fields(o);
        return true;
    }
    const mm_type *ty = gc->types[t];
    if (ty->refs == NULL) {
        return false;
    }
    *a = NULL;
    *n = ty->refs(gc->rt, o, a);
    return true;
}

/* Applies op to every edge of o (see ref_array; traverse and a visitor
 * for the other types). */
static inline __attribute__((always_inline)) void edges(mm_gc *gc, mm_slot *tab, mm_obj *o,
                                                        int op, mm_visit_fn visit)
{
    const mm_h *a;
    uint32_t n;
    if (!ref_array(gc, o, o->hdr, &a, &n)) {
        type_of(gc, o)->traverse(gc->rt, o, visit, gc);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        edge(gc, tab, a[i], op);
    }
}

/* ------------------------------------------------- step 1: subtract */

/* The walks over the set: each is written once as an always-inline body
 * taking `young`, and WALK_FN makes the function that runs it with the
 * constant true (young table) or false (handle table), so that every
 * per-position test and the loads of the loop bounds stay out of the loop. */
#define WALK_FN(name, body, ret)                                              \
    static __attribute__((noinline)) ret name##_young(mm_gc *gc, mm_gc_result *res) \
    {                                                                         \
        return body(gc, res, true, member_lim(0u));                           \
    }                                                                         \
    static __attribute__((noinline)) ret name##_mid(mm_gc *gc, mm_gc_result *res) \
    {                                                                         \
        return body(gc, res, false, member_lim(1u));                          \
    }                                                                         \
    static __attribute__((noinline)) ret name##_full(mm_gc *gc, mm_gc_result *res) \
    {                                                                         \
        return body(gc, res, false, member_lim(2u));                          \
    }                                                                         \
    static ret name(mm_gc *gc, mm_gc_result *res)                            \
    {                                                                         \
        return gc->gen == 0 ? name##_young(gc, res)                           \
               : gc->gen == 1 ? name##_mid(gc, res) : name##_full(gc, res);  \
    }

/* SUBTRACT on the edges a[0..n) of one member. The sink (index 0: the
 * null handle, immortals) takes its decrements too, so that no edge is
 * tested for it; nothing reads its count (H4) and collect() parks it
 * mid-range again at the end. */
static inline __attribute__((always_inline)) void subtract_array(mm_slot *tab, const mm_h *a,
                                                                 uint32_t n)
{
    for (uint32_t j = n; j != 0u; j--) { /* counted down: no end pointer to set up */
        mm_slot *c = &tab[*a++ & MM_H_INDEX_MASK];
        if (MM_CFG_DEBUG) {
            MM_ASSERT(c == tab || !rc_is_zero(c), "gc: refcount lower than the references held");
        }
        rc_dec(c);
    }
}

/* Takes every edge of every member off its child's refcount (the child
 * in the set or not, C3): a member's then counts only its references from
 * outside the set. Returns the number of members. */
static inline __attribute__((always_inline)) uint32_t
subtract_body(mm_gc *gc, mm_gc_result *res, bool young, uint32_t lim)
{
    (void)res;
    mm_slot *tab = gc->rt->tab;
    const mm_h *yt = gc->young;
    const uint16_t *fast = gc->fast;
    uint32_t n = 0;
    SET_WALK(pos, gc, tab, young) {
        uint32_t hdr, meta;
        mm_slot *s;
        mm_obj *o = set_member(tab, yt, pos, young, lim, &s, &hdr, &meta);
        if (o == NULL) {
            continue;
        }
        if (MM_CFG_DEBUG) {
            MM_ASSERT((hdr & (GC_SCANNED | GC_REACHED)) == 0, "gc: stale GC flags");
        }
        /* lists and instances each with a loop of its own (ref_array's
         * cases apart: their array is not carried from one to the loop) */
        uint32_t t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT;
        if (t == MM_T_LIST) {
            const mm__list *l = (const mm__list *)(const void *)o;
            subtract_array(tab, (const mm_h *)l->body, l->len);
        } else if (fast[t] != 0u) {
            subtract_array(tab, mm__inst_fields(o), fast[t] - GC_FAST_INST);
        } else {
            edges(gc, tab, o, EDGE_SUBTRACT, visit_subtract);
        }
        if (MM_CFG_DEBUG || lim < member_lim(2u)) {
            n++; /* a full collection's members are every tracked object */
        }
    }
    if (!MM_CFG_DEBUG && lim >= member_lim(2u)) {
        return gc->pop[0] + gc->pop[1] + gc->pop[2];
    }
    MM_ASSERT(lim < member_lim(2u) || n == gc->pop[0] + gc->pop[1] + gc->pop[2],
              "gc: tracked objects and per-generation counts differ");
    return n;
}
WALK_FN(subtract_internal, subtract_body, uint32_t)

/* ----------------------------------------------------- step 2: mark */

/* scan_array when the children left would not all fit on the stack. */
static __attribute__((noinline)) void scan_wide(mm_gc *gc, mm_slot *tab, const mm_slot *os,
                                                const mm_h *a, uint32_t n, uint32_t start)
{
    uint32_t sp = gc->sp, limit = gc->stack_limit;
    uint32_t *stack = gc->stack;
    uint32_t room = limit - sp;
    if (room < 3u) { /* no room to chunk: overflow, rescanned later */
        for (uint32_t i = start; i < n; i++) {
            edge(gc, tab, a[i], EDGE_MARK);
        }
        return;
    }
    uint32_t base = sp, i = start;
    sp += 2u; /* the continuation's two entries, filled below */
    for (; i < n; i++) {
        mm_slot *c = edge_slot(tab, a[i]);
        if (c == NULL) {
            continue;
        }
        uint32_t m = c->meta + MM_RC_ONE;
        if ((m & GC_TENTATIVE) != 0u) {
            if (sp == limit) {
                break; /* full: child i is the continuation's first */
            }
            reach(gc, c, m);
            stack[sp++] = (uint32_t)(c - tab);
            continue;
        }
        c->meta = m;
    }
    stack[base] = i; /* i == n: an empty continuation */
    stack[base + 1u] = (uint32_t)(os - tab) | GC_CONT;
    gc->sp = sp;
}

/* MARK on one edge of a reachable object to child slot ci (not the
 * sink): the child's reference back; a TENTATIVE child is flagged
 * REACHED and pushed at gc->stack[*sp] (the caller made room). */
static inline __attribute__((always_inline)) void mark_child(mm_gc *gc, mm_slot *tab,
                                                             uint32_t ci, uint32_t *sp)
{
    uint32_t m = tab[ci].meta + MM_RC_ONE;
    if ((m & GC_TENTATIVE) != 0u) {
        uint32_t k = ci;
        MM__OPAQUE(k); /* the slot's address on this path only */
        reach(gc, &tab[k], m);
        gc->stack[(*sp)++] = k;
    } else {
        tab[ci].meta = m;
    }
}

/* mark_child on each of the n handles at a but the sink's, pushing at
 * gc->stack[sp..] (the caller made room for n); returns the new depth. */
static inline __attribute__((always_inline)) uint32_t
mark_children(mm_gc *gc, mm_slot *tab, const mm_h *a, uint32_t n, uint32_t sp)
{
    for (uint32_t j = n; j != 0u; j--) { /* counted down: no end pointer */
        uint32_t ci = *a++ & MM_H_INDEX_MASK;
        if (ci != 0u) { /* not the sink (edge_slot) */
            mark_child(gc, tab, ci, &sp);
        }
    }
    return sp;
}

/* Follows the edges of reachable o (slot os, references a[0..n)) from
 * child `start` on, giving each its reference back. Children are pushed
 * as they are first reached; when the rest would not fit, o's
 * continuation goes under them (two entries, scan_wide), so that a wide
 * container is scanned in chunks instead of overflowing the stack: the
 * stack then grows with depth only, and the rescan of C4 is left to deep
 * graphs (and to stacks of fewer than 3 entries). */
static inline __attribute__((always_inline)) void scan_array(mm_gc *gc, mm_slot *tab,
                                                             const mm_slot *os,
                                                             const mm_h *a, uint32_t n,
                                                             uint32_t start)
{
    uint32_t sp = gc->sp, limit = gc->stack_limit;
    uint32_t room = limit - sp;
    if (n - start <= room) { /* all fit: no overflow test per push */
        if (n > start) { /* (a may be NULL for an empty list) */
            gc->sp = mark_children(gc, tab, a + start, n - start, sp);
        }
        return;
    }
    scan_wide(gc, tab, os, a, n, start);
}

static void drain_stack(mm_gc *gc);

/* MARK on the edges a[0..n) of reachable member s, the walk's own, on the
 * empty stack: scan_array with the depth in a register, and no test of
 * room when all would fit (n <= limit, the usable entries); then the
 * drain of what was pushed. */
static inline __attribute__((always_inline)) void mark_array(mm_gc *gc, mm_slot *tab,
                                                             const mm_slot *s, const mm_h *a,
                                                             uint32_t n, uint32_t limit)
{
    if (n > limit) {
        scan_wide(gc, tab, s, a, n, 0);
    } else {
        uint32_t sp = mark_children(gc, tab, a, n, 0);
        if (sp == 0u) {
            return;
        }
        gc->sp = sp;
    }
    if (gc->sp > 0u) {
        drain_stack(gc);
    }
}

/* Scans objects (and continuations) off the stack until it is empty.
 * An object is flagged SCANNED when its first chunk is taken; a
 * continuation's object already is (or is the walk's own root, which
 * stays flagless: see mark_body). */
static __attribute__((noinline)) void drain_stack(mm_gc *gc)
{
    mm_slot *tab = gc->rt->tab;
    while (gc->sp > 0) {
        uint32_t e = gc->stack[--gc->sp];
        uint32_t start = 0;
        mm_slot *s;
        mm_obj *o;
        if ((e & GC_CONT) != 0u) {
            start = gc->stack[--gc->sp];
            s = &tab[e & ~GC_CONT];
            o = s->obj;
        } else {
            s = &tab[e];
            o = s->obj;
            o->hdr |= GC_SCANNED;
        }
        const mm_h *a;
        uint32_t n;
        if (!ref_array(gc, o, o->hdr, &a, &n)) {
            type_of(gc, o)->traverse(gc->rt, o, visit_mark, gc);
            continue;
        }
        scan_array(gc, tab, s, a, n, start);
    }
}

/* The mark walk, one pass over the set in walk order (C4, after
 * CPython's move_unreachable): a member passed with an outside reference,
 * or one given back by a reachable object passed before it (rc > 0), is
 * reachable: its edges are followed there and then, each giving the
 * child's reference back (rc += 1). A child not passed yet needs nothing
 * more: the walk will pass it with rc > 0. Only a child passed already
 * as TENTATIVE (SCANNED alone, rc 0 when passed: a back edge) is flagged
 * REACHED and scanned off the explicit stack, its own edges likewise. A
 * member passed with rc == 0 is TENTATIVE and goes on the tentative list,
 * threaded through its header's back-link bits (C3; head returned); a
 * later reachable object may still reach it (it becomes REACHED, and
 * stays on the list). Each reachable member passed is settled at once
 * (`settled`, full collections: flags cleared, generation 2) or flagged
 * REACHED and SCANNED for the promote walk. A member is always flagless
 * when the walk passes it: only members passed already get flags. The
 * tentative members are counted, by type too (gc->by_type: the result
 * when mark_find finds nothing to sort out). */
static inline __attribute__((always_inline)) uint32_t
mark_body(mm_gc *gc, bool young, bool settled)
{
    mm_slot *tab = gc->rt->tab;
    const mm_h *yt = gc->young;
    uint32_t *by_type = gc->by_type;
    const uint16_t *fast = gc->fast;
    uint32_t lim = member_lim(young ? 0u : settled ? 2u : 1u);
    uint32_t head = 0, limit = gc->stack_limit;
    SET_WALK(pos, gc, tab, young) {
        uint32_t hdr, meta;
        mm_slot *s;
        mm_obj *o = set_member(tab, yt, pos, young, lim, &s, &hdr, &meta);
        if (o == NULL) {
            continue;
        }
        if (MM_CFG_DEBUG) {
            MM_ASSERT((hdr & GC_FLAGS) == 0u, "gc: member flagged before the walk passed it");
            MM_ASSERT((hdr & MM_HDR_SLOT_MASK) == (uint32_t)(s - tab), "gc: back-link");
        }
        if (meta >= MM_META_RC_ZERO << MM_META_RC_SHIFT) { /* rc 0: no outside reference (yet) */
            by_type[(hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT]++; /* garbage until reached */
            s->meta = meta | GC_TENTATIVE;
            o->hdr = hdr_link(hdr | GC_SCANNED, head);
            head = hdr & MM_HDR_SLOT_MASK; /* its slot index: the back-link */
            continue;
        }
        uint32_t t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT;
        if (t == MM_T_LIST) {
            const mm__list *l = (const mm__list *)(const void *)o;
            mark_array(gc, tab, s, (const mm_h *)l->body, l->len, limit);
        } else if (fast[t] != 0u) {
            mark_array(gc, tab, s, mm__inst_fields(o), fast[t] - GC_FAST_INST, limit);
        } else {
            const mm_h *a;
            uint32_t n;
            if (ref_array(gc, o, hdr, &a, &n)) {
                mark_array(gc, tab, s, a, n, limit);
            } else {
                type_of(gc, o)->traverse(gc->rt, o, visit_mark, gc);
                if (gc->sp > 0u) {
                    drain_stack(gc);
                }
            }
        }
        /* o's header is as the walk found it (its flags clear): read again
         * through the slot rather than kept across the scan */
        o = s->obj;
        if (settled) {
            o->hdr = (o->hdr & ~MM_HDR_GCGEN_MASK) | GC_OLDEST << MM_HDR_GCGEN_SHIFT;
        } else {
            o->hdr |= GC_FLAGS;
        }
    }
    uint32_t tentative = 0, ntypes = MM_T_CLASS0 + gc->rt->nclasses; /* the ids in use */
    for (uint32_t t = 0; t < ntypes; t++) {
        tentative += by_type[t];
    }
    gc->tentative = tentative;
    return head;
}

/* Each walk on its own (noinline): the loop's registers are not shared
 * with the rest of the collection. */
static __attribute__((noinline)) uint32_t mark_walk_young(mm_gc *gc)
{
    return mark_body(gc, true, false);
}
static __attribute__((noinline)) uint32_t mark_walk_mid(mm_gc *gc)
{
    return mark_body(gc, false, false);
}
static __attribute__((noinline)) uint32_t mark_walk_full(mm_gc *gc)
{
    return mark_body(gc, false, true);
}

/* After a mark walk with a stack overflow: scans the members of the
 * tentative list (head) that are REACHED but not SCANNED, again until a
 * pass ends without overflow. Returns the passes (rescans). */
static uint32_t rescan_pending(mm_gc *gc, uint32_t head)
{
    mm_slot *tab = gc->rt->tab;
    uint32_t rescans = 0;
    while (gc->overflow) {
        gc->overflow = false;
        rescans++;
        for (uint32_t idx = head; idx != 0u;) {
            uint32_t hdr = tab[idx].obj->hdr;
            if ((hdr & GC_FLAGS) == GC_REACHED) {
                gc->stack[0] = idx;
                gc->sp = 1;
                drain_stack(gc);
            }
            idx = hdr & MM_HDR_SLOT_MASK;
        }
    }
    return rescans;
}

/* ------------------------------------------ step 3: find the garbage */

/* True iff o is an instance whose own __dict__ is garbage too (a member
 * with SCANNED alone once marking is over). */
static inline bool has_garbage_dict(const mm_gc *gc, mm_obj *o)
{
    if ((gc->dict_classes >> mm_hdr_type(o) & 1u) == 0u) {
        return false;
    }
    mm_h f0 = mm__inst_fields(o)[0]; /* its own dict: tagged with bit 31 (types/inst.c) */
    if ((f0 & MM_H_IMMORTAL) == 0u) {
        return false;
    }
    const mm_slot *s = child_slot(gc->rt->tab, f0, member_lim(gc->gen));
    return s != NULL && (s->obj->hdr & GC_FLAGS) == GC_SCANNED;
}

/* Step 2: the mark walk of the set (C4), then the rescans after a stack
 * overflow. Returns the head of the tentative list (C3); *survivors gets
 * the members settled by a full collection's walk. */
static uint32_t mark(mm_gc *gc, mm_gc_result *res, uint32_t *survivors)
{
    bool settled = gc->gen == GC_OLDEST;
    memset(gc->by_type, 0, sizeof gc->by_type);
    gc->reached = 0;
    gc->sp = 0;
    gc->overflow = false;
    uint32_t head = gc->gen == 0 ? mark_walk_young(gc)
                    : settled    ? mark_walk_full(gc)
                                 : mark_walk_mid(gc);
    /* every member the walk did not put on the list */
    *survivors = settled ? res->examined - gc->tentative : 0u;
    res->rescans = rescan_pending(gc, head);
    return head;
}

/* True iff some tentative member's type has its own clear() (no fast
 * path: gc->fast[t] == 0), from the walk's counts by type. */
static bool tentative_own_clear(const mm_gc *gc)
{
    bool own_clear = false;
    for (uint32_t t = 0; t < MM_TYPE_MAX; t++) {
        own_clear |= gc->by_type[t] != 0u && gc->fast[t] == 0u;
    }
    return own_clear;
}

/* A full collection's population once the garbage is gone: garb[g]
 * garbage objects of generation g, every other member settled in the
 * oldest generation. */
static void settle_population(mm_gc *gc, mm_gc_result *res, uint32_t survivors,
                              const uint32_t garb[MM_GC_GENERATIONS])
{
    gc->pop[0] = garb[0];
    gc->pop[1] = garb[1];
    gc->pop[GC_OLDEST] = survivors + garb[GC_OLDEST];
    res->survivors = survivors;
}

/* Tentative entry o (slot idx) was REACHED after all: its back-link is
 * put back (settled at once in a full collection). The caller unlinks
 * it. */
static inline void restore_reached(mm_obj *o, uint32_t idx, bool settled)
{
    uint32_t hdr = hdr_link(o->hdr, idx);
    if (settled) {
        hdr = (hdr & ~(GC_FLAGS | MM_HDR_GCGEN_MASK)) | GC_OLDEST << MM_HDR_GCGEN_SHIFT;
    }
    o->hdr = hdr;
}

/* Tentative entry o (slot s) is garbage: counted by type and by
 * generation, held (rc 0 -> 1, C2), and its edges restored when its
 * type has its own clear() (that clear drops them all). Returns true iff
 * it has its own clear(). */
static inline bool hold_garbage(mm_gc *gc, mm_slot *s, mm_obj *o,
                                uint32_t garb[MM_GC_GENERATIONS])
{
    uint32_t hdr = o->hdr, t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT;
    s->meta = (s->meta & ~GC_TENTATIVE) + MM_RC_ONE; /* the hold (C2) */
    gc->by_type[t]++;
    garb[(hdr & MM_HDR_GCGEN_MASK) >> MM_HDR_GCGEN_SHIFT]++;
    if (gc->fast[t] != 0u) {
        return false;
    }
    edges(gc, gc->rt->tab, o, EDGE_RESTORE, visit_restore);
    return true;
}

/* Step 3, the find pass over the tentative list from head: a REACHED
 * entry survives and is unlinked, the others are the GARBAGE (held,
 * counted) and stay linked: the list is then the garbage list (C3,
 * gc->garbage). O(tentative list + edges restored). */
static void find_garbage(mm_gc *gc, mm_gc_result *res, uint32_t head, uint32_t survivors)
{
    bool settled = gc->gen == GC_OLDEST;
    memset(gc->by_type, 0, sizeof gc->by_type);
    mm_slot *tab = gc->rt->tab;
    mm_obj *prev = NULL;
    uint32_t n = 0, dicts = 0, garb[MM_GC_GENERATIONS] = {0, 0, 0}, first = head;
    bool any_dict = gc->dict_classes != 0u, own_clear = false;
    for (uint32_t idx = head; idx != 0u;) {
        mm_slot *s = &tab[idx];
        mm_obj *o = s->obj;
        uint32_t next = o->hdr & MM_HDR_SLOT_MASK;
        if ((o->hdr & GC_REACHED) != 0u) { /* reached after all: unlink */
            restore_reached(o, idx, settled);
            survivors += settled ? 1u : 0u;
            if (prev != NULL) {
                prev->hdr = hdr_link(prev->hdr, next);
            } else {
                first = next;
            }
        } else {
            dicts += any_dict && has_garbage_dict(gc, o) ? 1u : 0u;
            own_clear |= hold_garbage(gc, s, o, garb);
            n++;
            prev = o;
        }
        idx = next;
    }
    gc->garbage = first;
    gc->ngarbage = n;
    gc->garbage_own_clear = own_clear;
    if (settled) {
        settle_population(gc, res, survivors, garb);
    }
    res->collected = n - dicts;
    res->managed_dicts = dicts;
    gc->by_type[MM_T_DICT] -= dicts;
}

/* Steps 2 and 3: mark, then, unless the tentative list is all garbage of
 * lists and instances and the collector's own hook is installed
 * (gc->fused: the walk's counts are the result and the list is the
 * garbage list as it is), the find pass. Every survivor's refcount (and
 * every outsider's) is then exact but for the edges garbage holds on
 * it. */
static void mark_find(mm_gc *gc, mm_gc_result *res)
{
    uint32_t survivors;
    uint32_t head = mark(gc, res, &survivors);
    gc->garbage_own_clear = tentative_own_clear(gc);
    gc->fused = gc->reached == 0u && !gc->garbage_own_clear && gc->rt->track_hook == track_hook;
    if (!gc->fused) {
        find_garbage(gc, res, head, survivors);
        return;
    }
    gc->garbage = head; /* the tentative list is the garbage list, counted */
    gc->ngarbage = gc->tentative;
    if (gc->gen == GC_OLDEST) { /* the release leaves pop alone */
        const uint32_t none[MM_GC_GENERATIONS] = {0, 0, 0};
        settle_population(gc, res, survivors, none);
    }
    res->collected = gc->tentative;
    res->managed_dicts = 0;
}

/* Collections of generations 0 and 1: survivors lose their flags and move
 * to generation gen + 1 (after the find walk, which tells members from
 * others by generation). Garbage is SCANNED alone: left to the release. */
static inline __attribute__((always_inline)) int promote_body(mm_gc *gc, mm_gc_result *res,
                                                              bool young, uint32_t lim)
{
    mm_slot *tab = gc->rt->tab;
    const mm_h *yt = gc->young;
    MM_ASSERT(gc->gen + 1u < MM_GC_GENERATIONS, "promote: generation 0 or 1 only");
    uint32_t to = gc->gen + 1u, survivors = 0;
    uint32_t from[MM_GC_GENERATIONS] = {0, 0, 0};
    SET_WALK(pos, gc, tab, young) {
        uint32_t hdr, meta;
        mm_slot *s;
        mm_obj *o = set_member(tab, yt, pos, young, lim, &s, &hdr, &meta);
        if (o == NULL || (hdr & GC_REACHED) == 0u) {
            continue;
        }
        from[(hdr & MM_HDR_GCGEN_MASK) >> MM_HDR_GCGEN_SHIFT]++;
        o->hdr = (hdr & ~(GC_FLAGS | MM_HDR_GCGEN_MASK)) | to << MM_HDR_GCGEN_SHIFT;
        survivors++;
    }
    for (uint32_t g = 0; g < to; g++) {
        gc->pop[g] -= from[g];
        gc->pop[to] += from[g];
    }
    res->survivors = survivors;
    return 0;
}
static int promote_young(mm_gc *gc, mm_gc_result *res)
{
    return promote_body(gc, res, true, member_lim(0u));
}
static int promote_mid(mm_gc *gc, mm_gc_result *res)
{
    return promote_body(gc, res, false, member_lim(1u));
}
static int promote_walk(mm_gc *gc, mm_gc_result *res)
{
    return gc->gen == 0 ? promote_young(gc, res) : promote_mid(gc, res);
}

/* ------------------------------------------------- step 4: release */

/* Frees slot s (index idx, meta its slot word) of an object just freed:
 * mm__slot_free_fast, or mm__slot_release at the epoch wrap. */
static inline void slot_free(mm_rt *rt, mm_slot *s, uint32_t idx, uint32_t meta)
{
    if (!mm__slot_free_fast(rt, s, idx, meta & MM_META_EPOCH_MASK)) {
        mm__slot_release(rt, idx); /* retired */
    }
}

/* Drops garbage's reference h, whose edge was taken off the child's
 * refcount by SUBTRACT and never given back (C2): that refcount is
 * already what it is once the garbage is gone. Nothing to do for the
 * sink or a stale handle (garbage freed before, or an object a clear()'s
 * drain freed: its slot is free or of another epoch), for a child
 * still referenced (rc > 0), or for garbage (TENTATIVE: freed by the
 * release). Any other child at rc 0 was held by garbage alone (an
 * object outside the set, or a member of an older generation): it must
 * die, by the ordinary
 * refcount drain, once the release loop is over (drop_deferred). Here it
 * only gets refcount 1 (so that another garbage reference to it is now
 * "still referenced") and goes on the deferred list *defer, threaded
 * through its header's back-link bits (C3), so that the loops over the
 * garbage make no call. The drain never reaches garbage: anything that
 * references garbage is garbage; and no deferred object references
 * another (such a reference would have kept it above 0). */
static inline __attribute__((always_inline)) void drop_ref(mm_slot *tab, mm_h h,
                                                           uint32_t *defer)
{
    mm_slot *s = &tab[h & MM_H_INDEX_MASK];
    uint32_t meta;
    mm_obj *c;
    mm__slot_load(s, &meta, &c);
    if (c == NULL) {
        return; /* a free slot */
    }
    MM__OPAQUE(meta); /* the common exits first, the rest after */
    if (meta < (MM_META_RC_ZERO << MM_META_RC_SHIFT) ||
        ((meta ^ (h >> MM_H_INDEX_BITS)) & MM_META_EPOCH_MASK) != 0u) {
        return; /* still referenced, or of another epoch */
    }
    if ((meta & GC_TENTATIVE) != 0u) {
        return; /* garbage (with the hold of the two-pass release, rc is 1) */
    }
    s->meta = meta + MM_RC_ONE; /* refcount 1 */
    c->hdr = (c->hdr & ~MM_HDR_SLOT_MASK) | *defer;
    *defer = h & MM_H_INDEX_MASK;
}

/* After a release loop: each object on the deferred list (drop_ref) gets
 * its back-link back and its refcount 1 dropped, by the refcount drain. */
static __attribute__((noinline)) void drop_deferred(mm_rt *rt, uint32_t head)
{
    while (head != 0u) {
        mm_slot *s = &rt->tab[head];
        mm_obj *o = s->obj;
        MM_ASSERT(o != NULL && rc_field(s->meta) == 0u, "gc: deferred object freed early");
        uint32_t hdr = o->hdr, next = hdr & MM_HDR_SLOT_MASK;
        o->hdr = hdr_link(hdr, head);
        mm_decref_fast(rt, mm__h_make(rt, head, slot_gen(s)));
        head = next;
    }
}

/* drop_ref on every reference of garbage list or instance o (gc->fast
 * code f): its list_clear / inst_clear. `reset`: the list is left empty
 * and the fields null, as those clears leave them (the two-pass release,
 * where o is read again before it is freed); the one-pass release frees
 * o at once and skips the stores. */
static inline __attribute__((always_inline)) void drop_refs(mm_slot *tab, mm_obj *o, uint32_t f,
                                                            bool reset, uint32_t *defer)
{
    if (f == GC_FAST_LIST) {
        mm__list *l = (mm__list *)(void *)o;
        const mm_h *a = (const mm_h *)l->body;
        uint32_t n = l->len;
        if (reset) {
            l->len = 0;
        }
        for (uint32_t i = n; i != 0u; i--) { /* counted down: no end pointer */
            drop_ref(tab, *a++, defer);
        }
        return;
    }
    mm_h *a = mm__inst_fields(o);
    for (uint32_t i = f - GC_FAST_INST; i != 0u; i--) { /* counted down: no end pointer */
        mm_h x = *a;
        if (reset) {
            *a = MM_NULL;
        }
        a++;
        drop_ref(tab, x, defer);
    }
}

/* Drops every reference garbage object o (header hdr) holds: its type's
 * clear() (whose edges the find pass gave back, C2), or, for lists and
 * instances, drop_ref on each. No garbage object is freed here (each
 * keeps its hold); a survivor or outsider may be (it is then no longer
 * reachable). */
static inline __attribute__((always_inline)) void clear_garbage(mm_gc *gc, mm_obj *o,
                                                                uint32_t hdr, uint32_t *defer)
{
    uint32_t t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT, f = gc->fast[t];
    if (f != 0u) {
        drop_refs(gc->rt->tab, o, f, true, defer);
    } else {
        gc->types[t]->clear(gc->rt, o);
    }
}

/* Frees cleared garbage object o of slot s (index idx, refcount: its hold
 * alone), as the drain would (hook, destroy, block, slot), lists and
 * instances without an indirect call. */
static inline __attribute__((always_inline)) void free_garbage(mm_gc *gc, mm_slot *s,
                                                               uint32_t idx, mm_obj *o,
                                                               uint32_t hdr)
{
    mm_rt *rt = gc->rt;
    MM_ASSERT(rc_field(s->meta) == 0u, "gc: cleared garbage still referenced");
    if (rt->track_hook != track_hook && rt->track_hook != NULL) {
        o->hdr = hdr;                 /* its back-link, for the hook */
        rt->track_hook(rt, o, false); /* a wrapper (tests) */
    }
    uint32_t t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT, f = gc->fast[t];
    if (f == GC_FAST_LIST) { /* list_destroy */
        void *body = ((mm__list *)(void *)o)->body;
        if (body != NULL) {
            mm_free_inline(rt->heap, body);
        }
    } else if (f == 0u) {
        const mm_type *ty = gc->types[t];
        if (ty->destroy != NULL) {
            o->hdr = hdr;
            ty->destroy(rt, o);
        }
    }
    mm_free_inline(rt->heap, o); /* o is not touched again */
    slot_free(rt, s, idx, s->meta);
}

/* The release when the collector's own hook is installed and every
 * garbage object is a list or an instance (no type's clear, destroy or
 * hook to call on garbage): one pass, each object dropping its references
 * (drop_ref) and freed at once with its body and slot. A reference to
 * garbage freed before is stale (drop_ref tells it by its slot); nothing
 * else reads a garbage object meanwhile. */
static inline __attribute__((always_inline)) void release_fast_body(mm_gc *gc, bool count)
{
    mm_rt *rt = gc->rt;
    mm_slot *tab = rt->tab;
    mm_heap *heap = rt->heap;
    const uint16_t *fast = gc->fast;
    uint32_t popd[MM_GC_GENERATIONS] = {0, 0, 0}, defer = 0;
    /* the slot free list's head in a register: only this loop frees slots
     * until it ends (drop_ref defers every death); the freed count is
     * taken for the whole list at once */
    uint32_t head = rt->free_head, freed = rt->freed + gc->ngarbage, seen = 0;
    /* the blocks go to the heap a pool page at a time (mm__run_free): the
     * objects in one run, the list bodies in the other */
    mm__run objs, bodies;
    mm__run_init(&objs);
    mm__run_init(&bodies);
    /* Few values live across the loop (the next index, not the header;
     * the slot word read again at the end), so that none is spilled. */
    for (uint32_t idx = gc->garbage; idx != 0u;) {
        mm_obj *o = tab[idx].obj;
        uint32_t hdr = o->hdr, next = hdr & MM_HDR_SLOT_MASK;
        uint32_t t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT;
        uint32_t f = fast[t]; /* every garbage type has a fast code here */
        MM__OPAQUE(idx); /* &tab[idx] is not kept across the drops */
        if (MM_CFG_DEBUG) {
            /* held (C2) unless mark_find skipped the find pass */
            MM_ASSERT(rc_field(tab[idx].meta) == (gc->fused ? MM_META_RC_ZERO : 0u) &&
                          f != 0u,
                      "gc: fast release of other garbage");
        }
        if (count) {
            popd[(hdr & MM_HDR_GCGEN_MASK) >> MM_HDR_GCGEN_SHIFT]++; /* on_free */
        }
        drop_refs(tab, o, f, false, &defer);
        if (f == GC_FAST_LIST) {
            void *body = ((mm__list *)(void *)o)->body;
            if (body != NULL) {
                mm__run_free(heap, &bodies, body);
            }
        }
        mm__run_free(heap, &objs, o);
        mm_slot *s = &tab[idx];
        if (!mm__slot_push(s, idx, s->meta & MM_META_EPOCH_MASK, &head)) {
            rt->free_head = head; /* the epoch wraps: retired, out of line */
            mm__slot_release(rt, idx); /* (its count of rt->freed is overwritten) */
            head = rt->free_head;
        }
        if (MM_CFG_DEBUG) {
            seen++;
        }
        idx = next;
    }
    if (MM_CFG_DEBUG) {
        MM_ASSERT(seen == gc->ngarbage, "gc: garbage list and its count differ");
    }
    rt->free_head = head;
    rt->freed = freed;
    mm__run_end(heap, &objs);
    mm__run_end(heap, &bodies);
    for (uint32_t g = 0; g < MM_GC_GENERATIONS; g++) {
        gc->pop[g] -= popd[g];
    }
    gc->garbage = 0;
    drop_deferred(rt, defer);
}
/* count: the garbage is still in gc->pop (not when mark_find skipped the
 * find pass of a full collection). */
static __attribute__((noinline)) void release_fast(mm_gc *gc)
{
    if (gc->fused && gc->gen == GC_OLDEST) {
        release_fast_body(gc, false);
    } else {
        release_fast_body(gc, true);
    }
}

/* The release through the descriptors and the hook (C2): when some
 * garbage has its type's own clear(), every garbage object is cleared
 * first (each keeps its hold, so none is freed and the list stays
 * intact), then each, now held by its hold alone, is destroyed and freed
 * with its slot, its link read before; else (a track_hook wrapper) each
 * list or instance drops its references and is freed in turn, as in
 * release_fast. The back-links are restored where a type's destroy or a
 * hook may look. */
static void release_garbage(mm_gc *gc)
{
    mm_rt *rt = gc->rt;
    mm_slot *tab = rt->tab;
    bool two_pass = gc->garbage_own_clear;
    uint32_t defer = 0;
    if (two_pass) {
        for (uint32_t idx = gc->garbage; idx != 0u;) {
            mm_obj *o = tab[idx].obj;
            uint32_t hdr = o->hdr;
            clear_garbage(gc, o, hdr, &defer);
            idx = hdr & MM_HDR_SLOT_MASK;
        }
    }
    uint32_t popd[MM_GC_GENERATIONS] = {0, 0, 0};
    bool own_hook = rt->track_hook == track_hook;
    for (uint32_t idx = gc->garbage; idx != 0u;) {
        mm_slot *s = &tab[idx];
        mm_obj *o = s->obj;
        uint32_t hdr = o->hdr, next = hdr & MM_HDR_SLOT_MASK;
        if (!two_pass) {
            clear_garbage(gc, o, hdr, &defer);
        }
        popd[(hdr & MM_HDR_GCGEN_MASK) >> MM_HDR_GCGEN_SHIFT]++; /* on_free */
        free_garbage(gc, s, idx, o, (hdr & ~(MM_HDR_SLOT_MASK | GC_FLAGS)) | idx);
        idx = next;
    }
    if (own_hook) {
        for (uint32_t g = 0; g < MM_GC_GENERATIONS; g++) {
            gc->pop[g] -= popd[g];
        }
    }
    gc->garbage = 0;
    drop_deferred(rt, defer);
}

/* ------------------------------------------------------ bookkeeping */

/* CPython's counters after a collection of gc->gen. */
static void update_counts(mm_gc *gc, const mm_gc_result *res)
{
    uint32_t g = gc->gen;
    for (uint32_t i = 0; i <= g; i++) {
        gc->count[i] = 0;
    }
    if (g < GC_OLDEST) {
        gc->count[g + 1u]++;
    }
    if (g + 1u == GC_OLDEST) {
        gc->long_lived_pending += res->survivors;
    } else if (g == GC_OLDEST) {
        gc->long_lived_pending = 0;
        gc->long_lived_total = res->survivors;
    }
    gc->young_len = 0; /* every young object was freed or promoted */
    gc->stats[g].collections++;
    gc->stats[g].collected += res->collected;
}

static const char *type_name(const mm_rt *rt, uint32_t id)
{
    const mm_class *cls = mm_class_of_id(rt, id);
    if (cls != NULL) {
        return cls->name;
    }
    const mm_type *t = mm_type_of_id(rt, id);
    return t != NULL ? t->name : "?";
}

/* Fills res->types from gc->by_type, largest first (ties: lower type id
 * first); when the types outnumber the entries, the last entry becomes
 * "(other)", the rest. O(types), plus a sort of the types found. */
static void fill_types(const mm_gc *gc, mm_gc_result *res)
{
    const uint32_t cap = MM_CFG_GC_RESULT_TYPES;
    uint8_t ids[MM_TYPE_MAX] = {0};
    uint32_t k = 0;
    for (uint32_t id = 1; id < MM_TYPE_MAX; id++) {
        uint32_t n = gc->by_type[id];
        if (n == 0u) {
            continue;
        }
        uint32_t j = k++; /* insertion: after every type of count >= n */
        while (j > 0u && gc->by_type[ids[j - 1u]] < n) {
            ids[j] = ids[j - 1u];
            j--;
        }
        ids[j] = (uint8_t)id;
    }
    res->ntypes = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t n = gc->by_type[ids[i]];
        if (res->ntypes < cap) {
            res->types[res->ntypes].name = type_name(gc->rt, ids[i]);
            res->types[res->ntypes++].count = n;
        } else {
            res->types[cap - 1u].name = "(other)";
            res->types[cap - 1u].count += n;
        }
    }
}

static void print_start(const mm_gc *gc)
{
    mm_printf("gc: collecting generation %u...\n", (unsigned)gc->gen);
    mm_printf("gc: objects in each generation: %u %u %u\n", (unsigned)gc->pop[0],
              (unsigned)gc->pop[1], (unsigned)gc->pop[2]);
}

/* ------------------------------------------------------ collection */

/* Caches every known type id's descriptor (classes register at any time,
 * so this runs at the start of each collection). O(types). */
static void cache_types(mm_gc *gc)
{
    static_assert(MM_TYPE_MAX <= 64u, "dict_classes is a 64-bit mask");
    const mm_rt *rt = gc->rt;
    for (uint32_t id = 0; id < MM_T_BUILTIN_END; id++) {
        gc->types[id] = mm_type_of_id(rt, id);
        gc->fast[id] = 0;
    }
    MM_ASSERT(gc->types[MM_T_LIST] == &mm_type_list, "gc: lists are mm_type_list");
    gc->fast[MM_T_LIST] = GC_FAST_LIST;
    gc->dict_classes = 0;
    for (uint32_t id = MM_T_CLASS0; id < MM_T_CLASS0 + rt->nclasses; id++) {
        gc->types[id] = mm_type_of_id(rt, id);
        gc->fast[id] = gc->types[id] == &mm_type_inst
                           ? (uint16_t)(GC_FAST_INST + mm__class_nfields(rt, id))
                           : 0u;
        if (mm_class_of_id(rt, id)->has_dict) {
            gc->dict_classes |= (uint64_t)1u << id;
        }
    }
}

/* Steps 1..5 for generations 0..gen; the caller checked it may run. */
static void collect(mm_gc *gc, uint32_t gen, mm_gc_result *res)
{
    mm_rt *rt = gc->rt;
    uint64_t t0 = mm_port_clock();
    uint32_t freed0 = rt->freed;
    memset(res, 0, sizeof *res);
    res->generation = gen;
    gc->running = true;
    gc->gen = gen;
    cache_types(gc);
    if ((gc->debug & MM_GC_DEBUG_STATS) != 0u) {
        print_start(gc);
    }
    res->examined = subtract_internal(gc, res);
    mark_find(gc, res);
    uint64_t t4 = mm_port_clock();
    if (!gc->garbage_own_clear && rt->track_hook == track_hook) {
        release_fast(gc);
    } else {
        release_garbage(gc);
    }
    if (gen < GC_OLDEST) { /* after the release: what its drain freed is not promoted */
        (void)promote_walk(gc, res);
    }
    for (uint32_t id = MM_T_CLASS0; id < MM_T_CLASS0 + rt->nclasses; id++) {
        if (gc->by_type[id] != 0u && (gc->dict_classes >> id & 1u) != 0u) {
            mm__class_died(rt, id, gc->by_type[id]); /* freed inline: no destroy() */
        }
    }
    res->release_instructions = mm_port_clock() - t4;
    rt->tab[0].meta = MM__SINK_META; /* what subtract_array took off the sink */
    update_counts(gc, res);
    fill_types(gc, res);
    res->freed = rt->freed - freed0;
    gc->running = false;
    res->instructions = mm_port_clock() - t0;
    if ((gc->debug & MM_GC_DEBUG_STATS) != 0u) {
        mm_printf("gc: done, %u unreachable, 0 uncollectable, %llu instructions\n",
                  (unsigned)res->collected, (unsigned long long)res->instructions);
    }
}

static bool may_run(const mm_gc *gc)
{
    return !gc->running && !gc->rt->draining;
}

uint32_t mm_gc_collect(mm_gc *gc, uint32_t generation, mm_gc_result *res)
{
    mm_gc_result local = {0};
    res = res != NULL ? res : &local;
    memset(res, 0, sizeof *res);
    if (generation > GC_OLDEST) {
        mm_port_misuse(__FILE__, __LINE__, "mm_gc_collect: invalid generation (0..2)");
        res->status = MM_GC_BADGEN;
        return 0;
    }
    if (!may_run(gc)) {
        res->status = MM_GC_BUSY;
        return 0;
    }
    collect(gc, generation, res);
    return res->collected;
}

/* CPython's collect_generations: the oldest generation over threshold. */
static uint32_t pick_generation(const mm_gc *gc)
{
    for (uint32_t g = GC_OLDEST; g > 0; g--) {
        if (gc->count[g] > gc->threshold[g]) {
            if (g == GC_OLDEST && gc->long_lived_pending < gc->long_lived_total / 4u) {
                continue;
            }
            return g;
        }
    }
    return 0;
}

static bool auto_allowed(const mm_gc *gc)
{
    return gc->enabled && gc->threshold[0] != 0u && may_run(gc);
}

static void auto_collect(mm_gc *gc)
{
    mm_gc_result res;
    gc->automatic++;
    collect(gc, pick_generation(gc), &res);
}

/* ------------------------------------------------------------ hooks */

/* Appends live tracked object o (never immortal) to the young table,
 * which has room: its handle, read from its own slot. */
static inline void young_push(mm_gc *gc, const mm_obj *o)
{
    uint32_t idx = mm_hdr_slot(o);
    gc->young[gc->young_len++] = mm__h_make(gc->rt, idx, slot_gen(&gc->rt->tab[idx]));
}

/* A tracked object was born: count it, maybe collect, index it (C6). The
 * common case (no collection due, room in the young table) goes straight
 * into generation 0 (its header's generation is 0 from birth) and the
 * table. */
static void on_born(mm_gc *gc, mm_obj *o)
{
    uint32_t n = gc->young_len, c = ++gc->count[0];
    if (n < MM_CFG_GC_YOUNG_MAX && c <= gc->threshold[0] && !gc->running &&
        mm_gc_gen(o) == 0u) {
        gc->pop[0]++;
        young_push(gc, o);
        return;
    }
    mm_gc_set_gen(o, 1); /* provisional: not in the young table yet */
    gc->pop[1]++;
    bool full = n >= MM_CFG_GC_YOUNG_MAX;
    if ((full || c > gc->threshold[0]) && auto_allowed(gc)) {
        auto_collect(gc);
    }
    if (gc->young_len < MM_CFG_GC_YOUNG_MAX && !gc->running) { /* running: a
        destroy() allocates mid-collection; the young table is being walked */
        gen_move(gc, o, 0);
        young_push(gc, o);
    }
}

/* A tracked object dies (outside a collection's walks, or garbage freed
 * by one). An object that dies as the youngest entry of the young table
 * (the commonest death: a temporary) takes its entry with it, so that
 * short-lived objects do not fill the table and force collections. An
 * entry with o's slot index at the end of the table is o's own: any other
 * object that had that slot died before o was born, and o's entry came
 * after its. */
static void on_free(mm_gc *gc, const mm_obj *o)
{
    uint32_t g = mm_gc_gen(o);
    gc->pop[g]--;
    if (gc->running) {
        return; /* the young table is being walked; counts reset after */
    }
    if (gc->count[0] > 0u) {
        gc->count[0]--;
    }
    uint32_t n = gc->young_len;
    if (g == 0u && n > 0u && mm_h_index(gc->young[n - 1u]) == mm_hdr_slot(o)) {
        gc->young_len = n - 1u;
    }
}

static void track_hook(mm_rt *rt, mm_obj *o, bool born)
{
    mm_gc *gc = (mm_gc *)rt->gc;
    if (born) {
        on_born(gc, o);
    } else {
        on_free(gc, o);
    }
}

/* Torture mode: a collection at every allocation. */
static void alloc_hook(mm_rt *rt)
{
    mm_gc *gc = (mm_gc *)rt->gc;
    if (gc->enabled && may_run(gc)) {
        mm_gc_result res;
        gc->automatic++;
        collect(gc, MM_CFG_GC_TORTURE >= 2 ? GC_OLDEST : pick_generation(gc), &res);
    }
}

/* Emergency path: full collection (unless switched off), then
 * compaction; mm_rt_alloc retries. */
static void oom_hook(mm_rt *rt, size_t size)
{
    (void)size;
    mm_gc *gc = (mm_gc *)rt->gc;
    if (!gc->emergency_on) {
        gc->emergencies_off++;
    } else {
        gc->emergencies++;
        if (may_run(gc)) {
            mm_gc_result res;
            collect(gc, GC_OLDEST, &res);
        }
    }
    (void)mm_compact(rt->heap);
}

/* ------------------------------------------------- init and controls */

mm_status mm_gc_init(mm_gc *gc, mm_rt *rt)
{
    if (rt->gc != NULL) {
        return MMO_FULL;
    }
    memset(gc, 0, offsetof(mm_gc, by_type));
    gc->rt = rt;
    gc->threshold[0] = MM_CFG_GC_YOUNG_MAX < 700 ? MM_CFG_GC_YOUNG_MAX : 700;
    gc->threshold[1] = gc->threshold[2] = 10;
    gc->enabled = true;
    gc->emergency_on = true;
    gc->stack_limit = MM_CFG_GC_STACK;
    for (uint32_t i = 1; i < rt->fresh; i++) {
        mm_obj *o = mm_slot_obj(rt, i);
        if (o != NULL && mm_gc_is_tracked(o)) {
            mm_hdr_set_bits(o, GC_SCANNED | GC_REACHED, false);
            mm_gc_set_gen(o, GC_OLDEST);
            gc->pop[GC_OLDEST]++;
        }
    }
    gc->long_lived_total = gc->pop[GC_OLDEST];
    rt->gc = gc;
    rt->oom_hook = oom_hook;
    mm__rt_set_track_hook(rt, track_hook);
    rt->alloc_hook = MM_CFG_GC_TORTURE ? alloc_hook : NULL;
    return MMO_OK;
}

void mm_gc_fini(mm_gc *gc)
{
    mm_rt *rt = gc->rt;
    if (rt != NULL && rt->gc == gc) {
        rt->gc = NULL;
        rt->oom_hook = NULL;
        mm__rt_set_track_hook(rt, NULL);
        rt->alloc_hook = NULL;
    }
    gc->rt = NULL;
}

void mm_gc_enable(mm_gc *gc) { gc->enabled = true; }
void mm_gc_disable(mm_gc *gc) { gc->enabled = false; }
bool mm_gc_isenabled(const mm_gc *gc) { return gc->enabled; }

void mm_gc_set_emergency(mm_gc *gc, bool on) { gc->emergency_on = on; }
bool mm_gc_emergency_enabled(const mm_gc *gc) { return gc->emergency_on; }

mm_gc_counters mm_gc_get_counters(const mm_gc *gc)
{
    mm_gc_counters c = {gc->automatic, gc->emergencies, gc->emergencies_off};
    return c;
}

void mm_gc_get_count(const mm_gc *gc, uint32_t count[MM_GC_GENERATIONS])
{
    memcpy(count, gc->count, sizeof gc->count);
}

void mm_gc_get_threshold(const mm_gc *gc, uint32_t th[MM_GC_GENERATIONS])
{
    memcpy(th, gc->threshold, sizeof gc->threshold);
}

void mm_gc_set_threshold(mm_gc *gc, uint32_t t0, uint32_t t1, uint32_t t2)
{
    gc->threshold[0] = t0;
    gc->threshold[1] = t1;
    gc->threshold[2] = t2;
}

void mm_gc_set_debug(mm_gc *gc, uint32_t flags) { gc->debug = flags; }
uint32_t mm_gc_get_debug(const mm_gc *gc) { return gc->debug; }

mm_gc_gen_stats mm_gc_get_stats(const mm_gc *gc, uint32_t gen)
{
    mm_gc_gen_stats zero = {0, 0, 0};
    return gen <= GC_OLDEST ? gc->stats[gen] : zero;
}

uint32_t mm_gc_population(const mm_gc *gc, uint32_t gen)
{
    return gen <= GC_OLDEST ? gc->pop[gen] : 0u;
}

void mm_gc_set_stack_limit(mm_gc *gc, uint32_t n)
{
    gc->stack_limit = n < 1u ? 1u : (n > MM_CFG_GC_STACK ? MM_CFG_GC_STACK : n);
}

void mm_gc_print_result(const mm_gc_result *res)
{
    mm_printf("gc: generation %u: %u unreachable (%u freed in all), %u survivors, "
              "%llu instructions\n",
              (unsigned)res->generation, (unsigned)res->collected, (unsigned)res->freed,
              (unsigned)res->survivors, (unsigned long long)res->instructions);
    for (uint32_t i = 0; i < res->ntypes; i++) {
        mm_printf("gc:   %s: %u\n", res->types[i].name, (unsigned)res->types[i].count);
    }
}

/* ------------------------------------------------------------ check */

static bool fail(const char **what, const char *msg)
{
    if (what != NULL) {
        *what = msg;
    }
    return false;
}

/* Every tracked object: flags clear, generation valid; counts them. */
static bool check_objects(const mm_gc *gc, uint32_t pop[MM_GC_GENERATIONS], const char **what)
{
    const mm_rt *rt = gc->rt;
    for (uint32_t i = 1; i < rt->fresh; i++) {
        const mm_obj *o = mm_slot_obj(rt, i);
        if (o == NULL || !mm_gc_is_tracked(o)) {
            continue;
        }
        if ((o->hdr & (GC_SCANNED | GC_REACHED)) != 0u) {
            return fail(what, "tracked object with a GC flag left set");
        }
        if (mm_gc_gen(o) > GC_OLDEST) {
            return fail(what, "tracked object of generation 3");
        }
        pop[mm_gc_gen(o)]++;
    }
    return true;
}

/* Live young entries are generation-0 objects, as many as there are. */
static bool check_young(const mm_gc *gc, uint32_t young0, const char **what)
{
    uint32_t live = 0;
    if (gc->young_len > MM_CFG_GC_YOUNG_MAX) {
        return fail(what, "young table length out of range");
    }
    for (uint32_t i = 0; i < gc->young_len; i++) {
        const mm_obj *o = young_obj(gc->rt, gc->young[i]);
        if (o == NULL) {
            continue;
        }
        if (!mm_gc_is_tracked(o) || mm_gc_gen(o) != 0u) {
            return fail(what, "young table names an object outside generation 0");
        }
        live++;
    }
    return live == young0 ? true : fail(what, "generation-0 objects missing from the young table");
}

mm_status mm_gc_check(const mm_gc *gc, const char **what)
{
    uint32_t pop[MM_GC_GENERATIONS] = {0, 0, 0};
    if (!check_objects(gc, pop, what)) {
        return MMO_CORRUPT;
    }
    if (memcmp(pop, gc->pop, sizeof pop) != 0) {
        fail(what, "per-generation counts differ from the objects");
        return MMO_CORRUPT;
    }
    if (!check_young(gc, pop[0], what)) {
        return MMO_CORRUPT;
    }
    if (what != NULL) {
        *what = "ok";
    }
    return MMO_OK;
}
