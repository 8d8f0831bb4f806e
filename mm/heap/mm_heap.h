/*
 * heap/mm_heap.h - the mmrt allocator: pooled small-object arenas and relocatable
 * large blocks on one static region.
 *
 * THIS HEADER IS THE CONTRACT.
 *
 * ---- Layout and invariants, in words ----
 * R1. mm_init cuts the region (from its first 8-aligned byte) into pages of
 *     MM_CFG_PAGE_SIZE bytes (mm_config.h). The first pages hold the heap
 *     state, and per page one mark byte and one descriptor (8 bytes on
 *     32-bit targets): that is all the metadata, there is no per-block
 *     header. Bytes after the last whole page are not used.
 * R2. Every other page is a POOL page (pools are 1..MM_CFG_POOL_MAX_PAGES
 *     pages, 1 by default), part of a MID-SIZE AREA (R8), part of a LARGE
 *     block, part of an indexed FREE
 *     run (coalesced: two free runs are never adjacent), or in the
 *     WILDERNESS: the free pages above every page in use, which a fresh
 *     heap is made of. Pools and large blocks share all pages; there is no
 *     fixed split.
 * R3. Small requests (1..MM_CFG_SMALL_MAX bytes) are served by their size
 *     class: class i holds blocks of 8*(i+1) bytes. A class allocates from
 *     its WINDOW: while at least half the pages are free, up to 16 blocks'
 *     worth of pools (at least one pool; MM_WINDOW_BLOCKS), else one pool,
 *     whose free blocks share one list; that list and the count of the
 *     window's blocks in use sit side by side in the heap state. Every
 *     other pool of the class keeps its own free list and count. A block's class is
 *     read from its page's mark: (p - heap) >> page shift, one byte load. A
 *     new pool's blocks are handed out by a bump pointer, so a pool costs
 *     O(1) to set up.
 * R4. A pool outside its class's window is given back to the free pages
 *     by the free of its last block in use. A window's pools stay with
 *     their class, even all free (so that alloc/free pairs do not churn
 *     pages), until mm_trim or mm_compact (which give back idle windows
 *     and the all-free pools of the others), or until a pool refill or a
 *     large request finds no free page: then the idle windows of other
 *     classes (any class, round robin) are taken over or given back, one
 *     at a time, until the request fits or none is idle: no request fails
 *     while an idle pool could serve it. A large request then also
 *     splits windows of several pools back onto their pools, one at a
 *     time, giving back their all-free pools. With more than half the
 *     pages free, windows trade pages for speed (random frees stay on the
 *     fast path); below, a window shrinks by a pool at each refill, and
 *     every 8th refill (MM_RECLAIM_EVERY) first gives back one idle
 *     window of another class or splits one window of several pools (the
 *     incremental reclaim: pages held by windows go back a step at a time
 *     while memory is tight, not all at once in the request that finds
 *     none). When
 *     a small request still
 *     finds no pool, it is served with a free block of one of the next
 *     MM_FALLBACK_CLASSES larger classes (mm_usable_size says so), else
 *     with a free mid-size chunk (R8) if one is big enough.
 * R4a. Under page pressure a small request whose class has no free
 *     block is served by a mid-size chunk (R8: an 8-byte header) instead
 *     of a new pool: while fewer than 80% of the pages are free (once a
 *     fifth are in use) if the pool would hold 7 blocks or fewer (72
 *     bytes and up with 512-byte pages), while fewer than a quarter are
 *     free if it would hold 16 or fewer (32 bytes and up). Such a pool
 *     would keep about half a pool of spare blocks for its class, and
 *     pools opened while the heap fills stay scattered once it is full.
 *     A class with no pool yet opens its first one unless a free chunk
 *     is big enough. With pages plentiful small blocks have no header.
 * R5. A new pool comes from the indexed free runs when there is one (so
 *     pools fill holes and the wilderness stays whole for large blocks),
 *     else from the wilderness (no search), else as in R4. Large blocks come from the indexed
 *     free runs (first run of the length's power-of-two bucket if long
 *     enough, else the first run of the next non-empty bucket up), else
 *     from the wilderness. A run given back next to the wilderness joins
 *     it.
 * R6. A large block (above MM_CFG_MID_MAX bytes, or above
 *     MM_CFG_SMALL_MAX when MM_CFG_MID_MAX is 0) is a page run; its payload
 *     starts on a page boundary.
 *     A large block with a registered owner (mm_set_owner) may be moved by
 *     mm_compact, which then rewrites *owner. Pools and unowned large
 *     blocks never move.
 * R7. Every pointer handed out is 8-byte aligned (pages are 8-byte aligned
 *     and every block size is a multiple of 8), and its block holds the
 *     request rounded up to 8 (mm_usable_size), the caller may use all
 *     of it. The frugal build's (R10) holds the request rounded up to 4
 *     only: its 4-byte header ends a block 4 bytes before the next
 *     multiple of 8.
 * R8. A mid-size request (MM_CFG_SMALL_MAX+1 .. MM_CFG_MID_MAX bytes, 4096
 *     by default) is a chunk of an area: a page run cut at 8-byte
 *     granularity, each chunk with an 8-byte header (its size and a check
 *     word), so a block costs its size rounded up to 8, plus 8 (R10: the
 *     frugal build's header is 4 bytes). The free chunks are indexed by size
 *     (two bitmap searches find one big enough); a freed chunk merges with
 *     free neighbours at once. With no chunk big enough, an area grows by
 *     the pages it lacks (an area that ends at the free pages) or a new run
 *     of MM_MID_AREA_PAGES (2 KiB, or the request's length if longer) is
 *     taken, and joins the area right before it: an area is one space of up
 *     to 32 KiB (256 KiB in the frugal build, R10: there a heap of that size
 *     is one space). With no page either (or a small request with no page
 *     and no block to borrow, R3), the request looks at the next MM_MID_SCAN
 *     (8) chunks of its own size list before it fails (the search above
 *     looks at the first chunk of a list whose chunks differ by up to a
 *     quarter). Whole pages at an area's end go back to the free pages as
 *     soon as their blocks are freed. Mid blocks never move (mm_set_owner on
 *     one is accepted and ignored).
 * R9. Pools are cut from the end of the free pages and areas and large
 *     blocks from their start, so that pool pages, which come and go with
 *     their classes, do not cut up the page runs that longer requests
 *     need: a new pool takes a free run among the pools first, then the
 *     free pages' end, and a run among the areas only when neither has a
 *     page (and the reverse for areas and large blocks). A build without
 *     mid-size areas keeps pools beside its large blocks
 *     (MM_CFG_POOLS_AT_END, mm_config.h).
 * R10. The frugal build (MM_CFG_FRUGAL=1, mm_config.h) has no pools:
 *     every request up to MM_CFG_MID_MAX is a chunk as in R8, so all
 *     blocks but the large ones share one good-fit space, and R3-R5 and
 *     R4a do not apply. Its chunk header is one word: the size and
 *     flags, and the check word's top 14 bits. So a block costs its size
 *     plus 4, rounded up to 8 (16 bytes at least on 32-bit targets), and
 *     a pointer into a block passes the check 1 time in 2^14 (see
 *     "Misuse"). Its one area takes every page at mm_init (up to 256
 *     KiB), and no alloc or free takes or gives back a page, the
 *     costliest steps of a mid call: a free leaves an area's free tail,
 *     and an area with no block, as they are. mm_trim and mm_compact give
 *     them back; a large block that finds no page takes the free tail of
 *     the area that ends at the wilderness; after mm_trim, the next
 *     request that finds no chunk takes every free page again. So in this
 *     build pages_mid and mm_high_water count the whole heap from
 *     mm_init; used_bytes, mid_free_bytes and mid_largest_free (mm_stats)
 *     say what is in use. Its pages are 1 KiB (MM_CFG_PAGE_SIZE), its
 *     heap state keeps no pool fields, and mm_size_class_count() is 0. Every alloc and free costs a mid-size
 *     one (below); the least arena at which a workload runs is 4-13%
 *     smaller than the default build's (BENCHMARKS.md, "A frugal
 *     build").
 *
 * ---- Time bounds ----
 * Every call below is O(1): its loops are bounded by constants
 * (MM_CFG_POOL_MAX_PAGES marks, MM_NCLASS classes looked at for an idle
 * window on the out-of-pages path and 16 blocks' worth of pools given
 * back with one, MM_FALLBACK_CLASSES classes a small request may borrow
 * from, MM_NCLASS / 32 bitmap words). Measured instructions of the
 * allocator's own code per call, Cortex-M3 Thumb-2, -O2, default
 * configuration, each call counted exactly from a QEMU instruction trace
 * of every call of the bench's pressure workloads at their tight and
 * least arenas (make bench; BENCHMARKS.md has the figures per workload):
 *     small alloc: fast path 12 (pop + count); a refill from the
 *                  wilderness about 60; under page pressure (R4a) a mid
 *                  chunk, about 135 (the refill's checks about 50, the
 *                  chunk about 80), about 300 when its area grows or
 *                  joins new pages; a refill that is a reclaim step (R4)
 *                  adds about 75, or the window it gives back or splits
 *                  (up to about 400); worst about 520 (a refill that finds
 *                  no page: a chunk tried, every class looked at once for
 *                  an idle window, whose pools are given back, a block
 *                  borrowed or a chunk taken)
 *     small free:  fast path 20 (window pool: compare, push + count);
 *                  another pool about 55; a spilled block (a mid chunk)
 *                  about 100; worst about 360 (a pool's last block: the
 *                  pool is given back and coalesced; or a chunk whose
 *                  area gives back its tail pages)
 *     large alloc: worst 110 with a free run long enough (find, split);
 *                  330 when one idle window is given back first; with no
 *                  free run long enough it gives back idle windows one at
 *                  a time, at most MM_NCLASS of them, each retry costing
 *                  about as much again (4,689 seen before the incremental
 *                  reclaim of R4, 863 since; the bench prints the worst
 *                  per workload)
 *     large free:  worst 103 (coalesce both sides, index); a mid block
 *                  whose area gives back its tail pages, about 360
 *     mid alloc / free: about 115 and 110 (two bitmap searches and a
 *                  split; a merge on each side); about 260 and 350 when
 *                  an area grows into new pages or gives back its tail
 *                  (the pages' marks); a request that finds no chunk and
 *                  no page adds at most MM_MID_SCAN + 1 list steps
 *     frugal build (R10): every alloc and free is a mid one, about 84
 *                  and 88 for a small request; worst 128 and 154 (no
 *                  page is taken or given back); a large block that
 *                  takes an area's free tail, or the first request after
 *                  mm_trim, also moves pages: such calls measured up to
 *                  332 (BENCHMARKS.md, session 17)
 * mm_trim and mm_compact are the linear calls. With MM_CFG_DEBUG=1 add the
 * poison fill (linear in block size) and, in mm_free, the double-free walk
 * of the block's pool list (at most a pool's blocks). mm_realloc: one
 * alloc + copy + free at most.
 *
 * ---- Concurrency ----
 * With MM_CFG_LOCK=1 every call that changes or validates a block runs
 * inside mm_port_lock/unlock (on the firmware: interrupts masked).
 * ISR-safe then, from an interrupt handler while the main loop is inside
 * any allocator call: mm_alloc, mm_alloc_at, mm_free, mm_realloc,
 * mm_realloc_at, mm_realloc_err, mm_realloc_err_at, mm_usable_size and
 * mm_set_owner. Each masks interrupts once, for its bound above. The long
 * calls release the lock between bounded steps, and the heap is whole at
 * every release point (an interrupt may allocate and free there):
 *  - a mm_realloc that moves a block takes the new block under the lock,
 *    copies with interrupts enabled (the old block is still the caller's,
 *    the new one nobody's yet) and frees the old block under the lock;
 *  - a large request that finds no free run long enough releases the
 *    lock between two idle pools it gives back (R4);
 *  - mm_trim gives back one class's idle pool per step;
 *  - mm_compact gives back the idle pools as mm_trim, then walks the runs
 *    8 (MM_COMPACT_RUNS) per step; a slide reserves the free run before
 *    the block as a block of its own (one step), copies the block with
 *    interrupts enabled, and swaps the two (one step). So an interrupt
 *    must not free, resize or re-register a block that has an owner while
 *    mm_compact runs (give blocks an ISR frees no owner); a block changed
 *    while it was moved is reported ("mm_compact: block changed while
 *    moved"), its copy is dropped, the heap stays whole.
 * Longest stretch with interrupts masked per call, measured on
 * Cortex-M3 (release build, 128 KiB and 1 MiB arenas, make bench-lock,
 * to within 40 instructions; BENCHMARKS.md, "Interrupt latency"):
 * at most 880 for every call, whatever the heap and block sizes:
 * mm_compact 280, mm_trim 280, a mm_realloc copying a large block 440,
 * small alloc (a refill that is a reclaim step, R4) and free 600; a large
 * or failing request that gives back idle pools (R4) lets interrupts in
 * between two, one search and one release per section, up to 880.
 * MM_CFG_DEBUG=1 adds its poison fills and checks (linear in the block)
 * inside the lock. mm_trim and mm_compact remain main-loop calls, not for
 * ISRs. mm_last_error reads a code that every caller shares: beside an
 * ISR, decide on mm_realloc_err's own status instead.
 * mm_strerror, mm_size_class_count and mm_size_class read no heap and are
 * safe anywhere. Not ISR-safe: mm_init, mm_set_alloc_hook, and the
 * statistics, mm_check, mm_dump_map, mm_map_pages and mm_map_read, which
 * read without the lock: call them where no allocation can interrupt (or
 * with interrupts masked). With MM_CFG_LOCK=0 (default) nothing is
 * ISR-safe; the caller serializes.
 *
 * ---- Misuse ----
 * mm_free, mm_realloc, mm_usable_size and mm_set_owner validate their
 * pointer. Always checked (a few instructions): inside this heap's pages,
 * 8-byte aligned, on a pool page, at the start of a live mid block (its
 * header's check word, a hash of its address: a pointer into a block
 * passes 1 time in 2^32, 1 in 2^14 in the frugal build, R10) or at
 * the start of a live large block; and
 * mm_free of a small block whose pool has no block in use. A mid block or
 * a large block freed twice is named a double free, also after its pages
 * went back to the heap (its free leaves a tag there), until they are
 * handed out again. mm_realloc and mm_usable_size
 * also check, in every build, that a small block is on a block boundary
 * of its pool, handed out (below the pool's bump pointer) and in a pool
 * with blocks in use (their cost is small beside a copy). With
 * MM_CFG_DEBUG=1, all four also check that a small block is not already
 * on its pool's free list (mm_free: also the boundary and bump tests).
 * A failed check calls
 * mm_port_misuse(__FILE__, __LINE__, "<function>: <what> 0x<ptr>") with
 * <what> one of "foreign pointer", "misaligned pointer", "pointer to no
 * live block", "double free" (mm_free) or "freed block" (the others), or
 * with red zones "write past block end" (mm_free, mm_realloc), sets
 * mm_last_error (MM_EFOREIGN, MM_EALIGN, MM_EFOREIGN, MM_EDOUBLE,
 * MM_ECORRUPT) and changes nothing else (the block stays live).
 * mm_usable_size reports but, h being read-only there, does not set
 * mm_last_error.
 * Not caught without MM_CFG_DEBUG: a second free (or a realloc or
 * usable_size) of a freed small block while its pool has other blocks in
 * use, and (mm_free only) an 8-aligned pointer into the middle of a small
 * block; mm_free's corrupt a free list (mm_check finds it).
 *
 * ---- Debug poison (MM_CFG_DEBUG=1) ----
 * A block handed out by mm_alloc is filled with MM_CFG_POISON_FRESH (0xCD); a
 * freed block is filled with MM_CFG_POISON_FREE (0xDD) after its first word
 * (the free-list link). mm_check verifies freed blocks still hold 0xDD, so
 * a write after free is reported.
 *
 * ---- Debug red zones (MM_CFG_DEBUG=1 and MM_CFG_REDZONE=1) ----
 * Each request is rounded up to 8 (what the caller may use: mm_usable_size
 * says so) and given 8 bytes more: a guard of 0xFD bytes, then the rounded
 * size in the block's last 4 bytes. mm_free and mm_realloc check the guard
 * and the size word of the block they are given and report "write past
 * block end" (MM_ECORRUPT; the block is left live); mm_check checks every
 * live block's ("live block red zone overwritten"). So a write past the
 * end of a block, into a live neighbour or past a large block's request,
 * is caught at the block's free or at the next mm_check. Cost: 8 bytes
 * per block, which moves a small request up one class (16 B blocks for
 * requests of 1..8 B; requests of 249 B and up leave the pools) and gives a
 * large one a page more when its request is within 8 bytes of a page
 * multiple; the guard check is O(guard bytes), at most a page plus 7 for
 * a large block. Off by default even in debug builds: it changes which
 * class and how many pages serve a request, which the allocator's own
 * geometry tests assert. Not caught: a write inside the rounding to 8
 * (to 4 in the frugal build; R7 lets the caller use it), or a stray write
 * that skips the guard.
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
 * Returns NULL iff region is NULL or too small to hold the heap's own
 * pages and MM_CFG_POOL_MAX_PAGES more. At most 65534 pages are used; bytes
 * beyond them are left alone. Metadata: about 1.2 KiB of state (32-bit,
 * default config) plus 9 bytes per page, rounded up to whole pages. A 64
 * KiB region holds 3936 16-byte blocks (measured). O(pages) (clears the
 * metadata). Not ISR-safe. */
