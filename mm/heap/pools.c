/*
 * heap/pools.c - the small-object pools: size classes, pool refill, the
 * debug checks of a small free, and giving all-free pools back. Calls only
 * heap/pages.c (for pages) and heap/misuse.c; heap/heap.c calls it.
 *
 * Algorithm (after CPython's obmalloc, mimalloc's free-list sharding and
 * the segregated free lists of Lua's and MicroPython's allocators):
 *  1. A request of 1..MM_CFG_SMALL_MAX bytes maps to class (size-1)/8 by one
 *     subtract and one shift; size 0 wraps to a huge class and falls out
 *     of the small range with the same compare.
 *  2. Each class allocates from its WINDOW, a ring of at most
 *     MM_WINDOW_BLOCKS blocks' worth of pools (one pool while fewer than
 *     one page in MM_WINDOW_DIV is free) whose free blocks
 *     are all on one class list: h->cls[c] holds that list and the count
 *     of the window's blocks handed out, side by side, so that the alloc
 *     fast path (heap/heap_int.h) touches one pair of words. A free into a
 *     window pool (its head descriptor says MM_WIN) pushes on the same
 *     pair. Several pools in the window keep random frees on that path
 *     when a class's live blocks span several small pools.
 *  3. Every other pool of the class keeps its own free list (its first
 *     block in the head descriptor's `len`, mm_pool_list) and count of
 *     free blocks (the head descriptor's `head`). A free into
 *     it pushes there: with its first free block the pool joins the class's
 *     partial list, with its last the pool is given back to the pages at
 *     once (mm__pool_free). So no all-free pool is held but in windows,
 *     and no search is ever needed to find them. A window with no block
 *     in use is given back whole when pages run out (or by mm_trim).
 *  4. An empty class list falls to mm__small_slow: the newest window
 *     pool's never-used blocks (a bump pointer, so a new pool costs O(1));
 *     then every window pool is full, so the oldest leaves the window (O(1),
 *     no list to split) while the window is at its limit; the first partial
 *     pool joins the window (its list becomes the class list); else, while
 *     pages are scarce for the class's pool size, a mid chunk
 *     (mm_spill_pct, heap_int.h; a class's first pool only a listed
 *     chunk); else a new pool
 *     from the indexed free runs, or the wilderness (no search) when no
 *     run is free; else, with
 *     no free page, the idle window of another class is given back
 *     (every class looked at, round robin from the last one) and the take
 *     retried;
 *     else a free block of one of the next MM_FALLBACK_CLASSES larger
 *     classes is handed out (it goes back to its own class when freed);
 *     else a free mid chunk if one is big enough.
 * Bounds: every path O(1), the refill's loops bounded by
 * MM_CFG_POOL_MAX_PAGES (marks), mm_window_max, MM_NCLASS (the idle
 * window search, on the out-of-pages path only) and MM_FALLBACK_CLASSES.
 * mm_pools_reclaim (mm_trim, mm_compact) is O(classes it is given + the
 * blocks of their windows).
 * Reference: N. Schemenauer, T. Peters, "obmalloc.c" (CPython), 2001-.
 */

#include "heap/heap_int.h"

#include <string.h>

static_assert(sizeof(void *) <= 8, "a free-list link fits the smallest block");

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

/* ---- the partial list: pools not in the window, with a free block ---- */

/* Links pool i (head page) at the front of class c's partial list. */
static void partial_push(mm_heap *h, size_t c, uint32_t i)
{
    uint32_t first = h->partial[c];
    mm_desc(h, i)->u.pair = MM_LINKS(MM_NIL, first);
    if (first != MM_NIL) {
        mm_desc(h, first)->u.l.prev = (uint16_t)i;
    }
    h->partial[c] = (uint16_t)i;
}

/* Unlinks pool i from class c's partial list. */
static void partial_unlink(mm_heap *h, size_t c, uint32_t i)
{
    mm_pd *d = mm_desc(h, i);
    uint32_t prev = d->u.l.prev, next = d->u.l.next;
    if (prev == MM_NIL) {
        h->partial[c] = (uint16_t)next;
    } else {
        mm_desc(h, prev)->u.l.next = (uint16_t)next;
    }
    if (next != MM_NIL) {
        mm_desc(h, next)->u.l.prev = (uint16_t)prev;
    }
}

/* ---- pools given back ---- */

/* Takes a pool of class c out of the class's counts: its pages are given
 * back, or change class in place. */
