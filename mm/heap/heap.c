/*
 * heap/heap.c - heap set-up and the public entry points. The top of the
 * allocator: it calls heap/pools.c for small blocks, heap/mid.c for
 * mid-size ones and heap/pages.c for large ones; none calls back.
 *
 * Dispatch, per call:
 *  - mm_alloc: size-1 >> 3 below MM_NCLASS is small (size 0 wraps to a huge
 *    class): the class window's free list pops inline (heap/heap_int.h),
 *    an empty list goes to mm__small_slow. Sizes up to MM_CFG_MID_MAX take
 *    a mid chunk (mm_mid_alloc_or_retry, mm_alloc's last call), larger ones
 *    a page run (mm_large_new); when neither can be had, idle windows are
 *    given back one at a time and the request retried.
 *  - mm_free: (p - h) >> page shift indexes h->cmap, one byte per page; the
 *    same compare that bounds p to the heap's pages checks its 8-alignment
 *    (mm_in_pages). A pool page's mark is the class: push inline on the
 *    class list (window pool) or call mm__pool_free (any other). A live
 *    mid block (its page marked MM_C_MID, its header's check word right)
 *    is freed by mm_mid_free_or_slow (mm_free's last call), the head of a
 *    large block by mm_large_free. Anything else (NULL, misuse, locked or
 *    debug builds) goes to mm__free_slow, which runs every check.
 * Bounds: as the paths they dispatch to, all O(1) (heap/pools.c,
 * heap/mid.c, heap/pages.c); mm_trim and mm_compact are the linear calls, taken in
 * bounded locked steps (RECLAIM_STEP, mm_pages_compact_step) with the lock
 * released in between and around a slide's copy; mm_realloc releases it
 * around a move's copy.
 */
#include <string.h>

#include "diag/trace_int.h"
#include "heap/heap_int.h"

static_assert(offsetof(struct mm_heap, cls) == 0, "class pairs first");

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

mm_err mm_last_error(const mm_heap *h)
{
    return h->err;
}

static const char fn_free[] = "mm_free"; /* compared by address */

/* Whether 8-aligned p (at offset off, on a page with mark) is a block
 * that was freed and whose pages are free now: the head of a free run
 * (a large block or a pool freed there); a large block's first page, or
 * a mid chunk whose area went back, still carrying the tag its free wrote
 * (a hash of its address: another pointer matches it 1 time in 2^32).
 * Pages handed out again may have lost the tag: then the report says
 * "pointer to no live block". */
static bool freed_here(const void *p, uintptr_t off, uint8_t mark)
{
    if (mark != MM_C_FREE && mark != MM_C_TAIL && mark != MM_C_NONE) {
        return false;
    }
    const uint32_t *w = p;
    if ((off & (MM_CFG_PAGE_SIZE - 1u)) == 0 &&
        (mark == MM_C_FREE || w[0] == (mm_mid_key(p) ^ MM_LARGE_DEAD))) {
        return true; /* a free run starts here, or a large block did */
    }
    const char *c = (const char *)p - MM_MID_HDR; /* a mid chunk's header */
    return MM_CFG_MID_MAX != 0 && mm_mid_tag_at(c) == mm_mid_tag(c, true);
}

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
        } else if (freed_here(p, off, mark)) {
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
    h->end = (uint32_t)n;
    h->span8 = (uintptr_t)n << (MM_PAGE_SHIFT - 3u);
    h->region_size = size;
    mm_pools_init(h);
    for (size_t b = 0; b < MM_NBUCKET; b++) {
        h->zone[0].bucket[b] = MM_NIL;
        h->zone[1].bucket[b] = MM_NIL;
    }
    mm_mid_init(h); /* a frugal heap's one area */
    h->magic = MM_MAGIC;
    return h;
}

/* ---- public entry points ---- */

/* A mid-size block (up to MM_CFG_MID_MAX bytes) or a large one (a page
 * run). */