mm_heap *mm_init(void *region, size_t size);

/* Returns an 8-byte aligned block of at least size bytes, or NULL with
 * mm_last_error() set: MM_EZERO for size 0 (no block is made), MM_ETOOBIG
 * when size exceeds every page of the region together (this covers
 * SIZE_MAX and any size whose rounding would overflow), MM_ENOMEM when it
 * could fit an emptier heap. Memory is not zeroed (0xCD in debug builds).
 * On success mm_last_error() is not changed. O(1). */
void *mm_alloc(mm_heap *h, size_t size);

/* mm_alloc charged to the call site file:line (the allocation hook sees
 * it; see "tracing" below). Same contract as mm_alloc. With MM_CFG_TRACE=1,
 * mm_alloc(h, n) is a macro for mm_alloc_at(h, n, __FILE__, __LINE__), so
 * every caller's site is recorded; (mm_alloc)(h, n) still calls the
 * function, which tells no hook (its block is not traced; its free is
 * reported like any other, and a tracer ignores it). */
void *mm_alloc_at(mm_heap *h, size_t size, const char *file, int line);

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
 *   (small), when a mid block shrinks (to any size; a tail of 24 bytes or
 *   more is freed) or grows into the free chunk right after it, when a
 *   large block keeps the same or fewer pages (surplus pages are freed),
 *   or when the pages right after a large block are free and enough.
 *   Otherwise it moves (alloc, copy, free).
 * - A large block keeps its registered owner only if it stays in place;
 *   after a move the new block has none (re-register it).
 * - Misuse of p (see "Misuse"): NULL, reported, nothing changes.
 * O(1) plus the copy (with MM_CFG_LOCK=1 the copy runs with interrupts
 * enabled: "Concurrency"). */
