/*
 * test_heap_mid.c - the mid-size blocks (heap/mid.c): requests above the
 * pools' largest class and up to MM_CFG_MID_MAX bytes, cut from page-run
 * areas with an 8-byte header. White-box: exact placement, splitting,
 * merging with both neighbours, areas given back, realloc in place, the
 * statistics, and mm_check finding a broken header.
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

#define REGION_SIZE (64u * 1024u)

static unsigned char region[REGION_SIZE] __attribute__((aligned(8)));

static mm_heap *fresh(void)
{
    return heap_fresh(region, sizeof region);
}

/* Chunk bytes of a request: header + size, rounded up to 8. */
static size_t chunk(size_t size)
{
    return (size + MM_MID_HDR + 7u) & ~(size_t)7u;
}

static size_t area_bytes(void)
{
    return (size_t)MM_MID_AREA_PAGES * MM_CFG_PAGE_SIZE;
}

/* Requests above the pools and up to MM_CFG_MID_MAX are mid blocks,
 * packed one after another in one area, each 8-aligned with its usable
 * size the request rounded up to 8. */
static void test_mid_packs_blocks(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, MM_CFG_SMALL_MAX + 1u);
    char *b = mm_alloc(h, 300);
    char *c = mm_alloc(h, 301);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(h->cmap[mm_page_of(h, a)], MM_C_MID);
    assert_int_equal(((uintptr_t)a - (uintptr_t)h) % MM_CFG_PAGE_SIZE, MM_MID_HDR);
    assert_ptr_equal(b, a + chunk(MM_CFG_SMALL_MAX + 1u));
    assert_ptr_equal(c, b + chunk(300));
    assert_int_equal(mm_usable_size(h, a), chunk(MM_CFG_SMALL_MAX + 1u) - MM_MID_HDR);
    assert_int_equal(mm_usable_size(h, b), 304);
    assert_int_equal(mm_usable_size(h, c), 304);
    assert_int_equal((uintptr_t)c % 8u, 0);
    mm_stats s = heap_stats(h);
    assert_int_equal(s.pages_mid, MM_MID_AREA_PAGES);
    assert_int_equal(s.mid_blocks, 3);
    assert_int_equal(s.used_bytes, mm_usable_size(h, a) + 304u + 304u);
    assert_int_equal(s.pages_large, 0);
    assert_heap_ok(h);
    /* the largest mid size is a mid block; one byte more is a large one */
    char *m = mm_alloc(h, MM_CFG_MID_MAX);
    char *l = mm_alloc(h, MM_CFG_MID_MAX + 1u);
    assert_int_equal(h->cmap[mm_page_of(h, m)], MM_C_MID);
    assert_int_equal(h->cmap[mm_page_of(h, l)], MM_C_LARGE);
    assert_heap_ok(h);
    mm_free(h, l);
    mm_free(h, m);
    mm_free(h, a);
    mm_free(h, c);
    mm_free(h, b);
    assert_int_equal(heap_stats(h).pages_mid, 0);
    assert_int_equal(heap_stats(h).mid_blocks, 0);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* A freed chunk merges with a free neighbour on either side; a freed
 * hole is reused by a request it fits (split, the rest stays free); the
 * area goes back to the pages with its last block. */
