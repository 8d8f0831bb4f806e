/*
 * heap/heap_int.h - internal layout of the allocator. Not part of the
 * contract: only heap/mm_heap.h is.
 *
 * The allocator's files, bottom up; each calls only the ones above it in
 * this list (and misuse.c, which calls none):
 *   heap/misuse.c  error texts and misuse reports
 *   heap/pages.c   page runs: the free-run index, large blocks, compaction
 *   heap/pools.c   small-object pools: refill, reclaim, small-free checks
 *   heap/mid.c     mid-size blocks: chunks in page-run areas (beside pools.c,
 *                  which takes a chunk for a small request under page
 *                  pressure: mm_mid_alloc)
 *   heap/heap.c    set-up and the public entry points
 *   heap/check.c   statistics, mm_check, mm_dump_map (read-only, on top)
 * The small fast paths are inline here, for heap/heap.c and the object
 * layer.
 *
 * Region layout, from h (the region start rounded up to 8):
 *   page 0 .. meta-1   [struct mm_heap][cmap: 1 byte per page, 1 more][pad][desc: 1
 *                      per page]  (the heap's own pages, cmap MM_C_META)
 *   page meta .. top-1 large blocks, mid areas, pools and free runs
 *   page top .. end-1  the wilderness: free pages never used, or given
 *                      back next to it (not in the free-run index)
 *   page end .. npages-1  pools, free runs (and, once the wilderness is
 *                      gone, anything)
 * New pools are cut from the wilderness's end and areas and large blocks
 * from its start, so that the pools' scattered pages do not cut up the
 * runs that areas and large blocks need (heap/pages.c).
 * Page i is [h + i * MM_CFG_PAGE_SIZE, h + (i + 1) * MM_CFG_PAGE_SIZE): a block's
 * page is (p - h) >> MM_PAGE_SHIFT with no base to load, and cmap[page]
 * (one byte load) says what the page is: a pool page of class c (c <
 * MM_NCLASS), or one of the MM_C_* marks.
 */
#ifndef MM_HEAP_INT_H
#define MM_HEAP_INT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap/mm_heap.h"
#include "mm_port.h"

/* ---- derived constants ---- */

/* Pool classes: one per 8 bytes up to MM_CFG_SMALL_MAX. The frugal build
 * (R10) has no pools: one class is kept, never used, so that the pool
 * code still compiles against arrays of a size, and the heap state is
 * 808 bytes smaller on 32-bit targets (448 bytes, not 1,256). */
#define MM_NCLASS (MM_CFG_FRUGAL ? 1u : MM_CFG_SMALL_MAX / 8u)
#define MM_NIL 0u /* "no page" in page links: page 0 always holds the heap state */
#define MM_MAX_PAGES 0xFFFEu     /* page indices and counts fit in 16 bits */

#define MM_LOG2_(x)                                                         \
    ((x) == 256u ? 8u : (x) == 512u ? 9u : (x) == 1024u ? 10u                \
     : (x) == 2048u ? 11u : (x) == 4096u ? 12u : (x) == 8192u ? 13u : 0u)
#define MM_PAGE_SHIFT MM_LOG2_(MM_CFG_PAGE_SIZE)

/* Page marks in cmap (a pool page holds its class, 0..MM_NCLASS-1). */
#define MM_C_LARGE 0xF0u /* first page of a large block */
#define MM_C_FREE 0xF1u  /* first page of a free run (indexed) */
#define MM_C_TAIL 0xF2u  /* last page of a free run of >= 2 pages */
#define MM_C_NONE 0xF3u  /* any other page: inside a run, or wilderness */
#define MM_C_META 0xF4u  /* the heap's own pages */
#define MM_C_MID 0xF5u   /* every page of a mid-size area (heap/mid.c) */

/* Free runs are indexed by floor(log2 length) (lengths < 2^16): one list
 * per power of two and one bitmap word, as in o1heap. */
#define MM_NBUCKET 16u
static_assert(MM_MAX_PAGES < (1u << MM_NBUCKET), "run lengths fit the buckets");

static_assert(MM_CFG_SMALL_MAX % 8 == 0 && MM_CFG_SMALL_MAX >= 8,
              "MM_CFG_SMALL_MAX must be a positive multiple of 8");
static_assert(MM_NCLASS < MM_C_LARGE, "class index must stay below the page marks");
static_assert(MM_PAGE_SHIFT != 0, "MM_CFG_PAGE_SIZE must be a power of two in 256..8192");
static_assert(MM_CFG_SMALL_MAX <= MM_CFG_PAGE_SIZE * MM_CFG_POOL_MAX_PAGES,
              "the largest class must fit one pool");
static_assert(MM_CFG_POOL_MAX_PAGES >= 1 && MM_CFG_POOL_MAX_PAGES <= 8,
              "MM_CFG_POOL_MAX_PAGES must be 1..8");

/* ---- page descriptors ---- */

/* One per page; 8 bytes on 32-bit targets (2 pointers elsewhere). What
 * the fields mean depends on the page's cmap mark:
 *             FREE head      TAIL       LARGE head      POOL head page
 *   u.l       bucket links   -          -               partial list or
 *                                                       window ring links
 *   u.owner   -              -          owner or NULL   -
 *   len       run length     -          run length      its own free list's
 *                                                       first block
 *                                                       (mm_pool_list)
 *   head      -              run head   -               blocks on its own
 *                                                       free list, or MM_WIN
 * The other pages of a multi-page pool hold MM_POOL_TAIL | their distance
 * back to its head page in len. Other pages' descriptors mean nothing. */
typedef struct mm_pd {
    union {
        struct mm_links {
            uint16_t prev; /* previous run in the bucket, MM_NIL at the head */
            uint16_t next; /* next run in the bucket, MM_NIL ends */
        } l;
        uint32_t pair; /* l as one word (MM_LINKS), to write both at once */
        void **owner; /* where the only pointer to the large block is kept */
    } u;
    uint16_t len;
    uint16_t head;
} mm_pd;

static_assert(sizeof(mm_pd) == 2 * sizeof(void *), "page descriptor size");

/* The len field of a multi-page pool's other pages: this bit and the
 * distance back to the pool's head page. A head page's len is the offset
 * of its own free list's first block in 8-byte steps, plus one (0: empty),
 * below this bit. */
#define MM_POOL_TAIL 0x8000u
static_assert(MM_CFG_POOL_MAX_PAGES * MM_CFG_PAGE_SIZE / 8u < MM_POOL_TAIL,
              "a pool's block offsets fit len below MM_POOL_TAIL");

/* The head field of a pool in its class's window (heap/pools.c): its free
 * blocks are on the class list, not on its own. No pool holds that many
 * blocks. */
#define MM_WIN 0xFFFFu
static_assert(MM_CFG_POOL_MAX_PAGES * MM_CFG_PAGE_SIZE / 8u < MM_WIN, "a pool's blocks fit head");

