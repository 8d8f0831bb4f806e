/*
 * mm_heap_int.h - internal layout of the allocator, shared by mm_heap.c
 * (small blocks, API), mm_pages.c (page runs, large blocks, compaction) and
 * mm_diag.c (statistics, checker, map). Not part of the contract: only
 * mm.h is.
 *
 * Region layout:  [struct mm_heap][mm_page desc[npages]][pad][page 0]...
 * Free-list links are 32 bits on every host: addresses on 32-bit targets,
 * byte offsets from the heap state on 64-bit hosts (mm_link_ptr); 0 is
 * "none" (offset 0 is the heap state, never a block).
 */
#ifndef MM_HEAP_INT_H
#define MM_HEAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.h"
#include "mm_port.h"

/* ---- derived constants ---- */

#define MM_NCLASS (MM_SMALL_MAX / 8)
#define MM_NIL 0xFFFFu           /* "no page" in 16-bit page links */
#define MM_MAX_PAGES 0xFFFEu     /* page indices and counts fit in 16 bits */

#define MM_LOG2_(x)                                                         \
    ((x) == 256u ? 8u : (x) == 512u ? 9u : (x) == 1024u ? 10u                \
     : (x) == 2048u ? 11u : (x) == 4096u ? 12u : (x) == 8192u ? 13u : 0u)
#define MM_PAGE_SHIFT MM_LOG2_(MM_PAGE_SIZE)

/* TLSF over run lengths in pages: first level = floor(log2 n), second
 * level = the next MM_SL_BITS bits; lengths below MM_SL_COUNT map directly
 * into first level 0. */
#define MM_SL_BITS 2u
#define MM_SL_COUNT (1u << MM_SL_BITS)
#define MM_FL_COUNT 15u /* lengths < 2^16: floor(log2) <= 15 -> fl <= 14 */
#define MM_FIT_PROBE 4u /* runs of n's own bucket tried when good fit fails */

_Static_assert(MM_SMALL_MAX % 8 == 0 && MM_SMALL_MAX >= 8,
              "MM_SMALL_MAX must be a positive multiple of 8");
_Static_assert(MM_NCLASS <= 250, "class index must fit a byte");
_Static_assert(MM_PAGE_SHIFT != 0, "MM_PAGE_SIZE must be a power of two in 256..8192");
_Static_assert(MM_SMALL_MAX <= MM_PAGE_SIZE * MM_POOL_MAX_PAGES,
              "the largest class must fit one pool");
_Static_assert(MM_POOL_MAX_PAGES >= 1 && MM_POOL_MAX_PAGES <= 8,
              "MM_POOL_MAX_PAGES must be 1..8");
_Static_assert(MM_PAGE_SIZE * MM_POOL_MAX_PAGES <= 32768u,
              "pool byte offsets must fit 16 bits");
_Static_assert(MM_POOL_MIN_BLOCKS >= 1, "MM_POOL_MIN_BLOCKS must be >= 1");
_Static_assert(MM_FL_COUNT <= 16, "first-level bitmap is 16 bits");
_Static_assert(MM_SL_COUNT <= 8, "second-level bitmaps are 8 bits");

/* ---- page descriptors ---- */

/* Page kinds. INNER: a page inside a run that is neither its head nor (for
 * a free run) its tail; its other fields mean nothing. */
enum {
    MM_K_INNER = 0,
    MM_K_FREE = 1,      /* head of a free run */
    MM_K_FREE_TAIL = 2, /* last page of a free run of >= 2 pages */
    MM_K_LARGE = 3,     /* head of a large block */
    MM_K_POOL = 4,      /* any page of a pool */
};

/* One per page, 16 bytes on every host (static_assert below). Which fields
 * mean something depends on kind (and on being a run's head):
 *                 FREE head        LARGE head       POOL (head page)
 *   u.link        -                -                first free block (0: full)
 *   u.owner       -                owner slot/NULL  -
 *   u.p.nused     -                -                blocks in use (+1: spare)
 *   u.p.next      next in bucket   -                next non-full pool of class
 *   prev          prev in bucket   -                prev non-full pool of class
 *   count         run length       run length       bump: offset of first
 *                                                   never-used block in pool
 *   head          itself           itself           distance in pages back to
 *                                                   the pool head (all pages)
 *   kind, cls     FREE             LARGE            POOL, class (all pages)
 * A FREE_TAIL page holds head = its run's head. */