static void test_mid_merge_and_reuse(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *p[6];
    for (int i = 0; i < 6; i++) {
        p[i] = mm_alloc(h, 296); /* chunks of 304 */
        assert_non_null(p[i]);
    }
    assert_heap_ok(h);
    mm_free(h, p[1]);
    mm_free(h, p[3]);
    assert_heap_ok(h);
    mm_free(h, p[2]); /* merges both sides: one hole of 3 chunks */
    assert_heap_ok(h);
    char *q = mm_alloc(h, 3u * 304u - MM_MID_HDR); /* exactly the hole */
    assert_ptr_equal(q, p[1]);
    assert_heap_ok(h);
    mm_free(h, q);
    char *r = mm_alloc(h, 100u + MM_CFG_SMALL_MAX); /* the hole's start, split */
    assert_ptr_equal(r, p[1]);
    char *t = mm_alloc(h, 296);                   /* then its rest */
    assert_ptr_equal(t, r + chunk(100u + MM_CFG_SMALL_MAX));
    assert_heap_ok(h);
    mm_free(h, r);
    mm_free(h, t);
    for (int i = 0; i < 6; i++) {
        if (i < 1 || i > 3) {
            mm_free(h, p[i]);
        }
    }
    assert_int_equal(heap_stats(h).pages_mid, 0);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* Filling the area at the wilderness's start grows it by the pages the
 * next request lacks, MM_MID_AREA_PAGES at least; past a large block it
 * cannot grow, and a
 * request opens a new area (MM_MID_AREA_PAGES, or its own length if
 * longer). An area's tail pages go back as its last chunks are freed. */
static void test_mid_areas(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    size_t per = (area_bytes() - MM_MID_HDR) / chunk(504);
    char *first = mm_alloc(h, 504);
    for (size_t i = 1; i < per; i++) {
        assert_non_null(mm_alloc(h, 504));
    }
    assert_int_equal(heap_stats(h).pages_mid, MM_MID_AREA_PAGES);
    size_t left = area_bytes() - MM_MID_HDR - per * chunk(504); /* its free tail */
    size_t grow = (chunk(504) - left + MM_CFG_PAGE_SIZE - 1u) / MM_CFG_PAGE_SIZE;
    grow = grow < MM_MID_AREA_PAGES ? MM_MID_AREA_PAGES : grow; /* a step at least */
    char *next = mm_alloc(h, 504);
    assert_non_null(next);
    assert_int_equal(heap_stats(h).pages_mid, MM_MID_AREA_PAGES + grow);
    size_t a = mm_page_of(h, first); /* the area's first page: one area */
    assert_int_equal(h->desc[a].len, MM_MID_AREA_PAGES + grow);
    assert_true(mm_page_of(h, next) < a + MM_MID_AREA_PAGES + grow);
    assert_int_equal(h->desc[a + MM_MID_AREA_PAGES + grow - 1u].head, a); /* its last page */
    void *wall = mm_alloc(h, MM_CFG_MID_MAX + 1u);
    assert_int_equal(h->cmap[mm_page_of(h, wall)], MM_C_LARGE);
    char *big = mm_alloc(h, MM_CFG_MID_MAX);
    assert_non_null(big);
    size_t big_pages = (MM_CFG_MID_MAX + 2u * MM_MID_HDR + MM_CFG_PAGE_SIZE - 1u) /
                       MM_CFG_PAGE_SIZE;
    size_t want = big_pages > MM_MID_AREA_PAGES ? big_pages : MM_MID_AREA_PAGES;
    assert_int_equal(heap_stats(h).pages_mid, MM_MID_AREA_PAGES + grow + want);
    assert_true(mm_page_of(h, big) > mm_page_of(h, wall)); /* another area, past the wall */
    assert_heap_ok(h);
    mm_free(h, next); /* the pages it grew by go back */
    assert_int_equal(heap_stats(h).pages_mid, MM_MID_AREA_PAGES + want);
    assert_heap_ok(h);
    mm_trim(h);
    assert_heap_ok(h);
    assert_int_equal(heap_stats(h).mid_blocks, per + 1u);
}

/* realloc: shrinks in place (the tail goes back), grows in place into a
 * free chunk after it, moves when the neighbour is in use; the bytes
 * survive. */
static void test_mid_realloc(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 1000);
    char *b = mm_alloc(h, 400);
    memset(a, 0xA1, 1000);
    char *a2 = mm_realloc(h, a, 600); /* shrink: the tail becomes free */
    assert_ptr_equal(a2, a);
    assert_int_equal(mm_usable_size(h, a), 600);
    assert_heap_ok(h);
    char *a3 = mm_realloc(h, a, 1000); /* grows back into its old tail */
    assert_ptr_equal(a3, a);
    assert_int_equal(mm_usable_size(h, a), 1000);
    assert_heap_ok(h);
    char *a4 = mm_realloc(h, a, 1200); /* b is in the way: moves */
    assert_non_null(a4);
    assert_ptr_not_equal(a4, a);
    for (size_t i = 0; i < 600; i++) {
        assert_int_equal((unsigned char)a4[i], 0xA1);
    }
    assert_heap_ok(h);
    char *a5 = mm_realloc(h, a4, 100); /* a small size stays where it is */
    assert_ptr_equal(a5, a4);
    assert_int_equal((unsigned char)a5[99], 0xA1);
    assert_heap_ok(h);
    char *a6 = mm_realloc(h, a5, MM_CFG_MID_MAX + 1000u); /* a large block now */
    assert_int_equal(h->cmap[mm_page_of(h, a6)], MM_C_LARGE);
    assert_int_equal((unsigned char)a6[99], 0xA1);
    mm_free(h, a6);
    mm_free(h, b);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* Misuse of a mid block is reported and changes nothing. */
static void test_mid_misuse(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 400);
    char *b = mm_alloc(h, 400);
    char *c = mm_alloc(h, 400);
    mm_free(h, b);
    mm_free(h, b);
    assert_non_null(strstr(port_last_misuse(), "mm_free: double free"));
    assert_int_equal(mm_last_error(h), MM_EDOUBLE);
    mm_free(h, a + 24);
    assert_non_null(strstr(port_last_misuse(), "mm_free: pointer to no live block"));
    assert_int_equal(mm_usable_size(h, c + 8), 0);
    assert_non_null(strstr(port_last_misuse(), "mm_usable_size: pointer to no live block"));
    assert_null(mm_realloc(h, b, 100));
    assert_non_null(strstr(port_last_misuse(), "mm_realloc: freed block"));
    assert_int_equal(port_misuse_count(), 4);
    assert_heap_ok(h);
    mm_free(h, c); /* merged into b's free chunk before it */
    mm_free(h, c);
    assert_non_null(strstr(port_last_misuse(), "mm_free: double free"));
    mm_free(h, a); /* the area's last block: its pages go back */
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    mm_free(h, a);
    assert_non_null(strstr(port_last_misuse(), "mm_free: double free"));
    assert_int_equal(port_misuse_count(), 6);
    assert_heap_ok(h);
}

