/*
 * mm_gc.c - generational cycle collector (contract and invariants C1..C6:
 * mm_gc.h).
 *
 * Algorithm: trial deletion (Christopher 1984; Bacon & Rajan 2001; the
 * variant of CPython's Modules/gcmodule.c), without CPython's per-object
 * gc_refs word: the slot's own refcount is the scratch. For the set S of
 * tracked objects of generations 0..g, four walks over S:
 *  1. SUBTRACT: every member gets one extra HOLD reference, and for every
 *     edge m -> c with m, c in S: rc(c) -= 1. Now rc(c) - 1 counts only
 *     the references from outside S.                              O(S + E)
 *  2. MARK: every member with rc > 1 is a root. From the roots, follow the
 *     edges inside S with an explicit stack, flagging REACHED (B) when an
 *     object is first reached and SCANNED (A) when its edges are followed.
 *     Following an edge m -> c also adds 1 back to rc(c): every edge out of
 *     a reachable object is restored here. Stack overflow: the object stays
 *     REACHED and unscanned and the walk over S is repeated (C4). Garbage
 *     keeps rc == 1 (its hold) all along, so "rc > 1 or REACHED" stays the
 *     root test.                                   O((S + E) x (1 + rescans))
 *  3. CLEAR: a reachable member drops its hold (its refcount is exact
 *     again). GARBAGE = members without B: each is counted by type, flagged
 *     A (without B), its edges into S are restored (rc(c) += 1) and it is
 *     clear()ed, which drops them again with everything else it holds.
 *     Restoring before dropping keeps every member's refcount >= 1 (garbage
 *     has its hold), so nothing in S is freed here; objects outside S that
 *     only garbage held die by the refcount drain.          O(S + G + E_G)
 *  4. RELEASE: survivors lose A/B and move to generation min(g+1, 2) (only
 *     now: step 3 tells members from others by generation); each garbage
 *     object, whose refcount is now its hold alone, drops it: rc 1 -> 0,
 *     the drain frees it (its clear() finds it empty).            O(S + G)
 * Walks over S use the young table for g = 0 (O(young)), the handle table
 * otherwise (O(slots)). Memory: struct mm_gc only (young table, mark
 * stack, per-type counters); nothing per object beyond the header bits.
 * The refcount is biased in the slot (mm_obj.h H3): field = rc - 1, so
 * rc +/- 1 is meta +/- MM_RC_ONE and rc == 0 is the all-ones field; the
 * helpers below do exactly what mm_rc_get/mm_rc_set would, inline.
 */
#include "mm_gc.h"

#include <string.h>

#include "mm_fmt.h"
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

static inline mm_slot *slot_of(const mm_rt *rt, const mm_obj *o)
{
    return &rt->tab[mm_hdr_slot(o)];
}
static inline bool rc_is_zero(const mm_slot *s)
{
    return (s->meta >> MM_META_RC_SHIFT) == MM_META_RC_ZERO;
}
/* rc == 1: during a collection, a member held by its hold alone. */
static inline bool rc_is_hold_only(const mm_slot *s)
{
    return (s->meta >> MM_META_RC_SHIFT) == 0u;
}
static inline void rc_dec(mm_slot *s) { s->meta -= MM_RC_ONE; }
static inline void rc_inc(mm_slot *s) { s->meta += MM_RC_ONE; }
static inline uint32_t slot_gen(const mm_slot *s) { return s->meta & MM_META_GEN_MASK; }

static inline bool is_reached(const mm_obj *o) { return mm_gc_flag_b(o); }
static inline bool is_scanned(const mm_obj *o) { return mm_gc_flag_a(o); }
/* After step 4: A without B = garbage waiting for its release. */
static inline bool is_doomed(const mm_obj *o)
{
    return (o->hdr & (GC_SCANNED | GC_REACHED)) == GC_SCANNED;
}

/* The type of o, from the table cache_types filled (no call). */
static inline const mm_type *type_of(const mm_gc *gc, const mm_obj *o)
{
    return gc->types[mm_hdr_type(o)];
}

static inline mm_h handle_of(const mm_rt *rt, const mm_obj *o)
{
    return mm_h_make(mm_hdr_slot(o), slot_gen(slot_of(rt, o)));
}

/* True iff o is tracked and of generation <= gen (a member of the set). */
static inline bool in_set(const mm_obj *o, uint32_t gen)
{
    return mm_gc_is_tracked(o) && mm_gc_gen(o) <= gen;
}

/* The member named by child handle h (slot in *s), or NULL: null and
 * immortal handles, untracked objects and older generations. */
