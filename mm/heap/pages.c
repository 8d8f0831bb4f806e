/*
 * heap/pages.c - page runs: the free-run index, large blocks, and
 * compaction. The bottom of the allocator: it calls no other allocator
 * file; heap/pools.c takes its pools' pages here and heap/heap.c its large
 * blocks.
 *
 * Algorithm (segregated free runs by powers of two, as in o1heap, over
 * run lengths in pages):
 *  1. A free run of n pages lives in bucket floor(log2 n): a doubly linked
 *     list of run heads through their descriptors; bit b of bmap says
 *     bucket b is not empty. One count of leading zeros of n gives both
 *     the list (mm_pages_slot) and the bit (0x80000000 >> clz).
 *  2. Taking n pages looks at the first run of n's own bucket, then at the
 *     first run of the lowest non-empty bucket above it (one find-first-
 *     set), whose runs are all long enough. The run's surplus goes back as
 *     a new free run.
 *  3. A run knows its length (head descriptor) and its tail knows its head,
 *     so giving pages back merges with both neighbours in O(1): the right
 *     neighbour's head is the next page, the left neighbour's head is
 *     named by the page just before (its cmap mark says FREE or TAIL).
 *     The mark at top is NONE (a wilderness page, or the extra mark past
 *     the last page), so the right neighbour is looked at before top.
 *     The large free is one straight path for its worst case (both
 *     neighbours free, each alone in its bucket, the merged run alone in
 *     its own): the bitmap is kept in a register, loaded and stored once,
 *     and the branches that would lengthen it are laid out the other way.
 *  4. Between the pages ever used lies the wilderness (pages top..end-1):
 *     it is not indexed; a take that finds no indexed run cuts from its
 *     start (top += n), a new pool from its end (end -= n), and a run
 *     given back next to it joins it instead of being indexed. So a fresh
 *     heap needs no set-up, and a new pool costs no search. Pools grow
 *     down from the region's end and areas and large blocks up from its
 *     start: the pools' single pages, which come and go with their
 *     classes, stay out of the runs the larger requests need.
 *  5. Only head and tail marks are written; every other page of a run
 *     stays MM_C_NONE. So a pointer into the middle of a large block is
 *     caught by its page mark without writing all its pages.
 *  6. Compaction walks the runs once, left to right; a free run followed by
 *     an owned large block swaps places with it (memmove, owner rewritten),
 *     and the free run then merges with whatever free run follows. It goes
 *     in steps (mm_pages_compact_step) so that heap/heap.c can release
 *     the lock between them: a step looks at MM_COMPACT_RUNS run starts
 *     with MM_CFG_LOCK=1 (all of them without), and a slide is a step that
 *     reserves the free run as a block with no owner, the copy run outside
 *     the lock, and a step that swaps the two (mm_pages_slide_end). The
 *     heap is whole between steps; the walk's cursor only moves forward,
 *     and a page that an interrupt's free or take changed is walked over
 *     a page at a time.
 * Bounds: take/give O(1) (one find-first-set, a few list edits). Compact
 * O(pages + bytes moved) in all; each step O(MM_COMPACT_RUNS), or O(1)
 * to begin or end a slide.
 * References: P. Kirienko, o1heap (constant-time allocator for hard
 * real-time systems), 2020-; M. Masmano et al., "TLSF: a new dynamic memory
 * allocator for real-time systems", ECRTS 2004.
 */
#include <string.h>

#include "heap/heap_int.h"

/* ---- the free-run index ---- */

/* The bitmap bit of the bucket of length n: 1 << floor(log2 n), from the
 * same count of leading zeros that finds the bucket's list. */
static inline uint32_t len_bit(uint32_t n)
{
    return 0x80000000u >> __builtin_clz(n);
}

/* Unlinks the free run of descriptor d (n pages) from its bucket; returns
 * bmap with the bucket's bit cleared if it emptied. Marks untouched. The
 * hot paths keep the bitmap in a local, so it is loaded and stored once. */
static inline uint32_t run_unlink(mm_zone *z, mm_pd *desc, mm_pd *d, uint32_t n, uint32_t bmap)
{
    MM_DEBUG_ASSERT(d->len == n, "run_unlink: not a free run head");
    uint32_t next = d->u.l.next, prev = d->u.l.prev;
    if (__builtin_expect(prev == MM_NIL, 1)) { /* likely: the worst case, laid out straight */
        *mm_pages_slot(z, n) = (uint16_t)next;
        if (__builtin_expect(next == MM_NIL, 1)) {
            return bmap & ~len_bit(n);
        }
    } else {
        desc[prev].u.l.next = (uint16_t)next;
        if (next == MM_NIL) {
            return bmap;
        }
    }
    desc[next].u.l.prev = (uint16_t)prev;
    return bmap;
}