static inline void *big_new(mm_heap *h, size_t size)
{
    if (size <= MM_CFG_MID_MAX) {
        return mm_mid_alloc(h, size);
    }
    return mm_large_new(h, mm_pages_of(size));
}

/* Lets an interrupt in: the lock (state *st; NULL: none held) is
 * released and taken again. */
static void lock_yield(uint32_t *st)
{
    if (MM_CFG_LOCK && st != NULL) {
        heap_unlock(*st);
        *st = heap_lock();
    }
}

/* True iff size bytes would not fit in h's pages even if all were free. */
static bool too_big(const mm_heap *h, size_t size)
{
    return size > ((size_t)(h->npages - h->meta) << MM_PAGE_SHIFT);
}

/* large_alloc once big_new has found nothing: the block after giving
 * back idle windows or splitting windows, one at a time, until it fits
 * or nothing is left to give (at most 2 x MM_NCLASS rounds:
 * O(classes)). The lock as large_alloc's. */
static void *large_retry(mm_heap *h, size_t size, uint32_t *st)
{
    if (too_big(h, size)) {
        return fail(h, MM_ETOOBIG);
    }
    void *p = NULL;
    if (MM_CFG_FRUGAL && mm_mid_give_tail(h)) {
        p = big_new(h, size); /* the pages a frugal area held free */
    }
    while (p == NULL) {
        lock_yield(st); /* an interrupt may run here */
        if (!mm_pools_release_idle(h, MM_IDLE_PROBES)) {
            break;
        }
        lock_yield(st);
        p = big_new(h, size);
    }
    return p != NULL ? p : fail(h, MM_ENOMEM);
}

/* A block of size (> MM_CFG_SMALL_MAX) bytes: a mid chunk or a page run,
 * else large_retry. The caller holds the lock (state *st; NULL: no
 * lock), released between a failed try and the next window given back,
 * and again before the retry. */
static void *large_alloc(mm_heap *h, size_t size, uint32_t *st)
{
    void *p = too_big(h, size) ? NULL : big_new(h, size);
    return p != NULL ? p : large_retry(h, size, st);
}

void *mm__alloc_retry(mm_heap *h, size_t size)
{
    return large_retry(h, size, NULL);
}

/* mm_alloc inside the lock: small (fast, then slow) or large. */
static void *alloc_unlocked(mm_heap *h, size_t size, uint32_t *st)
{
    size_t c = (size - 1u) >> 3; /* size 0 wraps: not small */
    if (c < MM_NCLASS && !MM_CFG_FRUGAL) {
        void *b = mm__small_fast(h, c);
        return b != NULL ? b : mm__small_slow(h, c);
    }
    if (size == 0) {
        return fail(h, MM_EZERO);
    }
    return large_alloc(h, size, st);
}

/* The page of live block p (a pool page, a mid block's page, or the head
 * of a large block that p starts); reports misuse and returns false
 * otherwise. Always-on checks: range, 8-alignment, page mark; a mid
 * block's header. */
static bool lookup(const mm_heap *h, const void *p, const char *fn, bool writable,
                   size_t *idx)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h;
    if (mm_in_pages(h, off)) {
        uint8_t mark = h->cmap[off >> MM_PAGE_SHIFT];
        if (mark == MM_C_MID) {
            *idx = off >> MM_PAGE_SHIFT;
            return mm_mid_ok(h, p, fn, writable);
        }
        if (mm_is_pool(mark) ||
            (mark == MM_C_LARGE && (off & (MM_CFG_PAGE_SIZE - 1u)) == 0)) {
            *idx = off >> MM_PAGE_SHIFT;
            return true;
        }
    }
    bad_pointer(h, fn, p, writable);
    return false;
}

