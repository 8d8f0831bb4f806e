/*
 * test_obj_graph.c - object graphs as a whole:
 * - randomized graph operations against a shadow model that does its own
 *   refcounting; after every step the runtime's live set, refcounts and
 *   container contents must equal the model's, and mm_obj_check (every
 *   refcount re-derived from traverse + the test's references) and
 *   mm_check must pass; some runs use a heap small enough to hit
 *   MemoryError, which must leave everything as it was;
 * - 100,000-node chains (instances, lists, dicts) freed by one decref on a
 *   256 KiB thread stack whose use is measured: it must not grow with N;
 * - MemoryError on an exhausted heap and a full handle table, the oom hook
 *   (retry after it) and compaction moving list bodies.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_attr_setstack */
#include <pthread.h>

#include "obj_fixture.h"

static const char *const node_slots[] = {"a", "b"};
static const mm_class Node = {"Node", 2, node_slots, false};

/* ================================================================ model */

#define MAXOBJ 128
#define MAXEXT 64
#define MAXITEMS 16
#define DKEYS 32

enum { K_INT, K_STR, K_LIST, K_DICT, K_INST };

typedef struct shadow {
    mm_h h;
    int kind;
    bool alive;
    uint32_t rc;             /* model refcount */
    int nitems;              /* list */
    mm_h items[MAXITEMS];
    mm_h dval[DKEYS];        /* dict: value for small-int key k, or MM_NULL */
    mm_h slot[2];            /* instance */
} shadow;

typedef struct model {
    fixture fx;
    uint32_t node;
    shadow obj[MAXOBJ];
    shadow *byidx[1024];     /* handle index -> shadow (checked on use) */
    mm_h ext[MAXEXT];        /* the test's own references */
    int next;
    uint64_t rng;
    long nomem;              /* MemoryErrors seen */
} model;

static uint32_t rnd(model *m, uint32_t n)
{
    m->rng = m->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(m->rng >> 33) % n;
}

static shadow *find(model *m, mm_h h)
{
    if (h == MM_NULL || mm_h_is_immortal(h)) {
        return NULL;
    }
    shadow *s = m->byidx[mm_h_index(h)];
    return (s != NULL && s->alive && s->h == h) ? s : NULL;
}

/* Calls f(m, child) for each reference held by shadow s. */
static void edges(model *m, const shadow *s, void (*f)(model *, mm_h))
{
    for (int i = 0; s->kind == K_LIST && i < s->nitems; i++) {
        f(m, s->items[i]);
    }
    for (int k = 0; s->kind == K_DICT && k < DKEYS; k++) {
        if (s->dval[k] != MM_NULL) {
            f(m, s->dval[k]);
        }
    }
    for (int i = 0; s->kind == K_INST && i < 2; i++) {
        if (s->slot[i] != MM_NULL) {
            f(m, s->slot[i]);
        }
    }
}

static void count_one(model *m, mm_h h)
{
    shadow *s = find(m, h);
    if (s != NULL) {
        s->rc++;
    }
}

/* Model refcounting: recompute counts, kill what reaches 0, repeat. */
static void model_collect(model *m)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < MAXOBJ; i++) {
            m->obj[i].rc = 0;
        }
        for (int i = 0; i < m->next; i++) {
            count_one(m, m->ext[i]);
        }
        for (int i = 0; i < MAXOBJ; i++) {
            if (m->obj[i].alive) {
                edges(m, &m->obj[i], count_one);
            }
        }
        for (int i = 0; i < MAXOBJ; i++) {
            if (m->obj[i].alive && m->obj[i].rc == 0) {
                m->obj[i].alive = false;
                changed = true;
            }
        }
    }
}

