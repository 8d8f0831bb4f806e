/*
 * mm_gc.c - generational cycle collector (contract and invariants C1..C6:
 * mm_gc.h).
 *
 * Algorithm: trial deletion (Christopher 1984; Bacon & Rajan 2001; the
 * variant of CPython's Modules/gcmodule.c), without CPython's per-object
 * gc_refs word: the slot's own refcount is the scratch. For the set S of
 * tracked objects of generations 0..g, two walks over S, one over the
 * tentative list, then two over the garbage only:
 *  1. SUBTRACT: for every edge m -> c with m, c in S: rc(c) -= 1. Now
 *     rc(c) counts only the references from outside S (it may be 0: no
 *     code but the collector's and the types' refs/traverse runs until
 *     step 3 has restored it).                                    O(S + E)
 *  2. MARK, one walk (mark_body, after CPython's move_unreachable): a
 *     member passed with rc > 0 and not REACHED (B) is a root: it and
 *     everything reachable from it are scanned there and then with an
 *     explicit stack (REACHED when first reached, A too once scanned);
 *     following an edge m -> c adds 1 back to rc(c), so a survivor's
 *     refcount is exact again but for the edges garbage holds on it. A
 *     member passed with rc == 0 and not REACHED is TENTATIVE (A alone)
 *     and goes on the tentative list (back-link bits, C3); a later root
 *     may reach it (A alone -> B, scanned; it stays on the list). In a
 *     full collection each member the walk passes scanned is settled at
 *     once (flags cleared, generation 2); gc->pos, the walk position,
 *     tells a settled flagless member from one not yet passed. Stack
 *     overflow: the object stays REACHED and unscanned, is on the list
 *     or goes there when the walk passes it, and the list is walked
 *     again (rescan_pending, C4).         O(S + E + rescans x (T + E_T))
 *  3. FIND, one pass over the tentative list: a REACHED entry survives
 *     (back-link restored, unlinked; settled in a full collection); the
 *     others are GARBAGE: counted by type, one HOLD reference each (rc 0
 *     -> 1), their edges into S restored (rc(c) += 1), left linked: the
 *     list is now the garbage list. Every refcount is exact, plus the
 *     hold on each garbage object. For generations 0 and 1 a PROMOTE
 *     walk follows (promotion there would take a survivor out of the
 *     set before the garbage edges to it are restored).     O(T + E_T)
 *  4. RELEASE, two passes over the garbage list: (a) every garbage object
 *     is clear()ed: the references it drops to other garbage leave their
 *     holds, so no garbage object is freed; objects outside S (or
 *     survivors) that only garbage held die by the refcount drain; (b)
 *     each garbage object, now held by its hold alone, gets its back-link
 *     back and is destroyed and freed with its slot, as the drain would
 *     (track hook, destroy, block, slot), reading its link first. Every
 *     garbage object is thus cleared before any is destroyed, and none is
 *     touched after it is freed.                             O(G + E_G)
 * Edges of lists and instances are read straight from their handle
 * arrays (gc->fast, per type id: no call), of other types with refs()
 * from the array it gives, else through traverse() and a visitor; lists
 * and instances are also cleared and freed inline (the allocator's
 * mm_free_inline), other types through their clear and destroy. Each
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
#include "mm_gc.h"

#include <string.h>

#include "mm_fmt.h"
#include "mm_heap_int.h"
#include "mm_port.h"
#include "mm_types.h"

static_assert(MM_META_RC_SHIFT + 20u == 32u, "refcount field is the top 20 bits");
static_assert(MM_META_RC_ZERO == (1u << 20) - 1u, "rc 0 is the all-ones field");
static_assert(MM_HDR_GCGEN_MASK >> MM_HDR_GCGEN_SHIFT == 3u, "2-bit generation");
static_assert(MM_CFG_GC_STACK >= 1, "the mark stack needs an entry");
static_assert(MM_CFG_GC_YOUNG_MAX >= 1, "the young table needs an entry");
static_assert(MM_CFG_GC_RESULT_TYPES >= 2, "room for a type and (other)");

#define GC_OLDEST 2u
#define GC_SCANNED MM_HDR_GC_A
#define GC_REACHED MM_HDR_GC_B

/* ------------------------------------------------------ small helpers */