/* The value of u.pair for links prev and next (each < 2^16). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define MM_LINKS(prev, next) ((uint32_t)(prev) << 16 | (uint32_t)(next))
#else
#define MM_LINKS(prev, next) ((uint32_t)(prev) | (uint32_t)(next) << 16)
#endif

/* ---- heap/mid.c: mid-size blocks ---- */

/* Mid-size requests (MM_CFG_SMALL_MAX+1 .. MM_CFG_MID_MAX bytes) are chunks
 * of an area: a page run marked MM_C_MID on every page, cut into chunks
 * at 8-byte granularity with boundary tags. A chunk starts with a header:
 * its size in bytes (header included) with the flags below, and a check
 * word (mm_mid_key of the chunk's address; with MM_MID_DEAD mixed in once
 * the chunk is freed or merged away). The default build's header is 8
 * bytes: word 0 the size and flags, word 1 the check word. The frugal
 * build's (R10), whose blocks are mostly small, is one word: the size
 * and flags in bits 0..MM_MID_CHECK_SHIFT-1 (sizes below 2^18, areas of
 * 256 KiB at most), the check word's top 14 bits above them. An area's
 * first chunk starts MM_MID_PAD bytes into its first page, so that every
 * block is 8-aligned. A free chunk also holds its two list links after
 * the header and its size in its last 4 bytes (the footer), so that the
 * chunk after it finds it. An area ends with a sentinel header (size 0,
 * in use). */
#define MM_MID_FREE 1u      /* this chunk is free */
#define MM_MID_PREV_FREE 2u /* the chunk just before is free (its footer is valid) */
#define MM_MID_FLAGS 7u
#define MM_MID_HDR (MM_CFG_FRUGAL ? 4u : 8u)
#define MM_MID_PAD (8u - MM_MID_HDR)
#define MM_MID_CHECK_SHIFT 18u
#define MM_MID_CHECK_MASK (~((1u << MM_MID_CHECK_SHIFT) - 1u)) /* 4-byte header: check bits */
#define MM_MID_SIZE_MASK                                                              \
    (MM_MID_HDR == 8u ? ~MM_MID_FLAGS : ~MM_MID_CHECK_MASK & ~MM_MID_FLAGS)
#define MM_MID_DEAD 0x5A5A5A5Au
/* A freed large block's first word: mm_mid_key of its address with this
 * mixed in, so that a second free says "double free" after the pages
 * have merged into a free run or the wilderness. */
#define MM_LARGE_DEAD 0xA5C3A5C3u
/* Smallest chunk: header, two links and the footer, rounded to 8. */
#define MM_MID_MIN ((MM_MID_HDR + 2u * sizeof(void *) + 4u + 7u) & ~7u)
/* Free chunks are indexed TLSF-style: row floor(log2 size) - 4, and 4
 * lists per row by the next two bits of the size. */
#define MM_MID_SL 4u
/* Chunks of its own list a mid request looks at past the first before it
 * fails (heap/mid.c list_scan): the bound of that last resort. */
#define MM_MID_SCAN 8u
/* Pages of a new area when the request needs fewer (a bigger one is cut
 * to the request); areas are given back when their last chunk is freed
 * (not in the frugal build: mm_mid_init). */
#define MM_MID_AREA_PAGES ((2048u + MM_CFG_PAGE_SIZE - 1u) / MM_CFG_PAGE_SIZE)
/* The longest area, hence the largest chunk, in bytes; and the rows that
 * cover chunk sizes up to it (row f: sizes 2^(f+4) .. 2^(f+5)-1). A new
 * area right after another one joins it (heap/mid.c), up to this length:
 * MM_MID_JOIN_BYTES, or one area of the largest request if that is
 * longer. The frugal build's areas hold every block but the large ones,
 * and a free chunk never merges across two areas' border, so there one
 * area may span a heap of up to 256 KiB (3 rows more, 52 bytes of heap
 * state). The default build keeps 32 KiB: longer areas gained it nothing
 * measurable (BENCHMARKS.md). */
#define MM_MID_JOIN_BYTES (MM_CFG_FRUGAL ? 262144u : 32768u)
#define MM_MID_PAGES_MAX_ ((MM_CFG_MID_MAX + 2u * MM_MID_HDR + MM_CFG_PAGE_SIZE - 1u) / MM_CFG_PAGE_SIZE)
#define MM_MID_JOIN_PAGES_ (MM_MID_JOIN_BYTES / MM_CFG_PAGE_SIZE)
#define MM_MID_AREA_MAX                                                               \
    ((MM_MID_PAGES_MAX_ > MM_MID_JOIN_PAGES_ ? MM_MID_PAGES_MAX_ : MM_MID_JOIN_PAGES_) * \
     MM_CFG_PAGE_SIZE)
#define MM_FLOOR_LOG2_16_(x)                                                          \
    ((x) >= 262144u ? 18u : (x) >= 131072u ? 17u : (x) >= 65536u ? 16u             \
     : (x) >= 32768u ? 15u : (x) >= 16384u ? 14u : (x) >= 8192u ? 13u : (x) >= 4096u ? 12u \
     : (x) >= 2048u ? 11u : (x) >= 1024u ? 10u : (x) >= 512u ? 9u : (x) >= 256u ? 8u : 7u)
#define MM_MID_NFL (MM_CFG_MID_MAX != 0 ? MM_FLOOR_LOG2_16_(MM_MID_AREA_MAX) - 3u : 1u)

static_assert(!MM_CFG_FRUGAL || MM_CFG_MID_MAX != 0,
              "MM_CFG_FRUGAL serves every request from mid-size chunks: set MM_CFG_MID_MAX");
static_assert(MM_CFG_MID_MAX == 0 || (MM_CFG_MID_MAX > MM_CFG_SMALL_MAX &&
                                       MM_CFG_MID_MAX % 8 == 0 &&
                                       MM_CFG_MID_MAX + 2u * MM_MID_HDR < 32768u),
              "MM_CFG_MID_MAX: 0, or a multiple of 8 above MM_CFG_SMALL_MAX, below 32 KiB");
static_assert(MM_MID_AREA_MAX < 524288u, "areas below 2^19 bytes (MM_FLOOR_LOG2_16_)");
static_assert(!MM_CFG_FRUGAL || MM_MID_AREA_MAX <= (1u << MM_MID_CHECK_SHIFT),
              "a 4-byte chunk header holds sizes below 2^MM_MID_CHECK_SHIFT");

/* ---- heap state ---- */

/* An index of free runs: one list per floor(log2 length). */
typedef struct {
    uint32_t bmap;               /* bit b: bucket b is not empty */
    uint16_t bucket[MM_NBUCKET]; /* first run, MM_NIL (mm_pages_first) */
} mm_zone;

#define MM_NCMAP ((MM_NCLASS + 31u) / 32u) /* words of a bit per class */

