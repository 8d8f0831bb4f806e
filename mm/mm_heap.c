/*
 * mm_heap.c - heap set-up, the small-object pools, and the public entry
 * points (dispatching sizes above MM_SMALL_MAX to mm_pages.c).
 *
 * Algorithm (after CPython's pymalloc, Lua's and o1heap's habits):
 *  1. A request of 1..MM_SMALL_MAX bytes maps to class (size-1)/8 by one
 *     subtract and one shift; size 0 wraps to a huge class and falls out
 *     of the small range with the same compare.
 *  2. Each class has a list of non-full pools (h->avail[c]). mm_alloc pops
 *     the first free block of the first such pool: the pool's free list is
 *     threaded through the blocks' first words as 32-bit offsets from the
 *     heap state (0 = end of list).
 *  3. The list's last block holds 0. Taking it carves the next
 *     MM_CARVE_BATCH never-used blocks (bump offset in the descriptor) onto
 *     the list, so that a new pool costs O(1) to set up instead of
 *     threading all its blocks; with nothing left to carve the pool is full
 *     and leaves the list (its link is 0 exactly while it is full).
 *  4. mm_free finds the block's page by (p - base) >> MM_PAGE_SHIFT, its
 *     pool head by the page's distance field, and pushes the block. A
 *     pool that was full rejoins its class list. A pool that becomes empty
 *     is kept as its class's spare (still listed; its count carries a bias
 *     of 1 so that later frees emptying it stay on the fast path); the
 *     class's previous spare, if still empty, goes back to the free runs
 *     (mm_pages_give). A free into an empty pool is a double free.
 *  5. A class with no non-full pool takes a run of pool_pages[c] pages
 *     (mm_pages_take, TLSF, O(1)); if none is left, every class's empty
 *     spare is given back (<= MM_NCLASS releases) and the take is retried
 *     once. Large blocks do the same (mm_pages.c).
 * Bound: fast paths have no loop and no call. The worst case adds one
 * mm_pages_take and one mm_pages_give (each O(1)), or on a failed take up
 * to MM_NCLASS gives and a second take, a loop over the pool's
 * <= MM_POOL_MAX_PAGES descriptors and one over <= MM_CARVE_BATCH blocks.
 * Reference: N. Schemenauer, T. Peters, "obmalloc.c" (CPython), 2001-.
 */
#include <string.h>

#include "mm_heap_int.h"

