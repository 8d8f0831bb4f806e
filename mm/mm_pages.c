/*
 * mm_pages.c - page runs: the free-run index (TLSF), large blocks, and
 * compaction.
 *
 * Algorithm (Two-Level Segregated Fit over run lengths in pages):
 *  1. A free run of n pages lives in bucket (fl, sl): fl = floor(log2 n)
 *     - MM_SL_BITS + 1 and sl = the MM_SL_BITS bits after the leading one;
 *     lengths below MM_SL_COUNT go to fl 0, sl n. Each bucket is a doubly
 *     linked list of run heads; bit fl of fl_map and bit sl of sl_map[fl]
 *     say which buckets are non-empty.
 *  2. Taking n pages rounds n up to the next bucket boundary, so that any
 *     run in the first non-empty bucket at or above it fits ("good fit");
 *     the bitmaps find that bucket with one or two find-first-set. The
 *     run's surplus goes back as a new free run.
 *  3. A run knows its length (head descriptor) and its tail knows its head,
 *     so giving pages back merges with both neighbours in O(1): the right
 *     neighbour's head is the next page, the left neighbour's head is
 *     named by the page just before (its cmap mark says FREE or TAIL).
 *  4. Above every page ever used lies the wilderness (pages top..npages-1):
 *     it is not indexed, a take that finds no indexed run cuts from its
 *     bottom (top += n), and a run given back right below top lowers top
 *     instead of being indexed. So a fresh heap needs no set-up, and a new
 *     pool costs no search.
 *  5. Only head and tail marks are written; every other page of a run
 *     stays MM_C_NONE. So a pointer into the middle of a large block is
 *     caught by its page mark without writing all its pages.
 *  6. Compaction walks the runs once, left to right; a free run followed by
 *     an owned large block swaps places with it (memmove, owner rewritten),
 *     and the free run then merges with whatever free run follows.
 * Bounds: take/give O(1) (two bitmap searches, a few list edits). Compact
 * O(pages + bytes moved).
 * Reference: M. Masmano, I. Ripoll, A. Crespo, J. Real, "TLSF: a new
 * dynamic memory allocator for real-time systems", ECRTS 2004.
 */
#include <string.h>

#include "mm_heap_int.h"

/* ---- bit helpers (x != 0) ---- */

static inline uint32_t bit_last(uint32_t x)
{
    return 31u - (uint32_t)__builtin_clz(x);
}

static inline uint32_t bit_first(uint32_t x)
{
    return (uint32_t)__builtin_ctz(x);
}

/* ---- buckets ---- */

void mm_pages_bucket(uint32_t n, uint32_t *fl, uint32_t *sl)
{
    if (n < MM_SL_COUNT) {
        *fl = 0;
        *sl = n;
        return;
    }
    uint32_t f = bit_last(n);
    *fl = f - MM_SL_BITS + 1u;
    *sl = (n >> (f - MM_SL_BITS)) - MM_SL_COUNT;
}

/* Puts pages [idx, idx+n) in as one indexed free run (marks written). */
static void run_insert(mm_heap *h, uint32_t idx, uint32_t n)
{
    MM_DEBUG_ASSERT(n > 0 && idx + n < h->top, "run_insert: run out of range");
    uint32_t fl, sl;
    mm_pages_bucket(n, &fl, &sl);
    mm_pd *d = mm_desc(h, idx);
    uint16_t first = h->bucket[fl][sl];
    h->cmap[idx] = MM_C_FREE;
    d->len = (uint16_t)n;
    d->u.l.prev = MM_NIL;
    d->u.l.next = first;
    if (first != MM_NIL) {
        mm_desc(h, first)->u.l.prev = (uint16_t)idx;
    }
    if (n > 1) {
        h->cmap[idx + n - 1u] = MM_C_TAIL;
        mm_desc(h, idx + n - 1u)->head = (uint16_t)idx;
    }
    h->bucket[fl][sl] = (uint16_t)idx;
    h->sl_map[fl] = (uint8_t)(h->sl_map[fl] | (1u << sl));
    h->fl_map = (uint16_t)(h->fl_map | (1u << fl));
    h->pages_runs += n;
}