static inline void pool_uncount(mm_heap *h, size_t c)
{
    h->pools_peak[c] = mm_peak_pools(h, c);
    h->pools[c]--;
    mm_note_pages(h);
    h->pages_pool -= h->pool_pages[c];
}

/* Gives the pages of pool i (head page) of class c back. O(1): marks
 * (pool_pages[c] <= MM_CFG_POOL_MAX_PAGES bytes, written in a loop rather
 * than by a library call) and one mm_pages_give. */
static void pool_release(mm_heap *h, size_t c, uint32_t i)
{
    uint32_t k = h->pool_pages[c];
    for (uint32_t j = 0; j < k; j++) { /* k <= MM_CFG_POOL_MAX_PAGES */
        h->cmap[i + j] = MM_C_NONE;
    }
    pool_uncount(h, c);
    mm_pages_give(h, i, k);
}

/* Sets or clears class c's bit in a bitmap of classes (curmap: the
 * window holds a pool; multimap: it holds several). */
static inline void classmap_set(uint32_t *map, size_t c, bool on)
{
    uint32_t bit = 1u << (c % 32u);
    map[c / 32u] = on ? map[c / 32u] | bit : map[c / 32u] & ~bit;
}

/* True when fewer than one page in div is free (runs and wilderness). */
static bool pages_below(const mm_heap *h, uint32_t div)
{
    return mm_pages_free(h) * div < h->npages - h->meta;
}

/* True when fewer than pct percent of the pages are free. */
static bool pages_below_pct(const mm_heap *h, uint32_t pct)
{
    return mm_pages_free(h) * 100u < (h->npages - h->meta) * pct;
}

/* ---- the window: pools whose free blocks are on the class list ---- */

/* Adds pool i (head page) to class c's window as its newest: its free
 * blocks `list` become the class list (which is empty: the window only
 * grows from mm__small_slow), its `used` blocks in use join the count. */
static inline void window_add(mm_heap *h, size_t c, uint32_t i, void *list, uint32_t used)
{
    mm_pd *d = mm_desc(h, i);
    uint32_t newest = h->cur[c];
    if (newest == MM_NIL) {
        d->u.pair = MM_LINKS(i, i);
        classmap_set(h->curmap, c, true);
    } else {
        mm_pd *n = mm_desc(h, newest);
        uint32_t oldest = n->u.l.next;
        d->u.pair = MM_LINKS(newest, oldest);
        n->u.l.next = (uint16_t)i;
        mm_desc(h, oldest)->u.l.prev = (uint16_t)i;
    }
    d->head = MM_WIN;
    d->len = 0; /* no own list: its free blocks are on the class list */
    h->cur[c] = (uint16_t)i;
    if (++h->nwin[c] == 2u) {
        classmap_set(h->multimap, c, true);
    }
    h->cls[c].s.head = list;
    h->cls[c].s.used += used;
}

/* Unlinks the oldest pool of class c's window (which holds one) and
 * returns its head page; the counts are the caller's. */
static inline uint32_t window_unlink_oldest(mm_heap *h, size_t c)
{
    uint32_t newest = h->cur[c];
    mm_pd *n = mm_desc(h, newest);
    uint32_t oldest = n->u.l.next;
    if (oldest == newest) {
        h->cur[c] = MM_NIL;
        classmap_set(h->curmap, c, false);
    } else {
        uint32_t next = mm_desc(h, oldest)->u.l.next;
        n->u.l.next = (uint16_t)next;
        mm_desc(h, next)->u.l.prev = (uint16_t)newest;
    }
    if (--h->nwin[c] == 1u) {
        classmap_set(h->multimap, c, false);
    }
    return oldest;
}

/* The oldest pool of class c's window leaves it. Only when the class list
 * and the bump are empty: every window pool is then full, so the pool
 * takes no list along and becomes a full pool (on no list). */
static void window_drop_oldest(mm_heap *h, size_t c)
{
    MM_DEBUG_ASSERT(h->cls[c].s.head == NULL && h->left[c] == 0,
                    "window_drop_oldest: the window has free blocks");
    uint32_t i = window_unlink_oldest(h, c);
    uint32_t per = h->per_pool[c];
    mm_desc(h, i)->head = 0;
    h->cls[c].s.used -= per;
    h->held[c] += per;
}

/* Empties class c's window, which has no block in use: every pool is
 * given back, except that the first one of k pages (k != 0) is returned
 * to the caller, out of the class's counts (its pages change class in
 * place). MM_NIL if none is kept. O(mm_window_max). */