_Static_assert(sizeof(uint32_t) <= 8, "a free-list link fits the smallest block");

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
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base;
    size_t idx = off >> MM_PAGE_SHIFT;
    mm_err err = MM_EFOREIGN;
    const char *what = "foreign pointer";
    if (idx < h->npages) {
        const mm_page *d = mm_desc(h, idx);
        what = "pointer to no live block";
        if ((off & 7u) != 0 || (d->kind == MM_K_LARGE && idx == d->head)) {
            err = MM_EALIGN;
            what = "misaligned pointer";
        } else if (d->kind == MM_K_FREE && (off & (MM_PAGE_SIZE - 1u)) == 0) {
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
 * most 1/MM_POOL_WASTE_DIV and that hold MM_POOL_MIN_BLOCKS blocks (an
 * acceptable length with more blocks displaces a best one with too few),
 * else the least wasteful length. */
static void class_geometry(mm_heap *h, size_t c)
{
    size_t s = mm_class_size(c);
    size_t best_k = 0, best_waste = 0;
    for (size_t k = 1; k <= MM_POOL_MAX_PAGES; k++) {
        size_t bytes = k * MM_PAGE_SIZE;
        size_t waste = bytes - (bytes / s) * s;
        bool ok = waste * MM_POOL_WASTE_DIV <= bytes;
        if (bytes / s == 0) {
            continue;
        }
        if (best_k == 0 || (ok && best_k * MM_PAGE_SIZE / s < MM_POOL_MIN_BLOCKS) ||
            waste * best_k * MM_PAGE_SIZE < best_waste * bytes) {
            best_k = k;
            best_waste = waste;
        }
        if (ok && bytes / s >= MM_POOL_MIN_BLOCKS) {
            break;
        }
    }
    size_t bytes = best_k * MM_PAGE_SIZE;
    h->pool_pages[c] = (uint8_t)best_k;
    h->limit[c] = (uint16_t)((bytes / s) * s);
}

/* Page count for rest bytes: the largest n with n*(page+descriptor) <=
 * rest, capped at MM_MAX_PAGES. */
static size_t pages_for(size_t rest)
{
    size_t n = rest >> MM_PAGE_SHIFT;
    n = n > MM_MAX_PAGES ? MM_MAX_PAGES : n; /* also keeps n * 528 in range */
    while (n > 0 && n * (MM_PAGE_SIZE + sizeof(mm_page)) > rest) {
        n--;
    }
    return n;
}

mm_heap *mm_init(void *region, size_t size)
{
    uintptr_t start = ((uintptr_t)region + 7u) & ~(uintptr_t)7u;
    size_t pad = (size_t)(start - (uintptr_t)region);
    if (region == NULL || size < pad + MM_STATE_SIZE) {
        return NULL;
    }
    size_t n = pages_for(size - pad - MM_STATE_SIZE);
    if (n < MM_POOL_MAX_PAGES) {
        return NULL;
    }
    mm_heap *h = (mm_heap *)start;
    memset(h, 0, MM_STATE_SIZE + n * sizeof(mm_page));
    h->npages = (uint32_t)n;
    h->base = (char *)mm_desc(h, n);
    h->span8 = (uintptr_t)n << (MM_PAGE_SHIFT - 3u);
    h->region_size = size;
    for (size_t c = 0; c < MM_NCLASS; c++) {
        class_geometry(h, c);
    }
    for (size_t f = 0; f < MM_FL_COUNT; f++) {
        for (size_t s = 0; s < MM_SL_COUNT; s++) {
            h->bucket[f][s] = MM_NIL;
        }
    }
    mm_pages_give(h, 0, (uint32_t)n);
    h->magic = MM_MAGIC;
    return h;
}

/* ---- class lists ---- */

/* Puts pool (which has a free block) first in its class list. */
static void avail_push(mm_heap *h, size_t c, mm_page *pool)
{
    mm_page *first = h->avail[c];
    pool->prev = MM_NIL;
    pool->u.p.next = MM_NIL;
    if (first != NULL) {
        pool->u.p.next = (uint16_t)mm_desc_index(h, first);
        first->prev = (uint16_t)mm_desc_index(h, pool);
    }
    h->avail[c] = pool;
}

/* Takes pool out of its class list. */
static void avail_remove(mm_heap *h, size_t c, mm_page *pool)
{
    uint16_t next = pool->u.p.next, prev = pool->prev;
    if (prev == MM_NIL) {
        h->avail[c] = next == MM_NIL ? NULL : mm_desc(h, next);
    } else {
        mm_desc(h, prev)->u.p.next = next;
    }
    if (next != MM_NIL) {
        mm_desc(h, next)->prev = prev;
    }
}

/* ---- pools ---- */

/* Lists never-used block b (class c) with link `next`; debug builds give
 * it the freed-block poison, like any listed block. */
static void list_fresh(char *b, size_t c, uint32_t next)
{
    *(uint32_t *)(void *)b = next;
    if (MM_CFG_DEBUG) {
        memset(b + 4, MM_POISON_FREE, mm_class_size(c) - 4u);
    }
}

/* Makes a new empty pool for class c from the free runs; if no run is
 * long enough, gives back every class's cached empty pool (c has none: it
 * has no listed pool) and tries once more. NULL if that fails too. */
static mm_page *pool_new(mm_heap *h, size_t c)
{
    uint32_t k = h->pool_pages[c];
    uint32_t idx = mm_pages_take(h, k);
    if (idx == MM_NIL && mm_spare_release(h)) {
        idx = mm_pages_take(h, k);
    }
    if (idx == MM_NIL) {
        return NULL;
    }
    for (uint32_t i = 0; i < k; i++) {
        mm_page *d = mm_desc(h, idx + i);
        d->kind = MM_K_POOL;
        d->cls = (uint8_t)c;
        d->head = (uint16_t)i; /* distance back to the pool head */
    }
    mm_page *pool = mm_desc(h, idx);
    char *first = mm_page_addr(h, idx);
    uint32_t s = (uint32_t)mm_class_size(c);
    uint32_t listed = h->limit[c] > s ? 2u : 1u; /* the refill's block and
                                                    the next: no carve yet */
    list_fresh(first + s * (listed - 1u), c, 0);
    if (listed == 2u) {
        list_fresh(first, c, mm_ptr_link(h, first + s));
    }
    pool->u.p.link = mm_ptr_link(h, first);
    pool->u.p.nused = 0;
    pool->count = (uint16_t)(s * listed);
    avail_push(h, c, pool);
    if (++h->pools[c] > h->pools_peak[c]) {
        h->pools_peak[c] = h->pools[c];
    }
    h->pages_pool += k;
    mm_note_pages(h);
    return pool;
}

/* Gives an empty pool's pages back to the free runs. */
static void pool_release(mm_heap *h, size_t c, mm_page *pool)
{
    MM_DEBUG_ASSERT(pool->u.p.nused == 0 && pool->head == 0, "pool_release: pool in use");
    uint32_t idx = (uint32_t)mm_desc_index(h, pool);
    uint32_t k = h->pool_pages[c];
    for (uint32_t i = 0; i < k; i++) {
        mm_set_kind(mm_desc(h, idx + i), MM_K_INNER);
    }
    h->pools[c]--;
    h->pages_pool -= k;
    mm_pages_give(h, idx, k);
}

/* The block after the last listed one: carve up to MM_CARVE_BATCH
 * never-used blocks (threaded, the last with link 0) and return the first;
 * or, with none left, mark the pool full (link 0) and unlist it.
 *   [ used ... | bump | fresh fresh ... ] => [ used ... | b->b->0 | bump .. ] */
static uint32_t pool_carve(mm_heap *h, size_t c, mm_page *pool)
{
    uint32_t bump = pool->count, limit = h->limit[c];
    uint32_t s = (uint32_t)mm_class_size(c);
    if (bump >= limit) {
        avail_remove(h, c, pool);
        h->full[c]++;
        return 0;
    }
    uint32_t end = bump + MM_CARVE_BATCH * s;
    end = end < limit ? end : limit;
    char *start = mm_page_addr(h, mm_desc_index(h, pool));
    uint32_t base = mm_ptr_link(h, start);
    for (uint32_t off = bump; off + s < end; off += s) {
        list_fresh(start + off, c, base + off + s);
    }
    list_fresh(start + end - s, c, 0);
    pool->count = (uint16_t)end;
    return base + bump;
}

/* Small alloc when the fast path cannot: no pool, or the first free block
 * is the last listed one. Out of line so the fast path saves no registers. */
static __attribute__((noinline)) void *small_slow(mm_heap *h, size_t c)
{
    mm_page *pool = h->avail[c];
    if (pool == NULL) {
        pool = pool_new(h, c);
        if (pool == NULL) {
            return fail(h, MM_ENOMEM);
        }
    }
    uint32_t *b = mm_link_ptr(h, pool->u.p.link);
    uint32_t next = *b;
    if (next == 0) {
        next = pool_carve(h, c, pool);
    }
    pool->u.p.link = next;
    pool->u.p.nused++;
    return b;
}

/* Debug-only checks of a small free: block boundary, carved, not free. */
static bool small_free_ok(mm_heap *h, const mm_page *pool, size_t c,
                          const void *p)
{
    size_t s = mm_class_size(c);
    const char *start = mm_page_addr(h, mm_desc_index(h, pool));
    size_t off = (size_t)((const char *)p - start);
    if (off % s != 0 || off >= h->limit[c]) {
        mm_misuse(h, __FILE__, __LINE__, MM_EALIGN, "mm_free",
                  "misaligned pointer", p);
        return false;
    }
    if (off >= pool->count) {
        mm_misuse(h, __FILE__, __LINE__, MM_EFOREIGN, "mm_free",
                  "pointer to no live block", p);
        return false;
    }
    uint32_t link = pool->u.p.link;
    uint32_t target = mm_ptr_link(h, p);
    for (size_t n = 0; link != 0 && n <= h->limit[c] / s; n++) {
        if (link == target) {
            mm_misuse(h, __FILE__, __LINE__, MM_EDOUBLE, "mm_free",
                      "double free", p);
            return false;
        }
        link = *(const uint32_t *)mm_link_ptr(h, link);
    }
    return true;
}

/* Gives class c's spare back if it is still empty; true iff it did. The
 * spare's count carries a bias of 1 (see mm_pool_live), removed here. */
static bool spare_release_class(mm_heap *h, size_t c)
{
    mm_page *pool = h->spare[c];
    h->spare[c] = NULL;
    if (pool == NULL || --pool->u.p.nused != 0) {
        return false; /* none, or in use again since it was kept */
    }
    avail_remove(h, c, pool);
    pool_release(h, c, pool);
    return true;
}

bool mm_spare_release(mm_heap *h)
{
    bool any = false;
    for (size_t c = 0; c < MM_NCLASS; c++) {
        if (spare_release_class(h, c)) {
            any = true;
        }
    }
    return any;
}

/* A free the fast path leaves: the pool is full (not listed), holds one
 * block (about to be empty), or holds none (so p cannot be live: a double
 * free, reported; nothing changes). An emptied pool becomes its class's
 * spare (listed, so the class reuses it at once; its count gets the bias
 * of 1, so frees that empty it again stay on the fast path) and the
 * previous spare, if still empty, goes back to the free runs.
 *   alloc/free/alloc/free at a pool boundary => no refill/release thrash */
static __attribute__((noinline)) void small_free_slow(mm_heap *h, mm_page *pool,
                                                     void *p)
{
    size_t c = pool->cls;
    uint32_t first = pool->u.p.link;
    if (mm_pool_live(h, pool) == 0) {
        mm_misuse(h, __FILE__, __LINE__, MM_EDOUBLE, "mm_free", "double free", p);
        return;
    }
    *(uint32_t *)p = first;
    pool->u.p.link = mm_ptr_link(h, p);
    if (first == 0) {
        h->full[c]--;
        avail_push(h, c, pool);
    }
    if (--pool->u.p.nused == 0) { /* emptied, and not the spare (no bias) */
        spare_release_class(h, c);
        h->spare[c] = pool;
        pool->u.p.nused = 1u; /* the spare's bias */
    }
}

/* Pushes p on its pool's list. d: p's page, a pool page; checks done.
 * A count of 1 means one live block, or none in the (biased) spare. */
static inline void small_free(mm_heap *h, const mm_page *d, void *p)
{
    mm_page *pool = (mm_page *)(uintptr_t)(d - (MM_POOL_MAX_PAGES > 1 ? d->head : 0));
    uint32_t first = pool->u.p.link;
    uint32_t n = pool->u.p.nused;
    if (first == 0 || n <= 1u) {
        small_free_slow(h, pool, p); /* full, emptying, or double free */
        return;
    }
    *(uint32_t *)p = first;
    pool->u.p.link = mm_ptr_link(h, p);
    pool->u.p.nused = (uint16_t)(n - 1u);
}

/* Pops the first listed block of class c's first pool; NULL when the
 * fast path cannot serve (no pool, or the block is the last listed). */
static inline void *small_fast(mm_heap *h, size_t c)
{
    mm_page *pool = h->avail[c];
    if (pool != NULL) {
        uint32_t *b = mm_link_ptr(h, pool->u.p.link);
        uint32_t next = *b;
        if (next != 0) {
            pool->u.p.link = next;
            pool->u.p.nused++;
            return b;
        }
    }
    return NULL;
}

/* ---- public entry points ---- */

/* mm_alloc inside the lock: small (fast, then slow) or large. */
static void *alloc_unlocked(mm_heap *h, size_t size)
{
    size_t c = (size - 1u) >> 3; /* size 0 wraps: not small */
    if (c < MM_NCLASS) {
        void *b = small_fast(h, c);
        return b != NULL ? b : small_slow(h, c);
    }
    if (size == 0) {
        return fail(h, MM_EZERO);
    }
    return mm_large_alloc(h, size);
}

/* Everything mm_alloc does beyond the unlocked small fast path. */
static __attribute__((noinline)) void *alloc_slow(mm_heap *h, size_t size)
{
    uint32_t st = heap_lock();
    void *p = alloc_unlocked(h, size);
    heap_unlock(st);
    if (MM_CFG_DEBUG && p != NULL) {
        memset(p, MM_POISON_FRESH, mm_usable_size(h, p));
    }
    return p;
}

void *mm_alloc(mm_heap *h, size_t size)
{
    size_t c = (size - 1u) >> 3;
    if (MM_CFG_LOCK || MM_CFG_DEBUG || c >= MM_NCLASS) {
        return alloc_slow(h, size);
    }
    void *b = small_fast(h, c);
    return b != NULL ? b : small_slow(h, c); /* size is dead: fewer registers */
}

/* The descriptor of p's pool page or large head; NULL after reporting
 * misuse. Always-on checks: range, 8-alignment, page kind. */
static mm_page *lookup(const mm_heap *h, const void *p, const char *fn,
                       bool writable)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base;
    if (mm_in_pages(h, off)) {
        mm_page *d = mm_desc(h, off >> MM_PAGE_SHIFT);
        if (d->kind == MM_K_POOL ||
            (d->kind == MM_K_LARGE && (off & (MM_PAGE_SIZE - 1u)) == 0)) {
            return d;
        }
    }
    bad_pointer(h, fn, p, writable);
    return NULL;
}

/* mm_free inside the lock: every check, then the small or large path. */
static void free_unlocked(mm_heap *h, void *p)
{
    mm_page *d = lookup(h, p, fn_free, true);
    if (d == NULL) {
        return;
    }
    if (d->kind == MM_K_POOL) {
        if (MM_CFG_DEBUG) {
            const mm_page *pool = d - d->head;
            if (!small_free_ok(h, pool, d->cls, p)) {
                return;
            }
            memset((char *)p + 4, MM_POISON_FREE, mm_class_size(d->cls) - 4u);
        }
        small_free(h, d, p);
        return;
    }
    if (MM_CFG_DEBUG) {
        memset(p, MM_POISON_FREE, (size_t)d->count << MM_PAGE_SHIFT);
    }
    mm_large_free(h, (uint32_t)mm_desc_index(h, d));
}

/* Everything mm_free does beyond the unlocked small fast path. */
static __attribute__((noinline)) void free_slow(mm_heap *h, void *p)
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
    /* NULL wraps to a huge offset and takes the slow path too */
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base;
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && mm_in_pages(h, off)) {
        const mm_page *d = mm_desc(h, off >> MM_PAGE_SHIFT);
        if (d->kind == MM_K_POOL) {
            small_free(h, d, p);
            return;
        }
    }
    free_slow(h, p);
}