static inline mm_obj *child_member(const mm_gc *gc, mm_h h, mm_slot **s)
{
    if (h == MM_NULL || mm_h_is_immortal(h)) {
        return NULL;
    }
    *s = &gc->rt->tab[mm_h_index(h)];
    mm_obj *o = (*s)->obj;
    return (o != NULL && in_set(o, gc->gen)) ? o : NULL;
}

/* Number of positions a walk over the set visits (see set_at). */
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

/* The live object at walk position i, or NULL: young entry i for a young
 * collection, slot i otherwise. Callers test membership. No slot is dying
 * here: collections never run inside a refcount drain. */
static inline mm_obj *set_at(const mm_gc *gc, uint32_t i)
{
    return gc->gen == 0 ? young_obj(gc->rt, gc->young[i]) : gc->rt->tab[i].obj;
}

static inline void gen_move(mm_gc *gc, mm_obj *o, uint32_t to)
{
    gc->pop[mm_gc_gen(o)]--;
    mm_gc_set_gen(o, to);
    gc->pop[to]++;
}

/* ------------------------------------------------- step 1: subtract */

static void visit_subtract(mm_rt *rt, mm_h h, void *arg)
{
    (void)rt;
    mm_slot *s = NULL;
    if (child_member((const mm_gc *)arg, h, &s) != NULL) {
        if (MM_CFG_DEBUG) {
            MM_ASSERT(!rc_is_zero(s), "gc: refcount lower than the references held");
        }
        rc_dec(s);
    }
}

/* Holds every member and leaves in its refcount, beyond the hold, only
 * its references from outside the set. */
static uint32_t subtract_internal(mm_gc *gc)
{
    mm_rt *rt = gc->rt;
    uint32_t n = 0, span = set_span(gc);
    for (uint32_t i = 0; i < span; i++) {
        mm_obj *o = set_at(gc, i);
        if (o != NULL && in_set(o, gc->gen)) {
            MM_ASSERT((o->hdr & (GC_SCANNED | GC_REACHED)) == 0, "gc: stale GC flags");
            rc_inc(slot_of(rt, o)); /* the hold (C2) */
            type_of(gc, o)->traverse(rt, o, visit_subtract, gc);
            n++;
        }
    }
    return n;
}

/* ----------------------------------------------------- step 2: mark */

static inline void push(mm_gc *gc, mm_obj *o)
{
    if (gc->sp < gc->stack_limit) {
        gc->stack[gc->sp++] = o;
    } else {
        gc->overflow = true; /* o stays REACHED, unscanned: rescan finds it */
    }
}

/* Edge from a reachable object: restore it, and reach the child. */
static void visit_mark(mm_rt *rt, mm_h h, void *arg)
{
    (void)rt;
    mm_gc *gc = (mm_gc *)arg;
    mm_slot *s = NULL;
    mm_obj *c = child_member(gc, h, &s);
    if (c != NULL) {
        rc_inc(s);
        if (!is_reached(c)) {
            mm_gc_set_flag_b(c, true);
            push(gc, c);
        }
    }
}

/* Scans objects off the stack until it is empty. */
static void drain_stack(mm_gc *gc)
{
    mm_rt *rt = gc->rt;
    while (gc->sp > 0) {
        mm_obj *o = gc->stack[--gc->sp];
        mm_gc_set_flag_a(o, true);
        type_of(gc, o)->traverse(rt, o, visit_mark, gc);
    }
}

/* One walk: scans every root and every reached-but-unscanned member. */
static void mark_walk(mm_gc *gc)
{
    uint32_t span = set_span(gc);
    for (uint32_t i = 0; i < span; i++) {
        mm_obj *o = set_at(gc, i);
        if (o == NULL || !in_set(o, gc->gen) || is_scanned(o)) {
            continue;
        }
        if (!is_reached(o)) {
            if (rc_is_hold_only(slot_of(gc->rt, o))) {
                continue; /* no outside reference (yet): maybe garbage */
            }
            mm_gc_set_flag_b(o, true);
        }
        push(gc, o); /* the stack is empty here: this push succeeds */
        drain_stack(gc);
    }
}

/* Marks everything reachable from outside the set (C4). Returns rescans. */
static uint32_t mark_reachable(mm_gc *gc)
{
    uint32_t rescans = 0;
    gc->sp = 0;
    gc->overflow = false;
    mark_walk(gc);
    while (gc->overflow) {
        gc->overflow = false;
        rescans++;
        mark_walk(gc);
    }
    return rescans;
}

/* -------------------------------------------- garbage bookkeeping */

static void visit_restore(mm_rt *rt, mm_h h, void *arg)
{
    (void)rt;
    mm_slot *s = NULL;
    if (child_member((const mm_gc *)arg, h, &s) != NULL) {
        rc_inc(s);
    }
}

