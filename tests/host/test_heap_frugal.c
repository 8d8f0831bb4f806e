/*
 * test_heap_frugal.c - the frugal build (MM_CFG_FRUGAL=1, set by
 * tools/test.sh): every request up to MM_CFG_MID_MAX is a mid-size chunk,
 * no pool is ever opened, and the heap's one area stays when its last
 * block is freed until mm_trim. White-box: placement, the kept area,
 * misuse on a small chunk, realloc, and a random workload under mm_check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heap/heap_int.h"
#include "heap_fixture.h"
#include "port_host.h"

static_assert(MM_CFG_FRUGAL, "built with -DMM_CFG_FRUGAL=1 (tools/test.sh)");

#define REGION_SIZE (32u * 1024u)

static unsigned char region[REGION_SIZE] __attribute__((aligned(8)));

static mm_heap *fresh(void)
{
    return heap_fresh(region, sizeof region);
}

/* Chunk bytes of a request: header + size, rounded up to 8, MM_MID_MIN
 * at least. */
static size_t chunk(size_t size)
{
    size_t m = (size + MM_MID_HDR + 7u) & ~(size_t)7u;
    return m < MM_MID_MIN ? MM_MID_MIN : m;
}

/* Small requests are chunks packed one after another in an area, each
 * 8-aligned; no pool is opened. */
