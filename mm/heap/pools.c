/*
 * heap/pools.c - the small-object pools: size classes, pool refill, the
 * debug checks of a small free, and giving all-free pools back. Calls only
 * heap/pages.c (for pages) and heap/misuse.c; heap/heap.c calls it.
 *
 * Algorithm (after CPython's obmalloc and the segregated free lists of
 * Lua's and MicroPython's allocators, with o1heap's habit of O(1) bounds):
 *  1. A request of 1..MM_CFG_SMALL_MAX bytes maps to class (size-1)/8 by one
 *     subtract and one shift; size 0 wraps to a huge class and falls out
 *     of the small range with the same compare.
 *  2. Each class keeps ONE free list across all its pools, threaded
 *     through the blocks' first word, and a count of blocks handed out,
 *     side by side (h->cls[c]) so that the fast paths (heap/heap_int.h)
 *     touch one pair of words: alloc pops, free pushes. No per-pool
 *     counter is kept, so the fast paths never look at a pool.
 *  3. An empty free list falls to mm__small_slow: the class's newest pool
 *     hands out its never-used blocks one by one (a bump pointer, so a new
 *     pool costs O(1)); when it has none left, a new pool of pool_pages[c]
 *     pages comes from the wilderness (O(1), no search), or else from the
 *     indexed free runs.
 *  4. Pools are not given back on free: knowing that a pool is empty would
 *     need a per-pool count on both fast paths. mm_pools_reclaim counts the
 *     free blocks of every pool, unthreads the pools whose blocks are all
 *     free, and gives their pages back.
 * Bounds: refill O(1) (a loop of pool_pages[c] <= MM_CFG_POOL_MAX_PAGES
 * marks); reclaim O(pages + free small blocks).
 * Reference: N. Schemenauer, T. Peters, "obmalloc.c" (CPython), 2001-.
 */
#include <string.h>

#include "heap/heap_int.h"

_Static_assert(sizeof(void *) <= 8, "a free-list link fits the smallest block");

/* ---- set-up ---- */

/* Picks the pool length of class c: the fewest pages whose tail waste is at
 * most 1/MM_CFG_POOL_WASTE_DIV, else the least wasteful length. */
static void class_geometry(mm_heap *h, size_t c)
{
    size_t s = mm_class_size(c);
    size_t best_k = 0, best_waste = 0;
    for (size_t k = 1; k <= MM_CFG_POOL_MAX_PAGES; k++) {
        size_t bytes = k * MM_CFG_PAGE_SIZE;
        if (bytes / s == 0) {
            continue;
        }
        size_t waste = bytes % s;
        if (best_k == 0 || waste * best_k * MM_CFG_PAGE_SIZE < best_waste * bytes) {
            best_k = k;
            best_waste = waste;
        }
        if (waste * MM_CFG_POOL_WASTE_DIV <= bytes) {
            break;
        }
    }
    h->pool_pages[c] = (uint8_t)best_k;
    h->per_pool[c] = (uint16_t)(best_k * MM_CFG_PAGE_SIZE / s);
}

void mm_pools_init(mm_heap *h)
{
    for (size_t c = 0; c < MM_NCLASS; c++) {
        class_geometry(h, c);
    }
}

/* ---- refill ---- */

/* Pages for a new pool of k pages when the wilderness has too few: an
 * indexed free run, else after reclaiming empty pools. MM_NIL if none. */
static __attribute__((noinline)) uint32_t pool_pages_slow(mm_heap *h, uint32_t k)
{
    uint32_t idx = mm_pages_take(h, k);
    if (idx == MM_NIL && mm_pools_reclaim(h)) {
        idx = mm_pages_take(h, k);
    }
    return idx;
}

/* A new pool for class c: from the wilderness (no search), else an indexed
 * free run, else after reclaiming empty pools. Returns its first block
 * (the rest are never-used: bump[c] hands them out), NULL if no pages. */
static char *pool_new(mm_heap *h, size_t c)
{
    uint32_t k = h->pool_pages[c];
    uint32_t idx = h->top;
    /* mm_pages_take_top, written out: its MM_NIL test would cost the
     * refill one more instruction */
    if (h->npages - idx >= k) {
        h->top = idx + k;
    } else {
        idx = pool_pages_slow(h, k);
        if (idx == MM_NIL) {
            return NULL;
        }
    }
    if (MM_CFG_POOL_MAX_PAGES == 1) {
        h->cmap[idx] = (uint8_t)c;
    } else {
        for (uint32_t i = 0; i < k; i++) {
            h->cmap[idx + i] = (uint8_t)c;
            mm_desc(h, idx + i)->len = (uint16_t)i; /* distance to the head */
        }
    }
    h->pools[c]++;     /* peaks: see mm_note_pages */
    h->pages_pool += k;
    return mm_page_addr(h, idx);
}

__attribute__((noinline)) void *mm__small_slow(mm_heap *h, size_t c)
{
    char *b = h->bump[c];
    uint32_t left;
    if (b != NULL) {
        left = h->left[c];
    } else {
        b = pool_new(h, c);
        if (b == NULL) {
            h->err = MM_ENOMEM;
            return NULL;
        }
        left = h->per_pool[c];
    }
    h->left[c] = (uint16_t)--left;
    h->bump[c] = left == 0 ? NULL : b + mm_class_size(c);
    h->cls[c].s.used++;
    return b;
}

