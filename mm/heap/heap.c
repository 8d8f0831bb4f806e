/*
 * heap/heap.c - heap set-up, the small-object pools, and the public entry
 * points (dispatching sizes above MM_CFG_SMALL_MAX to heap/pages.c).
 *
 * Algorithm (after CPython's pymalloc and the segregated free lists of
 * Lua's and MicroPython's allocators, with o1heap's habit of O(1) bounds):
 *  1. A request of 1..MM_CFG_SMALL_MAX bytes maps to class (size-1)/8 by one
 *     subtract and one shift; size 0 wraps to a huge class and falls out
 *     of the small range with the same compare.
 *  2. Each class keeps ONE free list across all its pools, threaded
 *     through the blocks' first word, and a count of blocks handed out,
 *     side by side (h->cls[c]) so that the fast paths touch one pair of
 *     words: alloc pops, free pushes. No per-pool counter is kept, so the
 *     fast paths never look at a pool.
 *  3. mm_free finds the class of p from its page alone: (p - h) >> shift
 *     indexes h->cmap, one byte per page. The same compare that bounds p
 *     to the heap's pages checks its 8-alignment (mm_in_pages).
 *  4. An empty free list falls to the slow path: the class's newest pool
 *     hands out its never-used blocks one by one (a bump pointer, so a new
 *     pool costs O(1)); when it has none left, a new pool of
 *     pool_pages[c] pages comes from the wilderness above every page ever
 *     used (O(1), no search), or else from the indexed free runs (TLSF).
 *  5. Pools are not given back on free: knowing that a pool is empty would
 *     need a per-pool count on both fast paths. Instead mm_pools_reclaim
 *     (mm_trim, mm_compact, and any refill or large request that finds no
 *     free pages) counts the free blocks of every pool, unthreads the pools
 *     whose blocks are all free, and gives their pages back: O(pages + free
 *     small blocks), paid only when memory runs short or on request.
 * Reference: N. Schemenauer, T. Peters, "obmalloc.c" (CPython), 2001-.
 */
#include <string.h>

#include "heap/heap_int.h"

_Static_assert(sizeof(void *) <= 8, "a free-list link fits the smallest block");
_Static_assert(offsetof(struct mm_heap, cls) == 0, "class pairs first");

/* ---- locking ---- */

/* Enters the port's critical section when MM_CFG_LOCK asks for one. */
static inline uint32_t heap_lock(void)
{
    return MM_CFG_LOCK ? mm_port_lock() : 0u;
}

/* Leaves it again (state from heap_lock). */
static inline void heap_unlock(uint32_t state)
{
    if (MM_CFG_LOCK) {
        mm_port_unlock(state);
    }
}

/* ---- errors and misuse ---- */

const char *mm_strerror(mm_err e)
{
    switch (e) {
    case MM_OK: return "no error";
    case MM_ENOMEM: return "out of memory";
    case MM_EZERO: return "size 0 requested";
    case MM_ETOOBIG: return "size larger than the region";
    case MM_EFOREIGN: return "pointer not from this heap";
    case MM_EALIGN: return "pointer not on a block boundary";
    case MM_EDOUBLE: return "block already free";
    case MM_ECORRUPT: return "heap corrupt";
    }
    return "unknown error";
}

mm_err mm_last_error(const mm_heap *h)
{
    return h->err;
}

/* Appends text to buf (capacity n, kept NUL-terminated); returns the new
 * length. */
static size_t put_text(char *buf, size_t len, size_t n, const char *text)
{
    while (*text != '\0' && len + 1u < n) {
        buf[len++] = *text++;
    }
    buf[len] = '\0';
    return len;
}

/* Appends p as 0x and lower-case hex digits without leading zeros (the
 * host's %p), so the library needs no formatter for its misuse reports. */
static size_t put_ptr(char *buf, size_t len, size_t n, const void *p)
{
    static const char hex[] = "0123456789abcdef";
    char digits[2u * sizeof(uintptr_t) + 3u];
    size_t k = sizeof digits - 1u;
    uintptr_t v = (uintptr_t)p;
    digits[k] = '\0';
    do {
        digits[--k] = hex[v & 15u];
        v >>= 4;
    } while (v != 0);
    digits[--k] = 'x';
    digits[--k] = '0';
    return put_text(buf, len, n, &digits[k]);
}

