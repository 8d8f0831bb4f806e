/*
 * test_gc.c - the cycle collector, case by case:
 * - rings and self-loops of every container type (list, dict, instances
 *   with a dict and with slots, generator, LRU cache);
 * - garbage pointing at live objects, live objects pointing at would-be
 *   garbage (must survive), references across generations both ways;
 * - the mark-stack overflow fallback (1-entry stack) and a 10,000-deep
 *   chain; results equal to the unlimited stack;
 * - automatic collection (count, thresholds, enable/disable, the young
 *   table), debug-stats output, the per-type breakdown, demo 3;
 * - re-entrancy (a collection requested inside a drain is refused);
 * - the emergency path (collection + compaction before MemoryError).
 * After every collection: mm_check, mm_obj_check (refcounts re-derived
 * from the graph and the test's own handles) and mm_gc_check.
 */
#include "obj_fixture.h"

#include "gc/mm_gc.h"

static const char *const pair_names[] = {"a", "b"};
static const mm_class Pair = {"Pair", 2, pair_names, false};
static const mm_class Node = {"Node", 0, NULL, true};

typedef struct gcfx {
    fixture fx;
    mm_gc gc;
    uint32_t pair, node; /* class ids */
} gcfx;

static int setup(void **state)
{
    gcfx *g = (gcfx *)calloc(1, sizeof *g);
    fx_open(&g->fx, 8u << 20, 1u << 16);
    assert_int_equal(mm_gc_init(&g->gc, &g->fx.rt), MMO_OK);
    g->pair = mm_class_register(&g->fx.rt, &Pair);
    g->node = mm_class_register(&g->fx.rt, &Node);
    assert_true(g->pair >= MM_T_CLASS0 && g->node >= MM_T_CLASS0);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_gc_fini(&g->gc);
    fx_close(&g->fx);
    free(g);
    return 0;
}

/* Every checker, with ext as the test's references. */
static void check_all(gcfx *g, const mm_h *ext, size_t n)
{
    fx_check_ext(&g->fx, ext, n);
    const char *what = NULL;
    if (mm_gc_check(&g->gc, &what) != MMO_OK) {
        fail_msg("mm_gc_check: %s", what);
    }
    assert_int_equal(port_misuse_count(), 0);
}
#define CHECK(g, ...)                                                          \
    do {                                                                       \
        const mm_h ext_[] = {MM_NULL, __VA_ARGS__};                            \
        check_all((g), ext_, sizeof ext_ / sizeof ext_[0]);                    \
    } while (0)

static uint32_t collect(gcfx *g, uint32_t gen, mm_gc_result *res)
{
    uint32_t n = mm_gc_collect(&g->gc, gen, res);
    assert_int_equal(res->status, MM_GC_OK);
    assert_int_equal(n, res->collected);
    return n;
}

static bool alive(gcfx *g, mm_h h) { return mm_handle_status(&g->fx.rt, h) == MMO_OK; }

/* ============================================================ cycles */

static void test_self_loop(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    collect(g, 2, &r);
    size_t used0 = fx_used(&g->fx);
    mm_h l = mm_list_new(rt, 0);
    assert_int_equal(mm_list_append(rt, l, l), MMO_OK);
    mm_decref(rt, l);
    assert_true(alive(g, l)); /* refcounting alone cannot free it */
    assert_true(fx_used(&g->fx) > used0);
    assert_int_equal(collect(g, 2, &r), 1);
    assert_false(alive(g, l));
    assert_int_equal(r.freed, 1);
    assert_int_equal(fx_used(&g->fx), used0);
    CHECK(g);
    assert_int_equal(collect(g, 2, &r), 0);
}

/* A ring of n lists; returns the first (the caller's only reference). */
static mm_h list_ring(mm_rt *rt, uint32_t n)
{
    mm_h first = mm_list_new(rt, 1), prev = first;
    mm_incref(rt, first);
    for (uint32_t i = 1; i < n; i++) {
        mm_h l = mm_list_new(rt, 1);
        assert_int_equal(mm_list_append(rt, prev, l), MMO_OK);
        mm_decref(rt, prev);
        prev = l;
    }
    assert_int_equal(mm_list_append(rt, prev, first), MMO_OK);
    mm_decref(rt, prev);
    return first;
}

static void test_list_ring(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h ring = list_ring(rt, 1000);
    CHECK(g, ring);
    assert_int_equal(collect(g, 2, &r), 0); /* held: nothing is garbage */
    assert_int_equal(r.survivors, 1000);
    CHECK(g, ring);
    mm_decref(rt, ring);
    assert_int_equal(collect(g, 2, &r), 1000);
    assert_int_equal(r.ntypes, 1);
    assert_string_equal(r.types[0].name, "list");
    assert_int_equal(r.types[0].count, 1000);
    assert_int_equal(mm_rt_live(rt), 0);
    CHECK(g);
}

/* Cycles through every container type, all in one garbage component:
 * dict -> Pair -> Node(dict) -> list -> generator(list) -> lru -> dict. */
