/*
 * test_heap_random.c - the allocator against a shadow model.
 *
 * A fixed-seed LCG drives thousands of mixed operations (small and large
 * alloc, free, realloc, owner registration, compaction) on a small region so
 * that it runs out now and then. The shadow keeps every live block's size
 * and id; each block is filled with a pattern derived from its id. After
 * every operation mm_check() must pass and the touched blocks must hold
 * their pattern; every few operations (and after every compaction and
 * every mm_trim) all blocks are verified, and the statistics must equal
 * the shadow's sums. Out-of-memory paths reclaim empty pools on demand.
 *
 * A second test measures the region high-water against the peak of live
 * requested bytes for a random live set of 8..256-byte blocks, and the pool
 * pages left after mm_trim against the live bytes.
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

#define SLOTS 256

/* What a run exercised, so the test can insist that it did. */
static struct {
    int nomem, moved_by_compact, realloc_in_place, realloc_moved, frees;
    int trimmed; /* mm_trim calls that gave pool pages back */
} seen;

typedef struct {
    void *ptr;     /* registered as the owner slot when owned */
    size_t size;   /* requested bytes */
    uint32_t id;   /* pattern seed */
    bool owned;
} slot;

static uint32_t rng_state;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static unsigned char pattern(uint32_t id, size_t k)
{
    return (unsigned char)(id * 131u + k * 7u + (k >> 8));
}

static void fill(const slot *s)
{
    unsigned char *p = s->ptr;
    for (size_t k = 0; k < s->size; k++) {
        p[k] = pattern(s->id, k);
    }
}

static void verify(const slot *s)
{
    const unsigned char *p = s->ptr;
    for (size_t k = 0; k < s->size; k++) {
        if (p[k] != pattern(s->id, k)) {
            print_error("block id %u byte %zu of %zu changed\n", (unsigned)s->id,
                        k, s->size);
            fail();
        }
    }
}

static void check(const mm_heap *h)
{
    mm_report r;
    if (!mm_check(h, &r)) {
        print_error("mm_check: %s at %p\n", r.msg, r.addr);
        fail();
    }
    assert_int_equal(port_lock_depth(), 0);
    assert_int_equal(port_misuse_count(), 0);
}

/* Shadow sums must equal the allocator's statistics. */
static void verify_all(const mm_heap *h, const slot *s)
{
    size_t used = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (s[i].ptr != NULL) {
            verify(&s[i]);
            size_t u = mm_usable_size(h, s[i].ptr);
            assert_true(u >= s[i].size);
            used += u;
        }
    }
    mm_stats st;
    mm_get_stats(h, &st);
    assert_int_equal(st.used_bytes, used);
    assert_int_equal(st.pages_free + st.pages_pool + st.pages_large + st.pages_mid, st.pages);
    assert_true(st.largest_free <= st.free_bytes);
    assert_true(st.high_water <= st.region_size);
}

static size_t random_size(void)
{
    uint32_t r = rng() % 100u;
    if (r < 60) {
        return 1 + rng() % 256u;
    }
    if (r < 75) { /* mid-size, when configured (MM_CFG_MID_MAX) */
        return MM_CFG_SMALL_MAX + 1u + rng() % 1800u;
    }
    if (r < 95) { /* large: a page run, which mm_compact may move */
        return (MM_CFG_MID_MAX > MM_CFG_SMALL_MAX ? MM_CFG_MID_MAX : MM_CFG_SMALL_MAX) + 1u +
               rng() % 1500u;
    }
    return 1 + rng() % 12000u;
}

static void op_alloc(mm_heap *h, slot *s, uint32_t *next_id)
{
    size_t size = random_size();
    void *p = mm_alloc(h, size);
    if (p == NULL) {
        assert_int_equal(mm_last_error(h), MM_ENOMEM);
        seen.nomem++;
        return;
    }
    assert_int_equal((uintptr_t)p % 8u, 0);
    s->ptr = p;
    s->size = size;
    s->id = (*next_id)++;
    s->owned = false;
    fill(s);
}

static void op_realloc(mm_heap *h, slot *s)
{
    size_t size = random_size();
    void *q = mm_realloc(h, s->ptr, size);
    if (q == NULL) {
        assert_int_equal(mm_last_error(h), MM_ENOMEM);
        verify(s); /* old block untouched */
        return;
    }
    size_t keep = size < s->size ? size : s->size;
    bool moved = q != s->ptr;
    seen.realloc_moved += moved;
    seen.realloc_in_place += !moved;
    s->ptr = q;
    s->size = keep;
    verify(s);
    s->size = size;
    fill(s);
    if (moved) {
        s->owned = false; /* a moved block has no owner */
    }
}