static uint32_t window_empty(mm_heap *h, size_t c, uint32_t k)
{
    MM_DEBUG_ASSERT(h->cls[c].s.used == 0, "window_empty: pool in use");
    uint32_t kept = MM_NIL;
    h->cls[c].s.head = NULL;
    h->left[c] = 0;
    while (h->cur[c] != MM_NIL) { /* at most mm_window_max rounds */
        uint32_t i = window_unlink_oldest(h, c);
        if (kept == MM_NIL && h->pool_pages[c] == k) {
            pool_uncount(h, c);
            kept = i;
        } else {
            pool_release(h, c, i);
        }
    }
    return kept;
}

/* A class whose window has no block in use, looking at no more than
 * `probes` classes with a window, each at most once, round robin
 * from the one after the last looked at; MM_NCLASS if none. The classes
 * come from the bitmap of windows (one count of trailing zeros
 * each). */
static uint32_t idle_find(mm_heap *h, uint32_t probes)
{
    uint32_t start = h->idle_cursor + 1u < MM_NCLASS ? h->idle_cursor + 1u : 0u;
    uint32_t from = (1u << (start % 32u)) - 1u; /* bits below start in its word */
    for (uint32_t k = 0; k <= MM_NCMAP; k++) {
        uint32_t w = start / 32u + k;
        w = w >= MM_NCMAP ? w - MM_NCMAP : w;
        uint32_t bits = h->curmap[w];
        if (k == 0) {
            bits &= ~from; /* start's word: from start on */
        } else if (k == MM_NCMAP) {
            bits &= from;  /* back to it: the classes before start */
        }
        for (; bits != 0; bits &= bits - 1u) {
            uint32_t c = w * 32u + (uint32_t)__builtin_ctz(bits);
            h->idle_cursor = (uint8_t)c;
            if (h->cls[c].s.used == 0) {
                return c;
            }
            if (--probes == 0) {
                return MM_NCLASS;
            }
        }
    }
    return MM_NCLASS;
}

/* Splits class c's window back onto its pools (mm_trim): its never-used
 * and listed blocks go to their own pools' lists, then each pool is given
 * back if all its blocks are free, joins the partial list if one is, or
 * is a full pool. O(blocks in the window), at most
 * max(MM_WINDOW_BLOCKS, a pool's blocks) plus a pool's blocks. */
static void window_split(mm_heap *h, size_t c)
{
    mm_cls *k = &h->cls[c];
    while (h->left[c] != 0) { /* the bump's blocks, onto the class list */
        void **b = (void **)(void *)mm_pool_bump(h, c);
        h->left[c]--;
        if (MM_CFG_DEBUG) { /* as if freed: mm_check looks at the poison */
            memset(b + 1, MM_CFG_POISON_FREE, mm_class_size(c) - sizeof(void *));
        }
        *b = k->s.head;
        k->s.head = b;
    }
    uint32_t i = h->cur[c], per = h->per_pool[c];
    do { /* the ring's pools count their own free blocks from 0 */
        mm_desc(h, i)->head = 0;
        i = mm_desc(h, i)->u.l.next;
    } while (i != h->cur[c]);
    for (void **b = k->s.head; b != NULL;) {
        void **next = *b;
        size_t pool = mm_pool_head(h, mm_page_of(h, b));
        mm_pd *d = mm_desc(h, pool);
        char *page = mm_page_addr(h, pool);
        *b = mm_pool_list_at(d, page);
        mm_pool_list_put(d, page, b);
        d->head++;
        b = next;
    }
    k->s.head = NULL;
    k->s.used = 0;
    while (h->cur[c] != MM_NIL) {
        i = window_unlink_oldest(h, c);
        uint32_t nfree = mm_desc(h, i)->head;
        if (nfree == per) {
            pool_release(h, c, i);
            continue;
        }
        h->held[c] += per - nfree;
        if (nfree != 0) {
            partial_push(h, c, i);
        }
    }
}

/* With no idle window found: splits the first window of several pools
 * (multimap) back onto its pools, giving back those all free. false if
 * none is left. O(MM_NCMAP + its blocks). */
static bool window_split_some(mm_heap *h)
{
    for (uint32_t w = 0; w < MM_NCMAP; w++) {
        if (h->multimap[w] != 0) {
            window_split(h, w * 32u + (uint32_t)__builtin_ctz(h->multimap[w]));
            return true;
        }
    }
    return false;
}

