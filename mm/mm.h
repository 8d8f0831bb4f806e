/*
 * mm.h - the mmrt allocator: pooled small-object arenas and relocatable
 * large blocks on one static region.
 *
 * THIS HEADER IS THE CONTRACT.
 *
 * ---- Layout and invariants, in words ----
 * R1. mm_init lays out the region as [heap state][page descriptors][pages].
 *     The heap state and one 16-byte descriptor per page are the only
 *     metadata; there is no per-block header. Pages are MM_PAGE_SIZE bytes
 *     (mm_config.h); bytes after the last whole page are not used.
 * R2. Every page is in exactly one run: a FREE run (any length, coalesced:
 *     two free runs are never adjacent), a POOL (1..MM_POOL_MAX_PAGES pages,
 *     length fixed per size class), or a LARGE block (any length). Pools and
 *     large blocks share all pages; there is no fixed split.
 * R3. Small requests (1..MM_SMALL_MAX bytes) are served from the pool of
 *     their size class: class i holds blocks of 8*(i+1) bytes. A block's
 *     pool is found from its address alone (subtract, shift, one load;
 *     a pool of several pages is found through the page's distance to the
 *     pool's first page). Free blocks of a pool form a list threaded
 *     through their first word (32-bit offsets); blocks never handed out
 *     are carved lazily, MM_CARVE_BATCH at a time. A pool spans the fewest
 *     pages (<= MM_POOL_MAX_PAGES) whose tail waste is at most
 *     1/MM_POOL_WASTE_DIV (default 1/8) and that hold at least
 *     MM_POOL_MIN_BLOCKS blocks (default 1); failing both, the least
 *     wasteful length.
 * R4. Each class keeps the pools that still have a free block in a doubly
 *     linked list; full pools are in no list. When a pool's last block is
 *     freed the pool becomes its class's SPARE (one per class): it stays
 *     listed, so the class reuses it at once (no refill/release thrash at a
 *     pool boundary, nor when sizes alternate between classes), and the
 *     class's previous spare, if still empty, goes back to the free runs
 *     (coalesced). Every empty pool is the spare of its class, so at most
 *     one empty pool per class (MM_SMALL_MAX / 8 in all) is ever held.
 *     Spares are given back on demand: when a pool refill or a large block
 *     finds no free run long enough, every class's empty spare goes back
 *     (at most MM_SMALL_MAX / 8 releases, each O(1)) and the take is retried
 *     once; mm_compact and mm_trim give them all back too. The statistics
 *     count a spare among its class's pools and pages_pool.
 * R5. Free runs are kept in segregated lists by length with two-level
 *     bitmaps (TLSF, Masmano et al. 2004), so finding, splitting and
 *     coalescing a run is O(1).
 * R6. A large block is a page run; its payload starts on a page boundary.
 *     A large block with a registered owner (mm_set_owner) may be moved by
 *     mm_compact, which then rewrites *owner. Pools and unowned large blocks
 *     never move.
 * R7. Every pointer handed out is 8-byte aligned (pages are 8-byte aligned
 *     and every block size is a multiple of 8).
 *
 * ---- Time bounds (no loop depends on the heap's contents) ----
 * mm_alloc, mm_free: O(1). Small fast path: no call, no loop. Slow paths:
 * carving (<= MM_CARVE_BATCH blocks threaded), pool refill (one TLSF take
 * + split, the pool's <= MM_POOL_MAX_PAGES descriptors), pool release (one
 * TLSF give with coalescing on both sides). Measured on the Cortex-M3
 * Thumb-2 code (-O2, default config, instructions executed inside the
 * allocator, call and argument set-up excluded; qemu-arm -singlestep),
 * Cortex-M0 (no CLZ: bit scans go through libgcc) in brackets:
 *     small alloc: fast path 16 [18] (counted on the disassembly, return
 *                  included); carving a batch of 8 99 [127]; pool becomes
 *                  full 58 [83]; refill from the free runs 236 [433]
 *     small free:  fast path 23 [30] (counted likewise; also when it empties
 *                  its class's spare); pool was full 53 [67]; a pool other
 *                  than the spare empties and the class's previous spare is
 *                  released (coalescing both sides) 164 [245]
 *     large alloc (TLSF take + split) 197 [407]; large free (coalescing
 *                  both sides) 179 [267]
 *     (slow-path figures measured before the per-class spare; they changed
 *     by a few instructions at most.) A failing refill or large take first
 *     gives back the spares: at most MM_SMALL_MAX / 8 pool releases.
 *     Bench firmware (tests/bench, mps2-an385, net instructions per call
 *     including the call): alloc+free pairs of random class 22.7 per call;
 *     random live set of 512 blocks 44.3; the same with 1 in 64 large 46.1.
 * With MM_CFG_DEBUG=1 add the poison fill (linear in block size) and, in
 * mm_free, the double-free walk of the pool's free list (linear in the
 * pool's block count). mm_realloc: one alloc + copy + free at most.
 *
 * ---- Concurrency ----
 * With MM_CFG_LOCK=1, mm_alloc, mm_free, mm_realloc, mm_usable_size,
 * mm_set_owner, mm_trim and mm_compact run inside mm_port_lock/unlock and
 * (except mm_compact, which is linear) are ISR-safe. The statistics,
 * mm_check and mm_dump_map read without the lock: call them where no
 * allocation can interrupt. With MM_CFG_LOCK=0 (default) nothing is
 * ISR-safe; the caller serializes.
 *
 * ---- Misuse ----
 * mm_free, mm_realloc, mm_usable_size and mm_set_owner validate their
 * pointer. Always checked (a few instructions): inside this heap's pages,
 * 8-byte aligned, on a live pool page or at the start of a live large block
 * (which also catches a large block freed twice, and any block whose pool
 * is empty or gone). With MM_CFG_DEBUG=1 also: on a block boundary of its
 * pool, handed out (below the carve mark), and not already on the pool's
 * free list. A failed check calls mm_port_misuse(__FILE__, __LINE__,
 * "<function>: <what> 0x<ptr>") with <what> one of "foreign pointer",
 * "misaligned pointer", "pointer to no live block", "double free" (mm_free)
 * or "freed block" (the others), sets mm_last_error (MM_EFOREIGN,
 * MM_EALIGN, MM_EFOREIGN, MM_EDOUBLE) and changes nothing else.
 * Not caught without MM_CFG_DEBUG: a second free of a small block whose
 * pool still holds other live blocks, and an 8-aligned pointer into the
 * middle of a small block; both corrupt the pool's free list.
 *
 * ---- Debug poison (MM_CFG_DEBUG=1) ----
 * A block handed out by mm_alloc is filled with MM_POISON_FRESH (0xCD); a
 * freed block is filled with MM_POISON_FREE (0xDD) after its first word
 * (the free-list link). mm_check verifies freed blocks still hold 0xDD, so
 * a write after free is reported.
 */