void mm_misuse(mm_heap *h, const char *file, int line, mm_err err,
               const char *fn, const char *what, const void *p)
{
    char msg[96];
    size_t len = put_text(msg, 0, sizeof msg, fn);
    len = put_text(msg, len, sizeof msg, ": ");
    len = put_text(msg, len, sizeof msg, what);
    len = put_text(msg, len, sizeof msg, " ");
    put_ptr(msg, len, sizeof msg, p);
    if (h != NULL) {
        h->err = err;
    }
    mm_port_misuse(file, line, msg);
}

static const char fn_free[] = "mm_free"; /* compared by address */

/* Says why p is not a live block of h, and reports it. Only called once a
 * cheap check has failed, so speed does not matter. */
static void bad_pointer(const mm_heap *h, const char *fn, const void *p,
                        bool writable)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h;
    size_t idx = off >> MM_PAGE_SHIFT;
    mm_err err = MM_EFOREIGN;
    const char *what = "foreign pointer";
    if (idx >= h->meta && idx < h->npages) {
        uint8_t mark = h->cmap[idx];
        what = "pointer to no live block";
        if ((off & 7u) != 0 || mark == MM_C_LARGE) {
            err = MM_EALIGN;
            what = "misaligned pointer";
        } else if (mark == MM_C_FREE && (off & (MM_CFG_PAGE_SIZE - 1u)) == 0) {
            err = MM_EDOUBLE;
            what = fn == fn_free ? "double free" : "freed block";
        }
    }
    mm_misuse(writable ? (mm_heap *)(uintptr_t)h : NULL, __FILE__, __LINE__,
              err, fn, what, p);
}

/* Records err as the last error and yields the failed call's NULL. */
static inline void *fail(mm_heap *h, mm_err err)
{
    h->err = err;
    return NULL;
}

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

/* Offset of the descriptors from h: after the state and the page marks
 * (n, and one more past the last page: see mm_pages_give). */
static size_t desc_offset(size_t n)
{
    size_t a = sizeof(mm_pd);
    return (sizeof(struct mm_heap) + n + 1u + a - 1u) / a * a;
}

mm_heap *mm_init(void *region, size_t size)
{
    uintptr_t start = ((uintptr_t)region + 7u) & ~(uintptr_t)7u;
    size_t pad = (size_t)(start - (uintptr_t)region);
    if (region == NULL || size < pad || size - pad < MM_CFG_PAGE_SIZE) {
        return NULL;
    }
    size_t n = (size - pad) >> MM_PAGE_SHIFT;
    n = n > MM_MAX_PAGES ? MM_MAX_PAGES : n;
    size_t meta_bytes = desc_offset(n) + n * sizeof(mm_pd);
    size_t meta = (meta_bytes + MM_CFG_PAGE_SIZE - 1u) >> MM_PAGE_SHIFT;
    if (meta + MM_CFG_POOL_MAX_PAGES > n) {
        return NULL; /* too small for the state and one pool of each class */
    }
    mm_heap *h = (mm_heap *)start;
    memset(h, 0, meta_bytes);
    memset(h->cmap, MM_C_META, meta);
    memset(h->cmap + meta, MM_C_NONE, n - meta + 1u); /* and cmap[n] */
    h->desc = (mm_pd *)(start + desc_offset(n));
    h->npages = (uint32_t)n;
    h->meta = (uint32_t)meta;
    h->top = (uint32_t)meta;
    h->span8 = (uintptr_t)n << (MM_PAGE_SHIFT - 3u);
    h->region_size = size;
    for (size_t c = 0; c < MM_NCLASS; c++) {
        class_geometry(h, c);
    }
    for (size_t b = 0; b < MM_NBUCKET; b++) {
        h->bucket[b] = MM_NIL;
    }
    h->magic = MM_MAGIC;
    return h;
}