void *mm_realloc(mm_heap *h, void *p, size_t size);
/* mm_realloc charged to file:line (a macro for it with MM_CFG_TRACE=1). */
void *mm_realloc_at(mm_heap *h, void *p, size_t size, const char *file, int line);

#if MM_CFG_TRACE
#define mm_alloc(h, size) mm_alloc_at((h), (size), __FILE__, __LINE__)
#define mm_realloc(h, p, size) mm_realloc_at((h), (p), (size), __FILE__, __LINE__)
#endif

/* mm_realloc (p NULL: an allocation) that also stores in *err the
 * outcome of this very call: MM_OK, or its error (as mm_last_error would
 * say). *err is read inside the call's critical section, so an interrupt
 * whose own allocation fails right after cannot change it; mm_last_error
 * is shared by every caller of h, an ISR's included. Decide a retry on
 * *err, not on mm_last_error. O(as mm_realloc); ISR-safe as mm_realloc. */
void *mm_realloc_err(mm_heap *h, void *p, size_t size, mm_err *err);
/* mm_realloc_err charged to file:line (the allocation hook sees it). */
void *mm_realloc_err_at(mm_heap *h, void *p, size_t size, mm_err *err, const char *file,
                        int line);

/* Bytes actually reserved for the block: its class block size (small),
 * its chunk less the header (mid-size) or its pages (large); with debug
 * red zones the request rounded up to 8. 0 (with misuse reported;
 * mm_last_error is not set, h is read-only here) for an invalid pointer,
 * 0 for NULL. O(1). */