/* mm_check finds a broken header, a broken footer and a broken list. */
static void test_mid_check_finds_corruption(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 400);
    char *b = mm_alloc(h, 400);
    char *c = mm_alloc(h, 400);
    mm_free(h, b);
    assert_heap_ok(h);
    mm_report r;
    uint32_t *hdr = (uint32_t *)(void *)(a - MM_MID_HDR);
    uint32_t save = hdr[0];
    hdr[0] += 8u; /* a size that runs into the next chunk */
    assert_false(mm_check(h, &r));
    assert_int_equal(r.code, MM_ECORRUPT);
    hdr[0] = save;
    assert_heap_ok(h);
    uint32_t *foot = (uint32_t *)(void *)(b - MM_MID_HDR + chunk(400) - 4u);
    save = *foot;
    *foot = 0;
    assert_false(mm_check(h, &r));
    assert_non_null(strstr(r.msg, "footer"));
    *foot = save;
    hdr = (uint32_t *)(void *)(c - MM_MID_HDR);
    save = hdr[1];
    hdr[1] ^= 1u; /* a check word overwritten (an underrun of b) */
    assert_false(mm_check(h, &r));
    assert_non_null(strstr(r.msg, "check word"));
    hdr[1] = save;
    assert_heap_ok(h);
    /* the area's last page must name its first */
    size_t first = mm_page_of(h, a), last = first + h->desc[first].len - 1u;
    h->desc[last].head = (uint16_t)(first + 1u);
    assert_false(mm_check(h, &r));
    assert_non_null(strstr(r.msg, "names another first"));
    h->desc[last].head = (uint16_t)first;
    assert_heap_ok(h);
    mm_free(h, a);
    mm_free(h, c);
    assert_heap_ok(h);
}

/* A free run right after an area (not the wilderness) joins it when a
 * request needs new pages: one space, so that a later request fits across
 * the old boundary; the joined pages go back when their blocks are freed. */
static void test_mid_area_joins_run(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    char *a = mm_alloc(h, 1000);
    size_t first = mm_page_of(h, a), len = h->desc[first].len;
    void *run = mm_alloc(h, MM_CFG_MID_MAX + 1u); /* a large block */
    size_t run_pages = h->desc[mm_page_of(h, run)].len;
    void *wall = mm_alloc(h, MM_CFG_MID_MAX + 1u);
    assert_int_equal(mm_page_of(h, run), first + len); /* right after the area */
    assert_int_equal(h->cmap[mm_page_of(h, wall)], MM_C_LARGE);
    mm_free(h, run); /* a free run between the area and the wall */
    assert_int_equal(h->cmap[first + len], MM_C_FREE);
    /* more than the area's free tail; an area of its own would need all
     * of the run's pages */
    assert_int_equal((MM_CFG_MID_MAX + 2u * MM_MID_HDR + MM_CFG_PAGE_SIZE - 1u) /
                         MM_CFG_PAGE_SIZE, run_pages);
    char *b = mm_alloc(h, MM_CFG_MID_MAX);
    assert_non_null(b);
    assert_int_equal(h->desc[first].len, len + run_pages); /* joined */
    assert_true(b < a + len * MM_CFG_PAGE_SIZE); /* it starts in the old pages */
    assert_int_equal(heap_stats(h).pages_mid, len + run_pages);
    assert_heap_ok(h);
    mm_free(h, b); /* the joined pages go back (and any whole page after a) */
    size_t now = h->desc[first].len;
    assert_true(now <= len && now * MM_CFG_PAGE_SIZE >= chunk(1000) + MM_MID_HDR);
    assert_int_equal(h->cmap[first + now], MM_C_FREE);
    assert_int_equal(h->desc[first + now].len, len - now + run_pages);
    assert_heap_ok(h);
    mm_free(h, a);
    mm_free(h, wall);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
}