/* A class's hot pair: the free list of the pools of the class's WINDOW
 * (heap/pools.c) and the blocks of those pools handed out. Two adjacent
 * words, 8-aligned, so that the fast paths load and store both with one
 * instruction each on Thumb-2 (ldrd/strd). */
typedef struct {
    struct {
        void *head;     /* free list, threaded through the blocks' first word */
        uintptr_t used; /* blocks of the window's pools handed out now */
    } s;
} mm_cls;

/* Thumb-2 (Cortex-M3/M4/M7) loads and stores the pair with one ldrd/strd
 * each; GCC splits a 64-bit access into two, so the fast paths say it.
 * Optimized builds only: the offset forms (MM__SMALL_FREE_CONST, the
 * object layer's pair helpers) need their offsets folded to constants. */
#if defined(__thumb2__) && defined(__ARM_ARCH_ISA_THUMB) && \
    defined(__OPTIMIZE__) && !defined(MM_NO_PAIRED_ACCESS)
#define MM_CLS_PAIRED 1
#else
#define MM_CLS_PAIRED 0
#endif

struct mm_heap {
    mm_cls cls[MM_NCLASS]; /* first: indexed straight off h */
    uintptr_t span8;       /* (npages * MM_CFG_PAGE_SIZE) / 8, for mm_in_pages */
    uint32_t magic;        /* MM_MAGIC while the heap is valid */
    uint32_t npages;       /* pages in the region, the heap's own included */
    uint32_t meta;         /* the heap's own pages (first usable page) */
    uint32_t top;          /* first page of the wilderness */
    uint32_t end;          /* first page past the wilderness (top <= end) */
    size_t region_size;    /* bytes given to mm_init */
    mm_pd *desc;           /* desc[npages] */
    mm_err err;            /* last error */

    /* per class, cold */
    uint32_t held[MM_NCLASS];   /* blocks in use in the class's other pools */
    uint16_t cur[MM_NCLASS];    /* the window's newest pool (head page; its
                                   ring's next is the oldest), MM_NIL if none */
    uint16_t partial[MM_NCLASS]; /* first partial pool (MM_NIL: none) */
    uint16_t left[MM_NCLASS];   /* never-used blocks at the newest pool's end
                                   (mm_pool_bump: the first of them) */
    uint16_t pools[MM_NCLASS];  /* pools held */
    uint16_t pools_peak[MM_NCLASS]; /* recorded at decreases (mm_peak_pools) */
    uint16_t per_pool[MM_NCLASS];
    uint8_t pool_pages[MM_NCLASS];
    uint8_t nwin[MM_NCLASS];    /* pools in the window (mm_window_max) */
    uint8_t idle_cursor;        /* the class mm_pools_release_idle looked at last */
    uint8_t reclaim_tick;       /* pool refills, mod MM_RECLAIM_EVERY */
    uint32_t curmap[MM_NCMAP];  /* bit c: class c's window holds a pool */
    uint32_t multimap[MM_NCMAP]; /* bit c: class c's window holds several */

    /* free runs, segregated by floor(log2 length): zone[0] indexes the
     * runs below the wilderness, zone[1] those above it (heap/pages.c) */
    mm_zone zone[2];

    /* mid-size chunks (heap/mid.c): lists of free chunks by size */
    uint32_t mid_rows;                     /* bit f: row f has a non-empty list */
    uint8_t mid_cols[MM_MID_NFL];          /* bit s of row f: list (f, s) not empty */
    struct mid_chunk *mid_list[MM_MID_NFL][MM_MID_SL];
    uint32_t mid_blocks;                   /* live mid blocks */
    uint32_t mid_areas;                    /* areas (each ends with a sentinel) */
    size_t mid_bytes;                      /* their usable bytes */

    /* page accounting (updated only on page-level events) */
    uint32_t pages_pool;
    uint32_t pages_large;
    uint32_t pages_mid;
    uint32_t large_blocks;
    uint32_t pages_peak;   /* recorded at decreases (mm_peak_pages) */
#if MM_CFG_DEBUG
    uint32_t fail_in;      /* mm_fail_after: calls until one fails (0: off) */
    uint32_t fail_sticky;  /* 1: every call from then on fails */
    uint32_t alloc_calls;  /* allocation calls so far (mm_alloc_calls) */
#endif
    /* MM_CFG_TRACE: what observes the allocations. hook: the hook
     * attached (mm_set_alloc_hook; NULL: none, the one pointer the fast
     * paths test); trace: while the hook is the attached tracer's, with
     * nothing chained after it, that tracer (mm_alloc_at and mm_free
     * record into it inline), else NULL; tracer: the tracer attached to
     * this heap (mm__heap_set_tracer), if any */
    const mm_alloc_hook *hook;
    struct mm_tracer *trace;
    struct mm_tracer *tracer;
    uint8_t cmap[];        /* one mark per page, and cmap[npages] = MM_C_NONE */
};

#define MM_MAGIC 0x6D6D6871u /* "mmhq" */

/* Precondition checks of internal helpers: MM_ASSERT in debug builds,
 * nothing otherwise. */
#define MM_DEBUG_ASSERT(cond, msg)                                            \
    do {                                                                      \
        if (MM_CFG_DEBUG) {                                                   \
            MM_ASSERT(cond, msg);                                             \
        }                                                                     \
    } while (0)

/* ---- debug red zones (MM_CFG_DEBUG=1 and MM_CFG_REDZONE=1) ----
 * The pools and pages are asked for MM_RZ bytes more than the request
 * rounded up to 8 (heap/heap.c, alloc_block): the block's last 4 bytes
 * hold that rounded size, and every byte from it up to that word holds
 * MM_GUARD (4 at least; 4 to 4 + 7 in a pool block, up to a page more in
 * a large one). The caller may use the rounded size (mm_usable_size: R7
 * promises 8-byte granules); a write past it changes a guard byte or the
 * size word: mm_free and mm_realloc report it (heap/heap.c), mm_check
 * finds it in any live block (heap/check.c). */
#define MM_REDZONE (MM_CFG_DEBUG && MM_CFG_REDZONE)
#define MM_RZ (MM_REDZONE ? 8u : 0u)
#define MM_GUARD 0xFDu
static_assert(!MM_CFG_REDZONE || MM_CFG_DEBUG, "MM_CFG_REDZONE needs MM_CFG_DEBUG");

/* The request size stored in block p of block bytes. */
static inline size_t mm_rz_req(const void *p, size_t block)
{
    uint32_t req;
    __builtin_memcpy(&req, (const char *)p + block - 4u, sizeof req);
    return req;
}

/* Writes block p's red zone after its first req bytes (req a multiple
 * of 8, req + MM_RZ <= block). */
static inline void mm_rz_set(void *p, size_t block, size_t req)
{
    uint32_t r = (uint32_t)req;
    __builtin_memset((char *)p + req, MM_GUARD, block - 4u - req);
    __builtin_memcpy((char *)p + block - 4u, &r, sizeof r);
}

/* True iff block p's size word is in range and its guard bytes are whole.
 * O(guard bytes): at most a page plus 11. */