static void test_every_type(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    uint32_t base = mm_rt_live(rt);
    mm_h d = mm_dict_new(rt), p = mm_inst_new(rt, g->pair), n = mm_inst_new(rt, g->node);
    mm_h l = mm_list_new(rt, 0), it = mm_list_iter(rt, l), c = mm_lru_new(rt, 4);
    mm_h s = mm_str_from(rt, "leaf"), big = mm_int_new(rt, 100000);
    assert_int_equal(mm_dict_set_str(rt, d, "p", p), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, p, 0, n), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, p, 1, s), MMO_OK);
    assert_int_equal(mm_inst_setattr(rt, n, "next", l), MMO_OK);
    assert_int_equal(mm_list_append(rt, l, it), MMO_OK);
    assert_int_equal(mm_list_append(rt, l, big), MMO_OK);
    assert_int_equal(mm_lru_put(rt, c, mm_small_int(1), d), MMO_OK);
    assert_int_equal(mm_list_append(rt, l, c), MMO_OK);
    CHECK(g, d, p, n, l, it, c, s, big);
    mm_h all[] = {d, p, n, l, it, c, s, big};
    for (size_t i = 0; i < 8; i++) {
        mm_decref(rt, all[i]);
    }
    CHECK(g);
    /* d, p, n, list, iterator, lru (Node's values are inline: no dict) */
    assert_int_equal(collect(g, 2, &r), 6);
    assert_int_equal(r.managed_dicts, 0);
    /* and "leaf", 100000, the interned keys "p" (d's) and "next" (Node's
     * shared keys, released with its last instance) */
    assert_int_equal(r.freed, 6 + 1 + 1 + 2);
    assert_int_equal(mm_rt_live(rt), base);
    for (size_t i = 0; i < 8; i++) {
        assert_false(alive(g, all[i]));
    }
    uint32_t sum = 0;
    for (uint32_t i = 0; i < r.ntypes; i++) {
        sum += r.types[i].count;
    }
    assert_int_equal(sum, 6);
    CHECK(g);
}

/* One minimal cycle per container type, each collected on its own. */
static void test_each_type_alone(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_gc_disable(&g->gc); /* torture: each cycle waits for its collection */
    mm_h d = mm_dict_new(rt); /* dict -> itself */
    mm_dict_set_str(rt, d, "self", d);
    mm_decref(rt, d);
    assert_int_equal(collect(g, 2, &r), 1);
    assert_string_equal(r.types[0].name, "dict");
    mm_h p = mm_inst_new(rt, g->pair); /* slots instance -> itself */
    mm_inst_set_slot(rt, p, 1, p);
    mm_decref(rt, p);
    assert_int_equal(collect(g, 2, &r), 1);
    assert_string_equal(r.types[0].name, "Pair");
    mm_h l = mm_list_new(rt, 0), it = mm_list_iter(rt, l); /* list <-> iterator */
    mm_list_append(rt, l, it);
    mm_decref(rt, it);
    mm_decref(rt, l);
    assert_int_equal(collect(g, 2, &r), 2);
    mm_h c = mm_lru_new(rt, 2), v = mm_list_new(rt, 0); /* cache -> value -> cache */
    mm_lru_put(rt, c, mm_small_int(7), v);
    mm_list_append(rt, v, c);
    mm_decref(rt, v);
    mm_decref(rt, c);
    assert_int_equal(collect(g, 2, &r), 2);
    mm_h k = mm_list_new(rt, 0), c2 = mm_lru_new(rt, 2); /* cache key -> cache */
    mm_list_append(rt, k, c2);
    mm_lru_put(rt, c2, k, mm_small_int(1));
    mm_decref(rt, k);
    mm_decref(rt, c2);
    assert_int_equal(collect(g, 2, &r), 2);
    mm_h n = mm_inst_new(rt, g->node); /* dict-class instance -> itself */
    mm_inst_setattr(rt, n, "me", n);
    mm_decref(rt, n);
    assert_int_equal(collect(g, 2, &r), 1);
    assert_int_equal(r.managed_dicts, 0);
    n = mm_inst_new(rt, g->node); /* the same through its own __dict__ */
    mm_inst_setattr(rt, n, "me", n);
    assert_true(mm_inst_dict(rt, n) != MM_NULL);
    mm_decref(rt, n);
    assert_int_equal(collect(g, 2, &r), 1);
    assert_int_equal(r.managed_dicts, 1);
    assert_int_equal(mm_rt_live(rt), 0);
    mm_gc_enable(&g->gc);
    CHECK(g);
}

/* Demo 3: two Nodes pointing at each other; CPython 3.11 returns 2. */
static void test_demo3(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    collect(g, 2, &r);
    size_t used0 = fx_used(&g->fx);
    mm_h a = mm_inst_new(rt, g->node), b = mm_inst_new(rt, g->node);
    assert_int_equal(mm_inst_setattr(rt, a, "ref", b), MMO_OK);
    assert_int_equal(mm_inst_setattr(rt, b, "ref", a), MMO_OK);
    mm_decref(rt, a);
    mm_decref(rt, b);
    assert_true(fx_used(&g->fx) > used0);
    assert_int_equal(collect(g, 2, &r), 2);
    assert_int_equal(r.ntypes, 1);
    assert_string_equal(r.types[0].name, "Node");
    assert_int_equal(r.types[0].count, 2);
    assert_int_equal(fx_used(&g->fx), used0);
    CHECK(g);
}

/* ======================================================= live/garbage */

static void test_garbage_points_at_live(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h live = mm_list_new(rt, 0);
    mm_h a = mm_inst_new(rt, g->pair), b = mm_inst_new(rt, g->pair);
    mm_inst_set_slot(rt, a, 0, b);
    mm_inst_set_slot(rt, b, 0, a);
    mm_inst_set_slot(rt, a, 1, live);
    mm_inst_set_slot(rt, b, 1, live);
    assert_int_equal(mm_refcount(rt, live), 3);
    mm_decref(rt, a);
    mm_decref(rt, b);
    assert_int_equal(collect(g, 2, &r), 2);
    assert_true(alive(g, live));
    assert_int_equal(mm_refcount(rt, live), 1);
    CHECK(g, live);
    mm_decref(rt, live);
    CHECK(g);
}