/* Links run idx (n pages; descriptor d, mark cm = &cmap[idx]) at the
 * front of its bucket and writes its head and tail marks; returns bmap
 * with the bucket's bit set. */
static inline uint32_t run_insert(const mm_heap *h, mm_zone *z, mm_pd *desc, mm_pd *d,
                                  uint8_t *cm, uint32_t idx, uint32_t n, uint32_t bmap)
{
    MM_DEBUG_ASSERT(mm_run_in(h, idx, n) && idx + n != h->top && idx != h->end &&
                        d == desc + idx && cm == h->cmap + idx &&
                        z == &h->zone[idx >= h->end ? 1 : 0],
                    "run_insert: run out of range");
    (void)h;
    uint16_t *slot = mm_pages_slot(z, n);
    uint32_t first = *slot;
    d->len = (uint16_t)n;
    d->u.pair = MM_LINKS(MM_NIL, first); /* one store */
    if (__builtin_expect(first == MM_NIL, 1)) { /* the longer way, laid out straight */
        bmap |= len_bit(n); /* a non-empty bucket has its bit already */
    } else {
        desc[first].u.l.prev = (uint16_t)idx;
    }
    *slot = (uint16_t)idx;
    uint32_t last = n - 1u;
    cm[last] = MM_C_TAIL;
    cm[0] = MM_C_FREE; /* a 1-page run: its tail is its head */
    d[last].head = (uint16_t)idx;
    return bmap;
}

/* Takes free run idx (n pages) out of its bucket and clears its head and
 * tail marks. */
static inline void run_remove(mm_heap *h, uint32_t idx, uint32_t n)
{
    mm_zone *z = mm_zone_of(h, idx);
    MM_DEBUG_ASSERT(h->cmap[idx] == MM_C_FREE, "run_remove: not a free run head");
    z->bmap = run_unlink(z, h->desc, mm_desc(h, idx), n, z->bmap);
    h->cmap[idx] = MM_C_NONE;
    h->cmap[idx + n - 1u] = MM_C_NONE;
}

uint32_t mm_pages_take_top(mm_heap *h, uint32_t n)
{
    uint32_t idx = h->top;
    if (h->end - idx < n) {
        return MM_NIL;
    }
    h->top = idx + n;
    return idx;
}

uint32_t mm_pages_take_end(mm_heap *h, uint32_t n)
{
    uint32_t end = h->end;
    if (end - h->top < n) {
        return MM_NIL;
    }
    h->end = end - n;
    return end - n;
}

/* Takes n pages from a run of index z (the first run of n's own bucket
 * if it is long enough, else the first run of the next non-empty bucket
 * up, whose runs are all longer); MM_NIL if none. */
static uint32_t take_run(mm_heap *h, mm_zone *z, uint32_t n)
{
    mm_pd *desc = h->desc;
    uint32_t bmap = z->bmap;
    uint32_t idx = *mm_pages_slot(z, n);
    if (idx == MM_NIL || desc[idx].len < n) {
        uint32_t above = bmap & ~((len_bit(n) << 1) - 1u);
        if (above == 0) {
            return MM_NIL;
        }
        idx = *mm_pages_slot(z, above & -above); /* its lowest bucket */
    }
    uint32_t m = desc[idx].len;
    bmap = run_unlink(z, desc, desc + idx, m, bmap);
    h->cmap[idx] = MM_C_NONE;
    if (m > n) {
        /* [ taken | rest ]: the rest keeps the run's tail page (and mark) */
        uint32_t rest = idx + n;
        bmap = run_insert(h, z, desc, desc + rest, h->cmap + rest, rest, m - n, bmap);
    } else {
        h->cmap[idx + m - 1u] = MM_C_NONE;
    }
    z->bmap = bmap;
    return idx;
}

uint32_t mm_pages_take_side(mm_heap *h, uint32_t n, uint32_t side)
{
    uint32_t idx = take_run(h, &h->zone[side], n);
    if (idx == MM_NIL) {
        idx = side == 0 ? mm_pages_take_top(h, n) : mm_pages_take_end(h, n);
        if (idx == MM_NIL) {
            idx = take_run(h, &h->zone[side ^ 1u], n);
        }
    }
    return idx;
}