/* With every page held, a mid request gives back an idle pool and fits. */
static void test_mid_takes_idle_pool(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    void *blocks[4096];
    size_t n = 0;
    while (n < 4096 && (blocks[n] = mm_alloc(h, 64)) != NULL) {
        n++;
    }
    assert_true(n > 100);
    for (size_t i = 0; i < n; i++) {
        mm_free(h, blocks[i]); /* pools that are not current go back */
    }
    mm_free(h, mm_alloc(h, 64)); /* a current pool, idle, kept by its class */
    assert_int_equal(heap_stats(h).pages_pool, 1u);
    void *big[64];
    size_t m = 0;
    while (m < 64 && (big[m] = mm_alloc(h, 1800)) != NULL) {
        m++;
    }
    assert_int_equal(heap_stats(h).pages_pool, 0);
    assert_heap_ok(h);
    for (size_t i = 0; i < m; i++) {
        mm_free(h, big[i]);
    }
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
}

/* Fills h with 1800-byte mid blocks (an area each, with a free chunk left
 * over) until `until` says stop; returns how many. */
static size_t fill_areas(mm_heap *h, void **big, size_t max, bool (*until)(const mm_heap *))
{
    size_t m = 0;
    while (m < max && !until(h) && (big[m] = mm_alloc(h, 1800)) != NULL) {
        m++;
    }
    return m;
}

static bool scarce(const mm_heap *h)
{
    return mm_pages_free(h) * 100u < (h->npages - h->meta) * MM_SPILL_PCT;
}

/* The first class whose pool holds at most `blocks` blocks. */
static size_t class_of_at_most(const mm_heap *h, uint32_t blocks)
{
    size_t c = 0;
    while (h->per_pool[c] > blocks) {
        c++;
    }
    return c;
}

/* Fills h with large blocks until `until` says stop (no mid area, so no
 * free chunk is listed); returns how many. */
static size_t fill_large(mm_heap *h, void **big, size_t max, bool (*until)(const mm_heap *))
{
    size_t m = 0;
    while (m < max && !until(h) && (big[m] = mm_alloc(h, MM_CFG_MID_MAX + 8u)) != NULL) {
        m++;
    }
    return m;
}

static bool never(const mm_heap *h)
{
    (void)h;
    return false;
}

/* Every page taken: areas of 1800-byte blocks, then 400-byte ones for the
 * last pages (into big, at most max). Returns how many. */
static size_t fill_pages(mm_heap *h, void **big, size_t max)
{
    size_t m = fill_areas(h, big, max, never);
    while (m < max && (big[m] = mm_alloc(h, 400)) != NULL) {
        m++;
    }
    assert_int_equal(mm_pages_free(h), 0);
    return m;
}

/* A heap left with no page and no free chunk of 24 bytes or more
 * (two_blocks_then_full): held[0..3] are two blocks, each followed by a
 * 300-byte block in use (so that neither merges when freed); big and
 * small the blocks that took the rest. */
typedef struct {
    char *held[4];
    void *big[64];
    size_t m;
    void *small[1024];
    size_t n;
} full_heap;

static void two_blocks_then_full(mm_heap *h, size_t first, size_t second, full_heap *f)
{
    f->held[0] = mm_alloc(h, first);
    f->held[1] = mm_alloc(h, 300);
    f->held[2] = mm_alloc(h, second);
    f->held[3] = mm_alloc(h, 300);
    for (int i = 0; i < 4; i++) {
        assert_non_null(f->held[i]);
    }
    f->m = fill_pages(h, f->big, 64);
    f->n = 0;
    while (f->n < 1024 && (f->small[f->n] = mm_alloc(h, 16)) != NULL) { /* every free chunk */
        f->n++;
    }
    assert_true(f->n < 1024);
}

/* Frees what f holds (a held[i] of NULL: freed already), and checks the
 * heap is empty and sound. */