/* Takes free run idx out of its bucket and clears its head and tail marks. */
static void run_remove(mm_heap *h, uint32_t idx)
{
    mm_pd *d = mm_desc(h, idx);
    MM_DEBUG_ASSERT(h->cmap[idx] == MM_C_FREE, "run_remove: not a free run head");
    uint32_t fl, sl, n = d->len;
    mm_pages_bucket(n, &fl, &sl);
    uint16_t next = d->u.l.next, prev = d->u.l.prev;
    if (prev == MM_NIL) {
        h->bucket[fl][sl] = next;
        if (next == MM_NIL) {
            h->sl_map[fl] = (uint8_t)(h->sl_map[fl] & ~(1u << sl));
            if (h->sl_map[fl] == 0) {
                h->fl_map = (uint16_t)(h->fl_map & ~(1u << fl));
            }
        }
    } else {
        mm_desc(h, prev)->u.l.next = next;
    }
    if (next != MM_NIL) {
        mm_desc(h, next)->u.l.prev = prev;
    }
    h->cmap[idx] = MM_C_NONE;
    h->cmap[idx + n - 1u] = MM_C_NONE;
    h->pages_runs -= n;
}

/* First run in the first non-empty bucket at or above (fl, sl). */
static uint32_t run_find(const mm_heap *h, uint32_t fl, uint32_t sl)
{
    uint32_t bits = h->sl_map[fl] & (0xFFu << sl);
    if (bits == 0) {
        uint32_t fbits = h->fl_map & ~((2u << fl) - 1u);
        if (fbits == 0) {
            return MM_NIL;
        }
        fl = bit_first(fbits);
        bits = h->sl_map[fl];
    }
    return h->bucket[fl][bit_first(bits)];
}

uint32_t mm_pages_take_top(mm_heap *h, uint32_t n)
{
    uint32_t idx = h->top;
    if (h->npages - idx < n) {
        return MM_NIL;
    }
    h->top = idx + n;
    return idx;
}

uint32_t mm_pages_take(mm_heap *h, uint32_t n)
{
    uint32_t want = n, fl, sl;
    if (n >= MM_SL_COUNT) {
        want = n + (1u << (bit_last(n) - MM_SL_BITS)) - 1u; /* round up */
    }
    mm_pages_bucket(want, &fl, &sl);
    uint32_t idx = fl < MM_FL_COUNT ? run_find(h, fl, sl) : MM_NIL;
    if (idx == MM_NIL) {
        return mm_pages_take_top(h, n);
    }
    uint32_t m = mm_desc(h, idx)->len;
    run_remove(h, idx);
    if (m > n) {
        run_insert(h, idx + n, m - n);
    }
    return idx;
}

/* The head of the free run whose last page is i - 1, or MM_NIL. */
static inline uint32_t free_before(const mm_heap *h, uint32_t i)
{
    uint8_t mark = h->cmap[i - 1u]; /* i > meta: page i-1 is no META page */
    if (mark == MM_C_FREE) {
        return i - 1u;
    }
    return mark == MM_C_TAIL ? mm_desc(h, i - 1u)->head : MM_NIL;
}

void mm_pages_give(mm_heap *h, uint32_t idx, uint32_t n)
{
    uint32_t end = idx + n;
    uint32_t left = idx > h->meta ? free_before(h, idx) : MM_NIL;
    if (left != MM_NIL) {
        /* [ free ][ this ] => [ ---- free ---- ] */
        n += mm_desc(h, left)->len;
        run_remove(h, left);
        idx = left;
    }
    if (end == h->top) {
        h->top = idx; /* [ this ][ wilderness ] => [ wilderness ] */
        return;
    }
    if (h->cmap[end] == MM_C_FREE) {
        /* [ this ][ free ] => [ ---- this ---- ] */
        n += mm_desc(h, end)->len;
        run_remove(h, end);
    }
    run_insert(h, idx, n);
}

uint32_t mm_pages_largest(const mm_heap *h)
{
    uint32_t best = h->npages - h->top;
    if (h->fl_map == 0) {
        return best;
    }
    uint32_t fl = bit_last(h->fl_map);
    uint32_t sl = bit_last(h->sl_map[fl]);
    for (uint32_t i = h->bucket[fl][sl]; i != MM_NIL; i = mm_desc(h, i)->u.l.next) {
        uint32_t n = mm_desc(h, i)->len;
        best = n > best ? n : best;
    }
    return best;
}

/* ---- large blocks ---- */

static inline uint32_t pages_of(size_t size)
{
    return (uint32_t)((size + MM_PAGE_SIZE - 1u) >> MM_PAGE_SHIFT);
}

