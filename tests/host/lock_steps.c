/*
 * lock_steps.c - the long calls with MM_CFG_LOCK=1 release the lock
 * between bounded steps (mm_compact, mm_trim, the copy of a moving
 * mm_realloc), and the heap is whole at every release point. The host
 * port runs a hook each time the outermost critical section ends
 * (port_host.h), as a pending interrupt would run; here the "interrupt"
 * runs mm_check, then allocates and frees blocks of its own, small and
 * large, so that it takes and gives back the pages around a block being
 * moved. tools/test.sh builds this file alone with -DMM_CFG_LOCK=1.
 *
 * - compact_steps: holes before owned large blocks; mm_compact slides them
 *   down while the interrupt churns: every release point passes mm_check,
 *   the interrupt runs between the slides (more than twice per slide),
 *   every moved block keeps its bytes and its owner follows it.
 * - trim_steps: idle pools of many classes; mm_trim gives them back with
 *   the interrupt running between them.
 * - large_reclaim_steps: a large request that must first give back idle
 *   pools lets the interrupt in between two.
 * - realloc_copy_unlocked: a large block that must move is copied with
 *   the lock released: the interrupt runs between the new block's
 *   allocation and the old one's free, and the bytes arrive whole.
 * - compact_block_freed: an "interrupt" that frees the block being moved
 *   (the contract forbids it) is reported, and the heap stays whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heap/mm_heap.h"
#include "port_host.h"

#if !MM_CFG_LOCK
#error "lock_steps.c is built with -DMM_CFG_LOCK=1 (tools/test.sh, configuration lock)"
#endif

#define REGION (256u * 1024u)
#define BIG (MM_CFG_MID_MAX + 8u) /* a large block in every configuration */

static _Alignas(8) unsigned char region[REGION];

/* ---- the "interrupt" ---- */

#define ISR_BLOCKS 8u

typedef struct isr_state {
    mm_heap *heap;
    void *blk[ISR_BLOCKS];
    uint32_t rng;
    uint32_t runs;       /* times the interrupt ran */
    uint32_t checks_bad; /* release points where mm_check failed */
    const char *first_bad;
    bool churn;          /* allocate and free, or only check */
} isr_state;

static isr_state S;

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void isr(void *arg)
{
    isr_state *s = arg;
    s->runs++;
    mm_report r;
    if (!mm_check(s->heap, &r)) {
        if (s->checks_bad++ == 0) {
            s->first_bad = r.msg;
        }
    }
    if (!s->churn) {
        return;
    }
    uint32_t x = xorshift(&s->rng);
    uint32_t i = x % ISR_BLOCKS;
    if (s->blk[i] != NULL) {
        mm_free(s->heap, s->blk[i]);
        s->blk[i] = NULL;
    } else {
        /* small blocks take pool pages out of free runs; page-sized ones
         * take runs whole (both in front of the compaction's walk) */
        size_t size = (x >> 8) % 3u == 0 ? 600u + (x >> 12) % 1500u : 8u + (x >> 12) % 200u;
        s->blk[i] = mm_alloc(s->heap, size);
    }
}

static mm_heap *open_heap(bool churn)
{
    memset(&S, 0, sizeof S);
    mm_heap *h = mm_init(region, sizeof region);
    assert_non_null(h);
    S.heap = h;
    S.rng = 0x2545F491u;
    S.churn = churn;
    port_reset_misuse();
    return h;
}

static void isr_release_all(void)
{
    port_set_unlock_hook(NULL, NULL);
    for (uint32_t k = 0; k < ISR_BLOCKS; k++) {
        mm_free(S.heap, S.blk[k]);
        S.blk[k] = NULL;
    }
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t k = 0; k < n; k++) {
        p[k] = (unsigned char)(seed + k * 7u);
    }
}

static bool same(const unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t k = 0; k < n; k++) {
        if (p[k] != (unsigned char)(seed + k * 7u)) {
            return false;
        }
    }
    return true;
}

/* ---- compact_steps ---- */

#define NB 12u