static void free_all(mm_heap *h, full_heap *f)
{
    for (size_t i = 0; i < f->n; i++) {
        mm_free(h, f->small[i]);
    }
    for (size_t i = 0; i < f->m; i++) {
        mm_free(h, f->big[i]);
    }
    for (int i = 0; i < 4; i++) {
        mm_free(h, f->held[i]);
    }
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
    assert_int_equal(port_misuse_count(), 0);
}

/* Under page pressure a class whose pool would hold few blocks takes a mid
 * chunk instead of a new pool; a class of many blocks per pool still
 * opens one. Both are freed by mm_free and by the object layer's sized
 * free, which does not read the page's mark first. */
static void test_mid_serves_small_under_pressure(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    size_t sparse = class_of_at_most(h, MM_SPILL_BLOCKS);
    size_t size = mm_class_size(sparse), dense = mm_class_size(sparse - 1u);
    assert_int_equal(h->per_pool[sparse - 1u] > MM_SPILL_BLOCKS, true);

    void *p = mm_alloc(h, size); /* pages plentiful: a pool */
    assert_int_equal(h->cmap[mm_page_of(h, p)], sparse);
    mm_free(h, p);
    mm_trim(h);

    void *big[64];
    size_t m = fill_areas(h, big, 64, scarce);
    assert_true(scarce(h) && mm_pages_free(h) > 0);
    size_t mids = heap_stats(h).mid_blocks, pools = heap_stats(h).pages_pool;
    void *a = mm_alloc(h, size);
    void *b = mm_alloc(h, size - 5u);
    void *d = mm_alloc(h, dense);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(d);
    assert_int_equal(h->cmap[mm_page_of(h, a)], MM_C_MID);
    assert_int_equal(h->cmap[mm_page_of(h, b)], MM_C_MID);
    assert_int_equal(h->cmap[mm_page_of(h, d)], sparse - 1u); /* many per pool */
    assert_int_equal(heap_stats(h).mid_blocks, mids + 2u);
    assert_int_equal(heap_stats(h).pages_pool, pools + 1u);
    assert_true(mm_usable_size(h, a) >= size && mm_usable_size(h, b) >= size - 5u);
    assert_int_equal((uintptr_t)a % 8u, 0);
    memset(a, 0xA1, size);
    memset(b, 0xB2, size - 5u);
    assert_heap_ok(h);
    mm_free(h, a);
    mm__free_small_sized(h, b, size - 5u);
    mm_free(h, d);
    assert_int_equal(heap_stats(h).mid_blocks, mids);
    assert_int_equal(port_misuse_count(), 0);
    assert_heap_ok(h);
    for (size_t i = 0; i < m; i++) {
        mm_free(h, big[i]);
    }
    mm_trim(h);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
}

/* With no page left and no block to borrow, a small request of any class
 * takes a free mid chunk rather than fail; with none, it fails cleanly. */
static void test_small_takes_free_chunk_last(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    void *big[64];
    size_t m = fill_pages(h, big, 64);
    assert_true(m > 4);
    mm_free(h, big[1]); /* a free chunk between two blocks in use */
    big[1] = NULL;
    assert_int_equal(mm_pages_free(h), 0);
    static void *s[1024];
    size_t n = 0;
    while (n < 1024 && (s[n] = mm_alloc(h, 16)) != NULL) {
        assert_int_equal(h->cmap[mm_page_of(h, s[n])], MM_C_MID);
        n++;
    }
    size_t each = chunk(16) > MM_MID_MIN ? chunk(16) : MM_MID_MIN;
    assert_true(n >= chunk(1800) / each && n < 1024); /* big[1]'s chunk holds them */
    assert_null(mm_alloc(h, 16));
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    assert_heap_ok(h);
    for (size_t i = 0; i < n; i++) {
        mm_free(h, s[i]);
    }
    for (size_t i = 0; i < m; i++) {
        mm_free(h, big[i]);
    }
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
}

/* A request that finds no chunk by its list's first nor in a list above,
 * and no page, looks further along its own list (MM_MID_SCAN chunks)
 * before it fails: two free chunks of 3600 and 3720 bytes share a list,
 * the smaller first, and a request for 3712 gets the second. */
static void test_mid_scans_its_list_last(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    static full_heap f;
    two_blocks_then_full(h, 3592, 3712, &f); /* chunks 3600, 3720 */
    char *b = f.held[2];
    mm_free(h, b);
    mm_free(h, f.held[0]); /* first on the list they share */
    f.held[0] = f.held[2] = NULL;
    assert_heap_ok(h);
    f.held[2] = mm_alloc(h, 3700);
    assert_ptr_equal(f.held[2], b);
    assert_null(mm_alloc(h, 3700)); /* 3600 is all that is left */
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    assert_heap_ok(h);
    free_all(h, &f);
}