static void test_live_points_at_cycle(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h holder = mm_dict_new(rt);
    mm_h ring = list_ring(rt, 50);
    mm_dict_set_str(rt, holder, "ring", ring);
    mm_decref(rt, ring);
    for (uint32_t gen = 0; gen <= 2; gen++) {
        assert_int_equal(collect(g, gen, &r), 0);
        CHECK(g, holder);
    }
    assert_true(alive(g, ring));
    assert_int_equal(mm_refcount(rt, ring), 2);
    mm_decref(rt, holder);
    assert_int_equal(collect(g, 2, &r), 50);
    CHECK(g);
}

/* ======================================================== generations */

static void test_old_points_at_young(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h old = mm_list_new(rt, 0);
    collect(g, 2, &r);
    assert_int_equal(mm_gc_population(&g->gc, 2), 1);
    mm_gc_disable(&g->gc); /* keep the young ones young (torture too) */
    mm_h y = list_ring(rt, 3);
    assert_int_equal(mm_gc_population(&g->gc, 0), 3);
    mm_list_append(rt, old, y);
    mm_decref(rt, y);
    assert_int_equal(collect(g, 0, &r), 0); /* old is an outside reference */
    assert_int_equal(r.examined, 3);
    assert_int_equal(mm_gc_population(&g->gc, 1), 3);
    CHECK(g, old);
    mm_list_del(rt, old, 0); /* now the ring is garbage, in generation 1 */
    assert_int_equal(collect(g, 0, &r), 0);
    assert_int_equal(r.examined, 0);
    assert_int_equal(collect(g, 1, &r), 3);
    assert_int_equal(mm_gc_population(&g->gc, 1), 0);
    CHECK(g, old);
    mm_decref(rt, old);
    mm_gc_enable(&g->gc);
}

static void test_young_points_at_old(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h old = list_ring(rt, 2); /* an old cycle, held */
    collect(g, 2, &r);
    mm_gc_disable(&g->gc);
    mm_h a = mm_list_new(rt, 0), b = mm_list_new(rt, 0);
    mm_list_append(rt, a, b);
    mm_list_append(rt, b, a);
    mm_list_append(rt, a, old);
    mm_list_append(rt, b, old);
    mm_decref(rt, a);
    mm_decref(rt, b);
    assert_int_equal(mm_refcount(rt, old), 4);
    assert_int_equal(collect(g, 0, &r), 2);
    assert_int_equal(r.examined, 2);
    assert_int_equal(mm_refcount(rt, old), 2);
    CHECK(g, old);
    mm_decref(rt, old); /* the old ring is garbage, but not young */
    assert_int_equal(collect(g, 0, &r), 0);
    assert_int_equal(collect(g, 1, &r), 0);
    assert_int_equal(collect(g, 2, &r), 2);
    CHECK(g);
    mm_gc_enable(&g->gc);
}

/* The release drops garbage's references one object at a time (C2): an
 * old list only the newer young garbage ring holds dies there, and with
 * it the young survivor only it and the older garbage ring hold, before
 * that ring (released after: the newest garbage goes first) drops its
 * reference to the survivor; a string only the garbage holds dies too. */
static void test_survivor_dies_in_release(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h old = mm_list_new(rt, 1);
    collect(g, 2, &r); /* old: generation 2 */
    mm_gc_disable(&g->gc);
    mm_h s = mm_list_new(rt, 0); /* the young survivor, held by old */
    assert_int_equal(mm_list_append(rt, old, s), MMO_OK);
    mm_h g2 = list_ring(rt, 3); /* the older garbage ring names s */
    assert_int_equal(mm_list_append(rt, g2, s), MMO_OK);
    mm_h str = mm_str_from(rt, "only garbage holds me");
    assert_int_equal(mm_list_append(rt, g2, str), MMO_OK);
    mm_decref(rt, str);
    mm_decref(rt, s);
    mm_decref(rt, g2);
    mm_h g1 = list_ring(rt, 3); /* the newer one holds old */
    assert_int_equal(mm_list_append(rt, g1, old), MMO_OK);
    mm_decref(rt, old);
    mm_decref(rt, g1);
    assert_int_equal(collect(g, 0, &r), 6);
    assert_int_equal(r.survivors, 0); /* s died in the release */
    assert_int_equal(r.freed, 9);
    assert_false(alive(g, s));
    assert_false(alive(g, old));
    assert_false(alive(g, str));
    assert_int_equal(mm_rt_live(rt), 0);
    CHECK(g);
    mm_gc_enable(&g->gc);
}

/* Young cost: 10,000 old objects, 100 young: only the 100 are examined. */
static void test_young_is_proportional(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h keep = mm_list_new(rt, 0);
    for (int i = 0; i < 10000; i++) {
        mm_h l = mm_list_new(rt, 0);
        mm_list_append(rt, keep, l);
        mm_decref(rt, l);
    }
    collect(g, 2, &r);
    mm_gc_disable(&g->gc);
    mm_h young = list_ring(rt, 100);
    assert_int_equal(collect(g, 0, &r), 0);
    assert_int_equal(r.examined, 100);
    uint64_t young_cost = r.instructions;
    mm_decref(rt, young);
    collect(g, 2, &r);
    assert_int_equal(r.examined, 10101);
    assert_int_equal(r.collected, 100);
    assert_true(r.instructions >= young_cost);
    mm_gc_enable(&g->gc);
    CHECK(g, keep);
    mm_decref(rt, keep);
}

/* ====================================================== stack / depth */

/* A holder list made after x (so its slot comes after x's objects: fresh
 * slots, or free ones, which a release leaves to be taken in ascending
 * order), taking over the caller's reference to x: the mark walk passes
 * everything x reaches before the holder, with no outside reference, and
 * only then reaches it through its stack (C4). */
static mm_h hold_late(mm_rt *rt, mm_h x)
{
    mm_h holder = mm_list_new(rt, 1);
    assert_int_equal(mm_list_append(rt, holder, x), MMO_OK);
    mm_decref(rt, x);
    return holder;
}