/* The runtime agrees with the model on one live container. */
static void compare_contents(model *m, const shadow *s)
{
    mm_rt *rt = &m->fx.rt;
    if (s->kind == K_LIST) {
        assert_int_equal(mm_list_len(rt, s->h), s->nitems);
        for (int i = 0; i < s->nitems; i++) {
            assert_int_equal(mm_list_get(rt, s->h, (size_t)i), s->items[i]);
        }
    } else if (s->kind == K_DICT) {
        size_t n = 0;
        for (int k = 0; k < DKEYS; k++) {
            mm_h v = mm_dict_get(rt, s->h, mm_small_int(k));
            assert_int_equal(v, s->dval[k]);
            n += s->dval[k] != MM_NULL ? 1u : 0u;
        }
        assert_int_equal(mm_dict_len(rt, s->h), n);
    } else if (s->kind == K_INST) {
        assert_int_equal(mm_inst_get_slot(rt, s->h, 0), s->slot[0]);
        assert_int_equal(mm_inst_get_slot(rt, s->h, 1), s->slot[1]);
    }
}

static void compare(model *m)
{
    mm_rt *rt = &m->fx.rt;
    uint32_t alive = 0;
    for (int i = 0; i < MAXOBJ; i++) {
        shadow *s = &m->obj[i];
        if (s->h == MM_NULL) {
            continue;
        }
        if (!s->alive) {
            assert_int_equal(mm_handle_status(rt, s->h), MMO_BADHANDLE);
            continue;
        }
        alive++;
        assert_int_equal(mm_refcount(rt, s->h), s->rc);
        compare_contents(m, s);
    }
    assert_int_equal(mm_rt_live(rt), alive);
    fx_check_ext(&m->fx, m->ext, (size_t)m->next);
}

/* ================================================================== ops */

static mm_h pick_ext(model *m)
{
    return m->next > 0 ? m->ext[rnd(m, (uint32_t)m->next)] : MM_NULL;
}

/* A random live external reference of the given kind, or MM_NULL. */
static shadow *pick_kind(model *m, int kind)
{
    for (int tries = 0; tries < 8 && m->next > 0; tries++) {
        shadow *s = find(m, pick_ext(m));
        if (s != NULL && s->kind == kind) {
            return s;
        }
    }
    return NULL;
}

static shadow *free_shadow(model *m)
{
    for (int i = 0; i < MAXOBJ; i++) {
        if (!m->obj[i].alive) {
            memset(&m->obj[i], 0, sizeof m->obj[i]);
            return &m->obj[i];
        }
    }
    return NULL;
}

/* Records the outcome of an operation: OK, or a MemoryError. */
static bool outcome(model *m, mm_status s)
{
    if (mm_is_memory_error(s)) {
        m->nomem++;
        return false;
    }
    assert_int_equal(s, MMO_OK);
    return true;
}

static void op_create(model *m)
{
    mm_rt *rt = &m->fx.rt;
    shadow *s = free_shadow(m);
    if (s == NULL || m->next >= MAXEXT) {
        return;
    }
    int kind = (int)rnd(m, 5);
    char buf[32];
    mm_h h;
    switch (kind) {
    case K_INT: h = mm_int_new(rt, (int64_t)rnd(m, 2000) - 100); break;
    case K_STR:
        snprintf(buf, sizeof buf, "s%u", rnd(m, 1000));
        h = mm_str_from(rt, buf);
        break;
    case K_LIST: h = mm_list_new(rt, rnd(m, 3)); break;
    case K_DICT: h = mm_dict_new(rt); break;
    default: h = mm_inst_new(rt, m->node); break;
    }
    if (h == MM_NULL) {
        outcome(m, mm_rt_error(rt));
        return;
    }
    m->ext[m->next++] = h;
    if (mm_h_is_immortal(h)) {
        return; /* cached small int: not a model object */
    }
    s->h = h;
    s->kind = kind;
    s->alive = true;
    m->byidx[mm_h_index(h)] = s;
}