typedef struct mm_page {
    union {
        struct {
            uint32_t link;  /* POOL: byte offset of first free block, 0 = full */
            uint16_t nused; /* POOL: blocks handed out */
            uint16_t next;  /* POOL/FREE: next in list, MM_NIL ends */
        } p;
        void **owner;       /* LARGE: where the only pointer to it is kept */
    } u;
    uint16_t prev;  /* POOL/FREE: previous in list, MM_NIL at the head */
    uint16_t count; /* FREE/LARGE: pages in run; POOL: bump offset (bytes) */
    uint16_t head;  /* FREE/FREE_TAIL/LARGE: run head index; POOL: distance */
    uint8_t kind;   /* MM_K_* */
    uint8_t cls;    /* POOL: size class */
} mm_page;

_Static_assert(sizeof(mm_page) == 16, "page descriptor must be 16 bytes");

/* ---- heap state ---- */

struct mm_heap {
    uint32_t magic;        /* MM_MAGIC while the heap is valid */
    uint32_t npages;       /* pages in the region */
    char *base;            /* first page (8-aligned) */
    uintptr_t span8;       /* (npages * MM_PAGE_SIZE) / 8, for mm_in_pages */
    size_t region_size;    /* bytes given to mm_init */
    mm_err err;            /* last error */

    /* small blocks, per class (structure of arrays: one indexed load each) */
    mm_page *avail[MM_NCLASS];   /* first non-full pool, NULL if none */
    uint16_t full[MM_NCLASS];    /* full pools (in no list); blocks in
                                    use are counted per pool only, so the
                                    fast paths touch no class counter */
    uint16_t pools[MM_NCLASS];   /* pools held */
    uint16_t pools_peak[MM_NCLASS];
    uint16_t limit[MM_NCLASS];   /* blocks_per_pool * block size, bytes */
    uint8_t pool_pages[MM_NCLASS];

    /* free runs (TLSF) */
    uint16_t fl_map;                            /* bit f: sl_map[f] != 0 */
    uint8_t sl_map[MM_FL_COUNT];                /* bit s: bucket non-empty */
    uint16_t bucket[MM_FL_COUNT][MM_SL_COUNT];  /* first run, MM_NIL */

    /* page accounting (updated only on page-level events) */
    uint32_t pages_free;
    uint32_t pages_pool;
    uint32_t pages_large;
    uint32_t large_blocks;
    uint32_t pages_peak;   /* most pages_pool + pages_large at once */
    mm_page *spare[MM_NCLASS]; /* per class: the last pool of the class
                              that became empty, kept listed (may be in use
                              again; its count is biased by 1, see
                              mm_pool_live); NULL if none. Every empty pool
                              is the spare of its class. */
};

#define MM_MAGIC 0x6D6D6870u /* "mmhp" */

/* Bytes from the heap state to the first descriptor (kept 8-aligned). */
#define MM_STATE_SIZE ((sizeof(struct mm_heap) + 7u) & ~(size_t)7u)

/* Precondition checks of internal helpers: MM_ASSERT in debug builds,
 * nothing otherwise. */
#define MM_DEBUG_ASSERT(cond, msg)                                            \
    do {                                                                      \
        if (MM_CFG_DEBUG) {                                                   \
            MM_ASSERT(cond, msg);                                             \
        }                                                                     \
    } while (0)

/* ---- tiny helpers ---- */

static inline mm_page *mm_desc(const mm_heap *h, size_t idx)
{
    return (mm_page *)(uintptr_t)((const char *)h + MM_STATE_SIZE) + idx;
}

static inline size_t mm_desc_index(const mm_heap *h, const mm_page *d)
{
    return (size_t)(d - mm_desc(h, 0));
}

static inline char *mm_page_addr(const mm_heap *h, size_t idx)
{
    return h->base + (idx << MM_PAGE_SHIFT);
}

static inline size_t mm_class_size(size_t cls)
{
    return (cls + 1u) << 3;
}