#ifndef MM_H
#define MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm_config.h"

typedef struct mm_heap mm_heap; /* opaque; lives at the start of its region */

/* Error codes, also returned by mm_last_error(). */
typedef enum {
    MM_OK = 0,
    MM_ENOMEM,    /* no block of that size can be had now */
    MM_EZERO,     /* size 0 requested */
    MM_ETOOBIG,   /* size exceeds all pages of the region (never satisfiable) */
    MM_EFOREIGN,  /* pointer not from this heap (or not on a live page) */
    MM_EALIGN,    /* pointer not on a block boundary */
    MM_EDOUBLE,   /* block already free */
    MM_ECORRUPT,  /* mm_check found an inconsistency */
} mm_err;

/* A fixed English text for e ("out of memory", ...). Never NULL. O(1). */
const char *mm_strerror(mm_err e);

/* Lay a heap over [region, region+size). The region need not be aligned.
 * Returns NULL iff region is NULL or too small to hold the heap's own state
 * and MM_POOL_MAX_PAGES pages (so that every size class can get a pool).
 * At most 65534 pages are used; bytes beyond them are left alone.
 * Metadata: about 0.7 KiB of state (32-bit, default config) plus 16 bytes
 * per page. A 64 KiB region holds 3904 16-byte blocks (measured).
 * O(pages) (clears the descriptors). Not ISR-safe. */