static void op_list(model *m)
{
    mm_rt *rt = &m->fx.rt;
    shadow *l = pick_kind(m, K_LIST);
    if (l == NULL) {
        return;
    }
    mm_h x = pick_ext(m);
    uint32_t what = rnd(m, 3);
    if (what == 0 && l->nitems < MAXITEMS) {
        if (outcome(m, mm_list_append(rt, l->h, x))) {
            l->items[l->nitems++] = x;
        }
    } else if (what == 1 && l->nitems > 0) {
        int i = (int)rnd(m, (uint32_t)l->nitems);
        assert_int_equal(mm_list_del(rt, l->h, (size_t)i), MMO_OK);
        memmove(&l->items[i], &l->items[i + 1], (size_t)(l->nitems - i - 1) * sizeof(mm_h));
        l->nitems--;
    } else if (l->nitems > 0) {
        int i = (int)rnd(m, (uint32_t)l->nitems);
        assert_int_equal(mm_list_set(rt, l->h, (size_t)i, x), MMO_OK);
        l->items[i] = x;
    }
}

static void op_dict(model *m)
{
    mm_rt *rt = &m->fx.rt;
    shadow *d = pick_kind(m, K_DICT);
    if (d == NULL) {
        return;
    }
    int k = (int)rnd(m, DKEYS);
    if (rnd(m, 3) != 0) {
        mm_h x = pick_ext(m);
        if (outcome(m, mm_dict_set(rt, d->h, mm_small_int(k), x))) {
            d->dval[k] = x;
        }
    } else {
        mm_status s = mm_dict_del(rt, d->h, mm_small_int(k));
        assert_int_equal(s, d->dval[k] != MM_NULL ? MMO_OK : MMO_KEY);
        d->dval[k] = MM_NULL;
    }
}

static void op_inst(model *m)
{
    shadow *o = pick_kind(m, K_INST);
    if (o == NULL) {
        return;
    }
    uint32_t i = rnd(m, 2);
    mm_h x = rnd(m, 4) == 0 ? MM_NULL : pick_ext(m);
    assert_int_equal(mm_inst_set_slot(&m->fx.rt, o->h, i, x), MMO_OK);
    o->slot[i] = x;
}

static void op_drop(model *m)
{
    if (m->next == 0) {
        return;
    }
    int i = (int)rnd(m, (uint32_t)m->next);
    mm_h h = m->ext[i];
    m->ext[i] = m->ext[--m->next];
    mm_decref(&m->fx.rt, h);
}

static void op_dup(model *m)
{
    if (m->next == 0 || m->next >= MAXEXT) {
        return;
    }
    mm_h h = pick_ext(m);
    mm_incref(&m->fx.rt, h);
    m->ext[m->next++] = h;
}

static void run_model(uint64_t seed, size_t region, int steps)
{
    static model m;
    memset(&m, 0, sizeof m);
    fx_open(&m.fx, region, 1024);
    m.node = mm_class_register(&m.fx.rt, &Node);
    m.rng = seed;
    for (int step = 0; step < steps; step++) {
        uint32_t r = rnd(&m, 100);
        if (r < 22) {
            op_create(&m);
        } else if (r < 45) {
            op_list(&m);
        } else if (r < 62) {
            op_dict(&m);
        } else if (r < 75) {
            op_inst(&m);
        } else if (r < 93) {
            op_drop(&m);
        } else {
            op_dup(&m);
        }
        model_collect(&m);
        compare(&m);
    }
    while (m.next > 0) { /* drop everything: only cycles may remain */
        op_drop(&m);
        model_collect(&m);
        compare(&m);
    }
    if (region < 65536) {
        assert_true(m.nomem > 0); /* the small heap really ran out */
    }
    fx_close(&m.fx);
}

static void test_random_graph(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        run_model(seed, 256u * 1024u, 3000);
    }
}

static void test_random_graph_small_heap(void **state)
{
    (void)state;
    for (uint64_t seed = 11; seed <= 14; seed++) {
        run_model(seed, 4u * 1024u, 3000);
    }
}