static void test_compact_steps(void **state)
{
    (void)state;
    mm_heap *h = open_heap(true);
    void *hole[NB], *blk[NB];
    size_t size[NB];
    /* [ hole ][ owned block ] x NB, holes of 3..5 pages, blocks of 8..19 */
    for (uint32_t k = 0; k < NB; k++) {
        hole[k] = mm_alloc(h, (3u + k % 3u) * 512u);
        size[k] = BIG + k * 512u;
        blk[k] = mm_alloc(h, size[k]);
        assert_non_null(hole[k]);
        assert_non_null(blk[k]);
        fill(blk[k], size[k], k);
        mm_set_owner(h, blk[k], &blk[k]);
    }
    void *pin = mm_alloc(h, BIG); /* keeps the last block off the wilderness */
    for (uint32_t k = 0; k < NB; k++) {
        mm_free(h, hole[k]);
    }
    void *before[NB];
    memcpy(before, blk, sizeof blk);
    port_set_unlock_hook(isr, &S);
    size_t largest = mm_compact(h);
    uint32_t runs = S.runs;
    isr_release_all();
    assert_int_equal(port_misuse_count(), 0);
    if (S.checks_bad != 0) {
        fail_msg("mm_check failed at %u release points: %s", (unsigned)S.checks_bad,
                 S.first_bad);
    }
    uint32_t moved = 0;
    for (uint32_t k = 0; k < NB; k++) {
        moved += blk[k] != before[k];
        assert_true(same(blk[k], size[k], k));             /* the bytes moved whole */
        assert_int_equal(mm_usable_size(h, blk[k]) >= size[k], 1); /* a live block */
    }
    /* every block had a hole before it (the interrupt may take a hole
     * first): the interrupt ran while each one was copied and again after
     * the swap */
    assert_true(moved >= NB / 2u);
    if (runs < 2u * moved) {
        fail_msg("the interrupt ran %u times during mm_compact (want >= %u)", (unsigned)runs,
                 2u * moved);
    }
    assert_true(largest > 0);
    mm_report r;
    assert_true(mm_check(h, &r));
    for (uint32_t k = 0; k < NB; k++) {
        mm_set_owner(h, blk[k], NULL);
        mm_free(h, blk[k]);
    }
    mm_free(h, pin);
    mm_trim(h);
    mm_stats st;
    mm_get_stats(h, &st);
    assert_int_equal(st.pages_free, st.pages);
    printf("  compact_steps: %u blocks slid, %u release points, all checked\n",
           (unsigned)moved, (unsigned)runs);
}

/* ---- trim_steps ---- */

static void test_trim_steps(void **state)
{
    (void)state;
    mm_heap *h = open_heap(false);
    /* an idle current pool in each of 16 classes */
    for (size_t c = 0; c < 16u; c++) {
        void *p = mm_alloc(h, 8u * (c + 1u));
        assert_non_null(p);
        mm_free(h, p);
    }
    mm_stats st;
    mm_get_stats(h, &st);
    assert_true(st.pages_pool >= 16u);
    port_set_unlock_hook(isr, &S);
    mm_trim(h);
    uint32_t runs = S.runs;
    isr_release_all();
    assert_int_equal(S.checks_bad, 0);
    mm_get_stats(h, &st);
    assert_int_equal(st.pages_pool, 0);
    if (runs < 16u) {
        fail_msg("the interrupt ran %u times during mm_trim (want >= 16)", (unsigned)runs);
    }
}

/* ---- realloc_copy_unlocked ---- */

typedef struct {
    uint32_t runs;
    uint32_t bad;
    mm_heap *heap;
} count_state;

static void isr_count(void *arg)
{
    count_state *c = arg;
    c->runs++;
    mm_report r;
    c->bad += !mm_check(c->heap, &r);
    void *p = mm_alloc(c->heap, 40); /* an interrupt's own block, in and out */
    mm_free(c->heap, p);
}