static inline bool mm_rz_ok(const void *p, size_t block)
{
    size_t req = mm_rz_req(p, block);
    if (block < 8u || req > block - 8u) { /* 8: MM_RZ of a red-zone build */
        return false;
    }
    const unsigned char *g = (const unsigned char *)p;
    for (size_t k = req; k < block - 4u; k++) {
        if (g[k] != MM_GUARD) {
            return false;
        }
    }
    return true;
}

/* ---- tiny helpers ---- */

static inline mm_pd *mm_desc(const mm_heap *h, size_t idx)
{
    return h->desc + idx;
}

static inline char *mm_page_addr(const mm_heap *h, size_t idx)
{
    return (char *)(uintptr_t)h + (idx << MM_PAGE_SHIFT);
}

static inline size_t mm_page_of(const mm_heap *h, const void *p)
{
    return (size_t)((uintptr_t)p - (uintptr_t)h) >> MM_PAGE_SHIFT;
}

static inline size_t mm_class_size(size_t cls)
{
    return (cls + 1u) << 3;
}

/* True iff off (= p - h) lies inside the pages and is 8-aligned: the
 * rotation right by 3 moves any low bit to the top, so one unsigned compare
 * checks both (a single `cmp r, r, ror #3` on Thumb-2). */
static inline bool mm_in_pages(const mm_heap *h, uintptr_t off)
{
    uintptr_t rot = (off >> 3) | (off << (sizeof(uintptr_t) * 8u - 3u));
    return rot < h->span8;
}

static inline bool mm_is_pool(uint8_t mark)
{
    return mark < MM_NCLASS;
}

/* The first page of the pool holding pool page idx (single-page pools
 * keep no distance in the descriptor). */
static inline size_t mm_pool_head(const mm_heap *h, size_t idx)
{
    if (MM_CFG_POOL_MAX_PAGES == 1) {
        return idx;
    }
    uint32_t len = h->desc[idx].len;
    return (len & MM_POOL_TAIL) == 0 ? idx : idx - (len & ~MM_POOL_TAIL);
}

/* The first block of the own free list of a pool outside its class's
 * window, NULL if none: kept in its head page's descriptor d (at address
 * page), as the block's offset from the page in 8-byte steps plus one
 * (see MM_POOL_TAIL), not in a table of pointers a page. */
static inline void **mm_pool_list_at(const mm_pd *d, char *page)
{
    uint32_t v = d->len;
    return v == 0 ? NULL : (void **)(void *)(page + ((size_t)v << 3) - 8u);
}

/* Makes b (a block of the pool at page, or NULL) the first of its list. */
static inline void mm_pool_list_put(mm_pd *d, const char *page, const void *b)
{
    d->len = (uint16_t)(b == NULL ? 0u : ((size_t)((const char *)b - page) >> 3) + 1u);
}

/* The same for the pool at head page i. */
static inline void **mm_pool_list(const mm_heap *h, size_t i)
{
    return mm_pool_list_at(mm_desc(h, i), mm_page_addr(h, i));
}

static inline void mm_pool_list_set(mm_heap *h, size_t i, const void *b)
{
    mm_pool_list_put(mm_desc(h, i), mm_page_addr(h, i), b);
}

/* Peaks are kept lazily: a count can only reach a new peak by growing,
 * and every peak is followed by a decrease (or is the present), so the
 * paths that decrease a count record the peak first and the readers take
 * the larger of the record and the present. The growing paths (pool
 * refill, large alloc) pay nothing for it. */
static inline void mm_note_pages(mm_heap *h)
{
    uint32_t held = h->pages_pool + h->pages_large + h->pages_mid;
    if (held > h->pages_peak) {
        h->pages_peak = held;
    }
}

/* Most pages held by pools and large blocks at once. */
static inline uint32_t mm_peak_pages(const mm_heap *h)
{
    uint32_t held = h->pages_pool + h->pages_large + h->pages_mid;
    return held > h->pages_peak ? held : h->pages_peak;
}

/* The next never-used block of class c's newest window pool (its last left[c]
 * blocks were never handed out), NULL if none: computed, not stored, as
 * only a refill asks for it. */
static inline char *mm_pool_bump(const mm_heap *h, size_t c)
{
    uint32_t left = h->left[c];
    if (left == 0) {
        return NULL;
    }
    return mm_page_addr(h, h->cur[c]) + (size_t)(h->per_pool[c] - left) * mm_class_size(c);
}

/* Most pools class c has held at once. */
static inline uint16_t mm_peak_pools(const mm_heap *h, size_t c)
{
    return h->pools[c] > h->pools_peak[c] ? h->pools[c] : h->pools_peak[c];
}

/* Pages in indexed free runs (the wilderness apart): every page outside
 * it is the heap's own, a pool's, a large block's, an area's or a free
 * run's, so no counter is kept for them. */
static inline uint32_t mm_pages_runs(const mm_heap *h)
{
    return h->npages - (h->end - h->top) - h->meta - h->pages_pool - h->pages_large -
           h->pages_mid;
}

/* Walks over the runs go from meta up and hop over the wilderness: the
 * next run head at or after page i (a run's end, or meta). */
static inline uint32_t mm_walk(const mm_heap *h, uint32_t i)
{
    return i == h->top ? h->end : i;
}

/* True iff pages [i, i+n) are n >= 1 pages that lie on one side of the
 * wilderness, past the heap's own pages. */
static inline bool mm_run_in(const mm_heap *h, uint32_t i, uint32_t n)
{
    return n != 0 && i >= h->meta && (i + n <= h->top || (i >= h->end && i + n <= h->npages));
}

/* Free pages: indexed runs plus the wilderness. */
static inline uint32_t mm_pages_free(const mm_heap *h)
{
    return h->npages - h->meta - h->pages_pool - h->pages_large - h->pages_mid;
}

/* ---- the allocation hook (MM_CFG_TRACE; mm_set_alloc_hook) ---- */

/* Is a hook attached? Constant false unless tracing is compiled in: then
 * one load and one branch on each fast path. */
#define MM__HOOKED(h) (MM_CFG_TRACE && (h)->hook != NULL)

/* mm_free while a hook is attached: forgets the block's trace inline
 * (the heap's trace above) or tells the hook, then frees. Out of line,
 * and called last on the paths that test MM__HOOKED, so that the fast
 * paths keep no register live across it (no frame). */
__attribute__((noinline)) void mm__free_hooked(mm_heap *h, void *p);

/* ---- the small fast paths, inline (heap/heap.c; the object layer) ---- */

/* A small free into a class with no block in use: p cannot be live. The
 * heap is found from the class pair (cls[] is its first member), so that
 * the fast path keeps no extra register alive for this. */
__attribute__((noinline)) void mm__small_double_free(mm_cls *k, size_t c, void *p);