static inline uint32_t rc_field(uint32_t meta) { return meta >> MM_META_RC_SHIFT; }
/* rc == 0 (the all-ones field): during marking, a member with no
 * reference from outside the set (yet). */
static inline bool rc_is_zero(const mm_slot *s) { return rc_field(s->meta) == MM_META_RC_ZERO; }
static inline void rc_dec(mm_slot *s) { s->meta -= MM_RC_ONE; }
static inline void rc_inc(mm_slot *s) { s->meta += MM_RC_ONE; }
static inline uint32_t slot_gen(const mm_slot *s) { return s->meta & MM_META_GEN_MASK; }


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
 * check. */
static inline mm_slot *child_slot(mm_slot *tab, mm_h h, uint32_t lim)
{
    mm_slot *s = &tab[h & MM_H_INDEX_MASK];
    const mm_obj *c = s->obj;
    return (c != NULL && member_hdr(c->hdr, lim)) ? s : NULL;
}

/* The slot of the live object at walk position i, or NULL: young entry i
 * for a young collection (NULL if that object died since: the slot's
 * generation moved on), slot i otherwise. Callers test membership. No
 * slot is dying here: collections never run inside a refcount drain.
 * `young` is a constant in each walk (see WALK), so the test folds. */
static inline __attribute__((always_inline)) mm_slot *
set_slot(mm_slot *tab, const mm_h *young_tab, uint32_t i, bool young)
{
    mm_slot *s;
    if (young) {
        mm_h h = young_tab[i];
        s = &tab[mm_h_index(h)];
        if (slot_gen(s) != mm_h_gen(h)) {
            return NULL;
        }
    } else {
        s = &tab[i];
    }
    return s->obj != NULL ? s : NULL;
}

/* The slot of the member of the set at walk position i, with its object's
 * header in *hdr, or NULL (no live object there, or not a member: see
 * member_hdr). The one loop head of every walk over the set. */
static inline __attribute__((always_inline)) mm_slot *
set_member(mm_slot *tab, const mm_h *young_tab, uint32_t i, bool young, uint32_t lim,
           uint32_t *hdr)
{
    mm_slot *s = set_slot(tab, young_tab, i, young);
    if (s == NULL) {
        return NULL;
    }
    *hdr = s->obj->hdr;
    return member_hdr(*hdr, lim) ? s : NULL;
}

/* Number of positions a walk over the set visits (see set_slot). */
static inline uint32_t set_span(const mm_gc *gc)
{
    return gc->gen == 0 ? gc->young_len : gc->rt->fresh;
}

/* The live object of young handle h, or NULL if it died since. */
static inline mm_obj *young_obj(const mm_rt *rt, mm_h h)
{
    const mm_slot *s = &rt->tab[mm_h_index(h)];
    return (s->obj != NULL && slot_gen(s) == mm_h_gen(h)) ? s->obj : NULL;
}

static inline void gen_move(mm_gc *gc, mm_obj *o, uint32_t to)
{
    gc->pop[mm_gc_gen(o)]--;
    mm_gc_set_gen(o, to);
    gc->pop[to]++;
}

static void track_hook(mm_rt *rt, mm_obj *o, bool born);

/* ------------------------------------------------------------- edges */

/* What one edge m -> c (c a member) does in each walk. */
enum { EDGE_SUBTRACT, EDGE_MARK, EDGE_RESTORE };

/* Mark stack entries are slot indices; a CONTINUATION is two entries, the
 * position to resume at, then the container's slot index | GC_CONT. */
#define GC_CONT 0x80000000u
static_assert(MM_H_INDEX_MASK < GC_CONT, "slot indices leave bit 31 free");

/* gc->fast[type id]: how the collector reads and frees objects of a type
 * without an indirect call. 0: through the descriptor (refs or traverse,
 * clear, destroy); GC_FAST_LIST: a list (mm__list); else 1 + the number
 * of handle fields of an instance (mm__inst_fields). Filled per
 * collection by cache_types. */
