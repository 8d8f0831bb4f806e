/*
 * lock_isr.c - the allocator and the object layer with MM_CFG_LOCK=1 and a
 * simulated interrupt: the host port runs a hook each time the outermost
 * critical section ends (port_host.h), as a pending interrupt runs when
 * interrupts are unmasked. tools/test.sh builds this file alone with
 * -DMM_CFG_LOCK=1 (the "lock" configuration).
 *
 * - err_race: an interrupt whose own allocation fails between the object
 *   layer's failed try and its retry decision must not turn the retry into
 *   a spurious MemoryError (the retry is decided on the failed call's own
 *   status, mm_realloc_err, never on the shared mm_last_error).
 * - interleaved: raw blocks allocated and freed by the "interrupt" at every
 *   unlock, while the main loop allocates, frees, reallocs, trims and
 *   compacts, and creates and drops objects; the heap, the runtime and the
 *   interrupt's own blocks stay consistent and nothing leaks.
 */
#include "obj_fixture.h"

#if !MM_CFG_LOCK
#error "lock_isr.c is built with -DMM_CFG_LOCK=1 (tools/test.sh, configuration lock)"
#endif

#define REGION (64u * 1024u)
#define SLOTS 256u

/* ---- err_race ---- */

typedef struct race {
    fixture fx;
    void *reserve;  /* freed by the oom hook: the retry then succeeds */
    int isr_runs;
    int oom_runs;
    bool armed;
} race;

static race R;

static void isr_failing(void *arg)
{
    race *r = arg;
    if (!r->armed) {
        return;
    }
    r->isr_runs++;
    /* the interrupt's own allocation fails: mm_last_error becomes ETOOBIG */
    assert_null(mm_alloc(r->fx.heap, SIZE_MAX));
}

static void oom_free_reserve(mm_rt *rt, size_t size)
{
    (void)size;
    R.oom_runs++;
    mm_free(rt->heap, R.reserve);
    R.reserve = NULL;
}

static void test_err_race(void **state)
{
    (void)state;
    memset(&R, 0, sizeof R);
    fx_open(&R.fx, REGION, SLOTS);
    mm_heap *h = R.fx.heap;
    /* fill the heap with 4 KiB blocks, keep one as the reserve */
    void *blocks[32];
    size_t n = 0;
    while (n < 32 && (blocks[n] = mm_alloc(h, 4000)) != NULL) {
        n++;
    }
    assert_true(n > 2 && n < 32);
    R.reserve = blocks[--n];
    R.fx.rt.oom_hook = oom_free_reserve;
    port_set_unlock_hook(isr_failing, &R);
    R.armed = true;
    void *p = mm_rt_alloc(&R.fx.rt, NULL, 4000);
    R.armed = false;
    port_set_unlock_hook(NULL, NULL);
    assert_true(R.isr_runs >= 1);   /* the interrupt did run in between */
    assert_int_equal(R.oom_runs, 1); /* the retry was decided on MM_ENOMEM */
    assert_non_null(p);              /* and it succeeded */
    assert_int_equal(mm_rt_error(&R.fx.rt), MMO_OK);
    mm_rt_free(&R.fx.rt, p);
    for (size_t i = 0; i < n; i++) {
        mm_free(h, blocks[i]);
    }
    fx_check(&R.fx);
    assert_int_equal(fx_used(&R.fx), 0);
    fx_close(&R.fx);
}

/* ---- interleaved ---- */

#define ISR_BLOCKS 16u

typedef struct isr_state {
    mm_heap *heap;
    void *blk[ISR_BLOCKS];
    uint8_t tag[ISR_BLOCKS];
    uint32_t rng;
    uint32_t ops;
    uint32_t failed;
} isr_state;

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* The interrupt: frees or allocates one raw block (8..200 B), checking that
 * the block it frees still holds the byte it wrote. */
static void isr_churn(void *arg)
{
    isr_state *s = arg;
    uint32_t r = xorshift(&s->rng);
    uint32_t i = r % ISR_BLOCKS;
    s->ops++;
    if (s->blk[i] != NULL) {
        const uint8_t *b = s->blk[i];
        size_t len = mm_usable_size(s->heap, b);
        assert_true(len >= 8);
        assert_int_equal(b[0], s->tag[i]);
        assert_int_equal(b[len - 1u], s->tag[i]);
        mm_free(s->heap, s->blk[i]);
        s->blk[i] = NULL;
        return;
    }
    size_t size = 8u + (r >> 8) % 193u;
    uint8_t *b = mm_alloc(s->heap, size);
    if (b == NULL) {
        s->failed++;
        return;
    }
    s->tag[i] = (uint8_t)(r >> 24);
    memset(b, s->tag[i], mm_usable_size(s->heap, b));
    s->blk[i] = b;
}