/* A comb: spine lists holding [leaf list, next spine]; the LIFO stack
 * scans the spine first and piles up the leaves. Cyclic if ring. */
static mm_h comb(mm_rt *rt, uint32_t n, bool ring)
{
    mm_h first = mm_list_new(rt, 2), cur = first;
    mm_incref(rt, first);
    for (uint32_t i = 0; i < n; i++) {
        mm_h leaf = mm_list_new(rt, 0);
        mm_list_append(rt, cur, leaf);
        mm_decref(rt, leaf);
        mm_h next = i + 1 < n ? mm_list_new(rt, 2) : (ring ? first : MM_NULL);
        if (next == MM_NULL) {
            break;
        }
        mm_list_append(rt, cur, next);
        if (next != first) {
            mm_decref(rt, cur);
            cur = next;
        }
    }
    mm_decref(rt, cur);
    return first;
}

static void run_comb(gcfx *g, uint32_t limit, uint32_t n)
{
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_gc_set_stack_limit(&g->gc, limit);
    mm_h c = hold_late(rt, comb(rt, n, true));
    assert_int_equal(collect(g, 2, &r), 0);
    assert_int_equal(r.survivors, 2 * n + 1);
    if (limit < MM_CFG_GC_STACK) {
        assert_true(r.rescans > 0);
    }
    CHECK(g, c);
    mm_decref(rt, c); /* the holder dies by its refcount */
    assert_int_equal(collect(g, 2, &r), 2 * n);
    CHECK(g);
    mm_gc_set_stack_limit(&g->gc, MM_CFG_GC_STACK);
}

static void test_mark_stack_overflow(void **state)
{
    gcfx *g = (gcfx *)*state;
    run_comb(g, MM_CFG_GC_STACK, 500);
    run_comb(g, 1, 500);
    run_comb(g, 3, 500);
}

/* A wide list: a root holding 1,000 rings of 3 (and itself), kept (by a
 * holder made last, hold_late), then dropped. Its items outnumber the mark stack: it is scanned in chunks
 * (continuations), without a rescan as long as the stack has 3 entries;
 * the result is the same with 1 entry (overflow and rescans). */
static void run_wide(gcfx *g, uint32_t limit)
{
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_gc_set_stack_limit(&g->gc, limit);
    mm_h root = mm_list_new(rt, 0);
    mm_list_append(rt, root, root);
    for (int i = 0; i < 1000; i++) {
        mm_h ring = list_ring(rt, 3);
        mm_list_append(rt, root, ring);
        if (i % 7 == 0) {
            mm_list_append(rt, root, ring); /* reached twice */
        }
        mm_decref(rt, ring);
    }
    root = hold_late(rt, root);
    assert_int_equal(collect(g, 2, &r), 0);
    assert_int_equal(r.survivors, 3002);
    if (limit >= 3u) {
        assert_int_equal(r.rescans, 0);
    } else {
        assert_true(r.rescans > 0);
    }
    CHECK(g, root);
    mm_decref(rt, root); /* the holder dies by its refcount */
    assert_int_equal(collect(g, 2, &r), 3001);
    CHECK(g);
    assert_int_equal(mm_rt_live(rt), 0);
    mm_gc_set_stack_limit(&g->gc, MM_CFG_GC_STACK);
}

static void test_wide_list(void **state)
{
    gcfx *g = (gcfx *)*state;
    run_wide(g, MM_CFG_GC_STACK);
    run_wide(g, 3);
    run_wide(g, 4);
    run_wide(g, 1);
}

/* A 10,000-deep chain of lists, kept then made cyclic and dropped. */
static void test_deep_chain(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_h head = mm_list_new(rt, 1), cur = head;
    mm_incref(rt, cur);
    for (int i = 1; i < 10000; i++) {
        mm_h l = mm_list_new(rt, 1);
        mm_list_append(rt, cur, l);
        mm_decref(rt, cur);
        cur = l;
    }
    assert_int_equal(collect(g, 2, &r), 0);
    assert_int_equal(r.examined, 10000);
    CHECK(g, head, cur);
    mm_list_append(rt, cur, head);
    mm_decref(rt, cur);
    mm_decref(rt, head);
    mm_gc_set_stack_limit(&g->gc, 1);
    assert_int_equal(collect(g, 2, &r), 10000);
    mm_gc_set_stack_limit(&g->gc, MM_CFG_GC_STACK);
    assert_int_equal(mm_rt_live(rt), 0);
    CHECK(g);
}

/* ============================================ random graphs vs a model */

#define RN 400

typedef struct rgraph {
    mm_h h[RN];
    uint16_t adj[RN][4];
    uint8_t deg[RN];
    bool ext[RN], reached[RN], old[RN];
    uint64_t seed;
} rgraph;

static uint32_t rrand(rgraph *m, uint32_t n)
{
    m->seed = m->seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(m->seed >> 33) % n;
}

/* Marks what the roots reach (old nodes count as roots when young_only). */
static void model_reach(rgraph *m, const bool *old_alive)
{
    static uint16_t stack[RN * 5];
    uint32_t sp = 0;
    memset(m->reached, 0, sizeof m->reached);
    for (uint16_t i = 0; i < RN; i++) {
        if (m->ext[i] || old_alive[i]) {
            m->reached[i] = true;
            stack[sp++] = i;
        }
    }
    while (sp > 0) {
        uint16_t i = stack[--sp];
        for (uint32_t k = 0; k < m->deg[i]; k++) {
            uint16_t j = m->adj[i][k];
            if (!m->reached[j]) {
                m->reached[j] = true;
                stack[sp++] = j;
            }
        }
    }
}

/* Builds RN nodes (lists, dicts, Pairs) with random edges; old: the first
 * half is promoted before the second half is made (gc disabled then). */