static void op_owner(mm_heap *h, slot *s)
{
    bool own = (rng() & 1u) != 0;
    mm_set_owner(h, s->ptr, own ? &s->ptr : NULL);
    s->owned = own;
}

/* Compacts and counts owned blocks that moved (their slot was rewritten). */
static void compact(mm_heap *h, const slot *s)
{
    static void *before[SLOTS];
    for (int i = 0; i < SLOTS; i++) {
        before[i] = s[i].ptr;
    }
    size_t largest = mm_compact(h);
    assert_int_equal(largest, mm_largest_free(h));
    for (int i = 0; i < SLOTS; i++) {
        if (s[i].ptr != before[i]) {
            assert_true(s[i].owned);
            seen.moved_by_compact++;
        }
    }
}

static void run_random(uint32_t seed, size_t region_size, int ops, uint32_t nslots)
{
    memset(&seen, 0, sizeof seen);
    static _Alignas(8) unsigned char region[1u << 17];
    static slot s[SLOTS];
    assert_true(region_size <= sizeof region);
    memset(s, 0, sizeof s);
    rng_state = seed;
    port_reset_misuse();
    mm_heap *h = mm_init(region, region_size);
    assert_non_null(h);
    uint32_t next_id = 1;
    for (int n = 0; n < ops; n++) {
        slot *t = &s[rng() % nslots];
        uint32_t op = rng() % 100u;
        if (t->ptr == NULL) {
            op_alloc(h, t, &next_id);
        } else if (op < 45) {
            mm_free(h, t->ptr);
            t->ptr = NULL;
            seen.frees++;
        } else if (op < 75) {
            op_realloc(h, t);
        } else if (op < 95) {
            op_owner(h, t);
        } else {
            compact(h, s);
        }
        check(h);
        if (t->ptr != NULL) {
            verify(t);
        }
        if (op >= 95 || n % 32 == 0) {
            verify_all(h, s);
        }
        if (n % 64 == 63) { /* give back the all-free pools now and then */
            mm_stats before, after;
            mm_get_stats(h, &before);
            mm_trim(h);
            check(h);
            mm_get_stats(h, &after);
            assert_true(after.pages_pool <= before.pages_pool);
            assert_int_equal(after.used_bytes, before.used_bytes);
            seen.trimmed += after.pages_pool < before.pages_pool;
            verify_all(h, s);
        }
    }
    print_message("seed %u: %d frees, %d out-of-memory, %d realloc in place, "
                  "%d moved, %d blocks moved by compaction, %d trims gave pages\n",
                  (unsigned)seed, seen.frees, seen.nomem, seen.realloc_in_place,
                  seen.realloc_moved, seen.moved_by_compact, seen.trimmed);
    assert_true(seen.nomem > 0 && seen.realloc_in_place > 0 &&
                seen.realloc_moved > 0 && seen.trimmed > 0);
    /* mm_compact moves an owned large block only into a free run before
     * it: in 32-64 KiB regions, where pools and mid areas take most of
     * the pages, a run may see none; the 128 KiB run must. */
    if (region_size >= (1u << 17)) {
        assert_true(seen.moved_by_compact > 0);
    }
    for (int i = 0; i < SLOTS; i++) {
        mm_free(h, s[i].ptr);
    }
    check(h);
    mm_trim(h);
    check(h);
    mm_stats st;
    mm_get_stats(h, &st);
    assert_int_equal(st.pages_free, st.pages);
}

static void test_random_small_region(void **state)
{
    (void)state;
    run_random(12345u, 32768u, 6000, 64);
}

static void test_random_larger_region(void **state)
{
    (void)state;
    run_random(777u, 1u << 17, 6000, SLOTS);
}

static void test_random_unaligned_region(void **state)
{
    (void)state;
    run_random(4242u, 65536u - 5u, 4000, 160);
}

/* High-water vs peak live bytes for a random live set of 8..256-byte
 * blocks (sizes uniform): first built up with no frees (the bench's "random
 * live set"), then churned (random frees and allocs around the same size).
 * Besides the high-water ratio it holds the pool pages after mm_trim to
 * after_percent of the live bytes then, and checks that mm_trim gives back
 * pages only, never a live block. */