static void test_interleaved(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, REGION, SLOTS);
    static isr_state isr;
    memset(&isr, 0, sizeof isr);
    isr.heap = fx.heap;
    isr.rng = 0x1234567u;
    mm_heap *h = fx.heap;
    mm_rt *rt = &fx.rt;
    enum { MAIN_BLOCKS = 24, OBJS = 16, ROUNDS = 20000 };
    void *mine[MAIN_BLOCKS] = {0};
    void *owner[MAIN_BLOCKS] = {0}; /* owner slots (static memory) */
    mm_h objs[OBJS] = {0};
    uint32_t rng = 0x9e3779b9u;
    port_set_unlock_hook(isr_churn, &isr);
    for (int round = 0; round < ROUNDS; round++) {
        uint32_t r = xorshift(&rng);
        uint32_t i = r % MAIN_BLOCKS;
        switch ((r >> 8) % 8u) {
        case 0:
        case 1: /* alloc or free, small or large */
            if (mine[i] != NULL) {
                mm_set_owner(h, mine[i], NULL);
                mm_free(h, mine[i]);
                mine[i] = NULL;
            } else {
                size_t size = (r >> 12) % 2u ? 8u + (r >> 16) % 200u : 300u + (r >> 16) % 3000u;
                mine[i] = mm_alloc(h, size);
                if (mine[i] != NULL) {
                    owner[i] = mine[i];
                    mm_set_owner(h, mine[i], &owner[i]);
                }
            }
            break;
        case 2: /* realloc */
            if (mine[i] != NULL) {
                void *q = mm_realloc(h, mine[i], 8u + (r >> 12) % 2500u);
                if (q != NULL) {
                    mine[i] = q;
                    owner[i] = q;
                    mm_set_owner(h, q, &owner[i]);
                }
            }
            break;
        case 3: /* compact: owned blocks may move; owner[] follows them */
            mm_compact(h);
            for (uint32_t k = 0; k < MAIN_BLOCKS; k++) {
                mine[k] = mine[k] != NULL ? owner[k] : NULL;
            }
            break;
        case 4:
            mm_trim(h);
            break;
        default: { /* objects: create or drop */
            uint32_t k = i % OBJS;
            if (objs[k] != MM_NULL) {
                mm_decref(rt, objs[k]);
                objs[k] = MM_NULL;
            } else if ((r >> 12) % 2u) {
                objs[k] = mm_str_from(rt, "interrupted but consistent");
            } else {
                objs[k] = mm_list_new(rt, 4);
            }
            break;
        }
        }
    }
    port_set_unlock_hook(NULL, NULL);
    assert_true(isr.ops > (uint32_t)ROUNDS); /* more than one interrupt per round */
    fx_check_ext(&fx, objs, OBJS); /* the test's own objects explain their refcounts */
    for (uint32_t k = 0; k < OBJS; k++) {
        if (objs[k] != MM_NULL) {
            mm_decref(rt, objs[k]);
        }
    }
    for (uint32_t k = 0; k < MAIN_BLOCKS; k++) {
        if (mine[k] != NULL) {
            mm_set_owner(h, mine[k], NULL);
            mm_free(h, mine[k]);
        }
    }
    for (uint32_t k = 0; k < ISR_BLOCKS; k++) {
        const uint8_t *b = isr.blk[k];
        if (b != NULL) {
            assert_int_equal(b[mm_usable_size(h, b) - 1u], isr.tag[k]);
            mm_free(h, isr.blk[k]);
        }
    }
    fx_check(&fx);
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(fx_used(&fx), 0);
    assert_int_equal(port_misuse_count(), 0);
    printf("  interleaved: %d main rounds, %u interrupt operations (%u allocations failed)\n",
           (int)ROUNDS, (unsigned)isr.ops, (unsigned)isr.failed);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_race),
        cmocka_unit_test(test_interleaved),
    };
    return cmocka_run_group_tests_name("lock_isr", tests, NULL, NULL);
}
