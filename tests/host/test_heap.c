/*
 * test_heap.c - one test per contract of mm.h (the allocator).
 *
 * White-box where a contract is about layout (mm_heap_int.h gives the page
 * size and descriptors so a test can corrupt one on purpose). Every test
 * ends with mm_check() and a balanced port lock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mm.h"
#include "mm_heap_int.h"
#include "port_host.h"

#define REGION_SIZE 65536u
static _Alignas(8) unsigned char region[REGION_SIZE + 64u];
static _Alignas(8) unsigned char region_copy[REGION_SIZE + 64u];

static void assert_heap_ok(const mm_heap *h)
{
    mm_report r;
    bool ok = mm_check(h, &r);
    if (!ok) {
        print_error("mm_check: %s at %p\n", r.msg, r.addr);
    }
    assert_true(ok);
    assert_int_equal(r.code, MM_OK);
    assert_int_equal(port_lock_depth(), 0);
}

static mm_heap *fresh(size_t size)
{
    port_reset_misuse();
    port_set_misuse_quiet(true);
    memset(region, 0x5A, sizeof region);
    mm_heap *h = mm_init(region, size);
    assert_non_null(h);
    assert_heap_ok(h);
    return h;
}

static mm_stats stats(const mm_heap *h)
{
    mm_stats s;
    mm_get_stats(h, &s);
    return s;
}

/* ---- set-up ---- */

static void test_init_sizes(void **state)
{
    (void)state;
    assert_null(mm_init(NULL, 4096));
    assert_null(mm_init(region, 16));
    assert_null(mm_init(region, MM_STATE_SIZE + MM_PAGE_SIZE)); /* < one pool */
    mm_heap *h = mm_init(region + 3, 8192); /* unaligned region is accepted */
    assert_non_null(h);
    assert_int_equal((uintptr_t)h % 8u, 0);
    assert_heap_ok(h);
    mm_stats s = stats(h);
    assert_int_equal(s.region_size, 8192);
    assert_int_equal(s.page_size, MM_PAGE_SIZE);
    assert_int_equal(s.pages_free, s.pages);
    assert_true(s.pages * MM_PAGE_SIZE + s.meta_bytes == 8192);
    assert_true(s.meta_bytes < MM_STATE_SIZE + 8u + (s.pages + 1u) * (MM_PAGE_SIZE + sizeof(mm_page)) - s.pages * MM_PAGE_SIZE);
    assert_int_equal(s.largest_free, s.pages * MM_PAGE_SIZE);
    assert_int_equal(s.frag_permille, 0);
    assert_int_equal(mm_last_error(h), MM_OK);
}

/* ---- small blocks ---- */

static void test_small_classes(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    void *p[MM_SMALL_MAX + 1];
    const size_t keep = MM_SMALL_MAX < 256 ? MM_SMALL_MAX : 256; /* fits 64 KiB */
    for (size_t n = 1; n <= MM_SMALL_MAX; n++) {
        p[n] = mm_alloc(h, n);
        assert_non_null(p[n]);
        assert_int_equal(mm_usable_size(h, p[n]), (n + 7u) & ~(size_t)7u);
        assert_int_equal(mm_size_class(n), (n - 1u) / 8u);
        memset(p[n], (int)n, n);
        if (n > keep) {
            mm_free(h, p[n]);
        }
    }
    assert_heap_ok(h);
    for (size_t n = 1; n <= keep; n++) {
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(((unsigned char *)p[n])[k], n & 0xFFu);
        }
        mm_free(h, p[n]);
    }
    assert_heap_ok(h);
    mm_stats s = stats(h);
    size_t cached = 0; /* every class keeps its last empty pool (R4) */
    for (size_t c = 0; c < MM_SMALL_MAX / 8; c++) {
        cached += h->pool_pages[c];
        mm_class_stats cs;
        assert_true(mm_get_class_stats(h, c, &cs));
        assert_int_equal(cs.pools, 1);
        assert_int_equal(cs.in_use, 0);
    }
    assert_int_equal(s.pages_pool, cached);
    mm_trim(h);
    assert_heap_ok(h);
    s = stats(h);
    assert_int_equal(s.pages_free, s.pages); /* every pool went back */
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(port_misuse_count(), 0);
    assert_int_equal(mm_size_class(0), SIZE_MAX);
    assert_int_equal(mm_size_class(MM_SMALL_MAX + 1u), SIZE_MAX);
    assert_int_equal(mm_class_count(), MM_SMALL_MAX / 8);
}