/* The class pair in one ldrd and one strd (Thumb-2 only; see mm_cls). */
static inline void mm__cls_load(const mm_cls *k, void **head, uintptr_t *used)
{
#if MM_CLS_PAIRED
    __asm__("ldrd %0, %1, [%2]" : "=r"(*head), "=r"(*used) : "r"(k), "m"(*k));
#else
    *head = k->s.head;
    *used = k->s.used;
#endif
}

static inline void mm__cls_store(mm_cls *k, void *head, uintptr_t used)
{
#if MM_CLS_PAIRED
    __asm__("strd %1, %2, [%3]" : "=m"(*k) : "r"(head), "r"(used), "r"(k));
#else
    k->s.head = head;
    k->s.used = used;
#endif
}

/* Pops the first free block of class c; NULL if its list is empty. */
static inline void *mm__small_fast(mm_heap *h, size_t c)
{
    mm_cls *k = &h->cls[c];
    void *b;
    uintptr_t used;
    mm__cls_load(k, &b, &used);
    if (b != NULL) {
        mm__cls_store(k, *(void **)b, used + 1u);
    }
    return b;
}

/* Free of block p, on page idx of a pool outside the window of the class
 * its caller assumed: pushed on that pool's own list; the pool joins its
 * class's partial list with its first free block and is given back with
 * its last. The pool's class is read from its page (the caller's may be
 * smaller: see class_fallback in heap/pools.c); a page of its own class's
 * window takes the block on the class list. Out of line (heap/pools.c).
 * O(1). */
__attribute__((noinline)) void mm__pool_free(mm_heap *h, size_t idx, void *p);

/* mm__pool_free for a block whose page's mark its caller has not read (a
 * free on a size the caller knows: mm__free_small_sized): a block of a
 * mid-size page (a small request served by a mid chunk, see
 * mm_spill_pct) goes to mm_free. Out of line (heap/pools.c). O(1). */
__attribute__((noinline)) void mm__sized_free_other(mm_heap *h, size_t idx, void *p);

/* Blocks freed one after another that lie on one pool page, linked here
 * and handed to the heap at once (mm__run_flush) when a block of another
 * page comes or the run ends (mm__run_free, mm__run_end): a collector
 * frees its garbage about in allocation order, so one pool lookup serves
 * a page's blocks. Until the run ends its blocks count as in use
 * (statistics and mm_check see them so); every other heap call stays
 * valid meanwhile. */
typedef struct {
    size_t page;   /* the blocks' page; MM_NIL (the heap's own): no run */
    void *first;   /* the block added last: the chain's head */
    void *last;    /* the block added first: the chain's tail */
    uint32_t n;    /* blocks in the run, >= 1 while page is set */
} mm__run;

/* Frees the n >= 1 blocks of a run, first -> ... -> last (last's link is
 * overwritten), as mm__pool_free would one by one, with one pool lookup;
 * more than the pool has in use is reported as a double free, and none is
 * freed. The fields are passed, not the run, so that the caller's run can
 * stay in registers. Out of line (heap/pools.c). O(1). */
__attribute__((noinline)) void mm__run_flush(mm_heap *h, void *first, void *last, uint32_t n);

/* True iff page idx, a pool page, belongs to a pool of its class's
 * window: the pool's free blocks are on the class list. */
static inline bool mm__in_window(const mm_heap *h, size_t idx)
{
    return mm_desc(h, mm_pool_head(h, idx))->head == MM_WIN;
}

/* The same for a page whose mark the caller has not read, freed as class
 * c (the object layer's frees on a known size): the window's newest pool,
 * where LIFO frees land, is one compare; any other must be of class c. */
static inline bool mm__in_window_of(const mm_heap *h, size_t c, size_t idx)
{
    if (MM_CFG_POOL_MAX_PAGES == 1 && idx == h->cur[c]) {
        return true;
    }
    return h->cmap[idx] == c && mm__in_window(h, idx);
}

/* Pushes block p of a window pool of class c; a window with none in use
 * reports a double free instead (one instruction on the fast path). */
static inline void mm__window_free(mm_heap *h, size_t c, void *p)
{
    mm_cls *k = &h->cls[c];
    void *head;
    uintptr_t used;
    mm__cls_load(k, &head, &used);
    if (used == 0) {
        mm__small_double_free(k, c, p);
        return;
    }
    *(void **)p = head;
    mm__cls_store(k, p, used - 1u);
}

/* Frees block p of class c on page idx. Tells no hook. */
static inline void mm__small_push(mm_heap *h, size_t c, size_t idx, void *p)
{
    if (mm__in_window(h, idx)) {
        mm__window_free(h, c, p);
    } else {
        mm__pool_free(h, idx, p);
    }
}

/* mm__small_push for the object layer's inline frees: while a hook is
 * attached the block goes through mm_free's hooked path instead. */
static inline void mm__small_free(mm_heap *h, size_t c, size_t idx, void *p)
{
    if (MM__HOOKED(h)) {
        mm__free_hooked(h, p);
        return;
    }
    mm__small_push(h, c, idx, p);
}

/* mm__small_free for a block whose page's mark is not read: a page of
 * class c's window takes it on the class list, any other goes to
 * mm__sized_free_other. */
static inline void mm__sized_free(mm_heap *h, size_t c, size_t idx, void *p)
{
    if (MM__HOOKED(h)) {
        mm__free_hooked(h, p);
    } else if (mm__in_window_of(h, c, idx)) {
        mm__window_free(h, c, p);
    } else {
        mm__sized_free_other(h, idx, p);
    }
}

/* mm__small_free for a class c known at compile time: the pair is
 * addressed as [h, #8c], which saves the address arithmetic. A macro, so
 * that the offset is a constant expression at every optimisation level
 * (-Og included: an inline function's argument may not be folded there). */
#if MM_CLS_PAIRED
#define MM__SMALL_FREE_CONST(h, c, p)                                               \
    do {                                                                              \
        mm_heap *h_ = (h);                                                            \
        void *p_ = (p), *head_;                                                       \
        uintptr_t used_;                                                              \
        if (MM__HOOKED(h_)) {                                                         \
            mm__free_hooked(h_, p_);                                                  \
            break;                                                                    \
        }                                                                             \
        size_t idx_ = mm_page_of(h_, p_);                                             \
        if (!mm__in_window_of(h_, (c), idx_)) {                                       \
            mm__sized_free_other(h_, idx_, p_);                                       \
            break;                                                                    \
        }                                                                             \
        __asm__("ldrd %0, %1, [%2, %3]" : "=r"(head_), "=r"(used_)                    \
                : "r"(h_), "i"((c) * sizeof(mm_cls)), "m"(h_->cls[c]));               \
        if (used_ == 0) {                                                             \
            mm__small_double_free(&h_->cls[c], (c), p_);                              \
        } else {                                                                      \
            *(void **)p_ = head_;                                                     \
            __asm__("strd %1, %2, [%3, %4]" : "=m"(h_->cls[c])                       \
                    : "r"(p_), "r"(used_ - 1u), "r"(h_), "i"((c) * sizeof(mm_cls))); \
        }                                                                             \
    } while (0)