/* ====================================================== long chains */

#define CHAIN 100000
#define TSTACK (256u * 1024u)
#define PAINT 0xA5

typedef struct chain_job {
    fixture *fx;
    mm_h head;
} chain_job;

static void *drop_head(void *arg)
{
    chain_job *j = (chain_job *)arg;
    mm_decref(&j->fx->rt, j->head);
    return NULL;
}

/* Runs drop_head on a painted stack; returns the bytes of it touched. */
static size_t drop_on_small_stack(chain_job *j)
{
    static unsigned char stack[TSTACK] __attribute__((aligned(64)));
    memset(stack, PAINT, sizeof stack);
    pthread_attr_t a;
    pthread_t t;
    assert_int_equal(pthread_attr_init(&a), 0);
    assert_int_equal(pthread_attr_setstack(&a, stack, sizeof stack), 0);
    assert_int_equal(pthread_create(&t, &a, drop_head, j), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&a);
    size_t i = 0;
    while (i < sizeof stack && stack[i] == PAINT) {
        i++;
    }
    return sizeof stack - i;
}

typedef enum { CH_INST, CH_LIST, CH_DICT, CH_MIXED } chain_kind;

/* A new node of the chain holding `next` (borrowed). */
static mm_h chain_node(fixture *fx, uint32_t cls, chain_kind k, int i, mm_h next)
{
    mm_rt *rt = &fx->rt;
    chain_kind kind = k == CH_MIXED ? (chain_kind)(i % 3) : k;
    mm_h n;
    if (kind == CH_INST) {
        n = mm_inst_new(rt, cls);
        assert_int_not_equal(n, MM_NULL);
        if (next != MM_NULL) {
            assert_int_equal(mm_inst_set_slot(rt, n, 1, next), MMO_OK);
        }
    } else if (kind == CH_LIST) {
        n = mm_list_new(rt, 1);
        assert_int_not_equal(n, MM_NULL);
        if (next != MM_NULL) {
            assert_int_equal(mm_list_append(rt, n, next), MMO_OK);
        }
    } else {
        n = mm_dict_new(rt);
        assert_int_not_equal(n, MM_NULL);
        if (next != MM_NULL) {
            assert_int_equal(mm_dict_set_str(rt, n, "next", next), MMO_OK);
        }
    }
    return n;
}

/* Builds a chain of n nodes (head -> ... -> tail), frees it with one
 * decref on the small stack; returns the stack bytes used. */
static size_t chain_stack(chain_kind k, int n)
{
    static fixture fx;
    fx_open(&fx, 48u << 20, 2u * (size_t)n + 64u);
    /* a quarter of the heap held first: the pages are as scarce for the
     * short chain as for the long one, so that the nodes of both take the
     * same allocator paths (R4a: chunks, not pools), with the same stack */
    void *filler = mm_alloc(fx.heap, 12u << 20);
    assert_non_null(filler);
    uint32_t cls = mm_class_register(&fx.rt, &Node);
    size_t used0 = fx_used(&fx);
    mm_h head = MM_NULL;
    for (int i = 0; i < n; i++) {
        mm_h node = chain_node(&fx, cls, k, i, head);
        mm_decref(&fx.rt, head);
        head = node;
    }
    assert_true(mm_rt_live(&fx.rt) >= (uint32_t)n); /* + dict key strs */
    if (n <= 1000) {
        fx_check(&fx, head);
    }
    chain_job j = {&fx, head};
    size_t used = drop_on_small_stack(&j);
    assert_int_equal(mm_rt_live(&fx.rt), 0);
    assert_int_equal(fx_used(&fx), used0);
    mm_free(fx.heap, filler);
    fx_check(&fx);
    fx_close(&fx);
    return used;
}