uint32_t mm_pages_take(mm_heap *h, uint32_t n)
{
    return mm_pages_take_side(h, n, 0);
}

/* Inlined into the large free for speed, except in a build for size. */
#ifdef __OPTIMIZE_SIZE__
#define GIVE_INLINE
#else
#define GIVE_INLINE __attribute__((always_inline))
#endif

/* Gives pages [idx, idx+n) back (mm_pages_give, inline for the large
 * free). Page idx may still carry its old mark; the others are NONE. The
 * run is followed by its descriptor d and mark cm as well as its index. */
static inline GIVE_INLINE void give(mm_heap *h, uint32_t idx, uint32_t n)
{
    mm_pd *desc = h->desc, *d = desc + idx;
    uint8_t *cm = h->cmap + idx;
    mm_zone *z = mm_zone_of(h, idx); /* the neighbours' runs are on the same side */
    uint32_t bmap = z->bmap;
    uint32_t lmark = cm[-1]; /* page meta-1 is a META page: never free */
    cm[0] = MM_C_NONE;
    if (__builtin_expect(lmark - MM_C_FREE <= MM_C_TAIL - MM_C_FREE, 1)) {
        /* [ free ][ this ] => [ ---- free ---- ]: the left run's head stays */
        uint32_t left = d[-1].head;
        mm_pd *dl = desc + left;
        uint32_t ln = dl->len;
        bmap = run_unlink(z, desc, dl, ln, bmap);
        cm[-1] = MM_C_NONE; /* its old tail (or head, marked below) */
        n += ln;
        idx = left;
        d = dl;
        cm -= ln;
    }
    /* the wilderness's pages are NONE, and so is the mark past the last
     * page: a FREE mark on either side is an indexed run */
    if (__builtin_expect(cm[n] == MM_C_FREE, 1)) {
        /* [ this ][ free ] => [ ---- this ---- ]: its tail page stays */
        mm_pd *dr = d + n;
        uint32_t rn = dr->len;
        bmap = run_unlink(z, desc, dr, rn, bmap);
        cm[n] = MM_C_NONE;
        n += rn;
    } else if (idx + n == h->top) {
        /* [ this ][ wilderness ] => [ wilderness ] */
        h->top = idx;
        cm[0] = MM_C_NONE;
        z->bmap = bmap;
        return;
    }
    if (idx == h->end) {
        /* [ wilderness ][ this ] => [ wilderness ]: no left merge was
         * possible (NONE before it); a right one left a tail mark */
        cm[n - 1u] = MM_C_NONE;
        h->end = idx + n;
        z->bmap = bmap;
        return;
    }
    z->bmap = run_insert(h, z, desc, d, cm, idx, n, bmap);
}

void mm_pages_give(mm_heap *h, uint32_t idx, uint32_t n)
{
    give(h, idx, n);
}

uint32_t mm_pages_largest(const mm_heap *h)
{
    uint32_t best = h->end - h->top;
    for (size_t k = 0; k < 2; k++) {
        const mm_zone *z = &h->zone[k];
        if (z->bmap == 0) {
            continue;
        }
        for (uint32_t i = mm_pages_first(z, mm_pages_bucket(z->bmap)); i != MM_NIL;
             i = mm_desc(h, i)->u.l.next) {
            uint32_t n = mm_desc(h, i)->len;
            best = n > best ? n : best;
        }
    }
    return best;
}

/* ---- large blocks ---- */

