/*
 * test_gc_random.c - the collector under random programs.
 *
 * A program is a random sequence of: create a container (list, dict or
 * 2-slot instance) held by the test; link one node to another (append,
 * dict set, slot set: replacing an edge drops the old one); unlink; drop
 * the test's reference; collect a random generation; toggle automatic
 * collection; change the thresholds or the mark-stack limit. A shadow
 * model keeps the edges and which nodes the test holds. After every step:
 * - SAFETY: every node reachable from the test's references is alive (the
 *   collector and the refcount drain freed nothing reachable);
 * - after a full collection, COMPLETENESS: every node not reachable from
 *   the test's references is dead;
 * - mm_check, mm_obj_check (each refcount re-derived from the graph and
 *   the test's references) and mm_gc_check.
 * Nodes that died are dropped from the model with their edges.
 */
#include "obj_fixture.h"

#include "gc/mm_gc.h"

#define NODES 160
#define DEG 6
#define STEPS 4000

static const char *const pair_names[] = {"a", "b"};
static const mm_class Pair = {"Pair", 2, pair_names, false};

enum { K_LIST, K_DICT, K_PAIR };

typedef struct node {
    mm_h h;
    int kind;
    bool alive, held;
    int nedge;
    int edge[DEG];    /* target node per edge; -1 = none */
} node;

typedef struct world {
    fixture fx;
    mm_gc gc;
    uint32_t pair;
    node n[NODES];
    int count;
    uint64_t rng;
    bool reach[NODES];
    uint32_t collected, full;
} world;

static uint32_t rnd(world *w, uint32_t n)
{
    w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(w->rng >> 33) % n;
}

/* A random node the program can reach (held, or reachable from a held
 * node), or -1. Only those may be used: a handle to garbage is one the
 * program could not have (a borrowed handle lives until the next
 * allocation, mm_obj.h H1, and any allocation may collect). */
static int pick(world *w)
{
    if (w->count == 0) {
        return -1;
    }
    for (int tries = 0; tries < 8; tries++) {
        int i = (int)rnd(w, (uint32_t)w->count);
        if (w->n[i].alive && w->reach[i]) {
            return i;
        }
    }
    return -1;
}

static void reach_from_held(world *w)
{
    static int stack[NODES * (DEG + 1)];
    int sp = 0;
    memset(w->reach, 0, sizeof w->reach);
    for (int i = 0; i < w->count; i++) {
        if (w->n[i].alive && w->n[i].held) {
            w->reach[i] = true;
            stack[sp++] = i;
        }
    }
    while (sp > 0) {
        const node *x = &w->n[stack[--sp]];
        for (int k = 0; k < x->nedge; k++) {
            int j = x->edge[k];
            if (j >= 0 && !w->reach[j]) {
                w->reach[j] = true;
                stack[sp++] = j;
            }
        }
    }
}

/* Syncs the model with the runtime and checks safety (and completeness
 * after a full collection). */
static void sync(world *w, bool full)
{
    reach_from_held(w);
    for (int i = 0; i < w->count; i++) {
        node *x = &w->n[i];
        if (!x->alive) {
            continue;
        }
        bool live = mm_handle_status(&w->fx.rt, x->h) == MMO_OK;
        if (w->reach[i] && !live) {
            fail_msg("node %d (kind %d) reachable but freed", i, x->kind);
        }
        if (full && !w->reach[i] && live) {
            fail_msg("node %d (kind %d) unreachable but alive after a full collection", i,
                     x->kind);
        }
        x->alive = live;
    }
    mm_h ext[NODES];
    size_t n = 0;
    for (int i = 0; i < w->count; i++) {
        if (w->n[i].alive && w->n[i].held) {
            ext[n++] = w->n[i].h;
        }
    }
    fx_check_ext(&w->fx, ext, n);
    const char *what = NULL;
    if (mm_gc_check(&w->gc, &what) != MMO_OK) {
        fail_msg("mm_gc_check: %s", what);
    }
}

static void op_create(world *w)
{
    if (w->count >= NODES) {
        return;
    }
    node *x = &w->n[w->count];
    x->kind = (int)rnd(w, 3);
    mm_rt *rt = &w->fx.rt;
    x->h = x->kind == K_LIST ? mm_list_new(rt, 0)
           : x->kind == K_DICT ? mm_dict_new(rt) : mm_inst_new(rt, w->pair);
    assert_true(x->h != MM_NULL);
    x->alive = x->held = w->reach[w->count] = true;
    x->nedge = x->kind == K_PAIR ? 2 : 0;
    x->edge[0] = x->edge[1] = -1;
    w->count++;
}