static void test_long_chains(void **state)
{
    (void)state;
    const char *names[] = {"instances", "lists", "dicts", "mixed"};
    for (int k = CH_INST; k <= CH_MIXED; k++) {
        /* 1,000 nodes: enough that every allocator free path is taken
         * (a chunk's free that gives an area's pages back goes deepest) */
        size_t sshort = chain_stack((chain_kind)k, 1000);
        size_t sbig = chain_stack((chain_kind)k, CHAIN);
        printf("# chain of %d %s: freed with %zu B of stack (1000 nodes: %zu B)\n",
               CHAIN, names[k], sbig, sshort);
        assert_true(sbig <= sshort + 256u); /* does not grow with the chain */
    }
}

/* ========================================================= MemoryError */

static void test_memory_error_exhaust(void **state)
{
    (void)state;
    static fixture fx;
    fx_open(&fx, 16u * 1024u, 2048);
    mm_rt *rt = &fx.rt;
    size_t used0 = fx_used(&fx);
    mm_h l = mm_list_new(rt, 0);
    int64_t i = 0;
    mm_status s = MMO_OK;
    for (;; i++) {
        mm_h x = mm_int_new(rt, 1000000 + i);
        if (x == MM_NULL) {
            s = mm_rt_error(rt);
            break;
        }
        s = mm_list_append(rt, l, x);
        mm_decref(rt, x);
        if (s != MMO_OK) {
            break;
        }
    }
    assert_true(mm_is_memory_error(s));
    printf("# 16 KiB heap: MemoryError after %lld boxed ints in a list\n", (long long)i);
    assert_true(i > 100);
    /* nothing already allocated is lost */
    assert_int_equal(mm_list_len(rt, l), (size_t)i);
    for (int64_t k = 0; k < i; k++) {
        assert_true(mm_int_value(rt, mm_list_get(rt, l, (size_t)k)) == 1000000 + k);
    }
    fx_check(&fx, l);
    /* a list of a million squares cannot be built; the heap stays sound */
    mm_decref(rt, l); /* room again */
    mm_h sq = mm_list_new(rt, 0);
    mm_h g = mm_generator_squares(rt, 1000000);
    mm_h x;
    long n = 0;
    while ((s = mm_iter_next(rt, g, &x)) == MMO_OK) {
        mm_status a = mm_list_append(rt, sq, x);
        mm_decref(rt, x);
        if (a != MMO_OK) {
            s = a;
            break;
        }
        n++;
    }
    assert_true(mm_is_memory_error(s));
    assert_true(n > 100 && n < 1000000);
    assert_int_equal(mm_list_len(rt, sq), (size_t)n);
    fx_check(&fx, sq, g);
    mm_decref(rt, sq);
    /* the generator still yields the exact sum in constant memory */
    mm_decref(rt, g);
    g = mm_generator_squares(rt, 1000000);
    size_t used_g = fx_used(&fx);
    uint64_t sum = 0;
    while (mm_iter_next(rt, g, &x) == MMO_OK) {
        sum += (uint64_t)mm_int_value(rt, x);
        mm_decref(rt, x);
    }
    assert_true(sum == 333332833333500000ULL);
    assert_int_equal(fx_used(&fx), used_g);
    mm_decref(rt, g);
    /* big requests fail cleanly */
    char big[20000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(mm_str_from(rt, big), MM_NULL);
    assert_int_equal(mm_rt_error(rt), MMO_NOMEM);
    assert_int_equal(mm_lru_new(rt, 5000), MM_NULL);
    assert_int_equal(mm_rt_error(rt), MMO_NOMEM);
    assert_int_equal(mm_list_new(rt, 100000), MM_NULL);
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(fx_used(&fx), used0);
    fx_check(&fx);
    fx_close(&fx);
}

/* A dict that cannot grow is left exactly as it was. */
static void test_memory_error_dict(void **state)
{
    (void)state;
    static fixture fx;
    fx_open(&fx, 16u * 1024u, 4096);
    mm_rt *rt = &fx.rt;
    mm_h d = mm_dict_new(rt);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(mm_dict_set(rt, d, mm_small_int(k), mm_small_int(k)), MMO_OK);
    }
    assert_int_equal(mm_dict_capacity(rt, d), 8); /* the 6th key needs 16 */
    /* fill the heap with boxes held by lists of <= 32 items */
    mm_h holder = mm_list_new(rt, 0), cur = MM_NULL;
    for (int i = 0;; i++) {
        if (i % 32 == 0) {
            mm_h nl = mm_list_new(rt, 32);
            if (nl == MM_NULL || mm_list_append(rt, holder, nl) != MMO_OK) {
                mm_decref(rt, nl);
                break;
            }
            mm_decref(rt, nl);
            cur = nl;
        }
        mm_h b = mm_int_new(rt, 100000 + i);
        if (b == MM_NULL) {
            break;
        }
        assert_int_equal(mm_list_append(rt, cur, b), MMO_OK);
        mm_decref(rt, b);
    }
    fx_check(&fx, d, holder);
    assert_int_equal(mm_dict_set(rt, d, mm_small_int(5), mm_small_int(5)), MMO_NOMEM);
    assert_int_equal(mm_dict_len(rt, d), 5);
    assert_int_equal(mm_dict_capacity(rt, d), 8);
    assert_int_equal(mm_dict_get(rt, d, mm_small_int(5)), MM_NULL);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(mm_dict_get(rt, d, mm_small_int(k)), mm_small_int(k));
    }
    /* replacing an existing key needs no room */
    assert_int_equal(mm_dict_set(rt, d, mm_small_int(4), mm_small_int(40)), MMO_OK);
    fx_check(&fx, d, holder);
    mm_decref(rt, holder);
    assert_int_equal(mm_dict_set(rt, d, mm_small_int(5), mm_small_int(5)), MMO_OK);
    assert_int_equal(mm_dict_capacity(rt, d), 16);
    mm_decref(rt, d);
    assert_int_equal(mm_rt_live(rt), 0);
    fx_check(&fx);
    fx_close(&fx);
}