mm_heap *mm_init(void *region, size_t size);

/* Returns an 8-byte aligned block of at least size bytes, or NULL with
 * mm_last_error() set: MM_EZERO for size 0 (no block is made), MM_ETOOBIG
 * when size exceeds every page of the region together (this covers
 * SIZE_MAX and any size whose rounding would overflow), MM_ENOMEM when it
 * could fit an emptier heap. Memory is not zeroed (0xCD in debug builds).
 * On success mm_last_error() is not changed. O(1). */
void *mm_alloc(mm_heap *h, size_t size);

/* Frees a block; NULL is a no-op. Misuse (foreign, misaligned, double free)
 * is reported through mm_port_misuse() and leaves the heap untouched (see
 * "Misuse" above). O(1) (O(pool blocks) with MM_CFG_DEBUG). */
void mm_free(mm_heap *h, void *p);

/* C realloc semantics with these choices:
 * - p == NULL: mm_alloc(h, size).
 * - size == 0: returns NULL with MM_EZERO; p stays allocated (use mm_free).
 * - Failure (MM_ENOMEM, MM_ETOOBIG, or misuse of p): returns NULL, the old
 *   block is untouched and still owned by the caller.
 * - The block stays in place when the new size maps to the same size class
 *   (small) or the same or fewer pages (large; surplus pages are freed), or
 *   when the pages right after a large block are free and enough.
 *   Otherwise it moves (alloc, copy, free).
 * - A large block keeps its registered owner only if it stays in place;
 *   after a move the new block has none (re-register it).
 * - Misuse of p (see "Misuse"): NULL, reported, nothing changes.
 * O(1) plus the copy. */
void *mm_realloc(mm_heap *h, void *p, size_t size);

/* Bytes actually reserved for the block: its class block size (small) or
 * its pages (large). 0 (with misuse reported; mm_last_error is not set, h
 * is read-only here) for an invalid pointer, 0 for NULL. O(1). */
size_t mm_usable_size(const mm_heap *h, const void *p);

/* The error of the last failed call on h (MM_OK if none yet). O(1). */
mm_err mm_last_error(const mm_heap *h);

/* ---- relocation of large blocks (for compaction through handles) ---- */

/* Registers where the only reference to large block p is stored; mm_compact
 * may move the block and then rewrites *owner. A small block, or a large one
 * without an owner, is never moved. owner == NULL pins it again. A small p
 * is accepted and ignored; an invalid p is misuse (nothing changes). The
 * owner slot itself must not lie in a block that mm_compact may move (keep
 * it in a small block, a pinned large block or static memory). O(1). */
void mm_set_owner(mm_heap *h, void *p, void **owner);

/* Gives every class's spare pool (see R4) back to the free runs if it is
 * empty. After freeing everything and mm_trim, all pages are free.
 * O(MM_SMALL_MAX / 8): one O(1) release at most per class. */
void mm_trim(mm_heap *h);

/* Slides owned large blocks down into the free runs before them to merge
 * holes, rewriting each moved block's *owner. Pools and unowned large
 * blocks stay (a hole before one is kept). Returns the size in bytes of the
 * largest free run afterwards. O(pages + bytes moved). Not ISR-safe. */
size_t mm_compact(mm_heap *h);

/* ---- statistics (all read-only; no call changes the heap) ---- */

/* Number of small size classes (MM_SMALL_MAX / 8) and the class of a size
 * (SIZE_MAX for 0 or sizes above MM_SMALL_MAX). O(1). */