static void test_alignment(void **state)
{
    (void)state;
    for (size_t shift = 0; shift < 8; shift++) {
        port_reset_misuse();
        mm_heap *h = mm_init(region + shift, 32768u);
        assert_non_null(h);
        for (size_t n = 1; n < 3000; n += 7) {
            void *p = mm_alloc(h, n);
            if (p == NULL) {
                assert_int_equal(mm_last_error(h), MM_ENOMEM);
                break;
            }
            assert_int_equal((uintptr_t)p % 8u, 0);
        }
        assert_heap_ok(h);
    }
}

static void test_64k_holds_3900_blocks(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    static void *p[8192];
    size_t n = 0;
    while ((p[n] = mm_alloc(h, 16)) != NULL) {
        *(uint32_t *)p[n] = (uint32_t)n;
        n++;
    }
    print_message("64 KiB region holds %zu 16-byte blocks\n", n);
    assert_true(n >= 3900);
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    assert_heap_ok(h);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(*(uint32_t *)p[i], i);
        mm_free(h, p[i]);
    }
    assert_heap_ok(h);
    mm_trim(h);
    assert_int_equal(stats(h).pages_free, stats(h).pages);
}

static void test_pool_release_and_reuse(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    mm_class_stats cs;
    void *a = mm_alloc(h, 40);
    assert_true(mm_get_class_stats(h, 4, &cs));
    assert_int_equal(cs.block_size, 40);
    assert_int_equal(cs.in_use, 1);
    assert_int_equal(cs.pools, 1);
    assert_int_equal(cs.bytes, 40);
    assert_int_equal(cs.free_blocks, cs.blocks_per_pool - 1u);
    assert_int_equal(stats(h).pages_pool, cs.pool_pages);
    /* fill the pool exactly, then one more opens a second pool */
    size_t per = cs.blocks_per_pool;
    void *q[600];
    q[0] = a;
    for (size_t i = 1; i <= per; i++) {
        q[i] = mm_alloc(h, 33);
    }
    assert_true(mm_get_class_stats(h, 4, &cs));
    assert_int_equal(cs.pools, 2);
    assert_int_equal(cs.pools_peak, 2);
    assert_int_equal(cs.in_use, per + 1u);
    assert_heap_ok(h);
    for (size_t i = 0; i <= per; i++) {
        mm_free(h, q[i]);
        assert_heap_ok(h);
    }
    /* the first pool to empty went back when the second one emptied; the
     * second is kept as the spare, listed, and serves the class at once */
    assert_true(mm_get_class_stats(h, 4, &cs));
    assert_int_equal(cs.pools, 1);
    assert_int_equal(cs.in_use, 0);
    void *again = mm_alloc(h, 40);
    assert_true(mm_get_class_stats(h, 4, &cs));
    assert_int_equal(cs.pools, 1);
    mm_free(h, again);
    /* a large request takes the spare's pages when it needs them */
    void *most = mm_alloc(h, (stats(h).pages - cs.pool_pages + 1u) * MM_PAGE_SIZE);
    assert_non_null(most);
    assert_true(mm_get_class_stats(h, 4, &cs));
    assert_int_equal(cs.pools, 0);
    assert_int_equal(cs.pools_peak, 2);
    mm_free(h, most);
    assert_heap_ok(h);
    assert_int_equal(stats(h).pages_free, stats(h).pages);
    assert_false(mm_get_class_stats(h, MM_SMALL_MAX / 8, &cs));
    /* the same memory serves large blocks now */
    void *big = mm_alloc(h, stats(h).pages * MM_PAGE_SIZE);
    assert_non_null(big);
    mm_free(h, big);
    assert_heap_ok(h);
}