/* ---- pools ---- */

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

/* Small alloc when the class's free list is empty: the newest pool's next
 * never-used block, or the first block of a new pool. Out of line so that
 * the fast path saves no registers. */
static __attribute__((noinline)) void *small_slow(mm_heap *h, size_t c)
{
    char *b = h->bump[c];
    uint32_t left;
    if (b != NULL) {
        left = h->left[c];
    } else {
        b = pool_new(h, c);
        if (b == NULL) {
            return fail(h, MM_ENOMEM);
        }
        left = h->per_pool[c];
    }
    h->left[c] = (uint16_t)--left;
    h->bump[c] = left == 0 ? NULL : b + mm_class_size(c);
    h->cls[c].s.used++;
    return b;
}

void mm__small_double_free(mm_cls *k, size_t c, void *p)
{
    mm_heap *h = (mm_heap *)(void *)(k - c);
    mm_misuse(h, __FILE__, __LINE__, MM_EDOUBLE, "mm_free", "double free", p);
}

/* Debug-only checks of a small free: block boundary, handed out, not
 * already free. */
static bool small_free_ok(mm_heap *h, size_t idx, size_t c, const void *p)
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

/* ---- reclaiming empty pools ---- */

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

bool mm_pools_reclaim(mm_heap *h)
{
    bool any = false;
    pools_count(h);
    pools_unthread(h);
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

/* ---- public entry points ---- */

/* mm_alloc inside the lock: small (fast, then slow) or large. */
static void *alloc_unlocked(mm_heap *h, size_t size)
{
    size_t c = (size - 1u) >> 3; /* size 0 wraps: not small */
    if (c < MM_NCLASS) {
        void *b = mm__small_fast(h, c);
        return b != NULL ? b : small_slow(h, c);
    }
    if (size == 0) {
        return fail(h, MM_EZERO);
    }
    return mm_large_alloc(h, size);
}

/* The page of live block p (a pool page, or the head of a large block
 * that p starts); reports misuse and returns false otherwise. Always-on
 * checks: range, 8-alignment, page mark. */
static bool lookup(const mm_heap *h, const void *p, const char *fn, bool writable,
                   size_t *idx)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h;
    if (mm_in_pages(h, off)) {
        uint8_t mark = h->cmap[off >> MM_PAGE_SHIFT];
        if (mm_is_pool(mark) ||
            (mark == MM_C_LARGE && (off & (MM_CFG_PAGE_SIZE - 1u)) == 0)) {
            *idx = off >> MM_PAGE_SHIFT;
            return true;
        }
    }
    bad_pointer(h, fn, p, writable);
    return false;
}

/* Bytes reserved for the live block on page idx. */
static size_t usable(const mm_heap *h, size_t idx)
{
    uint8_t mark = h->cmap[idx];
    if (mm_is_pool(mark)) {
        return mm_class_size(mark);
    }
    return (size_t)mm_desc(h, idx)->len << MM_PAGE_SHIFT;
}

/* Everything mm_alloc does beyond the unlocked small fast path. */
static __attribute__((noinline)) void *alloc_slow(mm_heap *h, size_t size)
{
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && size > MM_CFG_SMALL_MAX) {
        return mm_large_alloc(h, size); /* large fast path */
    }
    uint32_t st = heap_lock();
    void *p = alloc_unlocked(h, size);
    if (MM_CFG_DEBUG && p != NULL) {
        memset(p, MM_CFG_POISON_FRESH, usable(h, mm_page_of(h, p)));
    }
    heap_unlock(st);
    return p;
}

void *mm_alloc(mm_heap *h, size_t size)
{
    size_t c = (size - 1u) >> 3;
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && c < MM_NCLASS) {
        void *b = mm__small_fast(h, c);
        return b != NULL ? b : small_slow(h, c);
    }
    return alloc_slow(h, size);
}

