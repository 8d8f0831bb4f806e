/*
 * test_heap_oom.c - the allocator at its least arena and just below it.
 *
 * The bench's pressure workloads (tests/bench/bench_main.c: W1p, W2p, W3p,
 * CPY, FIFO, SAW; the same shapes, driven by the same kind of LCG) run here
 * on the host. For each, the least arena that completes it is found by
 * bisection; then the test checks that the workload completes there with
 * mm_check passing after every 1000 operations, and that 16 B less makes
 * some allocation fail cleanly: NULL with MM_ENOMEM, mm_check passing, and
 * after everything is freed and mm_trim every page free again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heap/mm_heap.h"
#include "port_host.h"

#define ARENA_MAX (512u * 1024u)
#define SLOTS 512u
#define OPS 20000u

static _Alignas(8) unsigned char region[ARENA_MAX];
static void *slot[8192];
static uint32_t lcg_state;

static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state;
}

typedef struct {
    mm_heap *h;
    uint32_t fails, ops;
    bool checked; /* run mm_check every 1000 operations */
} run;

static void *r_alloc(run *r, size_t n)
{
    void *p = mm_alloc(r->h, n);
    if (p == NULL) {
        /* a 4 KiB request in a smaller arena is never satisfiable */
        assert_true(mm_last_error(r->h) == MM_ENOMEM || mm_last_error(r->h) == MM_ETOOBIG);
        r->fails++;
    } else {
        memset(p, 0x5A, n);
    }
    if (r->checked && ++r->ops % 1000u == 0) {
        assert_true(mm_check(r->h, NULL));
    }
    return p;
}

static uint32_t size_w2(uint32_t x) { return 8u + (x >> 8) % 249u; }
static uint32_t size_w3(uint32_t x)
{
    return (x >> 24) % 64u == 0u ? 1024u + (x >> 2) % 3073u : size_w2(x);
}
static uint32_t size_cpy(uint32_t x)
{
    uint32_t k = (x >> 20) % 100u;
    return k < 90u ? 16u + 8u * ((x >> 4) % 7u)
                   : k < 97u ? 72u + 8u * ((x >> 4) % 24u) : 512u + 8u * ((x >> 4) % 193u);
}
static uint32_t size_8_512(uint32_t x) { return 8u + (x >> 8) % 505u; }

static void live_set(run *r, uint32_t young, uint32_t (*size)(uint32_t))
{
    lcg_state = 12345u;
    for (uint32_t i = 0; i < OPS; i++) {
        uint32_t x = lcg(), s = (x >> 4) % SLOTS;
        if (young != 0u && (x >> 28) % 4u != 0u) {
            s %= young;
        }
        if (slot[s] != NULL) {
            mm_free(r->h, slot[s]);
            slot[s] = NULL;
        } else {
            slot[s] = r_alloc(r, size(lcg()));
        }
    }
}

static void w1(run *r)
{
    lcg_state = 1u;
    for (uint32_t i = 0; i < OPS; i++) {
        mm_free(r->h, r_alloc(r, size_w2(lcg())));
    }
}
static void w2(run *r) { live_set(r, 0, size_w2); }
static void w3(run *r) { live_set(r, 0, size_w3); }
static void cpy(run *r) { live_set(r, 32u, size_cpy); }

static void fifo(run *r)
{
    lcg_state = 777u;
    for (uint32_t i = 0; i < OPS; i++) {
        uint32_t s = i % 128u;
        mm_free(r->h, slot[s]);
        slot[s] = r_alloc(r, size_8_512(lcg()));
    }
}

static void saw(run *r)
{
    lcg_state = 4242u;
    for (uint32_t t = 0; t < 3u; t++) {
        size_t asked = 0;
        uint32_t n = 0;
        while (asked < 65536u * 85u / 100u) {
            uint32_t size = size_8_512(lcg());
            asked += size;
            slot[n++] = r_alloc(r, size);
        }
        for (uint32_t i = 0; i < n; i++) {
            mm_free(r->h, slot[i]);
            slot[i] = NULL;
        }
    }
}

/* Runs w in an arena of `arena` bytes; frees what is left, checks that every
 * page is free after mm_trim; returns the failed allocations (UINT32_MAX if
 * the arena cannot hold a heap at all). */
static uint32_t run_at(void (*w)(run *), size_t arena, bool checked)
{
    run r = {mm_init(region, arena), 0, 0, checked};
    if (r.h == NULL) {
        return UINT32_MAX;
    }
    memset(slot, 0, sizeof slot);
    w(&r);
    assert_true(mm_check(r.h, NULL));
    for (size_t i = 0; i < sizeof slot / sizeof slot[0]; i++) {
        mm_free(r.h, slot[i]);
        slot[i] = NULL;
    }
    mm_trim(r.h);
    assert_true(mm_check(r.h, NULL));
    mm_stats s;
    mm_get_stats(r.h, &s);
    assert_int_equal(s.pages_free, s.pages);
    return r.fails;
}

static void least_arena(const char *name, void (*w)(run *))
{
    size_t lo = 512u, hi = ARENA_MAX; /* lo fails, hi completes */
    assert_true(run_at(w, lo, false) > 0);
    assert_int_equal(run_at(w, hi, false), 0);
    while (hi - lo > 8u) {
        size_t mid = (lo + (hi - lo) / 2u) & ~(size_t)7u;
        if (run_at(w, mid, false) == 0) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    assert_int_equal(run_at(w, hi, true), 0);
    uint32_t below = run_at(w, hi - 16u, true);
    print_message("%s: least arena %zu B; 16 B less: %u failed allocations%s\n", name, hi,
                  below, below == UINT32_MAX ? " (no room for the heap's state)" : "");
    assert_true(below > 0);
}

static void test_oom_w1(void **state) { (void)state; least_arena("W1p", w1); }
static void test_oom_w2(void **state) { (void)state; least_arena("W2p", w2); }
static void test_oom_w3(void **state) { (void)state; least_arena("W3p", w3); }
static void test_oom_cpy(void **state) { (void)state; least_arena("CPY", cpy); }
static void test_oom_fifo(void **state) { (void)state; least_arena("FIFO", fifo); }
static void test_oom_saw(void **state) { (void)state; least_arena("SAW", saw); }

int main(void)
{
    port_set_misuse_fatal(true); /* no misuse is expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_w1),  cmocka_unit_test(test_oom_w2),
        cmocka_unit_test(test_oom_w3),  cmocka_unit_test(test_oom_cpy),
        cmocka_unit_test(test_oom_fifo), cmocka_unit_test(test_oom_saw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