static void test_handle_table_full(void **state)
{
    (void)state;
    static fixture fx;
    fx_open(&fx, 64u * 1024u, 8); /* sink + 7 objects */
    mm_rt *rt = &fx.rt;
    size_t used0 = fx_used(&fx);
    mm_h h[7];
    for (int i = 0; i < 7; i++) {
        h[i] = mm_int_new(rt, 1000 + i);
        assert_int_not_equal(h[i], MM_NULL);
    }
    size_t used7 = fx_used(&fx);
    assert_int_equal(mm_int_new(rt, 5000), MM_NULL);
    assert_int_equal(mm_rt_error(rt), MMO_NOHANDLE);
    assert_true(mm_is_memory_error(MMO_NOHANDLE));
    assert_int_equal(fx_used(&fx), used7); /* the block went back */
    assert_int_equal(mm_int_new(rt, 5), mm_small_int(5)); /* cached: no slot */
    fx_check(&fx, h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
    mm_decref(rt, h[3]);
    mm_h again = mm_int_new(rt, 5000);
    assert_int_equal(mm_h_index(again), mm_h_index(h[3]));
    mm_decref(rt, again);
    for (int i = 0; i < 7; i++) {
        if (i != 3) {
            mm_decref(rt, h[i]);
        }
    }
    assert_int_equal(fx_used(&fx), used0);
    fx_close(&fx);
}

/* ==================================================== oom hook, compact */

static struct {
    int calls;
    size_t last_size;
    mm_h reserve; /* dropped by the hook to make room */
    bool compact;
} hook;

static void oom_hook(mm_rt *rt, size_t size)
{
    hook.calls++;
    hook.last_size = size;
    mm_decref(rt, hook.reserve);
    hook.reserve = MM_NULL;
    if (hook.compact) {
        mm_compact(rt->heap);
    }
}

static void test_oom_hook_retry(void **state)
{
    (void)state;
    static fixture fx;
    fx_open(&fx, 16u * 1024u, 1024);
    mm_rt *rt = &fx.rt;
    memset(&hook, 0, sizeof hook);
    hook.reserve = mm_list_new(rt, 1000); /* a 4000 B body */
    assert_int_not_equal(hook.reserve, MM_NULL);
    rt->oom_hook = oom_hook;
    mm_h l = mm_list_new(rt, 0);
    int n = 0;
    for (; hook.calls == 0; n++) {
        mm_h x = mm_int_new(rt, 100000 + n);
        assert_int_not_equal(x, MM_NULL); /* the hook made room: retried */
        assert_int_equal(mm_list_append(rt, l, x), MMO_OK);
        mm_decref(rt, x);
    }
    assert_int_equal(hook.calls, 1);
    assert_true(hook.last_size > 0);
    assert_int_equal(hook.reserve, MM_NULL);
    fx_check(&fx, l);
    /* with nothing left to drop, the hook runs once more and then
     * MemoryError is returned */
    mm_status s = MMO_OK;
    while (s == MMO_OK) {
        mm_h x = mm_int_new(rt, 7777777);
        if (x == MM_NULL) {
            s = mm_rt_error(rt);
            break;
        }
        s = mm_list_append(rt, l, x);
        mm_decref(rt, x);
    }
    assert_true(mm_is_memory_error(s));
    assert_int_equal(hook.calls, 2);
    fx_check(&fx, l);
    mm_decref(rt, l);
    fx_close(&fx);
}

/* Large list bodies are owned by their list, so compaction may move them;
 * the lists still read correctly afterwards. */
static void test_compaction_moves_bodies(void **state)
{
    (void)state;
    static fixture fx;
    fx_open(&fx, 64u * 1024u, 1024);
    mm_rt *rt = &fx.rt;
    mm_h lists[8];
    for (int i = 0; i < 8; i++) {
        lists[i] = mm_list_new(rt, 0);
        for (int k = 0; k < 700; k++) { /* 2800+ B bodies: large blocks (above MM_CFG_MID_MAX) */
            assert_int_equal(mm_list_append(rt, lists[i], mm_small_int((i * 31 + k) % 250)), MMO_OK);
        }
    }
    for (int i = 0; i < 8; i += 2) {
        mm_decref(rt, lists[i]); /* holes between the bodies */
        lists[i] = MM_NULL;
    }
    size_t before = mm_largest_free(fx.heap);
    size_t after = mm_compact(fx.heap);
    printf("# compaction: largest free run %zu -> %zu B\n", before, after);
    assert_true(after > before);
    for (int i = 1; i < 8; i += 2) {
        assert_int_equal(mm_list_len(rt, lists[i]), 700);
        for (int k = 0; k < 700; k++) {
            assert_int_equal(mm_list_get(rt, lists[i], (size_t)k),
                             mm_small_int((i * 31 + k) % 250));
        }
        assert_int_equal(mm_list_append(rt, lists[i], mm_small_int(1)), MMO_OK);
    }
    fx_check(&fx, lists[1], lists[3], lists[5], lists[7]);
    for (int i = 1; i < 8; i += 2) {
        mm_decref(rt, lists[i]);
    }
    fx_check(&fx);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_graph),
        cmocka_unit_test(test_random_graph_small_heap),
        cmocka_unit_test(test_long_chains),
        cmocka_unit_test(test_memory_error_exhaust),
        cmocka_unit_test(test_memory_error_dict),
        cmocka_unit_test(test_handle_table_full),
        cmocka_unit_test(test_oom_hook_retry),
        cmocka_unit_test(test_compaction_moves_bodies),
    };
    if (getenv("OBJ_TEST") != NULL) { /* e.g. OBJ_TEST=test_long_chains */
        cmocka_set_test_filter(getenv("OBJ_TEST"));
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