void *mm_large_alloc(mm_heap *h, size_t size)
{
    if (size > ((size_t)(h->npages - h->meta) << MM_PAGE_SHIFT)) {
        h->err = MM_ETOOBIG;
        return NULL;
    }
    uint32_t n = pages_of(size);
    uint32_t idx = mm_pages_take(h, n);
    if (idx == MM_NIL && mm_pools_reclaim(h)) {
        idx = mm_pages_take(h, n);
    }
    if (idx == MM_NIL) {
        h->err = MM_ENOMEM;
        return NULL;
    }
    mm_pd *d = mm_desc(h, idx);
    h->cmap[idx] = MM_C_LARGE;
    d->len = (uint16_t)n;
    d->u.owner = NULL;
    h->pages_large += n;
    h->large_blocks++;
    mm_note_pages(h);
    return mm_page_addr(h, idx);
}

void mm_large_free(mm_heap *h, uint32_t idx)
{
    MM_DEBUG_ASSERT(h->cmap[idx] == MM_C_LARGE, "mm_large_free: not a large block");
    uint32_t n = mm_desc(h, idx)->len;
    h->pages_large -= n;
    h->large_blocks--;
    h->cmap[idx] = MM_C_NONE;
    mm_pages_give(h, idx, n);
}

/* Grows block idx (n pages) to need pages from the free pages after it. */
static bool large_grow(mm_heap *h, uint32_t idx, uint32_t n, uint32_t need)
{
    uint32_t r = idx + n, extra = need - n;
    if (r == h->top) {
        if (mm_pages_take_top(h, extra) == MM_NIL) {
            return false;
        }
    } else {
        uint32_t rn = mm_desc(h, r)->len;
        if (h->cmap[r] != MM_C_FREE || rn < extra) {
            return false;
        }
        run_remove(h, r);
        if (rn > extra) {
            run_insert(h, r + extra, rn - extra);
        }
    }
    mm_desc(h, idx)->len = (uint16_t)need;
    h->pages_large += extra;
    mm_note_pages(h);
    return true;
}

bool mm_large_resize(mm_heap *h, uint32_t idx, size_t size)
{
    if (size > ((size_t)(h->npages - h->meta) << MM_PAGE_SHIFT)) {
        return false;
    }
    mm_pd *d = mm_desc(h, idx);
    uint32_t need = pages_of(size), n = d->len;
    if (need > n) {
        return large_grow(h, idx, n, need);
    }
    if (need < n) {
        /* [ block ......... ] => [ block ][ free ] */
        d->len = (uint16_t)need;
        h->pages_large -= n - need;
        mm_pages_give(h, idx + need, n - need);
    }
    return true;
}

/* ---- compaction ---- */

/* Free run at i, owned large block at j right after it: swap them.
 *   [ free i..j-1 ][ block j..j+n-1 ] => [ block i.. ][ free ..j+n-1 ]  */
static void slide(mm_heap *h, uint32_t i, uint32_t j)
{
    mm_pd *b = mm_desc(h, j);
    uint32_t n = b->len, gap = j - i;
    void **owner = b->u.owner;
    run_remove(h, i);
    memmove(mm_page_addr(h, i), mm_page_addr(h, j), (size_t)n << MM_PAGE_SHIFT);
    h->cmap[j] = MM_C_NONE; /* old block head */
    mm_pd *d = mm_desc(h, i);
    h->cmap[i] = MM_C_LARGE;
    d->len = (uint16_t)n;
    d->u.owner = owner;
    mm_pages_give(h, i + n, gap);
    *owner = mm_page_addr(h, i);
}

size_t mm_compact(mm_heap *h)
{
    uint32_t st = MM_CFG_LOCK ? mm_port_lock() : 0u;
    mm_pools_reclaim(h);
    uint32_t i = h->meta;
    while (i < h->top) {
        uint8_t mark = h->cmap[i];
        uint32_t n = mm_is_pool(mark) ? h->pool_pages[mark] : mm_desc(h, i)->len;
        if (mark == MM_C_FREE) {
            uint32_t j = i + n;
            if (j < h->top && h->cmap[j] == MM_C_LARGE && mm_desc(h, j)->u.owner != NULL) {
                slide(h, i, j);
                n = mm_desc(h, i)->len; /* on to the moved-up free run */
            }
        }
        i += n == 0 ? 1u : n;
    }
    size_t largest = (size_t)mm_pages_largest(h) << MM_PAGE_SHIFT;
    if (MM_CFG_LOCK) {
        mm_port_unlock(st);
    }
    return largest;
}