bool mm_pools_release_idle(mm_heap *h, uint32_t probes)
{
    uint32_t c = idle_find(h, probes);
    if (c == MM_NCLASS) {
        return window_split_some(h);
    }
    window_empty(h, c, 0);
    return true;
}

bool mm_pools_reclaim(mm_heap *h, size_t from, size_t to)
{
    bool any = false;
    for (size_t c = from; c < to; c++) {
        if (h->cur[c] == MM_NIL) {
            continue;
        }
        if (h->cls[c].s.used == 0) {
            window_empty(h, c, 0);
        } else if (h->nwin[c] > 1) { /* one pool in use: kept */
            window_split(h, c);
        }
        any = true;
    }
    return any;
}

/* ---- free into a pool ---- */

/* More blocks freed into a pool than it has in use: reported. Out of line,
 * so that the free paths keep no frame for the report's arguments. */
static __attribute__((noinline, cold)) void pool_double_free(mm_heap *h, void *p)
{
    mm_misuse(h, __FILE__, __LINE__, MM_EDOUBLE, "mm_free", "double free", p);
}

/* Pushes blocks first -> ... -> last (n of them, on page idx) on their
 * pool: see mm__pool_free. The body of mm__pool_free and mm__run_flush,
 * each with its own constants. */
static inline __attribute__((always_inline)) void pool_free_chain(mm_heap *h, size_t idx,
                                                                  void *first, void *last,
                                                                  uint32_t n)
{
    /* the page's own class: a caller that frees on a size it knows
     * (mm__free_small_sized) may hold a block a larger class lent */
    size_t c = h->cmap[idx];
    uint32_t i = (uint32_t)mm_pool_head(h, idx);
    mm_pd *d = mm_desc(h, i);
    if (d->head == MM_WIN) {
        mm_cls *k = &h->cls[c];
        if (k->s.used < n) {
            mm__small_double_free(k, c, first);
            return;
        }
        *(void **)last = k->s.head;
        k->s.head = first;
        k->s.used -= n;
        return;
    }
    uint32_t nfree = d->head, now = nfree + n, per = h->per_pool[c];
    if (now >= per) { /* not the common case: the pool keeps a block in use */
        if (now > per) {
            pool_double_free(h, first);
            return;
        }
        h->held[c] -= n; /* the pool's last blocks: give the pool back */
        if (nfree != 0) {
            partial_unlink(h, c, i);
        }
        pool_release(h, c, i);
        return;
    }
    h->held[c] -= n;
    char *page = mm_page_addr(h, i);
    *(void **)last = mm_pool_list_at(d, page);
    mm_pool_list_put(d, page, first);
    d->head = (uint16_t)now;
    if (nfree == 0) { /* its first free blocks: the pool becomes partial */
        partial_push(h, c, i);
    }
}

__attribute__((noinline)) void mm__pool_free(mm_heap *h, size_t idx, void *p)
{
    pool_free_chain(h, idx, p, p, 1u);
}

__attribute__((noinline)) void mm__sized_free_other(mm_heap *h, size_t idx, void *p)
{
    if (!mm_is_pool(h->cmap[idx])) {
        mm_free(h, p); /* a mid chunk (R3, pressure) */
        return;
    }
    pool_free_chain(h, idx, p, p, 1u);
}

__attribute__((noinline)) void mm__run_flush(mm_heap *h, void *first, void *last, uint32_t n)
{
    pool_free_chain(h, mm_page_of(h, last), first, last, n);
}

/* ---- refill ---- */

/* Where pools take their pages (MM_CFG_POOLS_AT_END, R9): 1, the
 * wilderness's end and the holes among the pools; 0, the same side as
 * areas and large blocks. */
#define POOLS_AT_END (MM_CFG_POOLS_AT_END ? 1 : 0)

/* Pages for a new pool of k pages when a free run is indexed among the
 * pools or the wilderness has too few: mm_pages_take_side, else the idle
 * windows of other classes, one at a time (a pool of k pages taken over
 * as it is, else all given back and the take retried) until the take
 * succeeds or none is idle: at most MM_NCLASS rounds, on the
 * out-of-pages path only. MM_NIL if none. (A mid-size or large request
 * also splits windows: mm_pools_release_idle.) */