/* Bytes reserved for live block p on page idx. */
static size_t usable(const mm_heap *h, const void *p, size_t idx)
{
    uint8_t mark = h->cmap[idx];
    if (mm_is_pool(mark)) {
        return mm_class_size(mark);
    }
    if (mark == MM_C_MID) {
        return mm_mid_usable(p);
    }
    return (size_t)mm_desc(h, idx)->len << MM_PAGE_SHIFT;
}

/* Failure injection (debug builds, mm_fail_after): counts an allocation
 * call and says whether it is the one (or, sticky, one of those) to fail. */
static bool inject_fail(mm_heap *h)
{
#if MM_CFG_DEBUG
    h->alloc_calls++;
    if (h->fail_in != 0u && --h->fail_in == 0u) {
        h->fail_in = h->fail_sticky; /* sticky: the next call fails too */
        return true;
    }
#else
    (void)h;
#endif
    return false;
}

/* The request size rounded up to 8 (what the caller may use), plus the
 * red zone; 0 if that overflows. */
static inline size_t rz_need(size_t size)
{
    size_t r = (size + 7u) & ~(size_t)7u;
    return r < size || r > SIZE_MAX - MM_RZ ? 0u : r + MM_RZ;
}

/* A block for a request of size bytes, inside the lock; with MM_CFG_DEBUG
 * filled with the fresh poison, with MM_REDZONE its red zone added and
 * written (heap/heap_int.h). */
static void *alloc_block(mm_heap *h, size_t size, uint32_t *st)
{
    if (!MM_REDZONE) {
        void *p = alloc_unlocked(h, size, st);
        if (MM_CFG_DEBUG && p != NULL) {
            memset(p, MM_CFG_POISON_FRESH, usable(h, p, mm_page_of(h, p)));
        }
        return p;
    }
    if (size == 0) {
        return fail(h, MM_EZERO);
    }
    size_t need = rz_need(size);
    if (need == 0) {
        return fail(h, MM_ETOOBIG);
    }
    void *p = alloc_unlocked(h, need, st);
    if (p != NULL) {
        memset(p, MM_CFG_POISON_FRESH, need - MM_RZ);
        mm_rz_set(p, usable(h, p, mm_page_of(h, p)), need - MM_RZ);
    }
    return p;
}

/* The bytes of live block p (on page idx) its caller may use: the block
 * (with MM_REDZONE the request rounded up to 8). */
static size_t usable_req(const mm_heap *h, size_t idx, const void *p)
{
    size_t n = usable(h, p, idx);
    return MM_REDZONE ? mm_rz_req(p, n) : n;
}

/* The red zone of live block p (block bytes) is whole; else reported as
 * "fn: write past block end" (MM_ECORRUPT) and false. Debug builds. */
static bool rz_check(const mm_heap *h, const void *p, size_t block, const char *fn,
                     bool writable)
{
    if (mm_rz_ok(p, block)) {
        return true;
    }
    mm_misuse(writable ? (mm_heap *)(uintptr_t)h : NULL, __FILE__, __LINE__, MM_ECORRUPT, fn,
              "write past block end", p);
    return false;
}

/* mm_alloc inside the lock, with the debug build's injection, red zone
 * and fill. */
static void *alloc_locked(mm_heap *h, size_t size, uint32_t *st)
{
    if (size != 0 && inject_fail(h)) {
        return fail(h, MM_ENOMEM);
    }
    return alloc_block(h, size, st);
}

/* Everything mm_alloc does beyond the unlocked small fast path. */
static __attribute__((noinline)) void *alloc_slow(mm_heap *h, size_t size)
{
    bool big = size > MM_CFG_SMALL_MAX || (MM_CFG_FRUGAL && size != 0); /* not a pool's */
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && big) {
        return large_alloc(h, size, NULL); /* mid-size and large fast path */
    }
    uint32_t st = heap_lock();
    void *p = alloc_locked(h, size, &st);
    heap_unlock(st);
    return p;
}

