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
 *     the bitmaps find that bucket with one or two find-first-set. If
 *     none is found, the first MM_FIT_PROBE runs of n's own bucket are
 *     tried (so that the last run of exactly n pages can still be had).
 *     The run's surplus goes back as a new free run.
 *  3. A run knows its length (head descriptor) and its tail knows its head,
 *     so giving pages back merges with both neighbours in O(1): the right
 *     neighbour's head is the next descriptor, the left neighbour's head is
 *     named by the descriptor just before.
 *  4. Only head and tail descriptors are written; every other page of a run
 *     stays INNER. So a pointer into the middle of a large block is caught
 *     by its page kind without writing all its pages.
 *  5. Compaction walks the runs once, left to right; a free run followed by
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

/* Puts pages [idx, idx+n) in as one free run (head and tail written). */
static void run_insert(mm_heap *h, uint32_t idx, uint32_t n)
{
    MM_DEBUG_ASSERT(n > 0 && idx + n <= h->npages, "run_insert: run out of range");
    uint32_t fl, sl;
    mm_pages_bucket(n, &fl, &sl);
    mm_page *d = mm_desc(h, idx);
    uint16_t first = h->bucket[fl][sl];
    d->kind = MM_K_FREE;
    d->count = (uint16_t)n;
    d->head = (uint16_t)idx;
    d->prev = MM_NIL;
    d->u.p.next = first;
    if (first != MM_NIL) {
        mm_desc(h, first)->prev = (uint16_t)idx;
    }
    if (n > 1) {
        mm_page *t = mm_desc(h, idx + n - 1u);
        t->kind = MM_K_FREE_TAIL;
        t->head = (uint16_t)idx;
    }
    h->bucket[fl][sl] = (uint16_t)idx;
    h->sl_map[fl] = (uint8_t)(h->sl_map[fl] | (1u << sl));
    h->fl_map = (uint16_t)(h->fl_map | (1u << fl));
    h->pages_free += n;
}

/* Takes free run idx out of its bucket (its descriptors are left as they
 * are; the caller rewrites them). */