size_t mm_usable_size(const mm_heap *h, const void *p);

/* The error of the last failed call on h (MM_OK if none yet). O(1). */
mm_err mm_last_error(const mm_heap *h);

/* ---- relocation of large blocks (for compaction through handles) ---- */

/* Registers where the only reference to large block p is stored; mm_compact
 * may move the block and then rewrites *owner. A small or mid-size block,
 * or a large one without an owner, is never moved. owner == NULL pins it
 * again. A small or mid-size p is accepted and ignored; an invalid p is misuse (nothing changes). The
 * owner slot itself must not lie in a block that mm_compact may move (keep
 * it in a small block, a pinned large block or static memory). O(1). */
void mm_set_owner(mm_heap *h, void *p, void **owner);

/* Gives back every idle window (R4; every other all-free pool went back
 * with its last block), and splits the other windows of several pools
 * back onto their pools, giving back those all free. In the frugal build
 * (R10) it gives back the free tail of every mid area instead, all of an
 * area that holds no block. After freeing everything and mm_trim, all
 * pages are free. O(classes + blocks in windows; pages in the frugal
 * build); with MM_CFG_LOCK=1 one class per locked step ("Concurrency").
 * Not ISR-safe. */
void mm_trim(mm_heap *h);

/* Gives back the idle pools (as mm_trim), then slides owned large
 * blocks down into the free runs before them to merge holes, rewriting
 * each moved block's *owner. Pools and unowned large blocks stay (a hole
 * before one is kept). Returns the size in bytes of the
 * largest free run afterwards (with MM_CFG_LOCK=1: the largest the walk
 * saw; interrupts may have changed it since). O(pages + bytes moved);
 * with MM_CFG_LOCK=1 in bounded locked steps, each block copied with
 * interrupts enabled ("Concurrency"). Not ISR-safe. */