/* ---- large blocks ---- */

static void test_large_coalescing(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    size_t pages = stats(h).pages;
    void *a = mm_alloc(h, MM_SMALL_MAX + 1u);
    void *b = mm_alloc(h, 3 * MM_PAGE_SIZE);
    void *c = mm_alloc(h, 2 * MM_PAGE_SIZE - 8u);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(mm_usable_size(h, a),
                     (MM_SMALL_MAX + MM_PAGE_SIZE) / MM_PAGE_SIZE * MM_PAGE_SIZE);
    assert_int_equal(mm_usable_size(h, b), 3 * MM_PAGE_SIZE);
    assert_int_equal(mm_usable_size(h, c), 2 * MM_PAGE_SIZE);
    assert_int_equal(stats(h).large_blocks, 3);
    assert_int_equal(stats(h).pages_large, 6);
    assert_heap_ok(h);
    mm_free(h, b);
    assert_heap_ok(h);
    mm_free(h, a);
    assert_heap_ok(h);
    mm_free(h, c);
    assert_heap_ok(h);
    mm_stats s = stats(h);
    assert_int_equal(s.pages_free, pages);
    assert_int_equal(s.largest_free, pages * MM_PAGE_SIZE);
    assert_int_equal(s.peak_bytes, 6 * MM_PAGE_SIZE);
    void *all = mm_alloc(h, pages * MM_PAGE_SIZE);
    assert_non_null(all);
    assert_null(mm_alloc(h, 8));
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    mm_free(h, all);
    assert_heap_ok(h);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    size_t all = stats(h).pages * MM_PAGE_SIZE;
    assert_null(mm_alloc(h, 0));
    assert_int_equal(mm_last_error(h), MM_EZERO);
    assert_null(mm_alloc(h, SIZE_MAX));
    assert_int_equal(mm_last_error(h), MM_ETOOBIG);
    assert_null(mm_alloc(h, SIZE_MAX - MM_PAGE_SIZE / 2u)); /* rounding would wrap */
    assert_int_equal(mm_last_error(h), MM_ETOOBIG);
    assert_null(mm_alloc(h, all + 1u));
    assert_int_equal(mm_last_error(h), MM_ETOOBIG);
    void *s = mm_alloc(h, 8);
    assert_non_null(s);
    assert_null(mm_alloc(h, all)); /* would fit an empty heap */
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    assert_int_equal(port_misuse_count(), 0);
    assert_heap_ok(h);
    assert_string_equal(mm_strerror(MM_EZERO), "size 0 requested");
    for (int e = MM_OK; e <= MM_ECORRUPT; e++) {
        assert_non_null(mm_strerror((mm_err)e));
        assert_string_not_equal(mm_strerror((mm_err)e), "unknown error");
    }
    mm_free(h, s);
    mm_free(h, NULL); /* no-op */
    assert_int_equal(port_misuse_count(), 0);
    assert_heap_ok(h);
}

/* ---- misuse ---- */

/* Frees p, expects one misuse naming what and err, and the heap byte for
 * byte as before (checked on a second, identical misuse so that the error
 * field already holds the same value). */
static void expect_free_misuse(mm_heap *h, void *p, const char *what, mm_err err)
{
    port_reset_misuse();
    mm_free(h, p);
    assert_int_equal(port_misuse_count(), 1);
    assert_non_null(strstr(port_last_misuse(), "mm_free: "));
    if (strstr(port_last_misuse(), what) == NULL) {
        print_error("got '%s', want '%s'\n", port_last_misuse(), what);
    }
    assert_non_null(strstr(port_last_misuse(), what));
    assert_int_equal(mm_last_error(h), err);
    memcpy(region_copy, region, sizeof region);
    mm_free(h, p);
    assert_int_equal(port_misuse_count(), 2);
    assert_memory_equal(region_copy, region, sizeof region);
    assert_heap_ok(h);
}