/* mm_free inside the lock: every check, then the small or large path. */
static void free_unlocked(mm_heap *h, void *p)
{
    size_t idx;
    if (!lookup(h, p, fn_free, true, &idx)) {
        return;
    }
    uint8_t mark = h->cmap[idx];
    if (mm_is_pool(mark)) {
        /* with none in use, small_free reports a double free: no poison */
        if (MM_CFG_DEBUG && h->cls[mark].s.used != 0) {
            if (!small_free_ok(h, idx, mark, p)) {
                return;
            }
            memset((char *)p + sizeof(void *), MM_CFG_POISON_FREE,
                   mm_class_size(mark) - sizeof(void *));
        }
        mm__small_free(h, mark, p);
        return;
    }
    if (MM_CFG_DEBUG) {
        memset(p, MM_CFG_POISON_FREE, usable(h, idx));
    }
    mm_large_free(h, (uint32_t)idx);
}

/* Everything mm_free does beyond its unlocked fast paths. */
__attribute__((noinline)) void mm__free_slow(mm_heap *h, void *p)
{
    if (p == NULL) {
        return;
    }
    uint32_t st = heap_lock();
    free_unlocked(h, p);
    heap_unlock(st);
}

void mm_free(mm_heap *h, void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h; /* NULL wraps: not inside */
    uint32_t mark = 0; /* no page: not MM_C_LARGE */
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && mm_in_pages(h, off)) {
        mark = h->cmap[off >> MM_PAGE_SHIFT];
        if (mark < MM_NCLASS) {
            mm__small_free(h, mark, p); /* small fast path */
            return;
        }
    }
    mm__free_large(h, p, off, mark);
}

size_t mm_usable_size(const mm_heap *h, const void *p)
{
    if (p == NULL) {
        return 0;
    }
    uint32_t st = heap_lock();
    size_t idx, n = 0;
    if (lookup(h, p, "mm_usable_size", false, &idx)) {
        n = usable(h, idx);
    }
    heap_unlock(st);
    return n;
}

/* Moves block p (on page idx) to a new block of size bytes. */
static void *realloc_move(mm_heap *h, void *p, size_t idx, size_t size)
{
    size_t old = usable(h, idx);
    void *q = alloc_unlocked(h, size);
    if (q == NULL) {
        return NULL;
    }
    if (MM_CFG_DEBUG) {
        memset(q, MM_CFG_POISON_FRESH, usable(h, mm_page_of(h, q)));
    }
    memcpy(q, p, old < size ? old : size);
    free_unlocked(h, p);
    return q;
}

/* mm_realloc inside the lock: in place when it can, else move. */
static void *realloc_unlocked(mm_heap *h, void *p, size_t size)
{
    if (p == NULL) {
        return alloc_unlocked(h, size);
    }
    size_t idx;
    if (!lookup(h, p, "mm_realloc", true, &idx)) {
        return NULL;
    }
    if (size == 0) {
        return fail(h, MM_EZERO);
    }
    uint8_t mark = h->cmap[idx];
    if (mm_is_pool(mark)) {
        if (mm_size_class(size) == mark) {
            return p;
        }
    } else if (size > MM_CFG_SMALL_MAX && mm_large_resize(h, (uint32_t)idx, size)) {
        return p;
    }
    return realloc_move(h, p, idx, size);
}

void *mm_realloc(mm_heap *h, void *p, size_t size)
{
    uint32_t st = heap_lock();
    void *q = realloc_unlocked(h, p, size);
    heap_unlock(st);
    return q;
}

void mm_set_owner(mm_heap *h, void *p, void **owner)
{
    uint32_t st = heap_lock();
    size_t idx;
    if (lookup(h, p, "mm_set_owner", true, &idx) && h->cmap[idx] == MM_C_LARGE) {
        mm_desc(h, idx)->u.owner = owner;
    }
    heap_unlock(st);
}

void mm_trim(mm_heap *h)
{
    uint32_t st = heap_lock();
    mm_pools_reclaim(h);
    heap_unlock(st);
}

size_t mm_size_class_count(void)
{
    return MM_NCLASS;
}

size_t mm_size_class(size_t size)
{
    size_t c = (size - 1u) >> 3;
    return c < MM_NCLASS ? c : SIZE_MAX;
}