/* ---- small free: misuse ---- */

void mm__small_double_free(mm_cls *k, size_t c, void *p)
{
    mm_heap *h = (mm_heap *)(void *)(k - c);
    mm_misuse(h, __FILE__, __LINE__, MM_EDOUBLE, "mm_free", "double free", p);
}

bool mm_small_free_ok(mm_heap *h, size_t idx, size_t c, const void *p)
{
    size_t s = mm_class_size(c);
    size_t head = mm_pool_head(h, idx);
    size_t off = (size_t)((const char *)p - mm_page_addr(h, head));
    if (off % s != 0 || off >= (size_t)h->per_pool[c] * s) {
        mm_misuse(h, __FILE__, __LINE__, MM_EALIGN, "mm_free", "misaligned pointer", p);
        return false;
    }
    const char *bump = h->bump[c];
    if (bump != NULL && mm_pool_head(h, mm_page_of(h, bump)) == head &&
        (const char *)p >= bump) {
        mm_misuse(h, __FILE__, __LINE__, MM_EFOREIGN, "mm_free", "pointer to no live block", p);
        return false;
    }
    size_t bound = (size_t)h->pools[c] * h->per_pool[c];
    const void *b = h->cls[c].s.head;
    for (size_t n = 0; b != NULL && n <= bound; n++) {
        if (b == p) {
            mm_misuse(h, __FILE__, __LINE__, MM_EDOUBLE, "mm_free", "double free", p);
            return false;
        }
        b = *(void *const *)b;
    }
    return true;
}

/* ---- reclaiming all-free pools ---- */

/* Length in pages of the run whose first page is i (1 if i is no head). */
static uint32_t run_len(const mm_heap *h, uint32_t i)
{
    uint8_t mark = h->cmap[i];
    uint32_t n = 1;
    if (mm_is_pool(mark)) {
        n = h->pool_pages[mark];
    } else if (mark == MM_C_LARGE || mark == MM_C_FREE) {
        n = mm_desc(h, i)->len;
    }
    return n == 0 ? 1u : n;
}

/* True iff pool head page i has all its blocks free (after counting). */
static inline bool pool_all_free(const mm_heap *h, size_t i)
{
    return mm_desc(h, i)->head == h->per_pool[h->cmap[i]];
}

/* Counts every pool's free blocks into its head descriptor's scratch:
 * listed blocks plus never-used ones. */
static void pools_count(mm_heap *h)
{
    for (uint32_t i = h->meta; i < h->top; i++) {
        if (mm_is_pool(h->cmap[i])) {
            mm_desc(h, i)->head = 0;
        }
    }
    for (size_t c = 0; c < MM_NCLASS; c++) {
        for (void *b = h->cls[c].s.head; b != NULL; b = *(void **)b) {
            mm_desc(h, mm_pool_head(h, mm_page_of(h, b)))->head++;
        }
        if (h->bump[c] != NULL) {
            mm_pd *d = mm_desc(h, mm_pool_head(h, mm_page_of(h, h->bump[c])));
            d->head = (uint16_t)(d->head + h->left[c]);
        }
    }
}

/* Takes the blocks of all-free pools off the class lists. */
static void pools_unthread(mm_heap *h)
{
    for (size_t c = 0; c < MM_NCLASS; c++) {
        void **link = &h->cls[c].s.head;
        while (*link != NULL) {
            void **b = *link;
            if (pool_all_free(h, mm_pool_head(h, mm_page_of(h, b)))) {
                *link = *b;
            } else {
                link = b;
            }
        }
        if (h->bump[c] != NULL && pool_all_free(h, mm_pool_head(h, mm_page_of(h, h->bump[c])))) {
            h->bump[c] = NULL;
            h->left[c] = 0;
        }
    }
}

/* Gives the pages of every counted all-free pool back (their blocks are
 * unthreaded already). Returns true iff it gave any. */
static bool pools_give(mm_heap *h)
{
    bool any = false;
    uint32_t prev = MM_NIL; /* head of the run before i */
    for (uint32_t i = h->meta; i < h->top;) {
        uint8_t c = h->cmap[i];
        if (!mm_is_pool(c) || !pool_all_free(h, i)) {
            prev = i;
            i += run_len(h, i);
            continue;
        }
        uint32_t k = h->pool_pages[c];
        memset(h->cmap + i, MM_C_NONE, k);
        h->pools_peak[c] = mm_peak_pools(h, c);
        h->pools[c]--;
        mm_note_pages(h);
        h->pages_pool -= k;
        mm_pages_give(h, i, k);
        any = true;
        if (i >= h->top) {
            break; /* it joined the wilderness */
        }
        /* it is a free run now, or joined the free run before it */
        uint32_t head = h->cmap[i] == MM_C_FREE ? i : prev;
        prev = head;
        i = head + mm_desc(h, head)->len;
    }
    return any;
}

bool mm_pools_reclaim(mm_heap *h)
{
    pools_count(h);
    pools_unthread(h);
    return pools_give(h);
}