static void build_random(gcfx *g, rgraph *m, bool generational)
{
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    for (uint32_t i = 0; i < RN; i++) {
        if (generational && i == RN / 2) {
            collect(g, 1, &r);
            mm_gc_disable(&g->gc);
        }
        uint32_t kind = rrand(m, 3);
        m->h[i] = kind == 0 ? mm_list_new(rt, 0) : kind == 1 ? mm_dict_new(rt) : mm_inst_new(rt, g->pair);
        m->old[i] = generational && i < RN / 2;
        m->deg[i] = (uint8_t)(kind == 2 ? 2 : rrand(m, 5));
        m->ext[i] = rrand(m, 25) == 0;
    }
    for (uint32_t i = 0; i < RN; i++) {
        mm_h self = m->h[i];
        for (uint32_t k = 0; k < m->deg[i]; k++) {
            uint16_t j = (uint16_t)rrand(m, RN);
            m->adj[i][k] = j;
            mm_obj *o = mm_deref(rt, self);
            uint32_t t = mm_hdr_type(o);
            if (t == MM_T_LIST) {
                mm_list_append(rt, self, m->h[j]);
            } else if (t == MM_T_DICT) {
                mm_dict_set(rt, self, mm_small_int((int32_t)k), m->h[j]);
            } else {
                mm_inst_set_slot(rt, self, k, m->h[j]);
            }
        }
    }
}

static void run_random(gcfx *g, uint64_t seed, bool generational, uint32_t limit)
{
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    static rgraph m;
    memset(&m, 0, sizeof m);
    m.seed = seed;
    mm_gc_set_stack_limit(&g->gc, limit);
    build_random(g, &m, generational);
    for (uint32_t i = 0; i < RN; i++) {
        if (!m.ext[i]) {
            mm_decref(rt, m.h[i]);
        }
    }
    static bool old_alive[RN]; /* old objects are roots of a young collection */
    for (uint32_t i = 0; i < RN; i++) {
        old_alive[i] = m.old[i] && alive(g, m.h[i]);
    }
    model_reach(&m, old_alive);
    uint32_t expect = 0;
    for (uint32_t i = 0; i < RN; i++) {
        expect += (!m.reached[i] && alive(g, m.h[i])) ? 1u : 0u;
    }
    assert_int_equal(collect(g, generational ? 0 : 2, &r), expect);
    /* Without old roots, alive == reached exactly. With them: a young
     * object unreached is freed; one reached from ext survives; an old
     * object held only by young garbage may die with it (by refcount). */
    static bool by_ext[RN];
    memcpy(by_ext, m.reached, sizeof by_ext);
    if (generational) {
        static const bool none[RN];
        model_reach(&m, none);
        memcpy(by_ext, m.reached, sizeof by_ext);
        model_reach(&m, old_alive);
    }
    for (uint32_t i = 0; i < RN; i++) {
        bool a = alive(g, m.h[i]);
        bool ok = generational ? (by_ext[i] ? a : (m.old[i] || m.reached[i] || !a))
                               : a == m.reached[i];
        if (!ok) {
            fail_msg("seed %lu gen %d limit %u: node %u alive %d reached %d old %d ext %d",
                     (unsigned long)seed, generational, limit, i, a, m.reached[i], m.old[i],
                     m.ext[i]);
        }
    }
    mm_h ext[RN];
    size_t n = 0;
    for (uint32_t i = 0; i < RN; i++) {
        if (m.ext[i]) {
            ext[n++] = m.h[i];
        }
    }
    fx_check_ext(&g->fx, ext, n);
    assert_int_equal(mm_gc_check(&g->gc, NULL), MMO_OK);
    for (size_t i = 0; i < n; i++) {
        mm_decref(rt, ext[i]);
    }
    mm_gc_enable(&g->gc);
    collect(g, 2, &r);
    assert_int_equal(mm_rt_live(rt), 0);
    mm_gc_set_stack_limit(&g->gc, MM_CFG_GC_STACK);
}

static void test_random_graphs(void **state)
{
    gcfx *g = (gcfx *)*state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        run_random(g, seed, false, MM_CFG_GC_STACK);
        run_random(g, seed, false, 1 + (uint32_t)(seed % 3));
        run_random(g, seed, true, seed % 2 ? 2 : MM_CFG_GC_STACK);
    }
    CHECK(g);
}

/* ===================================================== automatic runs */