/* Bytes reserved for the block described by d (pool page or large head). */
static size_t usable(const mm_page *d)
{
    if (d->kind == MM_K_POOL) {
        return mm_class_size(d->cls);
    }
    return (size_t)d->count << MM_PAGE_SHIFT;
}

size_t mm_usable_size(const mm_heap *h, const void *p)
{
    if (p == NULL) {
        return 0;
    }
    uint32_t st = heap_lock();
    const mm_page *d = lookup(h, p, "mm_usable_size", false);
    size_t n = d == NULL ? 0 : usable(d);
    heap_unlock(st);
    return n;
}

/* Moves block p (described by d) to a new block of size bytes. */
static void *realloc_move(mm_heap *h, void *p, const mm_page *d, size_t size)
{
    size_t old = usable(d);
    void *q = alloc_unlocked(h, size);
    if (q == NULL) {
        return NULL;
    }
    if (MM_CFG_DEBUG) {
        memset(q, MM_POISON_FRESH, usable(lookup(h, q, "mm_realloc", true)));
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
    mm_page *d = lookup(h, p, "mm_realloc", true);
    if (d == NULL) {
        return NULL;
    }
    if (size == 0) {
        return fail(h, MM_EZERO);
    }
    if (d->kind == MM_K_POOL) {
        if (mm_size_class(size) == d->cls) {
            return p;
        }
    } else if (size > MM_SMALL_MAX &&
               mm_large_resize(h, (uint32_t)mm_desc_index(h, d), size)) {
        return p;
    }
    return realloc_move(h, p, d, size);
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
    mm_page *d = lookup(h, p, "mm_set_owner", true);
    if (d != NULL && d->kind == MM_K_LARGE) {
        d->u.owner = owner;
    }
    heap_unlock(st);
}

void mm_trim(mm_heap *h)
{
    uint32_t st = heap_lock();
    mm_spare_release(h);
    heap_unlock(st);
}

size_t mm_class_count(void)
{
    return MM_NCLASS;
}

size_t mm_size_class(size_t size)
{
    size_t c = (size - 1u) >> 3;
    return c < MM_NCLASS ? c : SIZE_MAX;
}