/* mm_alloc's body: the small fast path inline, the rest out of line. */
static inline __attribute__((always_inline)) void *alloc_body(mm_heap *h, size_t size)
{
    size_t c = (size - 1u) >> 3;
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && !MM_CFG_FRUGAL && c < MM_NCLASS) {
        void *b = mm__small_fast(h, c);
        return b != NULL ? b : mm__small_slow(h, c);
    }
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && size != 0 && size <= MM_CFG_MID_MAX) {
        /* a mid-size request (a frugal heap's every request up to
         * MM_CFG_MID_MAX): a chunk; with none, mm__alloc_retry gives
         * idle pools back and tries again, or sets the error */
        return mm_mid_alloc_or_retry(h, size);
    }
    return alloc_slow(h, size);
}

/* An allocation while a hook is attached: the block, then its trace
 * recorded into the heap's only observer, a tracer, or else the hook
 * told. */
static __attribute__((noinline)) void *alloc_hooked(mm_heap *h, size_t size, const char *file,
                                                    int line)
{
    void *p = alloc_body(h, size);
    if (p != NULL) {
        mm_tracer *t = h->trace;
        if (t != NULL) {
            mm__trace_record(t, p, size, file, line);
        } else {
            h->hook->on_alloc(h->hook->ctx, p, size, file, line);
        }
    }
    return p;
}

/* mm_alloc_at with the tracer as the heap's only observer (h->trace set).
 * The common case inline: a small block on its class list whose home
 * slot in the trace table is free; the block is popped and recorded with
 * no call (so no register is saved for one). Anything else (the table's
 * rarer steps included) alloc_hooked, before anything has changed. */
static __attribute__((noinline)) void *alloc_traced(mm_heap *h, size_t size, const char *file,
                                                    int line)
{
    mm_tracer *t = h->trace;
    size_t c = (size - 1u) >> 3;
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && c < MM_NCLASS) {
        mm_cls *k = &h->cls[c];
        void *b;
        uintptr_t used;
        mm__cls_load(k, &b, &used);
        mm_trace_entry *e;
        if (b != NULL && (e = mm__trace_put_slot(t, b)) != NULL) {
            mm__cls_store(k, *(void **)b, used + 1u);
            mm__trace_put(t, e, b, (uint32_t)size, file, line);
            return b;
        }
    }
    return alloc_hooked(h, size, file, line);
}

/* The untraced entry point (its body is inlined into mm_alloc_at too,
 * behind the hook test). */
__attribute__((noinline)) void *(mm_alloc)(mm_heap *h, size_t size)
{
    return alloc_body(h, size);
}

void *mm_alloc_at(mm_heap *h, size_t size, const char *file, int line)
{
    if (MM__HOOKED(h)) {
        return h->trace != NULL ? alloc_traced(h, size, file, line)
                                : alloc_hooked(h, size, file, line);
    }
    return alloc_body(h, size);
}

/* The inline tracer: h's attached tracer while its hook is h's only one. */
static void set_trace(mm_heap *h)
{
    mm_tracer *t = h->tracer;
    h->trace = t != NULL && h->hook == &t->hook && t->next == NULL ? t : NULL;
}

const mm_alloc_hook *mm_set_alloc_hook(mm_heap *h, const mm_alloc_hook *hook)
{
    const mm_alloc_hook *old = h->hook;
    if (MM_CFG_TRACE) {
        h->hook = hook;
        set_trace(h);
    }
    return old;
}