size_t mm_compact(mm_heap *h);

/* ---- statistics (all read-only; no call changes the heap) ---- */

/* Number of small size classes (MM_CFG_SMALL_MAX / 8; 0 in the frugal
 * build, which has no pools, R10) and the class of a size (SIZE_MAX for 0,
 * sizes above MM_CFG_SMALL_MAX, or any size in the frugal build). O(1). */
size_t mm_size_class_count(void);
size_t mm_size_class(size_t size);

typedef struct {
    size_t block_size;   /* bytes per block: 8 * (class + 1) */
    size_t blocks_per_pool;
    size_t pool_pages;   /* pages per pool of this class */
    size_t in_use;       /* blocks handed out now */
    size_t free_blocks;  /* free blocks inside this class's pools */
    size_t pools;        /* pools held now (R4) */
    size_t pools_peak;   /* the class's high-water: most pools held at once;
                            never decreases */
    size_t bytes;        /* in_use * block_size */
} mm_size_class_stats;

/* Fills *out for class cls. Returns false (and leaves *out) iff cls >=
 * mm_size_class_count(). O(1). */
bool mm_get_size_class_stats(const mm_heap *h, size_t cls, mm_size_class_stats *out);

typedef struct {
    size_t region_size;     /* bytes given to mm_init */
    size_t meta_bytes;      /* heap state + descriptors + alignment/tail */
    size_t page_size;       /* MM_CFG_PAGE_SIZE */
    size_t pages;           /* pages for blocks (the heap's own excluded) */
    size_t pages_free;      /* pages in free runs and the wilderness */
    size_t pages_pool;      /* pages held by pools */
    size_t pages_large;     /* pages held by large blocks */
    size_t large_blocks;    /* live large blocks */
    size_t pages_mid;       /* pages held by mid-size areas */
    size_t mid_blocks;      /* live mid-size blocks */
    size_t used_bytes;      /* bytes in live blocks (block sizes, not requests) */
    size_t pool_free_bytes; /* free block bytes inside pools */
    size_t pool_waste_bytes; /* bytes of pool pages that hold no block (a page's
                                tail shorter than its class's block) */
    size_t mid_used_bytes;  /* usable bytes of the live mid-size blocks (in
                               used_bytes) */
    size_t mid_free_bytes;  /* bytes of the free chunks inside mid-size areas */
    size_t mid_largest_free; /* usable bytes of the largest of them (0: none) */
    size_t mid_header_bytes; /* the live chunks' headers and the areas' end
                                marks: pages_mid * page_size is
                                mid_used_bytes + mid_free_bytes + this */
    size_t free_bytes;      /* pages_free * page_size */
    size_t largest_free;    /* largest free run, bytes */
    size_t frag_permille;   /* 1000 * (1 - largest_free / free_bytes); 0 if none free */
    size_t peak_bytes;      /* most bytes of pages held by pools + large blocks
                               at once; never decreases */
    size_t high_water;      /* mm_high_water() */
} mm_stats;