void *mm_large_new(mm_heap *h, uint32_t n)
{
    uint32_t idx = mm_pages_take(h, n);
    if (idx == MM_NIL) {
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

/* The accounting of freeing large block idx; returns its pages. */
static inline uint32_t large_uncount(mm_heap *h, uint32_t idx)
{
    MM_DEBUG_ASSERT(h->cmap[idx] == MM_C_LARGE, "mm_large_free: not a large block");
    uint32_t n = mm_desc(h, idx)->len;
    /* mm_note_pages and the two counts, all four words loaded first (two
     * ldrd on Thumb-2) */
    uint32_t pool = h->pages_pool + h->pages_mid, large = h->pages_large;
    uint32_t blocks = h->large_blocks, peak = h->pages_peak;
    if (pool + large > peak) {
        h->pages_peak = pool + large;
    }
    h->pages_large = large - n;
    h->large_blocks = blocks - 1u;
    return n;
}

void mm_large_free(mm_heap *h, uint32_t idx)
{
    uint32_t *tag = (uint32_t *)(void *)mm_page_addr(h, idx);
    *tag = mm_mid_key(tag) ^ MM_LARGE_DEAD; /* a second free says so */
    give(h, idx, large_uncount(h, idx)); /* inline: no call, no second push */
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
            uint32_t rest = r + extra;
            mm_zone *z = mm_zone_of(h, rest);
            z->bmap = run_insert(h, z, h->desc, mm_desc(h, rest), h->cmap + rest, rest, rn - extra,
                                 z->bmap);
        }
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
    uint32_t need = mm_pages_of(size), n = d->len;
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

/* Run starts looked at per step: all of them in one step without a lock
 * (no interrupt to let in), MM_COMPACT_RUNS with one. */
#define STEP_RUNS (MM_CFG_LOCK ? MM_COMPACT_RUNS : UINT32_MAX)

void mm_pages_compact_begin(mm_heap *h, mm_compactor *c)
{
    c->i = h->meta;
    c->largest = 0;
    c->n = 0;
}

/* Free run at i (gap pages), owned large block at j = i + gap right after
 * it: the run becomes a block with no owner, so that no allocation takes
 * it and no free merges with it while the copy runs (mm_pages_slide_end
 * swaps the two). */
static void slide_begin(mm_heap *h, mm_compactor *c, uint32_t i, uint32_t gap)
{
    uint32_t j = i + gap;
    mm_pd *b = mm_desc(h, j), *d = mm_desc(h, i);
    run_remove(h, i, gap);
    h->cmap[i] = MM_C_LARGE;
    d->len = (uint16_t)gap;
    d->u.owner = NULL;
    h->pages_large += gap; /* given back by mm_pages_slide_end: no peak */
    h->large_blocks++;
    c->dst = i;
    c->src = j;
    c->n = b->len;
    c->owner = b->u.owner;
    c->i = i + c->n; /* on to the run the slide frees */
}

bool mm_pages_compact_step(mm_heap *h, mm_compactor *c)
{
    c->n = 0;
    for (uint32_t k = 0; k < STEP_RUNS; k++) {
        uint32_t i = c->i;
        if (i >= h->top && i < h->end) {
            i = h->end; /* over the wilderness: it cannot move */
            c->i = i;
        }
        if (i >= h->npages) {
            uint32_t wild = h->end - h->top;
            c->largest = wild > c->largest ? wild : c->largest;
            return false;
        }
        uint8_t mark = h->cmap[i];
        if (mm_is_pool(mark)) {
            c->i = (uint32_t)mm_pool_head(h, i) + h->pool_pages[mark];
        } else if (mark == MM_C_LARGE) {
            c->i = i + mm_desc(h, i)->len;
        } else if (mark == MM_C_FREE) {
            uint32_t gap = mm_desc(h, i)->len, j = i + gap;
            /* j <= npages; the mark at top (wilderness) or npages is NONE */
            if (h->cmap[j] == MM_C_LARGE && mm_desc(h, j)->u.owner != NULL) {
                slide_begin(h, c, i, gap);
                return true;
            }
            c->largest = gap > c->largest ? gap : c->largest;
            c->i = j;
        } else {
            /* between steps an interrupt freed the pages before i (i is
             * now inside or at the end of a free run) or took a run
             * holding i: walk on a page at a time to the next start */
            c->i = i + 1u;
        }
    }
    return true;
}

void mm_pages_slide_end(mm_heap *h, mm_compactor *c)
{
    uint32_t i = c->dst, j = c->src, n = c->n, gap = j - i;
    mm_pd *b = mm_desc(h, j), *d = mm_desc(h, i);
    c->n = 0;
    if (h->cmap[j] != MM_C_LARGE || b->len != n || b->u.owner != c->owner) {
        /* freed, resized or re-registered by an interrupt while it was
         * copied: the contract forbids it; the copy is dropped */
        mm_misuse(h, __FILE__, __LINE__, MM_EFOREIGN, "mm_compact",
                  "block changed while moved", mm_page_addr(h, j));
        mm_large_free(h, i);
        return;
    }
    /* [ reserved i..j-1 ][ block j..j+n-1 ] => [ block i.. ][ free ..j+n-1 ] */
    h->cmap[j] = MM_C_NONE; /* old block head (page i keeps MM_C_LARGE) */
    d->len = (uint16_t)n;
    d->u.owner = c->owner;
    h->pages_large -= gap;
    h->large_blocks--;
    give(h, i + n, gap);
    *c->owner = mm_page_addr(h, i);
    if (MM__HOOKED(h)) {
        h->hook->on_move(h->hook->ctx, mm_page_addr(h, j), mm_page_addr(h, i));
    }
}