/* A free-list link is 32 bits: the address itself where pointers are 32
 * bits (no arithmetic on the fast paths), else the offset from the heap
 * state. Either way 0 means "none": no block lies at address 0 or at the
 * heap state. */
static inline void *mm_link_ptr(const mm_heap *h, uint32_t link)
{
    if (sizeof(void *) == sizeof(uint32_t)) {
        return (void *)(uintptr_t)link;
    }
    return (void *)(uintptr_t)((const char *)h + link);
}

static inline uint32_t mm_ptr_link(const mm_heap *h, const void *p)
{
    if (sizeof(void *) == sizeof(uint32_t)) {
        return (uint32_t)(uintptr_t)p;
    }
    return (uint32_t)((const char *)p - (const char *)h);
}

/* True iff off (= p - base) lies inside the pages and is 8-aligned: the
 * rotation right by 3 moves any low bit to the top, so one unsigned compare
 * checks both (a single `cmp r, r, ror #3` on Thumb-2). */
static inline bool mm_in_pages(const mm_heap *h, uintptr_t off)
{
    uintptr_t rot = (off >> 3) | (off << (sizeof(uintptr_t) * 8u - 3u));
    return rot < h->span8;
}

static inline bool mm_is_free_kind(uint8_t kind)
{
    return kind == MM_K_FREE || kind == MM_K_FREE_TAIL;
}

static inline void mm_set_kind(mm_page *d, uint8_t kind)
{
    d->kind = kind;
}

/* Records a page-level change in pages held and keeps the peak. */
static inline void mm_note_pages(mm_heap *h)
{
    uint32_t held = h->pages_pool + h->pages_large;
    if (held > h->pages_peak) {
        h->pages_peak = held;
    }
}

/* Blocks in use in pool (its head descriptor). The count field holds
 * them plus 1 while the pool is its class's spare: a bias that lets a free
 * empty the spare on the fast path (count 2 -> 1) while a count of 1 still
 * sends the next free to the slow path (double free if the pool is the
 * spare, else the pool empties). */
static inline uint32_t mm_pool_live(const mm_heap *h, const mm_page *pool)
{
    return (uint32_t)pool->u.p.nused - (h->spare[pool->cls] == pool ? 1u : 0u);
}

/* ---- mm_pages.c: free runs and large blocks ---- */

/* Takes a run of exactly n pages (1 <= n) from the free runs; returns its
 * first page index, or MM_NIL if no free run is long enough. The caller
 * sets the kinds of the run's head and last page. O(1). */
uint32_t mm_pages_take(mm_heap *h, uint32_t n);

/* Gives pages [idx, idx+n) back as free, coalescing with free neighbours.
 * The caller has set every page of the run that is not INNER-safe (pool
 * pages) to INNER. O(1). */
void mm_pages_give(mm_heap *h, uint32_t idx, uint32_t n);

/* Large-block paths of the API (size > MM_SMALL_MAX). */
void *mm_large_alloc(mm_heap *h, size_t size);
void mm_large_free(mm_heap *h, uint32_t idx);
/* Resizes large block idx in place to hold size (> MM_SMALL_MAX) bytes:
 * shrinks (freeing surplus pages) or grows into a free run right after it.
 * Returns false, changing nothing, if that cannot be done. */
bool mm_large_resize(mm_heap *h, uint32_t idx, size_t size);

/* Length of the largest free run in pages, 0 if none. */
uint32_t mm_pages_largest(const mm_heap *h);

/* TLSF bucket of a run length (exact mapping, for insertion and checks). */
void mm_pages_bucket(uint32_t n, uint32_t *fl, uint32_t *sl);

/* ---- mm_heap.c: shared with mm_pages.c and mm_diag.c ---- */

/* Gives every class's spare pool back to the free runs if it is still
 * empty. Returns true iff pages were given back. O(MM_NCLASS): at most one
 * pool release (O(1)) per class. */
bool mm_spare_release(mm_heap *h);

/* Reports misuse "fn: what ptr" and records err. */
void mm_misuse(mm_heap *h, const char *file, int line, mm_err err,
               const char *fn, const char *what, const void *p);

#endif /* MM_HEAP_INT_H */
