/*
 * mm_pages.c - page runs: the free-run index, large blocks, and
 * compaction.
 *
 * Algorithm (segregated free runs by powers of two, as in o1heap, over
 * run lengths in pages):
 *  1. A free run of n pages lives in bucket floor(log2 n): a doubly linked
 *     list of run heads through their descriptors; bit b of bmap says
 *     bucket b is not empty.
 *  2. Taking n pages looks at the first run of n's own bucket, then at the
 *     first run of the lowest non-empty bucket above it (one find-first-
 *     set), whose runs are all long enough. The run's surplus goes back as
 *     a new free run.
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
 * Bounds: take/give O(1) (one find-first-set, a few list edits). Compact
 * O(pages + bytes moved).
 * References: P. Kirienko, o1heap (constant-time allocator for hard
 * real-time systems), 2020-; M. Masmano et al., "TLSF: a new dynamic memory
 * allocator for real-time systems", ECRTS 2004.
 */
#include <string.h>

#include "mm_heap_int.h"

/* ---- the free-run index ---- */

/* Links run idx (n pages) at the front of its bucket; marks untouched. */
static inline void run_link(mm_heap *h, uint32_t idx, uint32_t n)
{
    uint32_t b = mm_pages_bucket(n);
    mm_pd *d = mm_desc(h, idx);
    uint16_t first = h->bucket[b];
    d->len = (uint16_t)n;
    d->u.l.prev = MM_NIL;
    d->u.l.next = first;
    if (first != MM_NIL) {
        mm_desc(h, first)->u.l.prev = (uint16_t)idx;
    }
    h->bucket[b] = (uint16_t)idx;
    h->bmap |= 1u << b;
}

/* Unlinks run idx (n pages) from its bucket; marks untouched. */
static inline void run_unlink(mm_heap *h, uint32_t idx, uint32_t n)
{
    mm_pd *d = mm_desc(h, idx);
    MM_DEBUG_ASSERT(h->cmap[idx] == MM_C_FREE && d->len == n, "run_unlink: not a free run head");
    uint16_t next = d->u.l.next, prev = d->u.l.prev;
    if (prev == MM_NIL) {
        uint32_t b = mm_pages_bucket(n);
        h->bucket[b] = next;
        if (next == MM_NIL) {
            h->bmap &= ~(1u << b);
        }
    } else {
        mm_desc(h, prev)->u.l.next = next;
    }
    if (next != MM_NIL) {
        mm_desc(h, next)->u.l.prev = prev;
    }
}

/* Writes the head and tail marks of free run [idx, idx+n). */
static inline void run_mark(mm_heap *h, uint32_t idx, uint32_t n)
{
    h->cmap[idx] = MM_C_FREE;
    h->cmap[idx + n - 1u] = n > 1 ? MM_C_TAIL : MM_C_FREE; /* 1 page: head too */
    mm_desc(h, idx + n - 1u)->head = (uint16_t)idx;
}

/* Puts pages [idx, idx+n) in as one indexed free run (marks written). */
static inline void run_insert(mm_heap *h, uint32_t idx, uint32_t n)
{
    MM_DEBUG_ASSERT(n > 0 && idx + n < h->top, "run_insert: run out of range");
    run_link(h, idx, n);
    run_mark(h, idx, n);
}

/* Takes free run idx (n pages) out of its bucket and clears its head and
 * tail marks. */