#else
#define MM__SMALL_FREE_CONST(h, c, p) mm__sized_free((h), (c), mm_page_of((h), (p)), (p))
#endif

/* Frees p, a block from mm_alloc(h, size) for a small size (1..
 * MM_CFG_SMALL_MAX) known to its caller, such as an object block of a fixed
 * layout: pushed on its class's list when its page is of the class's window
 * (no class lookup; double-free test included), else mm__sized_free_other,
 * which reads the page's mark (a larger class may have lent the block, or
 * a mid chunk served it under page pressure). A
 * locked, debug or frugal (no pools) heap takes mm_free and all its checks.
 * mm__free_small_sized_const: the same for a size that is a compile-time
 * constant (the class pair addressed as [h, #8c]). */
static inline void mm__free_small_sized(mm_heap *h, void *p, size_t size)
{
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && !MM_CFG_FRUGAL) {
        mm__sized_free(h, (size - 1u) >> 3, mm_page_of(h, p), p);
    } else {
        mm_free(h, p);
    }
}
#define mm__free_small_sized_const(h, p, size)                                 \
    do {                                                                         \
        static_assert((size) >= 1u && (size) <= MM_CFG_SMALL_MAX, "a small size");   \
        if (!MM_CFG_LOCK && !MM_CFG_DEBUG && !MM_CFG_FRUGAL) {                   \
            MM__SMALL_FREE_CONST((h), ((size) - 1u) >> 3, (p));                  \
        } else {                                                                 \
            mm_free((h), (p));                                                   \
        }                                                                        \
    } while (0)

/* The small alloc fast path: NULL when it cannot serve (not small, an
 * empty class list, a build with locks or debug checks, or a hook
 * attached: the caller's general path then goes through mm_alloc_at). */
static inline void *mm__alloc_fast(mm_heap *h, size_t size)
{
    size_t c = (size - 1u) >> 3; /* size 0 wraps: not small */
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && !MM_CFG_FRUGAL && c < MM_NCLASS && !MM__HOOKED(h)) {
        return mm__small_fast(h, c);
    }
    return NULL;
}

/* The small free fast path: false when it cannot serve (NULL, foreign,
 * misaligned or large pointers, or a build with locks or debug checks). */
static inline bool mm__free_fast(mm_heap *h, void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h; /* NULL wraps: not inside */
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && mm_in_pages(h, off)) {
        uint32_t c = h->cmap[off >> MM_PAGE_SHIFT];
        if (c < MM_NCLASS) {
            mm__small_free(h, c, off >> MM_PAGE_SHIFT, p);
            return true;
        }
    }
    return false;
}

/* mm_free with its small fast path inlined at the call site (same
 * contract; falls back to mm_free). */
static inline void mm_free_inline(mm_heap *h, void *p)
{
    if (!mm__free_fast(h, p)) {
        mm_free(h, p);
    }
}

/* ---- runs of small frees: a sweep freeing many blocks (mm__run) ---- */

static inline void mm__run_init(mm__run *r)
{
    r->page = MM_NIL;
    r->first = NULL;
    r->last = NULL;
    r->n = 0;
}

/* Ends run r: its blocks are freed. O(1). */
static inline void mm__run_end(mm_heap *h, mm__run *r)
{
    if (r->page != MM_NIL) {
        mm__run_flush(h, r->first, r->last, r->n);
    }
    r->page = MM_NIL;
    r->n = 0;
}

/* Frees p, a live block of h, through run r: a block of the run's page
 * joins it (a compare and three stores); a small block of another page
 * ends the run and starts the next; a large block, a build with locks or
 * debug checks, or a heap with a hook attached: mm_free at once (with all
 * its checks). O(1). */
static inline void mm__run_free(mm_heap *h, mm__run *r, void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h;
    size_t page = off >> MM_PAGE_SHIFT;
    if (page != r->page) {
        if (MM_CFG_LOCK || MM_CFG_DEBUG || MM__HOOKED(h) || !mm_in_pages(h, off) ||
            !mm_is_pool(h->cmap[page])) {
            mm_free(h, p);
            return;
        }
        mm__run_end(h, r);
        r->page = page;
        r->last = p;
    }
    *(void **)p = r->first;
    r->first = p;
    r->n++;
}

/* ---- heap/misuse.c ---- */

/* Reports misuse "fn: what ptr" through mm_port_misuse and records err
 * (h may be NULL: nothing recorded). */
void mm_misuse(mm_heap *h, const char *file, int line, mm_err err,
               const char *fn, const char *what, const void *p);

/* ---- heap/pages.c: free runs and large blocks ---- */

/* Takes a run of exactly n pages (1 <= n): a free run below the
 * wilderness (good fit) if one is long enough, else the wilderness's
 * start, else a run above it. Returns its first page, or
 * MM_NIL. The pages' marks are left MM_C_NONE; the caller marks them.
 * O(1). */
uint32_t mm_pages_take(mm_heap *h, uint32_t n);

/* mm_pages_take from either side: side 0 as above; side 1 (the pools'
 * side, MM_CFG_POOLS_AT_END) a free run above the wilderness, else the
 * wilderness's end, else a run below it. O(1). */
uint32_t mm_pages_take_side(mm_heap *h, uint32_t n, uint32_t side);

/* Takes n pages from the wilderness only; MM_NIL if it is too short.
 * _top cuts them from its start (areas, large blocks), _end from its end
 * (pools). O(1). */
uint32_t mm_pages_take_top(mm_heap *h, uint32_t n);
uint32_t mm_pages_take_end(mm_heap *h, uint32_t n);

/* Gives pages [idx, idx+n) back as free, coalescing with free neighbours
 * and the wilderness. The caller has marked them all MM_C_NONE, except
 * page idx, which may keep its old mark (a large block's head). O(1). */
void mm_pages_give(mm_heap *h, uint32_t idx, uint32_t n);

/* Length of the largest free run in pages (wilderness included), 0 if
 * none. O(runs in the largest bucket). */
uint32_t mm_pages_largest(const mm_heap *h);

/* Pages a large block of size bytes needs. */
static inline uint32_t mm_pages_of(size_t size)
{
    return (uint32_t)((size + MM_CFG_PAGE_SIZE - 1u) >> MM_PAGE_SHIFT);
}

/* A new large block of n pages with no owner; NULL if no run is long
 * enough (the caller reclaims or reports). O(1). */
void *mm_large_new(mm_heap *h, uint32_t n);
/* Frees large block idx (its head page). O(1). */
void mm_large_free(mm_heap *h, uint32_t idx);
/* Resizes large block idx in place to hold size (> MM_CFG_SMALL_MAX) bytes:
 * shrinks (freeing surplus pages) or grows into free pages right after it.
 * Returns false, changing nothing, if that cannot be done. O(1). */