#define GC_FAST_LIST 0xFFFFu
static_assert(MM_CFG_MAX_SLOTS + 1u < GC_FAST_LIST, "field counts fit below the list code");

#define GC_FLAGS (GC_SCANNED | GC_REACHED)

/* True iff member header ch (slot index idx), reached by an edge from a
 * reachable object, must now be flagged REACHED and scanned: it is not
 * REACHED yet, and it is TENTATIVE (A alone: passed by the mark walk
 * with no outside reference) or not yet passed by the walk (idx > pos;
 * a flagless member at or below pos is a settled survivor, already
 * scanned; pos is 0 when nothing is settled, see mark_find). */
static inline bool must_reach(uint32_t ch, uint32_t idx, uint32_t pos)
{
    return (ch & GC_REACHED) == 0u && ((ch & GC_SCANNED) != 0u || idx > pos);
}
/* The header once reached: REACHED alone (TENTATIVE's A dropped). */
static inline uint32_t reached_hdr(uint32_t ch) { return (ch & ~GC_SCANNED) | GC_REACHED; }

static inline void push(mm_gc *gc, const mm_slot *s)
{
    if (gc->sp < gc->stack_limit) {
        gc->stack[gc->sp++] = (uint32_t)(s - gc->rt->tab);
    } else {
        gc->overflow = true; /* stays REACHED, unscanned: rescan finds it */
    }
}

static inline __attribute__((always_inline)) void edge(mm_gc *gc, mm_slot *tab, uint32_t lim,
                                                       mm_h h, int op)
{
    mm_slot *s = child_slot(tab, h, lim);
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
    rc_inc(s); /* an edge from a reachable or garbage object: restored */
    if (op == EDGE_MARK) {
        mm_obj *c = s->obj;
        uint32_t ch = c->hdr;
        if (must_reach(ch, (uint32_t)(s - tab), gc->pos)) {
            c->hdr = reached_hdr(ch);
            push(gc, s);
        }
    }
}

static void visit_subtract(mm_rt *rt, mm_h h, void *arg)
{
    edge((mm_gc *)arg, rt->tab, member_lim(((mm_gc *)arg)->gen), h, EDGE_SUBTRACT);
}
static void visit_mark(mm_rt *rt, mm_h h, void *arg)
{
    edge((mm_gc *)arg, rt->tab, member_lim(((mm_gc *)arg)->gen), h, EDGE_MARK);
}
static void visit_restore(mm_rt *rt, mm_h h, void *arg)
{
    edge((mm_gc *)arg, rt->tab, member_lim(((mm_gc *)arg)->gen), h, EDGE_RESTORE);
}

/* The references of o as one array of handles: *a and *n, read straight
 * from a list or an instance (no call), else from the type's refs().
 * False when the type offers only traverse(). */