/* Fills *out. Every byte of the region is counted once: region_size is
 * meta_bytes + pages * page_size, and the pages are free_bytes, the pool
 * pages (the pool blocks in used_bytes, pool_free_bytes and
 * pool_waste_bytes), the mid pages (mid_used_bytes, mid_free_bytes and
 * mid_header_bytes) and the large blocks' pages. O(classes + free runs of
 * the largest length bucket + free chunks of the largest mid list). The
 * peaks are exact: they are recorded whenever a count decreases (see
 * mm_note_pages in heap/heap_int.h). */
void mm_get_stats(const mm_heap *h, mm_stats *out);

/* The most bytes of the region ever in use: heap state plus, at the busiest
 * moment, the pages held by pools and large blocks with their mark and
 * descriptor (about the size of the smallest region that could have held
 * that moment if its free pages were contiguous). Never decreases. O(1). */
size_t mm_high_water(const mm_heap *h);

/* Largest free run in bytes, and fragmentation in permille: 1000 * (1 -
 * largest free run / all free pages); 0 when nothing is free. O(free runs
 * of the largest length bucket). */
size_t mm_largest_free(const mm_heap *h);
size_t mm_fragmentation(const mm_heap *h);

/* ---- failure injection (tests; MM_CFG_DEBUG=1 builds only) ---- */