static __attribute__((noinline)) uint32_t pool_pages_slow(mm_heap *h, uint32_t k)
{
    for (;;) {
        uint32_t idx = mm_pages_take_side(h, k, POOLS_AT_END);
        if (idx != MM_NIL) {
            return idx;
        }
        uint32_t d = idle_find(h, MM_IDLE_PROBES);
        if (d == MM_NCLASS) {
            return MM_NIL;
        }
        /* a pool of the same length changes class in place (pool_new
         * marks it), without a trip through the free runs */
        idx = window_empty(h, d, k);
        if (idx != MM_NIL) {
            return idx;
        }
    }
}

/* A new pool for class c's window, which has room: the wilderness's end
 * when no run among the pools is free (no search), else pool_pages_slow
 * (a hole among the pools first, then the wilderness, then idle pools).
 * All its blocks are never-used (bump_take hands them out in order).
 * false if no pages. */
static bool pool_new(mm_heap *h, size_t c)
{
    uint32_t k = h->pool_pages[c];
    uint32_t idx = POOLS_AT_END ? h->end - k : h->top;
    if (h->zone[POOLS_AT_END].bmap == 0 && h->end - h->top >= k) {
        /* the usual case of pool_pages_slow's take, written out */
        if (POOLS_AT_END) {
            h->end = idx;
        } else {
            h->top = idx + k;
        }
    } else {
        idx = pool_pages_slow(h, k);
        if (idx == MM_NIL) {
            return false;
        }
    }
    if (MM_CFG_POOL_MAX_PAGES == 1) {
        h->cmap[idx] = (uint8_t)c;
    } else {
        for (uint32_t i = 0; i < k; i++) {
            h->cmap[idx + i] = (uint8_t)c;
            /* the head: no own list yet; the others: back to the head */
            mm_desc(h, idx + i)->len = (uint16_t)(i == 0 ? 0u : MM_POOL_TAIL | i);
        }
    }
    window_add(h, c, idx, NULL, 0);
    h->pools[c]++;     /* peaks: see mm_note_pages */
    h->pages_pool += k;
    h->left[c] = h->per_pool[c];
    return true;
}

/* Makes room in class c's window for a pool, when its list and bump are
 * empty (every window pool full): the oldest pool leaves it while it is at
 * its limit, mm_window_max, or at 1 while fewer than one page in
 * MM_WINDOW_DIV is free (so that pools go back with their last blocks);
 * two leave at most, so that a window shrinks by one a refill. O(1). */
static void window_make_room(mm_heap *h, size_t c)
{
    uint32_t n = h->nwin[c];
    if (n == 0) {
        return;
    }
    uint32_t room = pages_below(h, MM_WINDOW_DIV) ? 1u : mm_window_max(h, c);
    if (n >= room) {
        window_drop_oldest(h, c);
        if (n > room) {
            window_drop_oldest(h, c);
        }
    }
}

/* Adds partial pool i to class c's window and hands out its first free
 * block. */
static void *window_adopt(mm_heap *h, size_t c, uint32_t i)
{
    partial_unlink(h, c, i);
    void **b = mm_pool_list(h, i);
    uint32_t used = h->per_pool[c] - mm_desc(h, i)->head;
    h->held[c] -= used;
    window_add(h, c, i, *b, used + 1u);
    return b;
}

/* The next never-used block of class c's newest window pool (left[c] != 0). */
static void *bump_take(mm_heap *h, size_t c)
{
    char *b = mm_pool_bump(h, c);
    h->left[c]--;
    h->cls[c].s.used++;
    return b;
}

/* A free block of class d, from its class list, its bump or its first
 * partial pool; NULL if it has none. */
static void *class_take(mm_heap *h, size_t d)
{
    void *b = mm__small_fast(h, d);
    if (b != NULL) {
        return b;
    }
    if (h->left[d] != 0) {
        return bump_take(h, d);
    }
    uint32_t q = h->partial[d];
    if (q == MM_NIL) {
        return NULL;
    }
    mm_pd *qd = mm_desc(h, q);
    char *page = mm_page_addr(h, q);
    void **blk = mm_pool_list_at(qd, page);
    mm_pool_list_put(qd, page, *blk);
    h->held[d]++;
    if (--qd->head == 0) {
        partial_unlink(h, d, q);
    }
    return blk;
}

/* The first class above c with a partial pool, MM_NCLASS if none. At
 * most MM_NCLASS loads, on the out-of-pages path only (the fast paths
 * keep no bitmap for it). */
static uint32_t partial_above(const mm_heap *h, size_t c)
{
    uint32_t d = (uint32_t)c + 1u;
    while (d < MM_NCLASS && h->partial[d] == MM_NIL) {
        d++;
    }
    return d;
}