static inline void run_remove(mm_heap *h, uint32_t idx, uint32_t n)
{
    run_unlink(h, idx, n);
    h->cmap[idx] = MM_C_NONE;
    h->cmap[idx + n - 1u] = MM_C_NONE;
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
    /* the first run of n's own bucket if it is long enough, else the first
     * run of the next non-empty bucket up (every run there is longer) */
    uint32_t b = mm_pages_bucket(n);
    uint32_t idx = h->bucket[b];
    if (idx == MM_NIL || mm_desc(h, idx)->len < n) {
        uint32_t above = h->bmap & ~((2u << b) - 1u);
        if (above == 0) {
            return mm_pages_take_top(h, n);
        }
        idx = h->bucket[__builtin_ctz(above)];
    }
    uint32_t m = mm_desc(h, idx)->len;
    run_unlink(h, idx, m);
    h->cmap[idx] = MM_C_NONE;
    if (m > n) {
        /* [ taken | rest ]: the rest keeps the run's tail page */
        uint32_t rest = idx + n;
        run_link(h, rest, m - n);
        h->cmap[rest] = MM_C_FREE;
        if (m - n > 1) {
            mm_desc(h, idx + m - 1u)->head = (uint16_t)rest;
        } else {
            mm_desc(h, rest)->head = (uint16_t)rest;
        }
    } else {
        h->cmap[idx + m - 1u] = MM_C_NONE;
    }
    h->pages_runs -= n;
    return idx;
}

/* The head of the free run whose last page is i - 1, or MM_NIL. */
static inline uint32_t free_before(const mm_heap *h, uint32_t i)
{
    uint8_t mark = h->cmap[i - 1u]; /* i > meta: page i-1 is no META page */
    return mark == MM_C_TAIL || mark == MM_C_FREE ? mm_desc(h, i - 1u)->head : MM_NIL;
}

void mm_pages_give(mm_heap *h, uint32_t idx, uint32_t n)
{
    uint32_t end = idx + n;
    uint32_t add = n; /* pages that join the indexed runs */
    uint32_t left = idx > h->meta ? free_before(h, idx) : MM_NIL;
    if (left != MM_NIL) {
        /* [ free ][ this ] => [ ---- free ---- ]: the left run's head stays */
        uint32_t ln = mm_desc(h, left)->len;
        run_unlink(h, left, ln);
        h->cmap[idx - 1u] = MM_C_NONE; /* its old tail (or head, relinked below) */
        n += ln;
        idx = left;
    }
    if (end == h->top) {
        /* [ this ][ wilderness ] => [ wilderness ] */
        h->top = idx;
        h->cmap[idx] = MM_C_NONE;
        h->pages_runs -= n - add;
        return;
    }
    if (h->cmap[end] == MM_C_FREE) {
        /* [ this ][ free ] => [ ---- this ---- ]: its tail page stays */
        uint32_t rn = mm_desc(h, end)->len;
        run_unlink(h, end, rn);
        h->cmap[end] = MM_C_NONE;
        n += rn;
    }
    run_link(h, idx, n);
    run_mark(h, idx, n);
    h->pages_runs += add;
}

uint32_t mm_pages_largest(const mm_heap *h)
{
    uint32_t best = h->npages - h->top;
    if (h->bmap == 0) {
        return best;
    }
    for (uint32_t i = h->bucket[mm_pages_bucket(h->bmap)]; i != MM_NIL;
         i = mm_desc(h, i)->u.l.next) {
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
    h->pages_large += n; /* peak: see mm_note_pages */
    h->large_blocks++;
    return mm_page_addr(h, idx);
}

void mm_large_free(mm_heap *h, uint32_t idx)
{
    MM_DEBUG_ASSERT(h->cmap[idx] == MM_C_LARGE, "mm_large_free: not a large block");
    uint32_t n = mm_desc(h, idx)->len;
    mm_note_pages(h);
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
        run_remove(h, r, rn);
        if (rn > extra) {
            run_insert(h, r + extra, rn - extra);
        }
        h->pages_runs -= extra;
    }
    mm_desc(h, idx)->len = (uint16_t)need;
    h->pages_large += extra;
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
        mm_note_pages(h);
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
    run_remove(h, i, gap);
    h->pages_runs -= gap; /* given back below */
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
        uint32_t n = mark < MM_NCLASS ? h->pool_pages[mark] : mm_desc(h, i)->len;
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