/* A small request's last resort (no page, no block to borrow) looks
 * further along its own chunk list too: free chunks of 200 and 216 bytes
 * share a list, the smaller first, and a 200-byte request (a 208-byte
 * chunk) gets the second. */
static void test_small_scans_its_list_last(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    static full_heap f;
    two_blocks_then_full(h, 584, 600, &f); /* chunks 592, 608 */
    char *x = f.held[0], *y = f.held[2];
    /* each shrink frees its block's tail: 216 bytes, then 200 (first) */
    assert_ptr_equal(mm_realloc(h, y, 384), y);
    assert_ptr_equal(mm_realloc(h, x, 384), x);
    char *p = mm_alloc(h, 200);
    assert_ptr_equal(p, y + chunk(384));
    assert_int_equal(h->cmap[mm_page_of(h, p)], MM_C_MID);
    assert_null(mm_alloc(h, 200)); /* the 200-byte chunk is too small */
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    assert_heap_ok(h);
    mm_free(h, p);
    free_all(h, &f);
}

/* Under page pressure a class with no pool and no free chunk to take opens
 * its first pool (an area per block would be taken and given back by
 * every alloc-free pair); its next pool is a chunk of a new area. */
static void test_first_pool_under_pressure(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    size_t sparse = class_of_at_most(h, MM_SPILL_BLOCKS);
    size_t size = mm_class_size(sparse);
    void *big[64];
    size_t m = fill_large(h, big, 64, scarce);
    assert_true(scarce(h) && mm_pages_free(h) >= 2u);
    assert_int_equal(heap_stats(h).pages_mid, 0);
    void *p[MM_SPILL_BLOCKS + 1u];
    for (size_t i = 0; i < h->per_pool[sparse]; i++) {
        p[i] = mm_alloc(h, size);
        assert_int_equal(h->cmap[mm_page_of(h, p[i])], sparse); /* the first pool */
    }
    void *q = mm_alloc(h, size); /* the pool is full: a chunk */
    assert_non_null(q);
    assert_int_equal(h->cmap[mm_page_of(h, q)], MM_C_MID);
    assert_int_equal(h->pools[sparse], 1u);
    assert_heap_ok(h);
    mm_free(h, q);
    for (size_t i = 0; i < h->per_pool[sparse]; i++) {
        mm_free(h, p[i]);
    }
    for (size_t i = 0; i < m; i++) {
        mm_free(h, big[i]);
    }
    mm_trim(h);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_heap_ok(h);
}

static bool few_scarce(const mm_heap *h)
{
    return mm_pages_free(h) * 100u < (h->npages - h->meta) * MM_SPILL_FEW_PCT;
}

/* The spill starts earlier for classes of fewer blocks per pool: with
 * 80% of the pages free or more, every class opens pools; with
 * fewer than 80% of the pages free but more than a quarter, a class of at
 * most MM_SPILL_FEW blocks a pool takes a chunk for its second pool's
 * worth, a class of MM_SPILL_BLOCKS still opens a second pool. Below a
 * quarter, both take chunks. */