/* True iff o is an instance whose own __dict__ is garbage too. */
static bool has_garbage_dict(const mm_gc *gc, const mm_obj *o)
{
    if ((gc->dict_classes >> mm_hdr_type(o) & 1u) == 0u) {
        return false;
    }
    mm_h d = mm_inst_dict_at(gc->rt, handle_of(gc->rt, o), __FILE__, __LINE__);
    mm_slot *s = NULL;
    const mm_obj *dobj = child_member(gc, d, &s);
    return dobj != NULL && !is_reached(dobj);
}

/* Counts garbage object o by type (an instance's own garbage __dict__
 * apart, as CPython 3.11 does not see it). */
static void count_garbage(mm_gc *gc, const mm_obj *o, mm_gc_result *res)
{
    gc->by_type[mm_hdr_type(o)]++;
    res->collected++;
    if (has_garbage_dict(gc, o)) {
        res->managed_dicts++;
    }
}

/* ---------------------------------------------- steps 3 and 4: free */

/* Unholds survivors; counts, flags and clears garbage (after restoring
 * the edges it holds into the set, which clear() then drops). */
static void clear_garbage(mm_gc *gc, mm_gc_result *res)
{
    mm_rt *rt = gc->rt;
    uint32_t span = set_span(gc);
    memset(gc->by_type, 0, sizeof gc->by_type);
    for (uint32_t i = 0; i < span; i++) {
        mm_obj *o = set_at(gc, i);
        if (o == NULL || !in_set(o, gc->gen) || is_doomed(o)) {
            continue;
        }
        if (is_reached(o)) {
            rc_dec(slot_of(rt, o)); /* drop the hold: never the last ref */
            continue;
        }
        count_garbage(gc, o, res);
        mm_gc_set_flag_a(o, true);
        const mm_type *t = type_of(gc, o);
        t->traverse(rt, o, visit_restore, gc);
        t->clear(rt, o);
    }
    gc->by_type[MM_T_DICT] -= res->managed_dicts;
    res->collected -= res->managed_dicts;
}

/* Promotes survivors; drops the holds: each garbage object is freed here
 * (C2), the refcount drain running its clear() (empty) and destroy(). */
static void release_garbage(mm_gc *gc, mm_gc_result *res)
{
    mm_rt *rt = gc->rt;
    uint32_t to = gc->gen < GC_OLDEST ? gc->gen + 1u : GC_OLDEST;
    uint32_t span = set_span(gc);
    for (uint32_t i = 0; i < span; i++) {
        mm_obj *o = set_at(gc, i);
        if (o == NULL || !mm_gc_is_tracked(o)) {
            continue;
        }
        if (is_reached(o)) {
            mm_hdr_set_bits(o, GC_SCANNED | GC_REACHED, false);
            gen_move(gc, o, to);
            res->survivors++;
        } else if (is_doomed(o)) {
            MM_ASSERT(rc_is_hold_only(slot_of(rt, o)), "gc: garbage still referenced after clear");
            mm_gc_set_flag_a(o, false);
            mm_decref_fast(rt, handle_of(rt, o)); /* o is freed: not touched again */
        }
    }
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
    }
    gc->dict_classes = 0;
    for (uint32_t id = MM_T_CLASS0; id < MM_T_CLASS0 + rt->nclasses; id++) {
        gc->types[id] = mm_type_of_id(rt, id);
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
    res->examined = subtract_internal(gc);
    res->rescans = mark_reachable(gc);
    clear_garbage(gc, res);
    uint64_t t4 = mm_port_clock();
    release_garbage(gc, res);
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

/* A tracked object was born: count it, maybe collect, index it (C6). */
static void on_born(mm_gc *gc, mm_obj *o)
{
    gc->count[0]++;
    mm_gc_set_gen(o, 1); /* provisional: not in the young table yet */
    gc->pop[1]++;
    bool full = gc->young_len >= MM_CFG_GC_YOUNG_MAX;
    if ((full || gc->count[0] > gc->threshold[0]) && auto_allowed(gc)) {
        auto_collect(gc);
    }
    if (gc->young_len < MM_CFG_GC_YOUNG_MAX && !gc->running) { /* running: a
        destroy() allocates mid-collection; the young table is being walked */
        gen_move(gc, o, 0);
        gc->young[gc->young_len++] = handle_of(gc->rt, o);
    }
}

static void on_free(mm_gc *gc, const mm_obj *o)
{
    gc->pop[mm_gc_gen(o)]--;
    if (!gc->running && gc->count[0] > 0u) {
        gc->count[0]--;
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