void mm__heap_set_tracer(mm_heap *h, mm_tracer *t)
{
    if (MM_CFG_TRACE) {
        h->tracer = t;
        set_trace(h);
    }
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
        /* a window with none in use: mm__small_push reports a double
         * free (no poison); otherwise the checks, then the poison */
        if (MM_CFG_DEBUG && (!mm__in_window(h, idx) || h->cls[mark].s.used != 0)) {
            if (!mm_small_free_ok(h, idx, mark, p) ||
                (MM_REDZONE && !rz_check(h, p, mm_class_size(mark), fn_free, true))) {
                return;
            }
            memset((char *)p + sizeof(void *), MM_CFG_POISON_FREE,
                   mm_class_size(mark) - sizeof(void *));
        }
        mm__small_push(h, mark, idx, p);
        return;
    }
    if (MM_CFG_DEBUG) {
        if (MM_REDZONE && !rz_check(h, p, usable(h, p, idx), fn_free, true)) {
            return;
        }
        memset(p, MM_CFG_POISON_FREE, usable(h, p, idx));
    }
    if (mark == MM_C_MID) {
        mm_mid_free(h, p);
        return;
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

/* mm_free past its small fast path: p (at offset off from h, on a page
 * with mark, or mark 0 if p is outside the pages) is a live mid block or
 * the head of a large block (an unlocked non-debug build frees it at
 * once), or anything else for mm__free_slow. Out of line, so that the small
 * path saves no register. */
static __attribute__((noinline)) void free_large(mm_heap *h, void *p, uintptr_t off,
                                                 uint32_t mark)
{
    if (mark == MM_C_MID) {
        mm_mid_free_or_slow(h, p);
        return;
    }
    if (mark == MM_C_LARGE && (off & (MM_CFG_PAGE_SIZE - 1u)) == 0) {
        mm_large_free(h, (uint32_t)(off >> MM_PAGE_SHIFT));
        return;
    }
    mm__free_slow(h, p);
}

/* mm_free without the hook test. */
static inline __attribute__((always_inline)) void free_body(mm_heap *h, void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h; /* NULL wraps: not inside */
    uint32_t mark = 0; /* no page: not MM_C_LARGE */
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && mm_in_pages(h, off)) {
        mark = h->cmap[off >> MM_PAGE_SHIFT];
        if (mark < MM_NCLASS && !MM_CFG_FRUGAL) {
            mm__small_push(h, mark, off >> MM_PAGE_SHIFT, p); /* small fast path */
            return;
        }
        if (MM_CFG_FRUGAL && mark == MM_C_MID) {
            mm_mid_free_or_slow(h, p); /* a frugal heap's usual block */
            return;
        }
    }
    free_large(h, p, off, mark);
}

/* mm_free while a hook is attached, past the inline tracer's small fast
 * path: p's trace forgotten (only a traced block is found) or the hook
 * told (only of a live block), then the free; a bad pointer is reported
 * once, by free_body. */
static __attribute__((noinline)) void free_hooked(mm_heap *h, void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h;
    if (mm_in_pages(h, off)) { /* every block is (NULL wraps: it is not) */
        mm_tracer *t = h->trace;
        if (t != NULL) {
            mm__trace_forget(t, p);
            free_body(h, p);
            return;
        }
        size_t idx = off >> MM_PAGE_SHIFT;
        uint8_t mark = h->cmap[idx];
        if (mm_is_pool(mark) || (mark == MM_C_MID && mm_mid_live(h, p) == MM_OK) ||
            (mark == MM_C_LARGE && (off & (MM_CFG_PAGE_SIZE - 1u)) == 0)) {
            h->hook->on_free(h->hook->ctx, p, usable(h, p, idx));
        }
    }
    free_body(h, p);
}

/* The common case of the tracer as the only observer inline: a small
 * block whose trace sits in its home slot with nothing to shift back;
 * the trace goes and the block is pushed with no call. Anything else
 * free_hooked, before anything has changed. */
void mm__free_hooked(mm_heap *h, void *p)
{
    mm_tracer *t = h->trace;
    uintptr_t off = (uintptr_t)p - (uintptr_t)h; /* NULL wraps: not inside */
    if (t != NULL && !MM_CFG_LOCK && !MM_CFG_DEBUG && mm_in_pages(h, off)) {
        uint32_t mark = h->cmap[off >> MM_PAGE_SHIFT];
        mm_trace_entry *e;
        if (mark < MM_NCLASS && (e = mm__trace_take_slot(t, p)) != NULL) {
            mm__trace_take(t, e);
            mm__small_push(h, mark, off >> MM_PAGE_SHIFT, p);
            return;
        }
    }
    free_hooked(h, p);
}