static void test_automatic(void **state)
{
    if (MM_CFG_GC_TORTURE) {
        skip(); /* torture collects at every allocation: counts differ */
    }
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    uint32_t th[3], cnt[3];
    mm_gc_get_threshold(&g->gc, th);
    assert_int_equal(th[0], MM_CFG_GC_YOUNG_MAX < 700 ? MM_CFG_GC_YOUNG_MAX : 700);
    assert_int_equal(th[1], 10);
    assert_int_equal(th[2], 10);
    assert_true(mm_gc_isenabled(&g->gc));
    mm_gc_set_threshold(&g->gc, 50, 3, 10);
    mm_h keep = mm_list_new(rt, 0);
    mm_gc_get_count(&g->gc, cnt);
    assert_int_equal(cnt[0], 1);
    /* 49 more: count 50, no collection yet (collects when count > 50) */
    for (int i = 0; i < 49; i++) {
        mm_h l = mm_list_new(rt, 0);
        mm_list_append(rt, keep, l);
        mm_decref(rt, l);
    }
    mm_gc_get_count(&g->gc, cnt);
    assert_int_equal(cnt[0], 50);
    assert_int_equal(mm_gc_get_stats(&g->gc, 0).collections, 0);
    mm_h ring = list_ring(rt, 2); /* 51st: collects generation 0 first */
    mm_gc_get_count(&g->gc, cnt);
    assert_int_equal(mm_gc_get_stats(&g->gc, 0).collections, 1);
    assert_int_equal(cnt[1], 1);
    assert_int_equal(cnt[0], 1); /* reset by the collection; the 52nd counts */
    assert_int_equal(mm_gc_population(&g->gc, 1), 50);
    /* deallocations count down */
    mm_list_del(rt, keep, 0);
    mm_gc_get_count(&g->gc, cnt);
    assert_int_equal(cnt[0], 0);
    mm_decref(rt, ring); /* garbage in generation 0 */
    mm_gc_disable(&g->gc);
    for (int i = 0; i < 200; i++) {
        mm_decref(rt, mm_list_new(rt, 0));
        mm_decref(rt, mm_dict_new(rt));
    }
    assert_int_equal(mm_gc_get_stats(&g->gc, 0).collections, 1);
    assert_true(alive(g, ring));
    mm_gc_enable(&g->gc);
    for (int i = 0; i < 51; i++) { /* churn then growth: count reaches 51 */
        mm_h l = mm_list_new(rt, 0);
        mm_list_append(rt, keep, l);
        mm_decref(rt, l);
    }
    assert_false(alive(g, ring));
    assert_int_equal(mm_gc_get_stats(&g->gc, 0).collected, 2);
    CHECK(g, keep);
    mm_decref(rt, keep);
    mm_gc_result r;
    collect(g, 2, &r);
    CHECK(g);
}

/* Older generations follow their thresholds: count[1] > 3 collects 1. */
static void test_automatic_older(void **state)
{
    if (MM_CFG_GC_TORTURE) {
        skip();
    }
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_set_threshold(&g->gc, 10, 3, 1);
    mm_h keep = mm_list_new(rt, 0);
    for (int i = 0; i < 10 * 5 + 5; i++) { /* triggers at 11, 22, 33, 44, 55 */
        mm_h l = mm_list_new(rt, 0);
        mm_list_append(rt, keep, l);
        mm_decref(rt, l);
    }
    assert_int_equal(mm_gc_get_stats(&g->gc, 0).collections, 4);
    assert_int_equal(mm_gc_get_stats(&g->gc, 1).collections, 1);
    assert_true(mm_gc_population(&g->gc, 2) > 0);
    CHECK(g, keep);
    mm_decref(rt, keep);
}

/* Disabled and young table full: later objects are born in generation 1. */
static void test_young_table_full(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    mm_gc_disable(&g->gc);
    collect(g, 2, &r);
    mm_h keep = mm_list_new(rt, 0);
    for (int i = 0; i < MM_CFG_GC_YOUNG_MAX + 20; i++) {
        mm_h l = mm_list_new(rt, 0);
        mm_list_append(rt, keep, l);
        mm_decref(rt, l);
    }
    assert_int_equal(mm_gc_population(&g->gc, 0), MM_CFG_GC_YOUNG_MAX);
    assert_int_equal(mm_gc_population(&g->gc, 1), 21);
    CHECK(g, keep);
    mm_h ring = list_ring(rt, 5); /* born in generation 1 */
    mm_decref(rt, ring);
    assert_int_equal(collect(g, 0, &r), 0);
    assert_int_equal(collect(g, 1, &r), 5);
    mm_gc_enable(&g->gc);
    CHECK(g, keep);
    mm_decref(rt, keep);
}

/* Temporaries: a tracked object that dies as the youngest entry of the
 * young table takes its entry with it, so create/destroy churn never
 * fills the table nor triggers a collection (even with the table at its
 * threshold); an object that dies out of order leaves its entry, which
 * the next young collection skips. */
static void test_young_churn(void **state)
{
    if (MM_CFG_GC_TORTURE) {
        skip();
    }
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    collect(g, 2, &r);
    for (int i = 0; i < 10 * MM_CFG_GC_YOUNG_MAX; i++) {
        mm_decref(rt, mm_inst_new(rt, g->pair));
        mm_decref(rt, mm_list_new(rt, 0));
    }
    assert_int_equal(mm_gc_get_stats(&g->gc, 0).collections, 0);
    assert_int_equal(mm_gc_population(&g->gc, 0), 0);
    uint32_t cnt[3];
    mm_gc_get_count(&g->gc, cnt);
    assert_int_equal(cnt[0], 0);
    CHECK(g);
    /* out of order: a dies under b (b's entry stays last) */
    mm_h a = mm_inst_new(rt, g->pair), b = mm_inst_new(rt, g->pair);
    mm_decref(rt, a);
    assert_int_equal(mm_gc_population(&g->gc, 0), 1);
    CHECK(g, b);
    mm_decref(rt, b);
    assert_int_equal(mm_gc_population(&g->gc, 0), 0);
    CHECK(g);
    assert_int_equal(collect(g, 0, &r), 0);
    assert_int_equal(r.examined, 0);
    CHECK(g);
}

/* A slots instance dies with a collector attached: the collector hears
 * of it once, before its fields are dropped, also when a child dies with
 * it (the drain path) and when that child is a slots instance too. */
static void test_instance_death_with_hook(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_gc_result r;
    collect(g, 2, &r);
    mm_h a = mm_inst_new(rt, g->pair), b = mm_inst_new(rt, g->pair);
    mm_h c = mm_inst_new(rt, g->pair), l = mm_list_new(rt, 0);
    assert_int_equal(mm_inst_set_slot(rt, a, 0, b), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, b, 1, c), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, a, 1, l), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, c, 0, l), MMO_OK);
    mm_decref(rt, b);
    mm_decref(rt, c);
    CHECK(g, a, l);
    assert_int_equal(mm_gc_population(&g->gc, 0), 4);
    mm_decref(rt, a); /* a, then b and c in the drain; l stays */
    assert_int_equal(mm_gc_population(&g->gc, 0), 1);
    assert_int_equal(mm_refcount(rt, l), 1);
    CHECK(g, l);
    collect(g, 1, &r); /* l moves to generation 1, then dies there */
    mm_h d = mm_inst_new(rt, g->pair);
    assert_int_equal(mm_inst_set_slot(rt, d, 0, l), MMO_OK);
    mm_decref(rt, l);
    mm_decref(rt, d);
    for (uint32_t gen = 0; gen < MM_GC_GENERATIONS; gen++) {
        assert_int_equal(mm_gc_population(&g->gc, gen), 0);
    }
    CHECK(g);
}