static void test_small_requests_are_chunks(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 1);
    char *b = mm_alloc(h, 40);
    char *c = mm_alloc(h, MM_CFG_SMALL_MAX);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(h->cmap[mm_page_of(h, a)], MM_C_MID);
    assert_ptr_equal(b, a + chunk(1));
    assert_ptr_equal(c, b + chunk(40));
    assert_int_equal((uintptr_t)b % 8u, 0);
    assert_int_equal(mm_usable_size(h, b), chunk(40) - MM_MID_HDR);
    mm_stats s = heap_stats(h);
    assert_int_equal(s.pages_pool, 0);
    assert_int_equal(s.mid_blocks, 3);
    assert_int_equal(s.pages_mid, s.pages); /* the one area holds every page */
    assert_heap_ok(h);
    mm_free(h, a);
    mm_free(h, b);
    mm_free(h, c);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* No size classes: the class queries say so, and the heap state keeps
 * one class's pool fields, not MM_CFG_SMALL_MAX / 8 classes' (808 bytes
 * on 32-bit targets, which the frugal heap's least arena does not pay). */
static void test_no_size_classes(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    assert_int_equal(mm_size_class_count(), 0);
    assert_int_equal(mm_size_class(1), SIZE_MAX);
    assert_int_equal(mm_size_class(MM_CFG_SMALL_MAX), SIZE_MAX);
    mm_size_class_stats cs = {.block_size = 77};
    assert_false(mm_get_size_class_stats(h, 0, &cs));
    assert_int_equal(cs.block_size, 77);
    assert_int_equal(sizeof h->cls, sizeof h->cls[0]);
    assert_int_equal(sizeof h->held, sizeof h->held[0]);
    assert_int_equal(sizeof h->per_pool, sizeof h->per_pool[0]);
    char *a = mm_alloc(h, 8); /* the one class's size: a chunk all the same */
    assert_non_null(a);
    assert_int_equal(h->cmap[mm_page_of(h, a)], MM_C_MID);
    assert_int_equal(heap_stats(h).pages_pool, 0);
    mm_free(h, a);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* The heap's one area takes every page at mm_init, and no alloc or free
 * takes or gives back a page (the costliest mid calls): an alloc-free
 * pair and a run of blocks leave the pages as they were. A large block
 * that finds no page takes the area's free tail; mm_trim gives back what
 * the area holds free, all of it once it holds no block. */
static void test_area_holds_every_page(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    mm_stats s = heap_stats(h);
    assert_int_equal(h->mid_areas, 1);
    assert_int_equal(s.pages_mid, s.pages);
    assert_int_equal(s.pages_free, 0);
    assert_int_equal(s.mid_blocks, 0);
    assert_heap_ok(h);
    char *a = mm_alloc(h, 24);
    assert_non_null(a);
    mm_free(h, a);
    assert_int_equal(heap_stats(h).pages_mid, s.pages);
    assert_ptr_equal(mm_alloc(h, 24), a); /* the same chunk again */
    char *many[64];
    for (size_t i = 0; i < 64; i++) {
        many[i] = mm_alloc(h, 100);
        assert_non_null(many[i]);
    }
    for (size_t i = 0; i < 64; i++) {
        mm_free(h, many[i]);
    }
    assert_int_equal(heap_stats(h).pages_mid, s.pages);
    assert_int_equal(h->mid_areas, 1);
    assert_heap_ok(h);
    /* a large block: the area gives back its free tail, the block takes
     * the start of it */
    void *wall = mm_alloc(h, MM_CFG_MID_MAX + 1u);
    assert_non_null(wall);
    assert_int_equal(h->cmap[mm_page_of(h, wall)], MM_C_LARGE);
    assert_true((char *)wall > a);
    assert_true(heap_stats(h).pages_mid < s.pages);
    assert_int_equal(h->mid_areas, 1);
    assert_heap_ok(h);
    mm_free(h, wall);
    mm_trim(h); /* a still lives: the area keeps the pages up to it */
    assert_int_equal(h->mid_areas, 1);
    assert_int_equal(heap_stats(h).pages_mid, 1);
    assert_heap_ok(h);
    mm_free(h, a);
    mm_trim(h);
    s = heap_stats(h);
    assert_int_equal(h->mid_areas, 0);
    assert_int_equal(s.pages_mid, 0);
    assert_int_equal(s.pages_free, s.pages);
    assert_heap_ok(h);
    mm_trim(h); /* nothing left to give: no change */
    assert_int_equal(heap_stats(h).pages_free, s.pages);
    /* after mm_trim, the next request takes every free page again */
    a = mm_alloc(h, 24);
    assert_non_null(a);
    assert_int_equal(heap_stats(h).pages_mid, s.pages);
    mm_free(h, a);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* An area left with no block stays beside another one (a free gives no
 * page back) until mm_trim, which gives it back whole: here the area
 * before a large block, empty, and the one a request past the block
 * opened. */
static void test_empty_area_stays_until_trim(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 24);
    void *wall = mm_alloc(h, MM_CFG_MID_MAX + 1u); /* right after the area's first page */
    assert_int_equal(h->cmap[mm_page_of(h, wall)], MM_C_LARGE);
    mm_free(h, a); /* its area holds no block now, and stays */
    assert_int_equal(h->mid_areas, 1);
    assert_int_equal(heap_stats(h).mid_blocks, 0);
    char *big = mm_alloc(h, MM_CFG_MID_MAX); /* more than it holds; the wall stops its growth */
    assert_non_null(big);
    assert_true(big > (char *)wall);
    assert_int_equal(h->mid_areas, 2);
    assert_heap_ok(h);
    mm_trim(h); /* the empty area goes, and the free tail of big's */
    assert_int_equal(h->mid_areas, 1);
    assert_heap_ok(h);
    mm_free(h, big);
    mm_free(h, wall);
    mm_trim(h);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* The heap's one area grows past 32 KiB (MM_MID_JOIN_BYTES): two blocks
 * on either side of its 32 KiB mark, freed, merge into one chunk, which a
 * request of their joint size takes with no new page. (Areas of 32 KiB
 * at most would put the two blocks in two areas that never merge.) */
static void test_area_spans_32k(void **state)
{
    (void)state;
    static unsigned char wide[96u * 1024u] __attribute__((aligned(8)));
    mm_heap *h = heap_fresh(wide, sizeof wide);
    enum { N = 48, SIZE = 1000 };
    char *blk[N];
    for (size_t i = 0; i < N; i++) { /* 48 chunks of 1008 bytes: 47 KiB */
        blk[i] = mm_alloc(h, SIZE);
        assert_non_null(blk[i]);
    }
    assert_int_equal(h->mid_areas, 1);
    const char *mark = blk[0] - MM_MID_HDR + 32768u; /* the area's first chunk */
    size_t i = 0;
    while (blk[i + 1] + SIZE <= mark) {
        i++;
    }
    assert_ptr_equal(blk[i + 1], blk[i] + chunk(SIZE));
    assert_true(blk[i] < mark && blk[i + 1] + SIZE > mark);
    mm_free(h, blk[i]);
    mm_free(h, blk[i + 1]);
    size_t pages = heap_stats(h).pages_mid;
    char *joint = mm_alloc(h, 2u * chunk(SIZE) - MM_MID_HDR);
    assert_ptr_equal(joint, blk[i]);
    assert_int_equal(heap_stats(h).pages_mid, pages);
    assert_heap_ok(h);
    blk[i] = joint;
    blk[i + 1] = NULL;
    for (size_t j = 0; j < N; j++) {
        mm_free(h, blk[j]); /* mm_free(NULL) does nothing */
    }
    mm_trim(h);
    assert_int_equal(heap_stats(h).pages_mid, 0);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* The frugal build's chunk header is one word (MM_MID_HDR): two 20-byte
 * blocks lie 24 bytes apart, each with 20 usable bytes (an 8-byte header
 * would put them 32 apart), and a 12-byte one takes MM_MID_MIN (16 bytes
 * on a 32-bit target). */
static void test_header_is_one_word(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    assert_int_equal(MM_MID_HDR, 4);
    char *a = mm_alloc(h, 20);
    char *b = mm_alloc(h, 20);
    char *c = mm_alloc(h, 12);
    char *d = mm_alloc(h, 8);
    assert_non_null(d);
    assert_int_equal(b - a, 24);
    assert_int_equal(mm_usable_size(h, a), 20);
    assert_int_equal(c - b, 24);
    assert_int_equal(d - c, MM_MID_MIN);
    assert_int_equal((uintptr_t)a % 8u, 0);
    assert_int_equal((uintptr_t)d % 8u, 0);
    mm_free(h, b); /* a free chunk between two live ones: links and footer fit */
    assert_heap_ok(h);
    mm_free(h, c);
    mm_free(h, a);
    mm_free(h, d);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* A small chunk's misuse is reported like a mid block's: a second free,
 * an interior pointer; nothing changes. */
static void test_small_chunk_misuse(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 16);
    char *b = mm_alloc(h, 16); /* keeps a's chunk from merging away */
    mm_free(h, a);
    port_reset_misuse();
    mm_free(h, a);
    assert_int_equal(port_misuse_count(), 1);
    assert_non_null(strstr(port_last_misuse(), "mm_free: double free"));
    mm_free(h, b + 8);
    assert_int_equal(port_misuse_count(), 2);
    assert_non_null(strstr(port_last_misuse(), "mm_free: pointer to no live block"));
    assert_heap_ok(h);
    assert_null(mm_alloc(h, 0));
    assert_int_equal(mm_last_error(h), MM_EZERO);
    mm_free(h, b);
    port_reset_misuse();
}

/* realloc of a small chunk grows in place into the free chunk after it,
 * shrinks in place, and keeps the bytes. */
static void test_small_realloc_in_place(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 20);
    memset(a, 0x5A, 20);
    char *a2 = mm_realloc(h, a, 200);
    assert_ptr_equal(a2, a);
    assert_int_equal(mm_usable_size(h, a), chunk(200) - MM_MID_HDR);
    char *a3 = mm_realloc(h, a, 8);
    assert_ptr_equal(a3, a);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal((unsigned char)a[i], 0x5A);
    }
    assert_heap_ok(h);
    mm_free(h, a);
    assert_int_equal(port_misuse_count(), 0);
}

/* A random mix of 1..MM_CFG_MID_MAX+512 byte requests at a small region,
 * with mm_check every 64 steps: it runs out of memory often and stays
 * consistent; all freed and trimmed, every page is free. */
static void test_random_small_region(void **state)
{
    (void)state;
    static unsigned char small[8u * 1024u] __attribute__((aligned(8)));
    mm_heap *h = heap_fresh(small, sizeof small);
    enum { SLOTS = 64 };
    char *p[SLOTS] = {0};
    size_t nomem = 0;
    uint32_t x = 2024u;
    for (int step = 0; step < 20000; step++) {
        x = x * 1664525u + 1013904223u;
        size_t i = (x >> 8) % SLOTS;
        if (p[i] != NULL) {
            mm_free(h, p[i]);
            p[i] = NULL;
        } else {
            size_t size = (x >> 20) % 4u == 0 ? 1u + (x >> 14) % (MM_CFG_MID_MAX + 512u)
                                               : 1u + (x >> 16) % 96u;
            p[i] = mm_alloc(h, size);
            if (p[i] == NULL) {
                nomem++;
                assert_int_equal(mm_last_error(h), MM_ENOMEM);
            } else {
                memset(p[i], (int)(i & 0xFFu), size);
            }
        }
        if (step % 64 == 0) {
            assert_heap_ok(h);
        }
    }
    assert_true(nomem > 0);
    for (size_t i = 0; i < SLOTS; i++) {
        mm_free(h, p[i]);
    }
    mm_trim(h);
    mm_stats s = heap_stats(h);
    assert_int_equal(s.pages_free, s.pages);
    assert_int_equal(s.pages_pool, 0);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_requests_are_chunks),
        cmocka_unit_test(test_header_is_one_word),
        cmocka_unit_test(test_no_size_classes),
        cmocka_unit_test(test_area_holds_every_page),
        cmocka_unit_test(test_empty_area_stays_until_trim),
        cmocka_unit_test(test_area_spans_32k),
        cmocka_unit_test(test_small_chunk_misuse),
        cmocka_unit_test(test_small_realloc_in_place),
        cmocka_unit_test(test_random_small_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