static void test_misuse_foreign_and_misaligned(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    int local = 0;
    void *small = mm_alloc(h, 24);
    char *large = mm_alloc(h, 3 * MM_PAGE_SIZE);
    expect_free_misuse(h, &local, "foreign pointer", MM_EFOREIGN);
    expect_free_misuse(h, region, "foreign pointer", MM_EFOREIGN); /* heap state */
    expect_free_misuse(h, region + sizeof region - 8u, "foreign pointer", MM_EFOREIGN);
    expect_free_misuse(h, (char *)small + 1, "misaligned pointer", MM_EALIGN);
    expect_free_misuse(h, large + 8, "misaligned pointer", MM_EALIGN);
    expect_free_misuse(h, large + MM_PAGE_SIZE, "pointer to no live block", MM_EFOREIGN);
    /* a page that was never handed out */
    expect_free_misuse(h, large + 4 * MM_PAGE_SIZE + 8, "pointer to no live block", MM_EFOREIGN);
    if (MM_CFG_DEBUG) { /* on an 8-aligned address inside a 24-byte block */
        expect_free_misuse(h, (char *)small + 8, "misaligned pointer", MM_EALIGN);
    }
    /* the message carries the pointer */
    char want[32];
    snprintf(want, sizeof want, "%p", (void *)&local);
    port_reset_misuse();
    mm_free(h, &local);
    if (strstr(port_last_misuse(), want) == NULL) {
        print_error("message '%s' lacks %s\n", port_last_misuse(), want);
        fail();
    }
    mm_free(h, small);
    mm_free(h, large);
    assert_heap_ok(h);
}

static void test_misuse_double_free(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    char *a = mm_alloc(h, 2 * MM_PAGE_SIZE);
    char *b = mm_alloc(h, 2 * MM_PAGE_SIZE);
    mm_free(h, a);
    expect_free_misuse(h, a, "double free", MM_EDOUBLE); /* large */
    mm_free(h, b);
    void *s = mm_alloc(h, 64);
    mm_free(h, s); /* its pool is empty (kept as the spare) */
    expect_free_misuse(h, s, "double free", MM_EDOUBLE);
    mm_trim(h);    /* now its page is free again */
    expect_free_misuse(h, s, "double free", MM_EDOUBLE);
    if (MM_CFG_DEBUG) { /* inside a live pool: found on its free list */
        char *keep = mm_alloc(h, 16);
        void *x = mm_alloc(h, 16);
        mm_free(h, x);
        expect_free_misuse(h, x, "double free", MM_EDOUBLE);
        /* a block past the carve mark (MM_CARVE_BATCH at a time) */
        expect_free_misuse(h, keep + 16 * (MM_CARVE_BATCH + 4), "pointer to no live block",
                           MM_EFOREIGN);
        mm_free(h, keep);
    }
    assert_heap_ok(h);
    mm_trim(h);
    assert_int_equal(stats(h).pages_free, stats(h).pages);
}

static void test_misuse_other_calls(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    int local = 0;
    port_reset_misuse();
    assert_int_equal(mm_usable_size(h, &local), 0);
    assert_int_equal(port_misuse_count(), 1);
    assert_non_null(strstr(port_last_misuse(), "mm_usable_size: foreign pointer"));
    assert_null(mm_realloc(h, &local, 10));
    assert_int_equal(port_misuse_count(), 2);
    assert_non_null(strstr(port_last_misuse(), "mm_realloc: foreign pointer"));
    assert_int_equal(mm_last_error(h), MM_EFOREIGN);
    void *owner = NULL;
    mm_set_owner(h, &local, &owner);
    assert_int_equal(port_misuse_count(), 3);
    assert_non_null(strstr(port_last_misuse(), "mm_set_owner: foreign pointer"));
    char *big = mm_alloc(h, 1000);
    mm_free(h, big);
    assert_null(mm_realloc(h, big, 2000));
    assert_non_null(strstr(port_last_misuse(), "mm_realloc: freed block"));
    assert_int_equal(mm_last_error(h), MM_EDOUBLE);
    assert_heap_ok(h);
}