/* ================================================== output and misuse */

static void test_debug_stats(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_h a = mm_inst_new(rt, g->node), b = mm_inst_new(rt, g->node);
    mm_inst_setattr(rt, a, "ref", b);
    mm_inst_setattr(rt, b, "ref", a);
    mm_decref(rt, a);
    mm_decref(rt, b);
    mm_gc_set_debug(&g->gc, MM_GC_DEBUG_STATS);
    assert_int_equal(mm_gc_get_debug(&g->gc), MM_GC_DEBUG_STATS);
    port_capture_begin();
    mm_gc_result r;
    collect(g, 2, &r);
    mm_gc_print_result(&r);
    const char *out = port_capture_end();
    mm_gc_set_debug(&g->gc, 0);
    assert_non_null(strstr(out, "gc: collecting generation 2...\n"));
    assert_non_null(strstr(out, "gc: objects in each generation: "));
    assert_non_null(strstr(out, "gc: done, 2 unreachable, 0 uncollectable, "));
    assert_non_null(strstr(out, "gc:   Node: 2\n"));
    CHECK(g);
}

static void test_bad_generation(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_gc_result r;
    assert_int_equal(mm_gc_collect(&g->gc, 3, &r), 0);
    assert_int_equal(r.status, MM_GC_BADGEN);
    assert_true(port_misuse_count() == 1);
    assert_non_null(strstr(port_last_misuse(), "invalid generation"));
    port_reset_misuse();
}

/* Inside a drain (as from a destroy()), a collection is refused and
 * nothing changes; automatic ones are skipped. */
static void test_refused_in_drain(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    mm_h ring = list_ring(rt, 3);
    mm_decref(rt, ring);
    mm_gc_result r;
    rt->draining = true; /* what a destroy() running in the drain sees */
    assert_int_equal(mm_gc_collect(&g->gc, 2, &r), 0);
    assert_int_equal(r.status, MM_GC_BUSY);
    rt->draining = false;
    assert_true(alive(g, ring));
    CHECK(g);
    assert_int_equal(collect(g, 2, &r), 3);
    CHECK(g);
}

/* A real deallocation calling back: the test wraps the collector's
 * track_hook, which the drain calls for every tracked object it frees
 * (inside the drain, like a destructor). From there a collection is
 * refused and an allocation works (no automatic collection runs). */
static struct {
    void (*inner)(mm_rt *, mm_obj *, bool);
    mm_gc *gc;
    int calls, busy;
    mm_h made;
} dh;

static void dealloc_hook(mm_rt *rt, mm_obj *o, bool born)
{
    if (!born) {
        mm_gc_result r;
        dh.calls++;
        if (mm_gc_collect(dh.gc, 2, &r) == 0 && r.status == MM_GC_BUSY) {
            dh.busy++;
        }
        if (dh.made == MM_NULL) {
            dh.made = mm_list_new(rt, 0); /* allocates inside the drain */
        }
    }
    dh.inner(rt, o, born);
}

static void test_collect_inside_dealloc(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    memset(&dh, 0, sizeof dh);
    dh.inner = rt->track_hook;
    dh.gc = &g->gc;
    mm__rt_set_track_hook(rt, dealloc_hook);
    mm_h l = mm_list_new(rt, 0);
    mm_decref(rt, l); /* freed by refcount: the hook runs in the drain */
    assert_int_equal(dh.calls, 1);
    assert_int_equal(dh.busy, 1);
    assert_true(alive(g, dh.made));
    mm_h first = dh.made;
    dh.made = MM_NULL;
    mm_gc_disable(&g->gc); /* torture: keep the ring young */
    mm_h ring = list_ring(rt, 3);
    mm_decref(rt, ring);
    mm_gc_result r;
    assert_int_equal(collect(g, 0, &r), 3); /* frees run the hook inside the collection */
    mm_gc_enable(&g->gc);
    assert_int_equal(dh.calls, 4);
    assert_int_equal(dh.busy, 4);
    assert_true(alive(g, dh.made)); /* made mid-collection: born in generation 1 */
    mm__rt_set_track_hook(rt, dh.inner);
    CHECK(g, first, dh.made);
    mm_decref(rt, first);
    mm_decref(rt, dh.made);
    CHECK(g);
}

/* Objects made before the collector is attached become generation 2;
 * a second collector on the same runtime is refused. */
static void test_attach_late(void **state)
{
    (void)state;
    fixture fx;
    mm_gc gc, gc2;
    fx_open(&fx, 1u << 20, 1024);
    mm_rt *rt = &fx.rt;
    mm_h ring = list_ring(rt, 4);
    mm_h keep = mm_dict_new(rt);
    mm_decref(rt, ring);
    assert_int_equal(mm_gc_init(&gc, rt), MMO_OK);
    assert_int_equal(mm_gc_init(&gc2, rt), MMO_FULL);
    assert_int_equal(mm_gc_population(&gc, 2), 5);
    assert_int_equal(mm_gc_collect(&gc, 1, NULL), 0);
    assert_int_equal(mm_gc_collect(&gc, 2, NULL), 4);
    assert_int_equal(mm_gc_check(&gc, NULL), MMO_OK);
    fx_check(&fx, keep);
    mm_decref(rt, keep);
    mm_gc_fini(&gc);
    assert_null(rt->gc);
    assert_null(rt->oom_hook);
    fx_close(&fx);
}