static void test_realloc_copy_unlocked(void **state)
{
    (void)state;
    mm_heap *h = open_heap(false);
    const size_t n = 8u * BIG;
    unsigned char *p = mm_alloc(h, n);
    void *wall = mm_alloc(h, BIG); /* no room to grow in place */
    assert_non_null(p);
    assert_non_null(wall);
    fill(p, n, 99u);
    count_state c = {0, 0, h};
    port_set_unlock_hook(isr_count, &c);
    unsigned char *q = mm_realloc(h, p, 2u * n);
    port_set_unlock_hook(NULL, NULL);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    assert_true(same(q, n, 99u));
    assert_int_equal(c.bad, 0);
    /* once after the new block is had (the copy), once after the old one
     * is freed */
    if (c.runs < 2u) {
        fail_msg("the interrupt ran %u times during the moving mm_realloc (want >= 2)",
                 (unsigned)c.runs);
    }
    mm_free(h, q);
    mm_free(h, wall);
    mm_trim(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* ---- large_reclaim_steps ---- */

static void isr_tick(void *arg)
{
    (*(uint32_t *)arg)++;
}

/* A large request that finds no run long enough gives back idle pools one
 * at a time, with the interrupt let in between two. */
static void test_large_reclaim_steps(void **state)
{
    (void)state;
    mm_heap *h = open_heap(false);
    void *fill[64];
    size_t nfill = 0;
    while (nfill < 64u && (fill[nfill] = mm_alloc(h, BIG)) != NULL) {
        nfill++;
    }
    assert_true(nfill > 4u && nfill < 64u); /* fewer than 8 pages left free */
    /* 16 pages freed in one run, then taken by an idle pool in each of 16
     * classes (a new pool fills a free run first) */
    mm_free(h, fill[1]);
    mm_free(h, fill[2]);
    fill[1] = fill[2] = NULL;
    for (size_t c = 0; c < 16u; c++) {
        void *p = mm_alloc(h, 8u * (c + 1u));
        assert_non_null(p);
        mm_free(h, p);
    }
    uint32_t ticks = 0;
    port_set_unlock_hook(isr_tick, &ticks);
    void *big = mm_alloc(h, 2u * BIG); /* 17 pages: 9 or more pools go */
    port_set_unlock_hook(NULL, NULL);
    assert_non_null(big);
    if (ticks < 8u) {
        fail_msg("the interrupt ran %u times during the large alloc (want >= 8)",
                 (unsigned)ticks);
    }
    mm_report r;
    assert_true(mm_check(h, &r));
    mm_free(h, big);
    for (size_t k = 0; k < nfill; k++) {
        mm_free(h, fill[k]);
    }
    mm_trim(h);
    mm_stats st;
    mm_get_stats(h, &st);
    assert_int_equal(st.pages_free, st.pages);
}

/* ---- compact_block_freed ---- */

typedef struct {
    mm_heap *heap;
    void **victim;
    size_t blocks; /* large blocks before the compaction */
    bool done;
} rogue_state;

/* Frees the owned block while it is being moved: the slide's reserved run
 * shows as one more large block. */
static void isr_rogue(void *arg)
{
    rogue_state *r = arg;
    mm_stats st;
    mm_get_stats(r->heap, &st);
    if (!r->done && st.large_blocks == r->blocks + 1u) {
        r->done = true;
        mm_free(r->heap, *r->victim);
    }
}

static void test_compact_block_freed(void **state)
{
    (void)state;
    mm_heap *h = open_heap(false);
    void *hole = mm_alloc(h, 4u * 512u);
    void *blk = mm_alloc(h, BIG);
    void *pin = mm_alloc(h, BIG);
    mm_set_owner(h, blk, &blk);
    mm_free(h, hole);
    mm_stats st;
    mm_get_stats(h, &st);
    rogue_state r = {h, &blk, st.large_blocks, false};
    port_set_misuse_quiet(true);
    port_set_unlock_hook(isr_rogue, &r);
    mm_compact(h);
    port_set_unlock_hook(NULL, NULL);
    port_set_misuse_quiet(false);
    assert_true(r.done);
    assert_int_equal(port_misuse_count(), 1);
    assert_non_null(strstr(port_last_misuse(), "mm_compact: block changed while moved"));
    mm_report rep;
    assert_true(mm_check(h, &rep));
    mm_free(h, pin);
    mm_trim(h);
    mm_get_stats(h, &st);
    assert_int_equal(st.pages_free, st.pages);
    assert_int_equal(st.large_blocks, 0);
    port_reset_misuse();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_steps),
        cmocka_unit_test(test_trim_steps),
        cmocka_unit_test(test_realloc_copy_unlocked),
        cmocka_unit_test(test_large_reclaim_steps),
        cmocka_unit_test(test_compact_block_freed),
    };
    return cmocka_run_group_tests_name("lock_steps", tests, NULL, NULL);
}