static void run_remove(mm_heap *h, uint32_t idx)
{
    mm_page *d = mm_desc(h, idx);
    MM_DEBUG_ASSERT(d->kind == MM_K_FREE, "run_remove: not a free run head");
    uint32_t fl, sl;
    mm_pages_bucket(d->count, &fl, &sl);
    uint16_t next = d->u.p.next, prev = d->prev;
    if (prev == MM_NIL) {
        h->bucket[fl][sl] = next;
        if (next == MM_NIL) {
            h->sl_map[fl] = (uint8_t)(h->sl_map[fl] & ~(1u << sl));
            if (h->sl_map[fl] == 0) {
                h->fl_map = (uint16_t)(h->fl_map & ~(1u << fl));
            }
        }
    } else {
        mm_desc(h, prev)->u.p.next = next;
    }
    if (next != MM_NIL) {
        mm_desc(h, next)->prev = prev;
    }
    h->pages_free -= d->count;
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

/* Good fit found nothing: a run of n pages may still sit in n's own bucket
 * (with shorter ones). Look at its first MM_FIT_PROBE runs (bounded). */
static uint32_t run_probe(const mm_heap *h, uint32_t n)
{
    uint32_t fl, sl;
    mm_pages_bucket(n, &fl, &sl);
    uint32_t i = h->bucket[fl][sl];
    for (uint32_t k = 0; k < MM_FIT_PROBE && i != MM_NIL; k++) {
        if (mm_desc(h, i)->count >= n) {
            return i;
        }
        i = mm_desc(h, i)->u.p.next;
    }
    return MM_NIL;
}

uint32_t mm_pages_take(mm_heap *h, uint32_t n)
{
    uint32_t want = n, fl, sl;
    if (n >= MM_SL_COUNT) {
        want = n + (1u << (bit_last(n) - MM_SL_BITS)) - 1u; /* round up */
    }
    mm_pages_bucket(want, &fl, &sl);
    if (fl >= MM_FL_COUNT) {
        return MM_NIL;
    }
    uint32_t idx = run_find(h, fl, sl);
    if (idx == MM_NIL) {
        idx = run_probe(h, n);
        if (idx == MM_NIL) {
            return MM_NIL;
        }
    }
    uint32_t m = mm_desc(h, idx)->count;
    run_remove(h, idx);
    mm_set_kind(mm_desc(h, idx), MM_K_INNER);
    mm_set_kind(mm_desc(h, idx + m - 1u), MM_K_INNER);
    if (m > n) {
        run_insert(h, idx + n, m - n);
    }
    return idx;
}

void mm_pages_give(mm_heap *h, uint32_t idx, uint32_t n)
{
    uint32_t end = idx + n;
    if (end < h->npages && mm_desc(h, end)->kind == MM_K_FREE) {
        /* [ this ][ free ] => [ ---- this ---- ] */
        n += mm_desc(h, end)->count;
        run_remove(h, end);
        mm_set_kind(mm_desc(h, end), MM_K_INNER);
    }
    if (idx > 0 && mm_is_free_kind(mm_desc(h, idx - 1u)->kind)) {
        /* [ free ][ this ] => [ ---- free ---- ] */
        uint32_t left = mm_desc(h, idx - 1u)->head;
        n += mm_desc(h, left)->count;
        run_remove(h, left);
        mm_set_kind(mm_desc(h, idx - 1u), MM_K_INNER);
        mm_set_kind(mm_desc(h, idx), MM_K_INNER);
        idx = left;
    }
    run_insert(h, idx, n);
}

uint32_t mm_pages_largest(const mm_heap *h)
{
    if (h->fl_map == 0) {
        return 0;
    }
    uint32_t fl = bit_last(h->fl_map);
    uint32_t sl = bit_last(h->sl_map[fl]);
    uint32_t best = 0;
    for (uint32_t i = h->bucket[fl][sl]; i != MM_NIL;
         i = mm_desc(h, i)->u.p.next) {
        uint32_t n = mm_desc(h, i)->count;
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
    if (size > ((size_t)h->npages << MM_PAGE_SHIFT)) {
        h->err = MM_ETOOBIG;
        return NULL;
    }
    uint32_t n = pages_of(size);
    uint32_t idx = mm_pages_take(h, n);
    if (idx == MM_NIL && mm_spare_release(h)) {
        idx = mm_pages_take(h, n);
    }
    if (idx == MM_NIL) {
        h->err = MM_ENOMEM;
        return NULL;
    }
    mm_page *d = mm_desc(h, idx);
    d->kind = MM_K_LARGE;
    d->count = (uint16_t)n;
    d->head = (uint16_t)idx;
    d->u.owner = NULL;
    h->pages_large += n;
    h->large_blocks++;
    mm_note_pages(h);
    return mm_page_addr(h, idx);
}

void mm_large_free(mm_heap *h, uint32_t idx)
{
    mm_page *d = mm_desc(h, idx);
    MM_DEBUG_ASSERT(d->kind == MM_K_LARGE, "mm_large_free: not a large block");
    uint32_t n = d->count;
    h->pages_large -= n;
    h->large_blocks--;
    mm_set_kind(d, MM_K_INNER);
    mm_pages_give(h, idx, n);
}

/* Grows block idx (n pages) to need pages from the free run after it. */
static bool large_grow(mm_heap *h, uint32_t idx, uint32_t n, uint32_t need)
{
    uint32_t r = idx + n, extra = need - n;
    if (r >= h->npages || mm_desc(h, r)->kind != MM_K_FREE ||
        mm_desc(h, r)->count < extra) {
        return false;
    }
    uint32_t rn = mm_desc(h, r)->count;
    run_remove(h, r);
    mm_set_kind(mm_desc(h, r), MM_K_INNER);
    mm_set_kind(mm_desc(h, r + rn - 1u), MM_K_INNER);
    if (rn > extra) {
        run_insert(h, r + extra, rn - extra);
    }
    mm_desc(h, idx)->count = (uint16_t)need;
    h->pages_large += extra;
    mm_note_pages(h);
    return true;
}

bool mm_large_resize(mm_heap *h, uint32_t idx, size_t size)
{
    if (size > ((size_t)h->npages << MM_PAGE_SHIFT)) {
        return false;
    }
    mm_page *d = mm_desc(h, idx);
    uint32_t need = pages_of(size), n = d->count;
    if (need > n) {
        return large_grow(h, idx, n, need);
    }
    if (need < n) {
        /* [ block ......... ] => [ block ][ free ] */
        d->count = (uint16_t)need;
        h->pages_large -= n - need;
        mm_pages_give(h, idx + need, n - need);
    }
    return true;
}

/* ---- compaction ---- */

/* Length of the (non-free) run whose head is page i. */
static uint32_t run_length(const mm_heap *h, uint32_t i)
{
    const mm_page *d = mm_desc(h, i);
    return d->kind == MM_K_POOL ? h->pool_pages[d->cls] : d->count;
}

/* Free run at i, owned large block at j right after it: swap them.
 *   [ free i..j-1 ][ block j..j+n-1 ] => [ block i.. ][ free ..j+n-1 ]  */
static void slide(mm_heap *h, uint32_t i, uint32_t j)
{
    mm_page *b = mm_desc(h, j);
    uint32_t n = b->count, gap = j - i;
    void **owner = b->u.owner;
    run_remove(h, i);
    memmove(mm_page_addr(h, i), mm_page_addr(h, j), (size_t)n << MM_PAGE_SHIFT);
    mm_set_kind(mm_desc(h, j - 1u), MM_K_INNER); /* old free tail */
    mm_set_kind(b, MM_K_INNER);                  /* old block head */
    mm_page *d = mm_desc(h, i);
    d->kind = MM_K_LARGE;
    d->count = (uint16_t)n;
    d->head = (uint16_t)i;
    d->u.owner = owner;
    mm_pages_give(h, i + n, gap);
    *owner = mm_page_addr(h, i);
}

size_t mm_compact(mm_heap *h)
{
    uint32_t st = MM_CFG_LOCK ? mm_port_lock() : 0u;
    uint32_t i = 0;
    mm_spare_release(h);
    while (i < h->npages) {
        const mm_page *d = mm_desc(h, i);
        if (d->kind != MM_K_FREE) {
            i += run_length(h, i);
            continue;
        }
        uint32_t j = i + d->count;
        if (j < h->npages && mm_desc(h, j)->kind == MM_K_LARGE &&
            mm_desc(h, j)->u.owner != NULL) {
            slide(h, i, j);
            i += mm_desc(h, i)->count; /* on to the moved-up free run */
        } else {
            i = j;
        }
    }
    size_t largest = (size_t)mm_pages_largest(h) << MM_PAGE_SHIFT;
    if (MM_CFG_LOCK) {
        mm_port_unlock(st);
    }
    return largest;
}