static void test_spill_by_pool_size(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    size_t few = class_of_at_most(h, MM_SPILL_FEW), some = class_of_at_most(h, MM_SPILL_BLOCKS);
    assert_true(some < few && h->per_pool[some] > MM_SPILL_FEW);
    /* with the pages plentiful, a class of few blocks a pool still opens
     * a second pool: no header */
    static void *e[64];
    size_t ne = 0;
    for (; ne <= h->per_pool[few]; ne++) {
        e[ne] = mm_alloc(h, mm_class_size(few));
        assert_non_null(e[ne]);
    }
    assert_false(few_scarce(h));
    assert_int_equal(h->cmap[mm_page_of(h, e[ne - 1u])], few);
    assert_int_equal(h->pools[few], 2u);
    for (size_t i = 0; i < ne; i++) {
        mm_free(h, e[i]);
    }
    mm_trim(h);
    assert_int_equal(h->pools[few], 0u);
    void *big[64];
    size_t m = fill_large(h, big, 64, few_scarce);
    assert_true(few_scarce(h) && !scarce(h));
    static void *p[2][64];
    size_t cls[2] = {few, some}, n[2];
    for (size_t k = 0; k < 2; k++) {
        size_t c = cls[k];
        for (n[k] = 0; n[k] <= h->per_pool[c]; n[k]++) {
            p[k][n[k]] = mm_alloc(h, mm_class_size(c));
            assert_non_null(p[k][n[k]]);
        }
        assert_int_equal(h->cmap[mm_page_of(h, p[k][0])], c); /* the first pool */
    }
    assert_true(few_scarce(h) && !scarce(h));
    assert_int_equal(h->cmap[mm_page_of(h, p[0][n[0] - 1u])], MM_C_MID);
    assert_int_equal(h->cmap[mm_page_of(h, p[1][n[1] - 1u])], some); /* a second pool */
    assert_int_equal(h->pools[few], 1u);
    assert_int_equal(h->pools[some], 2u);
    assert_heap_ok(h);

    m += fill_large(h, big + m, 64 - m, scarce); /* below a quarter */
    assert_true(scarce(h));
    void *q = NULL;
    for (size_t extra = 0; extra < 64; extra++) { /* fill the second pool of `some` */
        q = mm_alloc(h, mm_class_size(some));
        if (q == NULL || h->cmap[mm_page_of(h, q)] != some) {
            break;
        }
        p[1][n[1]++] = q;
    }
    assert_non_null(q);
    assert_int_equal(h->cmap[mm_page_of(h, q)], MM_C_MID); /* then a chunk */
    assert_int_equal(h->pools[some], 2u);
    assert_heap_ok(h);
    mm_free(h, q);
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < n[k]; i++) {
            mm_free(h, p[k][i]);
        }
    }
    for (size_t i = 0; i < m; i++) {
        mm_free(h, big[i]);
    }
    mm_trim(h);
    assert_int_equal(heap_stats(h).pages_free, heap_stats(h).pages);
    assert_int_equal(port_misuse_count(), 0);
    assert_heap_ok(h);
}

/* mm_get_stats counts every byte of the region once (mm_heap.h), under
 * pressure as well: a 24 KiB arena, so that small requests spill into mid
 * chunks, with pools, mid blocks and large blocks live and freed at
 * random. */
static void assert_every_byte_counted(const mm_heap *h)
{
    /* the free chunks, from the lists (white-box: a chunk's first word is
     * its size with the flags, its next link right after the header) */
    size_t listed = 0, largest = 0;
    for (size_t f = 0; f < MM_MID_NFL; f++) {
        for (size_t sl = 0; sl < MM_MID_SL; sl++) {
            for (const char *c = (const char *)h->mid_list[f][sl]; c != NULL;
                 c = *(const char *const *)(const void *)(c + MM_MID_HDR)) {
                size_t m = *(const uint32_t *)(const void *)c & ~(size_t)MM_MID_FLAGS;
                listed += m;
                largest = m - MM_MID_HDR > largest ? m - MM_MID_HDR : largest;
            }
        }
    }
    mm_stats s = heap_stats(h);
    assert_int_equal(s.mid_free_bytes, listed);
    assert_int_equal(s.mid_largest_free, largest);
    size_t ps = s.page_size;
    assert_int_equal(s.region_size, s.meta_bytes + s.pages * ps);
    assert_int_equal(s.pages, s.pages_free + s.pages_pool + s.pages_mid + s.pages_large);
    assert_int_equal(s.pages_mid * ps, s.mid_used_bytes + s.mid_free_bytes + s.mid_header_bytes);
    size_t pool_used = s.used_bytes - s.mid_used_bytes - s.pages_large * ps;
    assert_int_equal(s.pages_pool * ps, pool_used + s.pool_free_bytes + s.pool_waste_bytes);
}

static void test_stats_count_every_byte(void **state)
{
    (void)state;
    mm_heap *h = heap_fresh(region, 24576u);
    void *p[160] = {0};
    uint32_t x = 12345u, spilled = 0, mid_free_seen = 0;
    for (int step = 0; step < 6000; step++) {
        x = x * 1664525u + 1013904223u;
        size_t i = (x >> 8) % 160u;
        if (p[i] != NULL) {
            mm_free(h, p[i]);
            p[i] = NULL;
        } else {
            uint32_t r = (x >> 20) % 100u;
            size_t size = r < 80u ? 8u + (x >> 4) % 249u   /* small */
                          : r < 97u ? 257u + (x >> 4) % 1500u /* mid */
                                    : 4097u + (x >> 4) % 3000u; /* large */
            p[i] = mm_alloc(h, size);
            spilled += p[i] != NULL && size <= MM_CFG_SMALL_MAX &&
                       h->cmap[((uintptr_t)p[i] - (uintptr_t)h) >> MM_PAGE_SHIFT] == MM_C_MID;
        }
        if (step % 50 == 0) {
            assert_every_byte_counted(h);
            mid_free_seen += heap_stats(h).mid_free_bytes != 0;
        }
    }
    assert_true(spilled > 100u);      /* the pressure the test is about */
    assert_true(mid_free_seen > 10u); /* and free chunks among the areas */
    assert_heap_ok(h);
    for (size_t i = 0; i < 160u; i++) {
        mm_free(h, p[i]);
    }
    assert_every_byte_counted(h);
    mm_trim(h);
    mm_stats s = heap_stats(h);
    assert_int_equal(s.pages_mid, 0);
    assert_int_equal(s.mid_free_bytes + s.mid_header_bytes + s.mid_largest_free, 0);
    assert_int_equal(s.pool_waste_bytes, 0);
    assert_every_byte_counted(h);
}