static void test_misuse_fatal_mode(void **state)
{
    (void)state;
    /* the switch exists and is off by default for the tests; making it
     * fatal would abort this process, so only its state is exercised */
    port_set_misuse_fatal(true);
    port_set_misuse_fatal(false);
    mm_heap *h = fresh(REGION_SIZE);
    int local;
    mm_free(h, &local);
    assert_int_equal(port_misuse_count(), 1);
}

/* ---- realloc ---- */

static void fill(void *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        ((unsigned char *)p)[i] = (unsigned char)(seed + i * 7u);
    }
}

static bool same(const void *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        if (((const unsigned char *)p)[i] != (unsigned char)(seed + i * 7u)) {
            return false;
        }
    }
    return true;
}

static void test_realloc_contract(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    char *p = mm_realloc(h, NULL, 20);
    assert_non_null(p);
    fill(p, 20, 1);
    assert_ptr_equal(mm_realloc(h, p, 24), p); /* same class */
    char *q = mm_realloc(h, p, 100);           /* other class: moves */
    assert_non_null(q);
    assert_true(same(q, 20, 1));
    fill(q, 100, 2);
    char *r = mm_realloc(h, q, 3 * MM_PAGE_SIZE); /* small -> large */
    assert_true(same(r, 100, 2));
    fill(r, 3 * MM_PAGE_SIZE, 3);
    assert_ptr_equal(mm_realloc(h, r, 2 * MM_PAGE_SIZE), r); /* shrink in place */
    assert_int_equal(mm_usable_size(h, r), 2 * MM_PAGE_SIZE);
    assert_heap_ok(h);
    assert_ptr_equal(mm_realloc(h, r, 5 * MM_PAGE_SIZE), r); /* grow in place */
    assert_true(same(r, 2 * MM_PAGE_SIZE, 3));
    char *wall = NULL, *other[200]; /* take single pages up to the one after r */
    size_t nother = 0;
    while ((wall = mm_alloc(h, MM_PAGE_SIZE)) != r + 5 * MM_PAGE_SIZE) {
        assert_non_null(wall);
        other[nother++] = wall;
    }
    while (nother > 0) {
        mm_free(h, other[--nother]);
    }
    char *m = mm_realloc(h, r, 6 * MM_PAGE_SIZE);            /* must move */
    assert_non_null(m);
    assert_ptr_not_equal(m, r);
    assert_true(same(m, 2 * MM_PAGE_SIZE, 3));
    assert_null(mm_realloc(h, m, 0));
    assert_int_equal(mm_last_error(h), MM_EZERO);
    assert_true(same(m, 2 * MM_PAGE_SIZE, 3)); /* still ours */
    assert_null(mm_realloc(h, m, SIZE_MAX));
    assert_int_equal(mm_last_error(h), MM_ETOOBIG);
    assert_null(mm_realloc(h, m, stats(h).pages * MM_PAGE_SIZE));
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    assert_true(same(m, 2 * MM_PAGE_SIZE, 3));
    char *s = mm_realloc(h, m, 16); /* large -> small */
    assert_true(same(s, 16, 3));
    assert_int_equal(mm_usable_size(h, s), 16);
    mm_free(h, s);
    mm_free(h, wall);
    assert_int_equal(port_misuse_count(), 0);
    assert_heap_ok(h);
    mm_trim(h);
    assert_int_equal(stats(h).pages_free, stats(h).pages);
}

/* ---- relocation ---- */