bool mm_large_resize(mm_heap *h, uint32_t idx, size_t size);
/* Compaction, in bounded steps (heap/heap.c's mm_compact takes the lock
 * around each, so that interrupts may allocate and free in between):
 * slides owned large blocks down into the free runs before them. */
typedef struct {
    uint32_t i;        /* the walk's next page */
    uint32_t largest;  /* longest free run walked past, wilderness at the end */
    uint32_t dst, src; /* a slide under way: the reserved run, the block */
    uint32_t n;        /* its pages; 0: no slide under way */
    void **owner;      /* the block's owner */
} mm_compactor;

/* Run starts one step looks at with MM_CFG_LOCK=1 (a pool, block or free
 * run each: a few loads and a branch). */
#define MM_COMPACT_RUNS 8u

void mm_pages_compact_begin(mm_heap *h, mm_compactor *c);
/* One step of the walk. Returns false when it is done; with c->n != 0 a
 * slide was begun: the caller copies c->n pages from page c->src to page
 * c->dst (memmove, the runs may overlap; no lock needed, both runs are
 * the compactor's) and then calls mm_pages_slide_end. O(MM_COMPACT_RUNS),
 * O(pages) in one step without MM_CFG_LOCK. */
bool mm_pages_compact_step(mm_heap *h, mm_compactor *c);
/* Ends a slide: the block takes the reserved pages, its *owner is
 * rewritten, the rest is freed. O(1). */
void mm_pages_slide_end(mm_heap *h, mm_compactor *c);

/* The bucket of a run length n >= 1: floor(log2 n). */
static inline uint32_t mm_pages_bucket(uint32_t n)
{
    return 31u - (uint32_t)__builtin_clz(n);
}

/* The first run of bucket b. The lists are kept in reverse order,
 * bucket[MM_NBUCKET - 1 - b], so that the hot paths find the list of a
 * length from its count of leading zeros alone (mm_pages_slot). */
static inline uint32_t mm_pages_first(const mm_zone *z, uint32_t b)
{
    return z->bucket[MM_NBUCKET - 1u - b];
}

/* The list slot of the bucket of length n (1 <= n < 2^16; n = 1 << b
 * gives bucket b's): bucket[clz(n) - 16]. */
static inline uint16_t *mm_pages_slot(mm_zone *z, uint32_t n)
{
    return &z->bucket[(uint32_t)__builtin_clz(n) - (32u - MM_NBUCKET)];
}

/* The index of the free runs on page idx's side of the wilderness. */
static inline mm_zone *mm_zone_of(mm_heap *h, uint32_t idx)
{
    return &h->zone[idx >= h->end ? 1 : 0];
}

/* ---- heap/pools.c: the small-object pools ---- */

/* Sets every class's pool geometry (mm_init). O(classes). */
void mm_pools_init(mm_heap *h);

/* Small alloc of class c when its free list is empty: the newest pool's
 * next never-used block, or the first block of a new pool; NULL with
 * MM_ENOMEM. Out of line so that the fast path saves no registers. */
void *mm__small_slow(mm_heap *h, size_t c);

/* Debug checks of a small free of p (class c, page idx): on a block
 * boundary, handed out, not already free; reports and returns false
 * otherwise. O(blocks per pool). */
bool mm_small_free_ok(mm_heap *h, size_t idx, size_t c, const void *p);

/* The same checks for any entry point fn ("mm_realloc", ...): block
 * boundary, handed out, its pool not empty, and with walk not on its
 * pool's free list (O(blocks per pool)); a freed block is reported as
 * "freed block" ("double free" for mm_free). writable: the report records
 * mm_last_error. Returns false after reporting. */
bool mm_small_live_ok(const mm_heap *h, size_t idx, size_t c, const void *p,
                      const char *fn, bool writable, bool walk);

/* Gives back every window of classes from..to-1 with no block in use, and
 * splits the others of more than one pool back onto their pools (giving
 * back the all-free ones): any other all-free pool was given back by its
 * last free. Returns true iff it changed any. O(classes + blocks in their
 * windows). */
bool mm_pools_reclaim(mm_heap *h, size_t from, size_t to);

/* Gives back at most one window with no block in use, looking at no
 * more than `probes` classes, round robin; with none, splits one window
 * of several pools back onto its pools (giving back the all-free ones).
 * Returns true iff it did either. O(probes + a window's blocks). */
bool mm_pools_release_idle(mm_heap *h, uint32_t probes);

/* Classes a pool refill or large request looks at for an idle window
 * when no page is free: all of them, so that no request fails while an
 * idle pool could serve it (O(classes), on the out-of-pages path only);
 * and classes above its own a small request may take a free block from
 * when no pool can be had. */
#define MM_IDLE_PROBES MM_NCLASS
#define MM_FALLBACK_CLASSES 4u

/* A class's window (heap/pools.c) holds at most MM_WINDOW_BLOCKS blocks'
 * worth of pools (at least one pool) while at least one page in
 * MM_WINDOW_DIV is free, and one pool while fewer are: frees into its
 * pools cost what a free into the newest costs, so that random frees stay
 * on the fast path when a class's live blocks span several small pools.
 * The price: a window pool all of whose blocks are free goes back only
 * with the window (all idle), or when the window is split back onto its
 * pools: by mm_trim, or by a mid-size or large request that finds no
 * page and no idle window. */
#define MM_WINDOW_BLOCKS 16u
#define MM_WINDOW_DIV 2u

/* The incremental reclaim (heap/pools.c, mm__small_slow): while fewer
 * than one page in MM_WINDOW_DIV is free, every MM_RECLAIM_EVERY-th pool
 * refill first gives back one idle window of another class (looking at
 * MM_RECLAIM_PROBES windows, round robin), else splits one window of
 * several pools back onto its pools (the first in multimap): O(1) to
 * find, O(MM_WINDOW_BLOCKS) to give back or split. So the pages
 * that windows hold beyond the pool each class is using go back steadily
 * while memory is tight, a step at a time, instead of all at once in the
 * request that finds no page (which still gives back or splits windows
 * until it fits or none is left, but seldom finds more than one). */
#define MM_RECLAIM_EVERY 8u
#define MM_RECLAIM_PROBES 4u
static_assert(MM_WINDOW_BLOCKS <= 255u, "a window's pools fit nwin");

/* Most pools class c's window may hold: MM_WINDOW_BLOCKS' worth, >= 1. */
static inline uint32_t mm_window_max(const mm_heap *h, size_t c)
{
    uint32_t n = MM_WINDOW_BLOCKS / h->per_pool[c];
    return n == 0 ? 1u : n;
}