/* Types beyond MM_CFG_GC_RESULT_TYPES are summed into "(other)". */
static const mm_class K1 = {"K1", 1, NULL, false}, K2 = {"K2", 1, NULL, false},
                      K3 = {"K3", 1, NULL, false}, K4 = {"K4", 1, NULL, false},
                      K5 = {"K5", 1, NULL, false}, K6 = {"K6", 1, NULL, false},
                      K7 = {"K7", 1, NULL, false};

static void test_type_breakdown(void **state)
{
    gcfx *g = (gcfx *)*state;
    mm_rt *rt = &g->fx.rt;
    const mm_class *ks[] = {&K1, &K2, &K3, &K4, &K5, &K6, &K7};
    uint32_t total = 0;
    mm_gc_disable(&g->gc); /* all garbage for the one collection below */
    for (uint32_t k = 0; k < 7; k++) {
        uint32_t id = mm_class_register(rt, ks[k]);
        for (uint32_t j = 0; j <= k; j++) { /* class Kk: k+1 self-loops */
            mm_h o = mm_inst_new(rt, id);
            mm_inst_set_slot(rt, o, 0, o);
            mm_decref(rt, o);
            total++;
        }
    }
    mm_gc_result r;
    assert_int_equal(collect(g, 2, &r), total);
    assert_int_equal(r.ntypes, MM_CFG_GC_RESULT_TYPES);
    assert_string_equal(r.types[0].name, "K7");
    assert_int_equal(r.types[0].count, 7);
    assert_string_equal(r.types[1].name, "K6");
    uint32_t sum = 0;
    for (uint32_t i = 0; i < r.ntypes; i++) {
        sum += r.types[i].count;
    }
    assert_int_equal(sum, total);
    assert_string_equal(r.types[MM_CFG_GC_RESULT_TYPES - 1].name, "(other)");
    mm_gc_enable(&g->gc);
    CHECK(g);
}

/* ===================================================== emergency path */

/* Garbage cycles fill the heap; the next allocation succeeds because
 * the emergency collection frees them. */
static void test_emergency_collects(void **state)
{
    (void)state;
    fixture fx;
    mm_gc gc;
    fx_open(&fx, 64u << 10, 4096);
    mm_rt *rt = &fx.rt;
    assert_int_equal(mm_gc_init(&gc, rt), MMO_OK);
    mm_gc_disable(&gc);
    uint32_t rings = 0;
    for (;;) {
        mm_h a = mm_list_new(rt, 8);
        if (a == MM_NULL) {
            break;
        }
        mm_list_append(rt, a, a);
        mm_decref(rt, a);
        rings++;
    }
    assert_true(rings > 100);
    assert_true(gc.emergencies > 0);
    assert_true(mm_gc_get_stats(&gc, 2).collected > 0);
    fx_check(&fx);
    mm_gc_fini(&gc);
    fx_close(&fx);
}

/* Holes everywhere, none big enough: compaction makes one. Large blocks
 * (whole pages, above the mid-size range), owned (relocatable); every
 * other one freed; a request 4 blocks long fails without the hook and
 * succeeds with it. */
static void *owners[1024];

static void test_emergency_compacts(void **state)
{
    (void)state;
    fixture fx;
    mm_gc gc;
    fx_open(&fx, 256u << 10, 256);
    mm_rt *rt = &fx.rt;
    const size_t blk = (MM_CFG_MID_MAX / MM_CFG_PAGE_SIZE + 1u) * MM_CFG_PAGE_SIZE;
    uint32_t n = 0;
    while (n < 1024 && mm_rt_alloc(rt, &owners[n], blk) != NULL) {
        memset(owners[n], (int)(n & 0xFFu), blk);
        n++;
    }
    assert_true(n > 40 && n < 1024);
    for (uint32_t i = 0; i < n; i += 2) {
        mm_rt_free(rt, owners[i]);
        owners[i] = NULL;
    }
    const size_t want = 4 * blk;
    mm_stats st;
    mm_get_stats(fx.heap, &st);
    assert_true(st.largest_free < want);
    assert_true(st.free_bytes >= 2 * want);
    assert_null(mm_rt_alloc(rt, NULL, want)); /* no collector: MemoryError */
    assert_int_equal(mm_rt_error(rt), MMO_NOMEM);
    assert_int_equal(mm_gc_init(&gc, rt), MMO_OK);
    void *p = mm_rt_alloc(rt, NULL, want);
    assert_non_null(p);
    assert_int_equal(gc.emergencies, 1);
    for (uint32_t i = 1; i < n; i += 2) { /* moved blocks kept their bytes */
        const uint8_t *b = (const uint8_t *)owners[i];
        assert_int_equal(b[0], i & 0xFFu);
        assert_int_equal(b[blk - 1], i & 0xFFu);
        mm_rt_free(rt, owners[i]);
    }
    mm_rt_free(rt, p);
    fx_check(&fx);
    mm_gc_fini(&gc);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_self_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_type_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_points_at_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_points_at_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_points_at_young, setup, teardown),
        cmocka_unit_test_setup_teardown(test_young_points_at_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_survivor_dies_in_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_young_is_proportional, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_stack_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wide_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_graphs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_automatic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_automatic_older, setup, teardown),
        cmocka_unit_test_setup_teardown(test_young_table_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_young_churn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instance_death_with_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debug_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_in_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_breakdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collect_inside_dealloc, setup, teardown),
        cmocka_unit_test(test_attach_late),
        cmocka_unit_test(test_emergency_collects),
        cmocka_unit_test(test_emergency_compacts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