static inline __attribute__((always_inline)) bool ref_array(const mm_gc *gc, mm_obj *o,
                                                            const mm_h **a, uint32_t *n)
{
    uint32_t t = mm_hdr_type(o), f = gc->fast[t];
    if (f == GC_FAST_LIST) {
        const mm__list *l = (const mm__list *)(const void *)o;
        *n = l->len;
        *a = (const mm_h *)l->body;
        return true;
    }
    if (f != 0u) {
        *n = f - 1u;
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
static inline __attribute__((always_inline)) void edges(mm_gc *gc, mm_slot *tab, uint32_t lim,
                                                        mm_obj *o, int op, mm_visit_fn visit)
{
    const mm_h *a;
    uint32_t n;
    if (!ref_array(gc, o, &a, &n)) {
        type_of(gc, o)->traverse(gc->rt, o, visit, gc);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        edge(gc, tab, lim, a[i], op);
    }
}

/* ------------------------------------------------- step 1: subtract */

/* The walks over the set: each is written once as an always-inline body
 * taking `young`, and WALK_FN makes the function that runs it with the
 * constant true (young table) or false (handle table), so that every
 * per-position test and the loads of the loop bounds stay out of the loop. */
#define WALK_FN(name, body, ret)                                              \
    static ret name##_young(mm_gc *gc, mm_gc_result *res)                    \
    {                                                                         \
        return body(gc, res, true, member_lim(0u));                           \
    }                                                                         \
    static ret name##_mid(mm_gc *gc, mm_gc_result *res)                      \
    {                                                                         \
        return body(gc, res, false, member_lim(1u));                          \
    }                                                                         \
    static ret name##_full(mm_gc *gc, mm_gc_result *res)                     \
    {                                                                         \
        return body(gc, res, false, member_lim(2u));                          \
    }                                                                         \
    static ret name(mm_gc *gc, mm_gc_result *res)                            \
    {                                                                         \
        return gc->gen == 0 ? name##_young(gc, res)                           \
               : gc->gen == 1 ? name##_mid(gc, res) : name##_full(gc, res);  \
    }

/* Leaves in every member's refcount only its references from outside the
 * set. Returns the number of members. */
static inline __attribute__((always_inline)) uint32_t
subtract_body(mm_gc *gc, mm_gc_result *res, bool young, uint32_t lim)
{
    (void)res;
    mm_slot *tab = gc->rt->tab;
    const mm_h *yt = gc->young;
    uint32_t n = 0, span = set_span(gc);
    for (uint32_t i = 0; i < span; i++) {
        uint32_t hdr;
        mm_slot *s = set_member(tab, yt, i, young, lim, &hdr);
        if (s == NULL) {
            continue;
        }
        mm_obj *o = s->obj;
        MM_ASSERT((hdr & (GC_SCANNED | GC_REACHED)) == 0, "gc: stale GC flags");
        edges(gc, tab, lim, o, EDGE_SUBTRACT, visit_subtract);
        n++;
    }
    return n;
}
WALK_FN(subtract_internal, subtract_body, uint32_t)

/* ----------------------------------------------------- step 2: mark */

/* Follows the edges of reachable o (slot os, references a[0..n)) from
 * child `start` on. Children are pushed as they are first reached; when
 * the rest would not fit, o's continuation goes under them (two entries),
 * so that a wide container is scanned in chunks instead of overflowing
 * the stack: the stack then grows with depth only, and the rescan of C4
 * is left to deep graphs (and to stacks of fewer than 3 entries). */
static inline __attribute__((always_inline)) void scan_array(mm_gc *gc, mm_slot *tab,
                                                             uint32_t lim, uint32_t pos,
                                                             const mm_slot *os,
                                                             const mm_h *a, uint32_t n,
                                                             uint32_t start)
{
    uint32_t sp = gc->sp, limit = gc->stack_limit;
    uint32_t *stack = gc->stack;
    uint32_t room = limit - sp;
    if (n - start <= room) { /* all fit: no overflow test per push */
        for (uint32_t i = start; i < n; i++) {
            mm_slot *c = child_slot(tab, a[i], lim);
            if (c == NULL) {
                continue;
            }
            rc_inc(c);
            mm_obj *co = c->obj;
            uint32_t ch = co->hdr, ci = (uint32_t)(c - tab);
            if (must_reach(ch, ci, pos)) {
                co->hdr = reached_hdr(ch);
                stack[sp++] = ci;
            }
        }
        gc->sp = sp;
        return;
    }
    if (room < 3u) { /* no room to chunk: overflow, rescanned later */
        for (uint32_t i = start; i < n; i++) {
            edge(gc, tab, lim, a[i], EDGE_MARK);
        }
        return;
    }
    uint32_t base = sp, i = start;
    sp += 2u; /* the continuation's two entries, filled below */
    for (; i < n; i++) {
        mm_slot *c = child_slot(tab, a[i], lim);
        if (c == NULL) {
            continue;
        }
        mm_obj *co = c->obj;
        uint32_t ch = co->hdr, ci = (uint32_t)(c - tab);
        if (must_reach(ch, ci, pos)) {
            if (sp == limit) {
                break; /* full: child i is the continuation's first */
            }
            co->hdr = reached_hdr(ch);
            stack[sp++] = ci;
        }
        rc_inc(c);
    }
    stack[base] = i; /* i == n: an empty continuation */
    stack[base + 1u] = (uint32_t)(os - tab) | GC_CONT;
    gc->sp = sp;
}

/* Scans objects (and continuations) off the stack until it is empty. */
static void drain_stack(mm_gc *gc)
{
    mm_slot *tab = gc->rt->tab;
    uint32_t lim = member_lim(gc->gen), pos = gc->pos; /* constant while draining */
    while (gc->sp > 0) {
        uint32_t e = gc->stack[--gc->sp];
        uint32_t start = 0;
        if ((e & GC_CONT) != 0u) {
            start = gc->stack[--gc->sp];
            e &= ~GC_CONT;
        }
        mm_slot *s = &tab[e];
        mm_obj *o = s->obj;
        o->hdr |= GC_SCANNED;
        const mm_h *a;
        uint32_t n;
        if (!ref_array(gc, o, &a, &n)) {
            type_of(gc, o)->traverse(gc->rt, o, visit_mark, gc);
            continue;
        }
        scan_array(gc, tab, lim, pos, s, a, n, start);
    }
}

/* The mark walk, one pass over the set (C4): a member with an outside
 * reference (rc > 0) and not yet REACHED is a root: it is flagged REACHED
 * and everything reachable from it is scanned off the stack there and
 * then. A member passed with rc == 0 and not REACHED is TENTATIVE (A
 * alone) and goes on the tentative list, threaded through its header's
 * back-link bits (C3; head returned): a later root may still reach it
 * (must_reach: it becomes REACHED, and stays on the list). A member
 * passed REACHED but unscanned (the stack was full when it was reached)
 * goes on the list too, for rescan_pending. `settled` (full collections,
 * over the handle table): every member passed scanned is settled at
 * once (flags cleared, generation 2) and gc->pos, the walk position,
 * tells a settled member (at or below it, flagless) from one not yet
 * passed; otherwise gc->pos stays 0 and the promote walk settles. */
static inline __attribute__((always_inline)) uint32_t
mark_body(mm_gc *gc, uint32_t *survivors, bool young, bool settled)
{
    mm_slot *tab = gc->rt->tab;
    const mm_h *yt = gc->young;
    uint32_t lim = member_lim(young ? 0u : settled ? 2u : 1u);
    uint32_t span = set_span(gc), head = 0, settled_n = 0;
    for (uint32_t i = 0; i < span; i++) {
        uint32_t hdr;
        mm_slot *s = set_member(tab, yt, i, young, lim, &hdr);
        if (s == NULL) {
            continue;
        }
        mm_obj *o = s->obj;
        uint32_t idx = (uint32_t)(s - tab), fl = hdr & GC_FLAGS;
        if (fl == 0u) {
            if (rc_is_zero(s)) { /* no outside reference (yet) */
                o->hdr = (hdr & ~MM_HDR_SLOT_MASK) | GC_SCANNED | head;
                head = idx;
                continue;
            }
            o->hdr = hdr | GC_REACHED; /* a root */
            if (settled) {
                gc->pos = idx;
            }
            gc->stack[0] = idx; /* the stack is empty here */
            gc->sp = 1;
            drain_stack(gc);
            hdr = o->hdr;
        } else if (fl == GC_REACHED) { /* unscanned: left to the rescan */
            o->hdr = (hdr & ~MM_HDR_SLOT_MASK) | head;
            head = idx;
            continue;
        }
        if (settled) {
            o->hdr = (hdr & ~(GC_FLAGS | MM_HDR_GCGEN_MASK)) | GC_OLDEST << MM_HDR_GCGEN_SHIFT;
            settled_n++;
        }
    }
    *survivors = settled_n;
    return head;
}

static uint32_t mark_walk_young(mm_gc *gc, uint32_t *sv) { return mark_body(gc, sv, true, false); }
static uint32_t mark_walk_mid(mm_gc *gc, uint32_t *sv) { return mark_body(gc, sv, false, false); }
static uint32_t mark_walk_full(mm_gc *gc, uint32_t *sv) { return mark_body(gc, sv, false, true); }

/* After a mark walk with a stack overflow: scans the members of the
 * tentative list (head) that are REACHED but not SCANNED, again until a
 * pass ends without overflow. Returns the passes (rescans). */
static uint32_t rescan_pending(mm_gc *gc, uint32_t head)
{
    mm_slot *tab = gc->rt->tab;
    uint32_t rescans = 0;
    gc->pos = UINT32_MAX; /* every flagless member is settled (or none is) */
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
 * with A alone once marking is over). */
static inline bool has_garbage_dict(const mm_gc *gc, mm_obj *o)
{
    if ((gc->dict_classes >> mm_hdr_type(o) & 1u) == 0u) {
        return false;
    }
    const mm_slot *s = child_slot(gc->rt->tab, mm__inst_fields(o)[0], member_lim(gc->gen));
    return s != NULL && (s->obj->hdr & GC_FLAGS) == GC_SCANNED;
}

/* Steps 2 and 3: the mark walk, the rescans, then one pass over the
 * tentative list: a REACHED entry survives (its back-link is put back, it
 * is unlinked; settled at once in a full collection), the others are
 * the GARBAGE. Each is counted by type, held (rc 0 -> 1, C2), its edges
 * into the set are restored, and it stays linked: the list is then the
 * garbage list (C3, gc->garbage). Afterwards every garbage object's
 * refcount is its hold plus the references of garbage objects, every
 * survivor's is exact. */
static void mark_find(mm_gc *gc, mm_gc_result *res)
{
    bool settled = gc->gen == GC_OLDEST;
    uint32_t survivors = 0;
    memset(gc->by_type, 0, sizeof gc->by_type);
    gc->sp = 0;
    gc->pos = 0;
    gc->overflow = false;
    uint32_t head = gc->gen == 0 ? mark_walk_young(gc, &survivors)
                    : settled    ? mark_walk_full(gc, &survivors)
                                 : mark_walk_mid(gc, &survivors);
    res->rescans = rescan_pending(gc, head);
    mm_slot *tab = gc->rt->tab;
    uint32_t gc_lim = member_lim(gc->gen);
    mm_obj *prev = NULL;
    uint32_t n = 0, dicts = 0, garb[MM_GC_GENERATIONS] = {0, 0, 0}, first = head;
    for (uint32_t idx = head; idx != 0u;) {
        mm_slot *s = &tab[idx];
        mm_obj *o = s->obj;
        uint32_t hdr = o->hdr, next = hdr & MM_HDR_SLOT_MASK;
        if ((hdr & GC_REACHED) != 0u) { /* reached after all: unlink */
            hdr = (hdr & ~MM_HDR_SLOT_MASK) | idx;
            if (settled) {
                hdr = (hdr & ~(GC_FLAGS | MM_HDR_GCGEN_MASK)) | GC_OLDEST << MM_HDR_GCGEN_SHIFT;
                survivors++;
            }
            o->hdr = hdr;
            if (prev != NULL) {
                prev->hdr = (prev->hdr & ~MM_HDR_SLOT_MASK) | next;
            } else {
                first = next;
            }
            idx = next;
            continue;
        }
        if (has_garbage_dict(gc, o)) {
            dicts++;
        }
        rc_inc(s); /* the hold (C2) */
        gc->by_type[mm_hdr_type(o)]++;
        garb[(hdr & MM_HDR_GCGEN_MASK) >> MM_HDR_GCGEN_SHIFT]++;
        edges(gc, tab, gc_lim, o, EDGE_RESTORE, visit_restore);
        n++;
        prev = o;
        idx = next;
    }
    gc->garbage = first;
    if (settled) { /* every member is garbage or a survivor now in generation 2 */
        gc->pop[0] = garb[0];
        gc->pop[1] = garb[1];
        gc->pop[GC_OLDEST] = survivors + garb[GC_OLDEST];
        res->survivors = survivors;
    }
    res->collected = n - dicts;
    res->managed_dicts = dicts;
    gc->by_type[MM_T_DICT] -= dicts;
}

/* Collections of generations 0 and 1: survivors lose their flags and move
 * to generation gen + 1 (after the find walk, which tells members from
 * others by generation). Garbage is A alone: left to the release. */
static inline __attribute__((always_inline)) int promote_body(mm_gc *gc, mm_gc_result *res,
                                                              bool young, uint32_t lim)
{
    mm_slot *tab = gc->rt->tab;
    const mm_h *yt = gc->young;
    uint32_t to = gc->gen + 1u, span = set_span(gc), survivors = 0;
    uint32_t from[MM_GC_GENERATIONS] = {0, 0, 0};
    for (uint32_t i = 0; i < span; i++) {
        uint32_t hdr;
        mm_slot *s = set_member(tab, yt, i, young, lim, &hdr);
        if (s == NULL || (hdr & GC_REACHED) == 0u) {
            continue;
        }
        mm_obj *o = s->obj;
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

/* Frees slot s (index idx) of an object just freed, as mm__slot_release
 * does (generation bumped, slot on the free list, counted freed), inline
 * but for the generation wrap. */
static inline void slot_free(mm_rt *rt, mm_slot *s, uint32_t idx)
{
    uint32_t gen = slot_gen(s);
    if (gen == MM_H_GEN_MAX) {
        mm__slot_release(rt, idx); /* retired */
        return;
    }
    s->meta = rt->free_head << MM_META_RC_SHIFT | (gen + 1u);
    s->obj = NULL;
    rt->free_head = idx;
    rt->freed++;
}

/* Drops every reference garbage object o (header hdr) holds: its type's
 * clear(), inline for lists and instances. A garbage child loses one
 * reference but keeps its hold, so no garbage object is freed here; a
 * survivor or outsider may be (it is then no longer reachable). */
static inline __attribute__((always_inline)) void clear_garbage(mm_gc *gc, mm_obj *o,
                                                                uint32_t hdr)
{
    mm_rt *rt = gc->rt;
    uint32_t t = (hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT, f = gc->fast[t];
    if (f == GC_FAST_LIST) { /* list_clear */
        mm__list *l = (mm__list *)(void *)o;
        const mm_h *a = (const mm_h *)l->body;
        for (uint32_t n = l->len; n > 0;) {
            l->len = --n;
            mm_decref_fast(rt, a[n]);
        }
    } else if (f != 0u) { /* inst_clear */
        mm_h *a = mm__inst_fields(o);
        for (uint32_t i = 0; i < f - 1u; i++) {
            mm_h x = a[i];
            a[i] = MM_NULL;
            mm_decref_fast(rt, x);
        }
    } else {
        gc->types[t]->clear(rt, o);
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
    slot_free(rt, s, idx);
}

/* Two passes over the garbage list (C2): every garbage object is
 * clear()ed first (each keeps its hold, so none is freed and the list
 * stays intact), then each, now held by its hold alone, is destroyed and
 * freed with its slot, its link read before. The back-links are restored
 * where a type's destroy or a hook may look. */
static void release_garbage(mm_gc *gc)
{
    mm_rt *rt = gc->rt;
    mm_slot *tab = rt->tab;
    for (uint32_t idx = gc->garbage; idx != 0u;) {
        mm_obj *o = tab[idx].obj;
        uint32_t hdr = o->hdr;
        clear_garbage(gc, o, hdr);
        idx = hdr & MM_HDR_SLOT_MASK;
    }
    uint32_t popd[MM_GC_GENERATIONS] = {0, 0, 0};
    bool own_hook = rt->track_hook == track_hook;
    for (uint32_t idx = gc->garbage; idx != 0u;) {
        mm_slot *s = &tab[idx];
        mm_obj *o = s->obj;
        uint32_t hdr = o->hdr, next = hdr & MM_HDR_SLOT_MASK;
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

/* Fills res->types from gc->by_type, largest first; when the types
 * outnumber the entries, the last entry becomes "(other)", the rest. */
static void fill_types(const mm_gc *gc, mm_gc_result *res)
{
    static_assert(MM_TYPE_MAX <= 64u, "taken is a 64-bit mask");
    const uint32_t cap = MM_CFG_GC_RESULT_TYPES;
    uint64_t taken = 0;
    res->ntypes = 0;
    for (;;) {
        uint32_t best = 0, best_n = 0;
        for (uint32_t id = 1; id < MM_TYPE_MAX; id++) {
            if ((taken >> id & 1u) == 0u && gc->by_type[id] > best_n) {
                best = id;
                best_n = gc->by_type[id];
            }
        }
        if (best_n == 0u) {
            return;
        }
        taken |= (uint64_t)1u << best;
        if (res->ntypes < cap) {
            res->types[res->ntypes].name = type_name(gc->rt, best);
            res->types[res->ntypes++].count = best_n;
        } else {
            res->types[cap - 1u].name = "(other)";
            res->types[cap - 1u].count += best_n;
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
    if (gc->types[MM_T_LIST] == &mm_type_list) {
        gc->fast[MM_T_LIST] = GC_FAST_LIST;
    }
    gc->dict_classes = 0;
    for (uint32_t id = MM_T_CLASS0; id < MM_T_CLASS0 + rt->nclasses; id++) {
        gc->types[id] = mm_type_of_id(rt, id);
        gc->fast[id] = gc->types[id] == &mm_type_inst
                           ? (uint16_t)(1u + mm__class_nfields(mm_class_of_id(rt, id)))
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
    if (gen < GC_OLDEST) {
        (void)promote_walk(gc, res);
    }
    uint64_t t4 = mm_port_clock();
    release_garbage(gc);
    res->release_instructions = mm_port_clock() - t4;
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
    collect(gc, pick_generation(gc), &res);
}

/* ------------------------------------------------------------ hooks */

/* A tracked object was born: count it, maybe collect, index it (C6). The
 * common case (no collection due, room in the young table) goes straight
 * into generation 0 (its header's generation is 0 from birth) and the
 * table, its handle read from its own slot. */
static void on_born(mm_gc *gc, mm_obj *o)
{
    uint32_t n = gc->young_len, c = ++gc->count[0];
    if (n < MM_CFG_GC_YOUNG_MAX && c <= gc->threshold[0] && !gc->running &&
        mm_gc_gen(o) == 0u) {
        uint32_t idx = mm_hdr_slot(o);
        gc->pop[0]++;
        gc->young[n] = mm_h_make(idx, slot_gen(&gc->rt->tab[idx]));
        gc->young_len = n + 1u;
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
        gc->young[gc->young_len++] = mm_obj_handle(gc->rt, o);
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
        collect(gc, MM_CFG_GC_TORTURE >= 2 ? GC_OLDEST : pick_generation(gc), &res);
    }
}

/* Emergency path: full collection, then compaction; mm_rt_alloc retries. */
static void oom_hook(mm_rt *rt, size_t size)
{
    (void)size;
    mm_gc *gc = (mm_gc *)rt->gc;
    gc->emergencies++;
    if (may_run(gc)) {
        mm_gc_result res;
        collect(gc, GC_OLDEST, &res);
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
    rt->track_hook = track_hook;
    rt->alloc_hook = MM_CFG_GC_TORTURE ? alloc_hook : NULL;
    return MMO_OK;
}

void mm_gc_fini(mm_gc *gc)
{
    mm_rt *rt = gc->rt;
    if (rt != NULL && rt->gc == gc) {
        rt->gc = NULL;
        rt->oom_hook = NULL;
        rt->track_hook = NULL;
        rt->alloc_hook = NULL;
    }
    gc->rt = NULL;
}

void mm_gc_enable(mm_gc *gc) { gc->enabled = true; }
void mm_gc_disable(mm_gc *gc) { gc->enabled = false; }
bool mm_gc_isenabled(const mm_gc *gc) { return gc->enabled; }

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