/* Small requests under page pressure (mm__small_slow): a class that needs
 * a new pool takes a mid chunk instead while pages are scarce for its
 * pool size: while fewer than MM_SPILL_FEW_PCT percent of the pages are
 * free (once a fifth are in use) if its pool holds at most MM_SPILL_FEW
 * blocks (72 B and up with 512 B pages), while fewer than MM_SPILL_PCT
 * percent are free if at most MM_SPILL_BLOCKS (32 B and up). Such a pool
 * would keep a class's spare blocks, half a pool on average, where a
 * chunk costs 8 bytes of header; the fewer blocks a pool holds, the
 * larger that share, so those classes spill first. And the sooner they
 * spill, the fewer pools are opened while the arena fills: those stay
 * scattered, pinned by a live block or two, once it is full, and cut up
 * the free pages that mid-size and large requests need. The price is
 * speed: a chunk costs several times a pool block's instructions to
 * allocate and to free (figures in BENCHMARKS.md).
 * A class with no pool yet takes a free chunk if one is listed, and
 * otherwise opens its first pool (a new area for one block would be taken
 * and given back by every alloc-free pair). And a small request that
 * finds no pool and no block to borrow takes a free mid chunk if there is
 * one. Such blocks are mid blocks (their page says so) and are freed as
 * such. */
#define MM_SPILL_FEW 7u
#define MM_SPILL_FEW_PCT 80u
#define MM_SPILL_BLOCKS 16u
#define MM_SPILL_PCT 25u

/* The share of free pages, in percent, below which a class of per_pool
 * blocks a pool spills (see above); 0: it never does. */
static inline uint32_t mm_spill_pct(uint32_t per_pool)
{
    return per_pool <= MM_SPILL_FEW      ? MM_SPILL_FEW_PCT
           : per_pool <= MM_SPILL_BLOCKS ? MM_SPILL_PCT
                                         : 0u;
}

/* ---- heap/mid.c: mid-size blocks (the constants are above) ---- */

/* The check word of a chunk at address c. */
static inline uint32_t mm_mid_key(const void *c)
{
    return (uint32_t)((uintptr_t)c >> 3) * 0x9E3779B1u;
}

/* The check bits a chunk header at c holds: live, or once freed (dead):
 * the whole check word in the 8-byte header, its top bits above the size
 * in the 4-byte one (MM_MID_HDR). */
static inline uint32_t mm_mid_tag(const void *c, bool dead)
{
    uint32_t key = mm_mid_key(c) ^ (dead ? MM_MID_DEAD : 0u);
    return MM_MID_HDR == 8u ? key : key & MM_MID_CHECK_MASK;
}

/* The check bits the chunk header at c holds now. */
static inline uint32_t mm_mid_tag_at(const void *c)
{
    const uint32_t *w = (const uint32_t *)c;
    return MM_MID_HDR == 8u ? w[1] : w[0] & MM_MID_CHECK_MASK;
}

/* A mid block of size bytes (MM_CFG_SMALL_MAX < size <= MM_CFG_MID_MAX):
 * a good fit among the free chunks, else a chunk of a new area; NULL if
 * no page run can be had (the caller may give idle pools back and retry).
 * O(1). */
void *mm_mid_alloc(mm_heap *h, size_t size);

/* mm_mid_alloc, else (NULL) mm__alloc_retry: mm_alloc of a mid-size
 * request in an unlocked, non-debug build ends in this one call and
 * keeps nothing across it. O(1) (mm__alloc_retry: O(classes)). */
void *mm_mid_alloc_or_retry(mm_heap *h, size_t size);

/* What mm_alloc does (heap/heap.c) when a request above the pools found
 * no chunk or page run: a frugal area's free tail given back, idle
 * windows given back or split one at a time and the request tried again
 * after each, the error set if it still fails. Unlocked builds only. */
void *mm__alloc_retry(mm_heap *h, size_t size);

/* mm_mid_alloc from a free chunk only (no new area): NULL if the good
 * fit finds none. O(1). */
void *mm_mid_alloc_listed(mm_heap *h, size_t size);

/* mm_mid_alloc_listed, looking further along the request's own list too
 * (MM_MID_SCAN chunks): a small request's last resort, with no page
 * left. O(1). */
void *mm_mid_alloc_last(mm_heap *h, size_t size);

/* Frees mid block p (checked by mm_mid_ok), merging with free neighbours;
 * an area left all free is given back to the pages. O(1). */
void mm_mid_free(mm_heap *h, void *p);

/* Bytes usable in mid block p. */
static inline size_t mm_mid_usable(const void *p)
{
    return (*(const uint32_t *)(const void *)((const char *)p - MM_MID_HDR) & MM_MID_SIZE_MASK) -
           MM_MID_HDR;
}

/* With MM_CFG_FRUGAL (R10), one area takes every page at mm_init (up to
 * MM_MID_AREA_MAX: mm_mid_init), and a free gives no page back, so that
 * no alloc or free grows or shrinks an area (the costliest mid calls).
 * mm_mid_trim gives back every area's free tail, all of an area that
 * holds no block: O(pages), for mm_trim and mm_compact only.
 * mm_mid_give_tail does it for the area that ends at the wilderness
 * alone, and says whether a page went: O(pages given back), in marks
 * only; for a large block that finds no page. Nothing without
 * MM_CFG_FRUGAL. */
void mm_mid_init(mm_heap *h);
void mm_mid_trim(mm_heap *h);
bool mm_mid_give_tail(mm_heap *h);

/* mm_mid_free of p if mm_mid_live says it is a live mid block, else
 * mm__free_slow (which reports the misuse): mm_free's last call, so that
 * mm_free keeps nothing across it. O(1). */
void mm_mid_free_or_slow(mm_heap *h, void *p);

/* mm_free's general path (heap/heap.c): every check under the lock. */
void mm__free_slow(mm_heap *h, void *p);

/* Resizes mid block p in place to hold size bytes: shrinks (a tail of at
 * least MM_MID_MIN bytes goes back) or grows into the free chunk after it.
 * false, changing nothing, if that cannot be done. O(1). */
bool mm_mid_resize(mm_heap *h, void *p, size_t size);

/* Whether p (8-aligned, on a page marked MM_C_MID) starts a live mid
 * block: MM_OK; MM_EDOUBLE if it started one that is freed; MM_EFOREIGN
 * otherwise (the check word of a live block is a hash of its address, so
 * a pointer into a block is caught but for a 1 in 2^32 chance). Reports
 * nothing. O(1). */
mm_err mm_mid_live(const mm_heap *h, const void *p);

/* Checks that p (on a page marked MM_C_MID) starts a live mid block;
 * reports misuse for fn ("double free" or "freed block", "pointer to no
 * live block") and returns false otherwise. writable: the report records
 * mm_last_error. O(1). */
bool mm_mid_ok(const mm_heap *h, const void *p, const char *fn, bool writable);

/* Walks every area and the chunk index (mm_check); NULL if consistent,
 * else what is wrong, with the place in *addr. O(chunks). */
const char *mm_mid_check(const mm_heap *h, const void **addr);

/* Largest free chunk's usable bytes (0 if none). O(chunks of the top list). */
size_t mm_mid_largest(const mm_heap *h);

#endif /* MM_HEAP_INT_H */