size_t mm_class_count(void);
size_t mm_size_class(size_t size);

typedef struct {
    size_t block_size;   /* bytes per block: 8 * (class + 1) */
    size_t blocks_per_pool;
    size_t pool_pages;   /* pages per pool of this class */
    size_t in_use;       /* blocks handed out now */
    size_t free_blocks;  /* free blocks inside this class's pools */
    size_t pools;        /* pools held now (including the spare, R4) */
    size_t pools_peak;   /* most pools held at once; never decreases */
    size_t bytes;        /* in_use * block_size */
} mm_class_stats;

/* Fills *out for class cls. Returns false (and leaves *out) iff cls >=
 * mm_class_count(). O(1). */
bool mm_get_class_stats(const mm_heap *h, size_t cls, mm_class_stats *out);

typedef struct {
    size_t region_size;     /* bytes given to mm_init */
    size_t meta_bytes;      /* heap state + descriptors + alignment/tail */
    size_t page_size;       /* MM_PAGE_SIZE */
    size_t pages;           /* pages in the region */
    size_t pages_free;      /* pages in free runs */
    size_t pages_pool;      /* pages held by pools */
    size_t pages_large;     /* pages held by large blocks */
    size_t large_blocks;    /* live large blocks */
    size_t used_bytes;      /* bytes in live blocks (block sizes, not requests) */
    size_t pool_free_bytes; /* free block bytes inside pools */
    size_t free_bytes;      /* pages_free * page_size */
    size_t largest_free;    /* largest free run, bytes */
    size_t frag_permille;   /* 1000 * (1 - largest_free / free_bytes); 0 if none free */
    size_t peak_bytes;      /* most bytes of pages held by pools + large blocks
                               at once; never decreases */
    size_t high_water;      /* mm_high_water() */
} mm_stats;

/* Fills *out. O(classes + free runs of the largest length bucket). */
void mm_get_stats(const mm_heap *h, mm_stats *out);

/* The most bytes of the region ever in use: heap state plus, at the busiest
 * moment, the pages held by pools and large blocks with their descriptors
 * (the size of the smallest region that could have held that moment if its
 * free pages were contiguous). Never decreases. O(1). */
size_t mm_high_water(const mm_heap *h);

/* Largest free run in bytes, and fragmentation in permille: 1000 * (1 -
 * largest free run / all free pages); 0 when nothing is free. O(free runs
 * of the largest length bucket). */
size_t mm_largest_free(const mm_heap *h);
size_t mm_fragmentation(const mm_heap *h);

/* ---- diagnostics ---- */

typedef struct {
    mm_err code;       /* MM_OK, or MM_ECORRUPT */
    const char *msg;   /* static text naming the broken invariant */
    const void *addr;  /* the page, block or descriptor concerned */
} mm_report;

/* Walks everything: heap state, every page descriptor and run, the free-run
 * bucket lists and bitmaps, every pool's free list (bounds, boundaries,
 * cycles, counts; in debug builds the free poison too), every class list
 * and counter. Returns true iff all is consistent; otherwise false with the
 * first inconsistency in *r (r may be NULL). Never aborts, never writes the
 * heap. O(pages + blocks). Not ISR-safe. */
bool mm_check(const mm_heap *h, mm_report *r);

/* Prints the page map through mm_printf: a legend line, then 64 pages per
 * line, "offset: chars" (offset in bytes from the first page, hex). One
 * character per page: '.' free, 'L' first page of a large block, '=' its
 * other pages, and for a pool the class glyph on each of its pages
 * ("123456789abc...": class 0 = '1' = 8-byte blocks, '2' = 16 bytes ...).
 * Then one line per class holding pools: glyph, block size, pools, blocks
 * in use and free. O(pages + classes). Not ISR-safe. */
void mm_dump_map(const mm_heap *h);

#endif /* MM_H */