/* Sets edge k of a (appending for a list) to b. */
static void op_link(world *w)
{
    int a = pick(w), b = pick(w);
    if (a < 0 || b < 0) {
        return;
    }
    node *x = &w->n[a];
    mm_rt *rt = &w->fx.rt;
    if (x->kind == K_LIST) {
        if (x->nedge == DEG) {
            return;
        }
        assert_int_equal(mm_list_append(rt, x->h, w->n[b].h), MMO_OK);
        x->edge[x->nedge++] = b;
        return;
    }
    uint32_t k = rnd(w, x->kind == K_PAIR ? 2 : DEG);
    if (x->kind == K_PAIR) {
        assert_int_equal(mm_inst_set_slot(rt, x->h, k, w->n[b].h), MMO_OK);
    } else {
        assert_int_equal(mm_dict_set(rt, x->h, mm_small_int((int32_t)k), w->n[b].h), MMO_OK);
        while (x->nedge <= (int)k) {
            x->edge[x->nedge++] = -1;
        }
    }
    x->edge[k] = b;
}

static void op_unlink(world *w)
{
    int a = pick(w);
    if (a < 0 || w->n[a].nedge == 0) {
        return;
    }
    node *x = &w->n[a];
    mm_rt *rt = &w->fx.rt;
    uint32_t k = rnd(w, (uint32_t)x->nedge);
    if (x->kind == K_LIST) {
        assert_int_equal(mm_list_del(rt, x->h, k), MMO_OK);
        memmove(&x->edge[k], &x->edge[k + 1], (size_t)(x->nedge - (int)k - 1) * sizeof(int));
        x->nedge--;
    } else if (x->edge[k] >= 0) {
        if (x->kind == K_PAIR) {
            assert_int_equal(mm_inst_set_slot(rt, x->h, k, MM_NULL), MMO_OK);
        } else {
            assert_int_equal(mm_dict_del(rt, x->h, mm_small_int((int32_t)k)), MMO_OK);
        }
        x->edge[k] = -1;
    }
}

static void op_drop(world *w)
{
    int a = pick(w);
    if (a >= 0 && w->n[a].held) {
        w->n[a].held = false;
        mm_decref(&w->fx.rt, w->n[a].h);
    }
}

static void op_collect(world *w)
{
    uint32_t g = rnd(w, 3);
    mm_gc_result r;
    uint32_t n = mm_gc_collect(&w->gc, g, &r);
    assert_int_equal(r.status, MM_GC_OK);
    w->collected += n;
    w->full += g == 2 ? 1u : 0u;
    sync(w, g == 2);
}

static void op_tune(world *w)
{
    switch (rnd(w, 4)) {
    case 0:
        mm_gc_isenabled(&w->gc) ? mm_gc_disable(&w->gc) : mm_gc_enable(&w->gc);
        break;
    case 1:
        mm_gc_set_threshold(&w->gc, 1 + rnd(w, 40), rnd(w, 5), rnd(w, 5));
        break;
    case 2:
        mm_gc_set_stack_limit(&w->gc, 1 + rnd(w, 6));
        break;
    default:
        mm_gc_set_stack_limit(&w->gc, MM_CFG_GC_STACK);
        break;
    }
}

static void run(uint64_t seed)
{
    static world w;
    memset(&w, 0, sizeof w);
    w.rng = seed;
    fx_open(&w.fx, 2u << 20, 4096);
    assert_int_equal(mm_gc_init(&w.gc, &w.fx.rt), MMO_OK);
    w.pair = mm_class_register(&w.fx.rt, &Pair);
    for (int step = 0; step < STEPS; step++) {
        uint32_t r = rnd(&w, 100);
        if (r < 15) {
            op_create(&w);
        } else if (r < 55) {
            op_link(&w);
        } else if (r < 70) {
            op_unlink(&w);
        } else if (r < 85) {
            op_drop(&w);
        } else if (r < 95) {
            op_collect(&w);
        } else {
            op_tune(&w);
        }
        if (r < 85 || r >= 95) {
            sync(&w, false); /* frees by refcount or automatic collections */
        }
    }
    for (int i = 0; i < w.count; i++) {
        if (w.n[i].alive && w.n[i].held) {
            w.n[i].held = false;
            mm_decref(&w.fx.rt, w.n[i].h);
        }
    }
    mm_gc_result r;
    mm_gc_collect(&w.gc, 2, &r);
    assert_int_equal(r.status, MM_GC_OK);
    sync(&w, true);
    for (uint32_t i = 1; i < mm_rt_slots(&w.fx.rt) && mm_rt_live(&w.fx.rt) != 0; i++) {
        const mm_obj *o = mm_slot_obj(&w.fx.rt, i);
        if (o != NULL) {
            fail_msg("seed %lu: slot %u still live: type %u tracked %d gen %u rc %u", (unsigned long)seed,
                     i, mm_hdr_type(o), mm_gc_is_tracked(o), mm_gc_gen(o), mm_rc_get(&w.fx.rt, i));
        }
    }
    assert_int_equal(mm_rt_live(&w.fx.rt), 0);
    uint32_t all = 0; /* the program did exercise it (torture: elsewhere) */
    for (uint32_t g = 0; g < MM_GC_GENERATIONS; g++) {
        all += mm_gc_get_stats(&w.gc, g).collected;
    }
    assert_true(w.full > 0 && all >= w.collected && all > 0);
    mm_gc_fini(&w.gc);
    fx_close(&w.fx);
}

static void test_random_programs(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        run(seed * 7919u);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_programs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