/* With no page to be had: a free block of one of the next
 * MM_FALLBACK_CLASSES classes above c (class list, bump or partial
 * pool), else of the first larger class with a partial pool, else NULL. */
static __attribute__((noinline)) void *class_fallback(mm_heap *h, size_t c)
{
    size_t last = c + MM_FALLBACK_CLASSES < MM_NCLASS ? c + MM_FALLBACK_CLASSES : MM_NCLASS - 1u;
    for (size_t d = c + 1u; d <= last; d++) {
        void *b = class_take(h, d);
        if (b != NULL) {
            return b;
        }
    }
    uint32_t d = partial_above(h, last);
    if (d < MM_NCLASS) {
        return class_take(h, d);
    }
    return NULL;
}

__attribute__((noinline)) void *mm__small_slow(mm_heap *h, size_t c)
{
    if (h->left[c] != 0) {
        return bump_take(h, c);
    }
    if (++h->reclaim_tick % MM_RECLAIM_EVERY == 0 && pages_below(h, MM_WINDOW_DIV)) {
        /* the incremental reclaim: another class's idle window given
         * back, or a window split back onto its pools */
        (void)mm_pools_release_idle(h, MM_RECLAIM_PROBES);
    }
    window_make_room(h, c);
    if (h->partial[c] != MM_NIL) {
        return window_adopt(h, c, h->partial[c]);
    }
    uint32_t pct = mm_spill_pct(h->per_pool[c]);
    if (MM_CFG_MID_MAX != 0 && pct != 0 && pages_below_pct(h, pct)) {
        /* a pool of so few blocks would hold mostly free bytes: a chunk
         * costs the block and 8 */
        void *b = h->pools[c] != 0 ? mm_mid_alloc(h, mm_class_size(c))
                                   : mm_mid_alloc_listed(h, mm_class_size(c));
        if (b != NULL) {
            return b;
        }
    }
    if (pool_new(h, c)) {
        return bump_take(h, c);
    }
    void *b = class_fallback(h, c);
    if (b == NULL && MM_CFG_MID_MAX != 0) {
        b = mm_mid_alloc_last(h, mm_class_size(c)); /* no page is left */
    }
    if (b == NULL) {
        h->err = MM_ENOMEM;
    }
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
    return mm_small_live_ok(h, idx, c, p, "mm_free", true, true);
}

bool mm_small_live_ok(const mm_heap *h, size_t idx, size_t c, const void *p,
                      const char *fn, bool writable, bool walk)
{
    mm_heap *w = writable ? (mm_heap *)(uintptr_t)h : NULL; /* records err */
    bool is_free = fn[3] == 'f'; /* "mm_free": a freed block is a double free */
    size_t s = mm_class_size(c);
    size_t head = mm_pool_head(h, idx);
    size_t off = (size_t)((const char *)p - mm_page_addr(h, head));
    if (off % s != 0 || off >= (size_t)h->per_pool[c] * s) {
        mm_misuse(w, __FILE__, __LINE__, MM_EALIGN, fn, "misaligned pointer", p);
        return false;
    }
    const char *bump = mm_pool_bump(h, c);
    if (bump != NULL && mm_pool_head(h, mm_page_of(h, bump)) == head &&
        (const char *)p >= bump) {
        mm_misuse(w, __FILE__, __LINE__, MM_EFOREIGN, fn, "pointer to no live block", p);
        return false;
    }
    const char *freed = is_free ? "double free" : "freed block";
    bool win = mm__in_window(h, head);
    if (win && h->cls[c].s.used == 0) {
        /* a window with none in use (any other pool holds a live block:
         * it is given back with its last) */
        mm_misuse(w, __FILE__, __LINE__, MM_EDOUBLE, fn, freed, p);
        return false;
    }
    /* the pool's free blocks: on the class list of a window pool (at most
     * the window's blocks), or the pool's own list (at most per_pool) */
    size_t bound = win ? (size_t)h->per_pool[c] * h->nwin[c] : h->per_pool[c];
    const void *b = !walk ? NULL : win ? h->cls[c].s.head : (const void *)mm_pool_list(h, head);
    for (size_t n = 0; b != NULL && n <= bound; n++) {
        if (b == p) {
            mm_misuse(w, __FILE__, __LINE__, MM_EDOUBLE, fn, freed, p);
            return false;
        }
        b = *(void *const *)b;
    }
    return true;
}