void mm_free(mm_heap *h, void *p)
{
    if (MM__HOOKED(h)) {
        mm__free_hooked(h, p);
        return;
    }
    free_body(h, p);
}

size_t mm_usable_size(const mm_heap *h, const void *p)
{
    if (p == NULL) {
        return 0;
    }
    uint32_t st = heap_lock();
    size_t idx, n = 0;
    if (lookup(h, p, "mm_usable_size", false, &idx) &&
        (!mm_is_pool(h->cmap[idx]) ||
         mm_small_live_ok(h, idx, h->cmap[idx], p, "mm_usable_size", false, MM_CFG_DEBUG))) {
        n = usable_req(h, idx, p);
    }
    heap_unlock(st);
    return n;
}

/* Moves block p (on page idx) to a new block of size bytes. The caller
 * holds the lock (state *st); it is released for the copy: p is still the
 * caller's and q nobody's yet, so no interrupt can touch either, and the
 * copy, linear in the block's size, runs with interrupts enabled. */
static void *realloc_move(mm_heap *h, void *p, size_t idx, size_t size, uint32_t *st)
{
    size_t old = usable_req(h, idx, p);
    void *q = alloc_block(h, size, st);
    if (q == NULL) {
        return NULL;
    }
    heap_unlock(*st);
    memcpy(q, p, old < size ? old : size);
    *st = heap_lock();
    free_unlocked(h, p);
    return q;
}

/* mm_realloc inside the lock (state *st): in place when it can, else
 * move. */
static void *realloc_unlocked(mm_heap *h, void *p, size_t size, uint32_t *st)
{
    if (p == NULL) {
        return alloc_locked(h, size, st);
    }
    size_t idx;
    if (!lookup(h, p, "mm_realloc", true, &idx) ||
        (mm_is_pool(h->cmap[idx]) &&
         !mm_small_live_ok(h, idx, h->cmap[idx], p, "mm_realloc", true, MM_CFG_DEBUG)) ||
        (MM_REDZONE && !rz_check(h, p, usable(h, p, idx), "mm_realloc", true))) {
        return NULL;
    }
    if (size == 0) {
        return fail(h, MM_EZERO);
    }
    if (inject_fail(h)) {
        return fail(h, MM_ENOMEM);
    }
    /* the block's bytes in use before, read before a resize moves its end */
    size_t need = MM_REDZONE ? rz_need(size) : size;
    size_t old = MM_REDZONE ? usable_req(h, idx, p) : 0u;
    if (need == 0) {
        return fail(h, MM_ETOOBIG);
    }
    uint8_t mark = h->cmap[idx];
    if ((mm_is_pool(mark) && mm_size_class(need) == mark) ||
        (mark == MM_C_MID && mm_mid_resize(h, p, need)) ||
        (mark == MM_C_LARGE && need > MM_CFG_SMALL_MAX &&
         mm_large_resize(h, (uint32_t)idx, need))) {
        if (MM_REDZONE) { /* in place: the red zone moves to the new end */
            size_t now = need - MM_RZ;
            if (now > old) {
                memset((char *)p + old, MM_CFG_POISON_FRESH, now - old);
            }
            mm_rz_set(p, usable(h, p, idx), now);
        }
        return p;
    }
    return realloc_move(h, p, idx, size, st);
}

void *mm_realloc_at(mm_heap *h, void *p, size_t size, const char *file, int line)
{
    mm_err err; /* the status is mm_last_error's to report here */
    return mm_realloc_err_at(h, p, size, &err, file, line);
}