/* Makes the n-th allocation call from now fail with MM_ENOMEM (an
 * allocation call: mm_alloc or mm_realloc of a size > 0; n = 1 is the next
 * one), and with sticky every call after it too, until the next
 * mm_fail_after. n = 0 disarms. Nothing else changes: the failed call
 * leaves the heap as an ordinary MM_ENOMEM does. In a release build it
 * does nothing. O(1). */
void mm_fail_after(mm_heap *h, uint32_t n, bool sticky);

/* Allocation calls made on h so far (as mm_fail_after counts them); 0 in a
 * release build. O(1). */
uint32_t mm_alloc_calls(const mm_heap *h);

/* ---- tracing (MM_CFG_TRACE=1 only; with 0 the hook is never called) ----
 * One hook per heap, called with the heap's state consistent:
 *  on_alloc(ctx, p, size, file, line): after mm_alloc_at / mm_realloc_at
 *      (and the macros) handed out p for a request of size bytes at
 *      file:line; never for a failed request.
 *  on_free(ctx, p, usable): before block p (usable bytes, as
 *      mm_usable_size) goes back, on every free path (mm_free, the object
 *      layer's inline frees, a realloc that moves). A realloc reports the
 *      old block freed, then the new one allocated, also when it resized
 *      in place (usable is then the size before).
 *  on_move(ctx, from, to): mm_compact moved a large block.
 * The hook must not call the allocator of this heap. While a hook is
 * attached the inline small-block fast paths used by the object layer
 * step aside (they return "cannot serve"), so every block passes through
 * the hooked paths. Cost with MM_CFG_TRACE=1 and no hook: one load and one
 * branch on each fast path. The tracer (diag/mm_trace.h) attaches a hook
 * too, but while it is the heap's only observer mm_alloc_at and mm_free
 * record into its table inline instead of calling it (the same records;
 * a hook attached after it turns that off until it is detached). */
typedef struct mm_alloc_hook {
    void (*on_alloc)(void *ctx, void *p, size_t size, const char *file, int line);
    void (*on_free)(void *ctx, void *p, size_t usable);
    void (*on_move)(void *ctx, void *from, void *to);
    void *ctx;
} mm_alloc_hook;

/* Attaches hook (NULL detaches). The hook struct must outlive its
 * attachment. Returns the hook attached before. With MM_CFG_TRACE=0 it
 * attaches nothing and returns NULL. O(1). Not ISR-safe. */
const mm_alloc_hook *mm_set_alloc_hook(mm_heap *h, const mm_alloc_hook *hook);

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
 * in use and free; one for the mid-size areas (pages, blocks, free chunk
 * bytes and the largest, headers), if any; and the largest free run.
 * O(pages + classes + free chunks of the largest mid list). Not
 * ISR-safe. */
void mm_dump_map(const mm_heap *h);

/* The page map as mm_dump_map draws it, for tools that draw it
 * elsewhere: writes the glyphs of pages first .. first+n-1 into out ('M'
 * heap state, '-' never used, '.' free run, 'L' large block head, '+' a page of a mid-size area, '='
 * large block continued, a pool's class glyph), stopping at the last
 * page; returns how many it wrote (0 when first >= mm_map_pages(h)).
 * mm_map_pages: pages in the region, the heap's own included. O(pages)
 * (a walk over the runs from the first page). */
size_t mm_map_pages(const mm_heap *h);
size_t mm_map_read(const mm_heap *h, size_t first, char *out, size_t n);

#endif /* MM_H */
