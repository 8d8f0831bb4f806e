/*
 * test_heap_run.c - runs of small frees (mm__run in heap/heap_int.h), the
 * way the collector's sweep frees its garbage: the same frees through a
 * run and through mm_free one by one must leave two heaps alike, block
 * for block, whichever pools the blocks lie in (the current one, full
 * ones, partial ones, ones given back with their last block). Built in
 * release (runs at work) and with MM_CFG_DEBUG=1 (every block through
 * mm_free, all checks on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heap/heap_int.h"
#include "heap/mm_heap.h"
#include "heap_fixture.h"
#include "port_host.h"

#define REGION_SIZE 65536u
#define NBLK 600u
static _Alignas(8) unsigned char region_a[REGION_SIZE];
static _Alignas(8) unsigned char region_b[REGION_SIZE];

static mm_heap *fresh(unsigned char *region)
{
    return heap_fresh(region, REGION_SIZE);
}

/* Every figure of the two heaps' statistics, overall and per class. */
static void assert_alike(const mm_heap *a, const mm_heap *b)
{
    mm_stats sa, sb;
    mm_get_stats(a, &sa);
    mm_get_stats(b, &sb);
    assert_int_equal(sa.pages_free, sb.pages_free);
    assert_int_equal(sa.pages_pool, sb.pages_pool);
    assert_int_equal(sa.pages_large, sb.pages_large);
    assert_int_equal(sa.used_bytes, sb.used_bytes);
    assert_int_equal(sa.pool_free_bytes, sb.pool_free_bytes);
    assert_int_equal(sa.largest_free, sb.largest_free);
    for (size_t c = 0; c < mm_size_class_count(); c++) {
        mm_size_class_stats ca, cb;
        assert_true(mm_get_size_class_stats(a, c, &ca));
        assert_true(mm_get_size_class_stats(b, c, &cb));
        assert_int_equal(ca.in_use, cb.in_use);
        assert_int_equal(ca.free_blocks, cb.free_blocks);
        assert_int_equal(ca.pools, cb.pools);
    }
}

/* The i-th request: mostly 16 B and 8 B blocks (many pools of two
 * classes, as a list and its body), every 50th one large. */
static size_t size_of(uint32_t i)
{
    return i % 50u == 49u ? 3u * MM_CFG_PAGE_SIZE : i % 3u == 0u ? 8u : 16u;
}

/* Fills both heaps alike; frees the blocks `pick` selects, in order, from
 * heap a through two runs (by size, as the collector keeps one for
 * objects and one for list bodies) and from heap b by mm_free; then the
 * heaps must be alike, and again once every block left is freed. */
static void same_as_mm_free(bool (*pick)(uint32_t))
{
    static void *pa[NBLK], *pb[NBLK];
    mm_heap *a = fresh(region_a), *b = fresh(region_b);
    for (uint32_t i = 0; i < NBLK; i++) {
        pa[i] = mm_alloc(a, size_of(i));
        pb[i] = mm_alloc(b, size_of(i));
        assert_non_null(pa[i]);
        assert_non_null(pb[i]);
        assert_int_equal((char *)pa[i] - (char *)a, (char *)pb[i] - (char *)b);
    }
    mm__run small, other;
    mm__run_init(&small);
    mm__run_init(&other);
    for (uint32_t i = 0; i < NBLK; i++) {
        if (pick(i)) {
            mm__run_free(a, size_of(i) == 8u ? &small : &other, pa[i]);
            mm_free(b, pb[i]);
        }
    }
    mm__run_end(a, &small);
    mm__run_end(a, &other);
    assert_int_equal(small.page, MM_NIL);
    assert_heap_ok(a);
    assert_heap_ok(b);
    assert_alike(a, b);
    for (uint32_t i = 0; i < NBLK; i++) {
        if (!pick(i)) {
            mm_free(a, pa[i]);
            mm_free(b, pb[i]);
        }
    }
    assert_heap_ok(a);
    assert_alike(a, b);
    mm_stats s;
    mm_get_stats(a, &s);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(port_misuse_count(), 0);
}

static bool pick_all(uint32_t i)
{
    (void)i;
    return true;
}

/* half of each run of four, as a collector's garbage rings among live ones */
static bool pick_rings(uint32_t i)
{
    return (i / 4u) % 2u == 0u;
}

static bool pick_sparse(uint32_t i)
{
    return i % 7u == 3u || i > NBLK - 40u;
}

static void test_run_frees_all(void **state)
{
    (void)state;
    port_reset_misuse();
    same_as_mm_free(pick_all);
}

static void test_run_frees_rings(void **state)
{
    (void)state;
    port_reset_misuse();
    same_as_mm_free(pick_rings);
}

static void test_run_frees_sparse(void **state)
{
    (void)state;
    port_reset_misuse();
    same_as_mm_free(pick_sparse);
}

/* A run holding a block that is free already, in the current pool with
 * none in use: reported as a double free, and the heap stays whole. */
static void test_run_double_free(void **state)
{
    (void)state;
    port_reset_misuse();
    port_set_misuse_quiet(true);
    mm_heap *a = fresh(region_a);
    void *p = mm_alloc(a, 16);
    assert_non_null(p);
    mm_free(a, p);
    assert_int_equal(port_misuse_count(), 0);
    mm__run r;
    mm__run_init(&r);
    mm__run_free(a, &r, p);
    mm__run_end(a, &r);
    assert_int_equal(port_misuse_count(), 1);
    assert_non_null(strstr(port_last_misuse(), "double free"));
    assert_int_equal(mm_last_error(a), MM_EDOUBLE);
    assert_heap_ok(a);
    port_set_misuse_quiet(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_frees_all),
        cmocka_unit_test(test_run_frees_rings),
        cmocka_unit_test(test_run_frees_sparse),
        cmocka_unit_test(test_run_double_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