static void test_compact_owners(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    char *hole1 = mm_alloc(h, 2 * MM_PAGE_SIZE);
    char *a = mm_alloc(h, 3 * MM_PAGE_SIZE);
    char *hole2 = mm_alloc(h, MM_PAGE_SIZE);
    char *pinned = mm_alloc(h, MM_PAGE_SIZE);
    char *hole3 = mm_alloc(h, MM_PAGE_SIZE);
    char *b = mm_alloc(h, 2 * MM_PAGE_SIZE);
    char *small = mm_alloc(h, 8); /* a pool: pinned */
    fill(a, 3 * MM_PAGE_SIZE, 4);
    fill(b, 2 * MM_PAGE_SIZE, 5);
    fill(pinned, MM_PAGE_SIZE, 6);
    void *own_a = a, *own_b = b;
    mm_set_owner(h, a, &own_a);
    mm_set_owner(h, b, &own_b);
    mm_set_owner(h, small, &own_b); /* small: accepted, ignored */
    mm_free(h, hole1);
    mm_free(h, hole2);
    mm_free(h, hole3);
    assert_heap_ok(h);
    size_t frag_before = mm_fragmentation(h);
    size_t largest = mm_compact(h);
    assert_heap_ok(h);
    assert_ptr_equal(own_a, hole1); /* slid down two pages */
    assert_true(same(own_a, 3 * MM_PAGE_SIZE, 4));
    assert_ptr_equal(own_b, hole3); /* into hole3 */
    assert_true(same(own_b, 2 * MM_PAGE_SIZE, 5));
    assert_true(same(pinned, MM_PAGE_SIZE, 6));
    assert_ptr_equal(mm_alloc(h, 8), (char *)small + 8); /* pool unmoved */
    assert_int_equal(largest, mm_largest_free(h));
    assert_true(mm_fragmentation(h) <= frag_before);
    /* pinning again: a stays where it is */
    mm_set_owner(h, own_a, NULL);
    mm_free(h, own_b);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* ---- diagnostics ---- */

static void test_stats_and_high_water(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    size_t hw0 = mm_high_water(h);
    void *p[100];
    for (int i = 0; i < 100; i++) {
        p[i] = mm_alloc(h, (size_t)(8 + i % 5 * 8));
    }
    void *big = mm_alloc(h, 2000);
    mm_stats s = stats(h);
    size_t used = 0;
    for (int i = 0; i < 100; i++) {
        used += mm_usable_size(h, p[i]);
    }
    assert_int_equal(s.used_bytes, used + mm_usable_size(h, big));
    assert_int_equal(s.pages_pool + s.pages_large + s.pages_free, s.pages);
    assert_int_equal(s.free_bytes, s.pages_free * MM_PAGE_SIZE);
    assert_true(s.high_water > hw0);
    assert_int_equal(s.high_water, mm_high_water(h));
    assert_int_equal(s.peak_bytes, (s.pages_pool + s.pages_large) * MM_PAGE_SIZE);
    size_t hw = s.high_water;
    for (int i = 0; i < 100; i++) {
        mm_free(h, p[i]);
    }
    mm_free(h, big);
    assert_int_equal(mm_high_water(h), hw); /* never decreases */
    assert_int_equal(stats(h).used_bytes, 0);
    assert_true(stats(h).frag_permille > 0); /* the spare pool splits the free pages */
    mm_trim(h);
    assert_int_equal(stats(h).frag_permille, 0);
    assert_heap_ok(h);
}

static void test_fragmentation_figure(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    size_t pages = stats(h).pages;
    void *p[200];
    size_t n = 0;
    while ((p[n] = mm_alloc(h, MM_PAGE_SIZE)) != NULL) {
        n++;
    }
    assert_int_equal(n, pages);
    for (size_t i = 0; i < n; i += 2) {
        mm_free(h, p[i]); /* every other page: free runs of one page */
    }
    size_t nfree = (n + 1) / 2;
    assert_int_equal(mm_largest_free(h), MM_PAGE_SIZE);
    assert_int_equal(mm_fragmentation(h), 1000u - 1000u / nfree);
    assert_heap_ok(h);
}

static void test_check_finds_corruption(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    mm_report r;
    uint32_t *a = mm_alloc(h, 16);
    uint32_t *b = mm_alloc(h, 16);
    mm_free(h, a);
    uint32_t saved = a[0];
    a[0] = 12345; /* write after free into the link word */
    assert_false(mm_check(h, &r));
    assert_int_equal(r.code, MM_ECORRUPT);
    assert_non_null(strstr(r.msg, "free list"));
    assert_ptr_equal(r.addr, a);
    a[0] = saved;
    assert_heap_ok(h);
    if (MM_CFG_DEBUG) {
        a[2] = 0; /* write after free past the link word */
        assert_false(mm_check(h, &r));
        assert_non_null(strstr(r.msg, "write after free"));
        a[2] = 0xDDDDDDDDu;
    }
    /* a descriptor with a wrong kind */
    mm_page *d = mm_desc(h, stats(h).pages - 1u);
    uint8_t kind = d->kind;
    d->kind = MM_K_LARGE;
    assert_false(mm_check(h, &r));
    assert_int_equal(r.code, MM_ECORRUPT);
    d->kind = kind;
    assert_heap_ok(h);
    mm_free(h, b);
    assert_heap_ok(h);
    assert_false(mm_check(NULL, &r));
}

static void test_dump_map(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    void *s = mm_alloc(h, 16);
    void *l = mm_alloc(h, 3 * MM_PAGE_SIZE);
    port_capture_begin();
    mm_dump_map(h);
    const char *out = port_capture_end();
    assert_non_null(strstr(out, "heap map:"));
    assert_non_null(strstr(out, ". free"));
    assert_non_null(strstr(out, "000000: 2L==."));
    assert_non_null(strstr(out, "2  16 B: 1 pools, 1 in use"));
    assert_int_equal(port_capture_dropped(), 0);
    mm_free(h, s);
    mm_free(h, l);
    assert_heap_ok(h);
}

static void test_debug_poison(void **state)
{
    (void)state;
    if (!MM_CFG_DEBUG) {
        skip();
    }
    mm_heap *h = fresh(REGION_SIZE);
    unsigned char *keep = mm_alloc(h, 48);
    unsigned char *p = mm_alloc(h, 48);
    for (size_t i = 0; i < 48; i++) {
        assert_int_equal(p[i], MM_POISON_FRESH);
    }
    memset(p, 0, 48);
    mm_free(h, p);
    for (size_t i = 4; i < 48; i++) {
        assert_int_equal(p[i], MM_POISON_FREE);
    }
    unsigned char *big = mm_alloc(h, 1000);
    assert_int_equal(big[999], MM_POISON_FRESH);
    mm_free(h, big);
    assert_int_equal(big[999], MM_POISON_FREE);
    mm_free(h, keep);
    assert_heap_ok(h);
}

/* ---- per-class spares (R4) ---- */

static mm_class_stats class_stats(const mm_heap *h, size_t c)
{
    mm_class_stats cs;
    assert_true(mm_get_class_stats(h, c, &cs));
    return cs;
}

/* Makes every class hold one empty pool, its spare. */
static void make_spares(mm_heap *h, void **first)
{
    for (size_t c = 0; c < mm_class_count(); c++) {
        first[c] = mm_alloc(h, mm_class_size(c));
        assert_non_null(first[c]);
        mm_free(h, first[c]);
    }
    assert_heap_ok(h);
}

/* Alternating classes never refills: each class keeps its last empty pool
 * and serves from it (the same block again, LIFO). */
static void test_class_spares_kept(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    const size_t nc = mm_class_count();
    void *first[MM_SMALL_MAX / 8];
    make_spares(h, first);
    mm_stats s0 = stats(h);
    size_t cached = 0;
    for (size_t c = 0; c < nc; c++) {
        cached += class_stats(h, c).pool_pages;
    }
    assert_int_equal(s0.pages_pool, cached);
    for (size_t round = 0; round < 100; round++) {
        for (size_t i = 0; i < nc; i++) {
            size_t c = (i * 7u + round) % nc;
            void *p = mm_alloc(h, mm_class_size(c));
            assert_ptr_equal(p, first[c]);
            assert_int_equal(class_stats(h, c).in_use, 1);
            mm_free(h, p);
        }
    }
    assert_heap_ok(h);
    mm_stats s1 = stats(h);
    assert_int_equal(s1.pages_pool, s0.pages_pool);
    assert_int_equal(s1.peak_bytes, s0.peak_bytes);
    for (size_t c = 0; c < nc; c++) {
        mm_class_stats cs = class_stats(h, c);
        assert_int_equal(cs.pools, 1);
        assert_int_equal(cs.pools_peak, 1);
        assert_int_equal(cs.in_use, 0);
        assert_int_equal(cs.free_blocks, cs.blocks_per_pool);
    }
    /* a double free into an empty spare is caught, whether the free that
     * emptied it took the fast path (spare already) or not */
    void *a = mm_alloc(h, 24), *b = mm_alloc(h, 24);
    assert_int_equal(class_stats(h, 2).in_use, 2);
    mm_free(h, a);
    mm_free(h, b);
    assert_int_equal(class_stats(h, 2).in_use, 0);
    expect_free_misuse(h, b, "double free", MM_EDOUBLE);
    assert_heap_ok(h);
    mm_trim(h); /* gives every spare back */
    assert_int_equal(stats(h).pages_free, stats(h).pages);
    for (size_t c = 0; c < nc; c++) {
        assert_int_equal(class_stats(h, c).pools, 0);
    }
    assert_heap_ok(h);
}

/* A refill or a large block that finds no free run long enough takes the
 * spares' pages back and retries. */
static void test_class_spares_on_demand(void **state)
{
    (void)state;
    mm_heap *h = fresh(REGION_SIZE);
    const size_t nc = mm_class_count(), last = nc - 1u;
    void *first[MM_SMALL_MAX / 8];
    make_spares(h, first);
    mm_class_stats cs = class_stats(h, last);
    void *full[MM_PAGE_SIZE * MM_POOL_MAX_PAGES / 8];
    for (size_t i = 0; i < cs.blocks_per_pool; i++) { /* fills its spare */
        full[i] = mm_alloc(h, cs.block_size);
        assert_non_null(full[i]);
    }
    assert_int_equal(class_stats(h, last).free_blocks, 0);
    void *big = mm_alloc(h, stats(h).pages_free * MM_PAGE_SIZE);
    assert_non_null(big);
    assert_int_equal(stats(h).pages_free, 0);
    assert_heap_ok(h);
    void *more = mm_alloc(h, cs.block_size); /* refill: spares go back */
    assert_non_null(more);
    assert_int_equal(class_stats(h, last).pools, 2);
    assert_int_equal(class_stats(h, 0).pools, 0);
    assert_int_equal(class_stats(h, 0).pools_peak, 1);
    assert_heap_ok(h);
    mm_free(h, more);
    for (size_t i = 0; i < cs.blocks_per_pool; i++) {
        mm_free(h, full[i]);
    }
    mm_free(h, big);
    assert_heap_ok(h);
    make_spares(h, first);
    assert_true(stats(h).pages_pool > 0);
    void *all = mm_alloc(h, stats(h).pages * MM_PAGE_SIZE); /* large: same */
    assert_non_null(all);
    assert_int_equal(stats(h).pages_pool, 0);
    mm_free(h, all);
    assert_int_equal(stats(h).pages_free, stats(h).pages);
    assert_heap_ok(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_sizes),
        cmocka_unit_test(test_small_classes),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_64k_holds_3900_blocks),
        cmocka_unit_test(test_pool_release_and_reuse),
        cmocka_unit_test(test_large_coalescing),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_misuse_foreign_and_misaligned),
        cmocka_unit_test(test_misuse_double_free),
        cmocka_unit_test(test_misuse_other_calls),
        cmocka_unit_test(test_misuse_fatal_mode),
        cmocka_unit_test(test_realloc_contract),
        cmocka_unit_test(test_compact_owners),
        cmocka_unit_test(test_stats_and_high_water),
        cmocka_unit_test(test_fragmentation_figure),
        cmocka_unit_test(test_check_finds_corruption),
        cmocka_unit_test(test_dump_map),
        cmocka_unit_test(test_debug_poison),
        cmocka_unit_test(test_class_spares_kept),
        cmocka_unit_test(test_class_spares_on_demand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