static void high_water_case(size_t target, bool churn, size_t limit_percent,
                            size_t after_percent)
{
    static _Alignas(8) unsigned char region[1u << 20];
    static void *live[8192];
    static size_t size[8192];
    rng_state = 99u + (uint32_t)target;
    mm_heap *h = mm_init(region, sizeof region);
    assert_non_null(h);
    size_t n = 0, bytes = 0, peak = 0;
    for (int op = 0; op < (churn ? 40000 : 8192); op++) {
        bool grow = bytes < target && (!churn || rng() % 100u < 70);
        if (churn && bytes >= target) {
            grow = rng() % 100u < 45;
        }
        if (!grow && n == 0) {
            grow = true;
        }
        if (!churn && !grow) {
            break;
        }
        if (!grow) {
            size_t i = rng() % n;
            mm_free(h, live[i]);
            bytes -= size[i];
            live[i] = live[--n];
            size[i] = size[n];
            continue;
        }
        size[n] = 8 + rng() % 249u;
        live[n] = mm_alloc(h, size[n]);
        assert_non_null(live[n]);
        bytes += size[n++];
        peak = bytes > peak ? bytes : peak;
    }
    size_t hw = mm_high_water(h);
    check(h);
    mm_stats before, after;
    mm_get_stats(h, &before);
    mm_trim(h);
    check(h);
    mm_get_stats(h, &after);
    print_message("%s live set ~%zu B: peak live %zu B, high-water %zu B, "
                  "ratio %.3f; now live %zu B in %zu pool pages (%.3f), after "
                  "mm_trim %zu (%.3f) (page %u B)\n", churn ? "churned" : "built",
                  target, peak, hw, (double)hw / (double)peak, bytes,
                  before.pages_pool, (double)(before.pages_pool * MM_CFG_PAGE_SIZE) / (double)bytes,
                  after.pages_pool, (double)(after.pages_pool * MM_CFG_PAGE_SIZE) / (double)bytes,
                  (unsigned)MM_CFG_PAGE_SIZE);
    assert_true(hw * 100u <= peak * limit_percent);
    /* mm_trim never gives back a pool with a live block, nor live bytes */
    assert_int_equal(after.used_bytes, before.used_bytes);
    assert_true(after.pages_pool <= before.pages_pool);
    assert_int_equal(mm_high_water(h), hw);
    assert_true(after.pages_pool * MM_CFG_PAGE_SIZE * 100u <= bytes * after_percent);
    if (churn) { /* pools go back as they empty: trim finds no more than
                  * the idle current pools, one per class */
        assert_true(before.pages_pool - after.pages_pool <= mm_size_class_count());
    }
    for (size_t i = 0; i < n; i++) {
        mm_free(h, live[i]);
    }
    mm_trim(h);
    check(h);
    mm_get_stats(h, &after);
    assert_int_equal(after.pages_free, after.pages);
}

/* Limits: regression guards a few percent above the figures measured when
 * they were set (the larger of -m64 and -m32). The high-water counts the
 * metadata of every page ever held: 9 bytes a page at -m32 (mark,
 * descriptor), 17 at -m64, so -m64 gets 2 points more on the built 256 KiB
 * set (1.224 at -m32, 1.245 at -m64); the heap state
 * also holds the mid-size index (12 rows of 4 list heads: 192 B at -m32,
 * 384 B at -m64), which the 16 KiB set feels most:
 *   built 256 KiB 1.224 / 1.245, 16 KiB 1.723 / 1.778, 48 KiB 1.336 /
 *   1.366 (-m32 / -m64): smaller sets
 *   pay for one partly filled pool per class (32 classes x about half a
 *   pool);
 *   churned 48 KiB 1.703 / 1.738, 256 KiB 1.328 / 1.350: a pool goes back
 *   with its last block, but random frees leave pools partly full, and
 *   while half the heap is free (always here: 1 MiB) a class's window
 *   keeps up to MM_WINDOW_BLOCKS blocks' worth of pools, whose all-free
 *   pools go back only with the window or at mm_trim.
 * Pool pages over live bytes after mm_trim: built 256 KiB 1.199, 16 KiB
 * 1.621, 48 KiB 1.289 (what a packed live set needs); churned 48 KiB 1.575,
 * 256 KiB 1.293: mm_trim gives back the idle windows and splits the
 * others back onto their pools, giving back the all-free ones (every
 * other all-free pool went back at its last free). */
static void test_high_water_ratio(void **state)
{
    (void)state;
    if (MM_CFG_POOL_MAX_PAGES != 1 || MM_CFG_PAGE_SIZE != 512) {
        /* the limits below were measured for the default geometry */
        skip();
    }
    high_water_case(262144, false, sizeof(void *) == 4 ? 125 : 128, 124);
    high_water_case(16384, false, sizeof(void *) == 4 ? 180 : 182, 167);
    high_water_case(49152, false, 140, 133);
    high_water_case(49152, true, 180, 161);
    high_water_case(262144, true, 140, 134);
}

int main(void)
{
    port_set_misuse_fatal(true); /* no misuse is expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_small_region),
        cmocka_unit_test(test_random_larger_region),
        cmocka_unit_test(test_random_unaligned_region),
        cmocka_unit_test(test_high_water_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