void *mm_realloc_err_at(mm_heap *h, void *p, size_t size, mm_err *err, const char *file,
                        int line)
{
    size_t old = MM__HOOKED(h) && p != NULL ? mm_usable_size(h, p) : 0;
    uint32_t st = heap_lock();
    void *q = realloc_unlocked(h, p, size, &st);
    *err = q != NULL ? MM_OK : h->err; /* read before an ISR may call in */
    heap_unlock(st);
    if (MM__HOOKED(h) && q != NULL) {
        if (p != NULL) { /* moved or resized: the old life ends here */
            h->hook->on_free(h->hook->ctx, p, old);
        }
        h->hook->on_alloc(h->hook->ctx, q, size, file, line);
    }
    return q;
}

void *mm_realloc_err(mm_heap *h, void *p, size_t size, mm_err *err)
{
    return mm_realloc_err_at(h, p, size, err, NULL, 0);
}

void mm_fail_after(mm_heap *h, uint32_t n, bool sticky)
{
#if MM_CFG_DEBUG
    uint32_t st = heap_lock();
    h->fail_in = n;
    h->fail_sticky = sticky ? 1u : 0u;
    heap_unlock(st);
#else
    (void)h;
    (void)n;
    (void)sticky;
#endif
}

uint32_t mm_alloc_calls(const mm_heap *h)
{
#if MM_CFG_DEBUG
    return h->alloc_calls;
#else
    (void)h;
    return 0;
#endif
}

void *(mm_realloc)(mm_heap *h, void *p, size_t size)
{
    return mm_realloc_at(h, p, size, NULL, 0);
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

/* Classes whose idle windows one locked step of mm_trim and mm_compact
 * gives back or splits: one with MM_CFG_LOCK=1 (a window's blocks moved to
 * their pools, at most max(MM_WINDOW_BLOCKS, a pool's blocks), and its
 * all-free pools given back), all in one step without. */
#define RECLAIM_STEP (MM_CFG_LOCK ? 1u : MM_NCLASS)

/* mm_trim's body: the lock is taken for one step at a time, so that an
 * interrupt may run between them; the last gives back the empty area a
 * frugal heap keeps. */
static void reclaim_all(mm_heap *h)
{
    for (size_t c = 0; c < MM_NCLASS; c += RECLAIM_STEP) {
        size_t to = c + RECLAIM_STEP < MM_NCLASS ? c + RECLAIM_STEP : MM_NCLASS;
        uint32_t st = heap_lock();
        mm_pools_reclaim(h, c, to);
        heap_unlock(st);
    }
    uint32_t st = heap_lock();
    mm_mid_trim(h);
    heap_unlock(st);
}

size_t mm_compact(mm_heap *h)
{
    reclaim_all(h);
    mm_compactor c;
    uint32_t st = heap_lock();
    mm_pages_compact_begin(h, &c);
    for (;;) {
        bool more = mm_pages_compact_step(h, &c);
        if (c.n != 0) {
            /* the reserved run and the block are the compactor's alone:
             * the copy runs with the lock released */
            heap_unlock(st);
            memmove(mm_page_addr(h, c.dst), mm_page_addr(h, c.src),
                    (size_t)c.n << MM_PAGE_SHIFT);
            st = heap_lock();
            mm_pages_slide_end(h, &c);
        }
        if (!more) {
            break;
        }
        heap_unlock(st); /* an interrupt may run here */
        st = heap_lock();
    }
    heap_unlock(st);
    return (size_t)c.largest << MM_PAGE_SHIFT;
}

void mm_trim(mm_heap *h)
{
    reclaim_all(h);
}

size_t mm_size_class_count(void)
{
    return MM_CFG_FRUGAL ? 0u : MM_NCLASS;
}

size_t mm_size_class(size_t size)
{
    size_t c = (size - 1u) >> 3;
    return c < mm_size_class_count() ? c : SIZE_MAX;
}