/* mm_dump_map sums up the mid-size areas: their pages, blocks, free
 * chunks (and the largest) and headers, from mm_get_stats. */
static void test_mid_in_dump_map(void **state)
{
    (void)state;
    mm_heap *h = fresh();
    void *a = mm_alloc(h, 600), *b = mm_alloc(h, 1000), *c = mm_alloc(h, 300);
    mm_free(h, b); /* a free chunk of chunk(1000) between a and c */
    port_capture_begin();
    mm_dump_map(h);
    const char *out = port_capture_end();
    char want[160];
    snprintf(want, sizeof want,
             "  + mid-size areas: %u pages, 2 blocks (%u B), %u B free in chunks "
             "(largest %u B), %u B of headers\n",
             (unsigned)MM_MID_AREA_PAGES, (unsigned)(chunk(600) + chunk(300) - 2u * MM_MID_HDR),
             (unsigned)(area_bytes() - chunk(600) - chunk(300) - MM_MID_HDR), /* less the end mark */
             (unsigned)(chunk(1000) - MM_MID_HDR), /* b's chunk, not the area's tail */
             (unsigned)(3u * MM_MID_HDR));
    if (strstr(out, want) == NULL) {
        print_error("map lacks '%s':\n%s", want, out);
    }
    assert_non_null(strstr(out, want));
    mm_free(h, a);
    mm_free(h, c);
    port_capture_begin();
    mm_dump_map(h);
    out = port_capture_end();
    assert_null(strstr(out, "mid-size areas:")); /* the area went back */
    assert_heap_ok(h);
}

/* A mid-size request on a heap whose pages could never hold it fails as
 * too big, one that could but finds no room as out of memory, and the
 * heap is whole after both. */
static void test_mid_too_big_for_heap(void **state)
{
    (void)state;
    mm_heap *h = heap_fresh(region, 4u * 1024u);
    mm_stats st = heap_stats(h);
    size_t pages_bytes = st.pages * st.page_size;
    assert_true(pages_bytes < MM_CFG_MID_MAX);
    assert_null(mm_alloc(h, MM_CFG_MID_MAX));
    assert_int_equal(mm_last_error(h), MM_ETOOBIG);
    assert_heap_ok(h);
    void *p = mm_alloc(h, pages_bytes / 2u);
    assert_non_null(p);
    assert_null(mm_alloc(h, pages_bytes / 2u + 8u));
    assert_int_equal(mm_last_error(h), MM_ENOMEM);
    assert_heap_ok(h);
    mm_free(h, p);
    assert_non_null(mm_alloc(h, pages_bytes / 2u + 8u));
    assert_heap_ok(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mid_packs_blocks),
        cmocka_unit_test(test_mid_merge_and_reuse),
        cmocka_unit_test(test_mid_areas),
        cmocka_unit_test(test_mid_area_joins_run),
        cmocka_unit_test(test_mid_realloc),
        cmocka_unit_test(test_mid_misuse),
        cmocka_unit_test(test_mid_check_finds_corruption),
        cmocka_unit_test(test_mid_takes_idle_pool),
        cmocka_unit_test(test_mid_serves_small_under_pressure),
        cmocka_unit_test(test_small_takes_free_chunk_last),
        cmocka_unit_test(test_mid_scans_its_list_last),
        cmocka_unit_test(test_small_scans_its_list_last),
        cmocka_unit_test(test_first_pool_under_pressure),
        cmocka_unit_test(test_spill_by_pool_size),
        cmocka_unit_test(test_stats_count_every_byte),
        cmocka_unit_test(test_mid_in_dump_map),
        cmocka_unit_test(test_mid_too_big_for_heap),
    };
    if (MM_CFG_MID_MAX == 0) {
        print_message("no mid-size blocks in this build (MM_CFG_MID_MAX=0)\n");
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
