/*
 * mm_config.h - every build option of the mm library, in one place.
 *
 * Each option is `#ifndef X / #define X default` so that a port or a
 * compiler flag (-DX=...) can override it. Code tests options with
 * `if (MM_CFG_X)` rather than #if wherever it can.
 */
#ifndef MM_CONFIG_H
#define MM_CONFIG_H

/* 1: all checks (misuse detection on every call, poison patterns on fresh
 * and freed blocks, invariant asserts). 0: only the cheap checks. */
#ifndef MM_CFG_DEBUG
#define MM_CFG_DEBUG 0
#endif

/* ---- allocator (heap/heap.c): options below, owned by the allocator ---- */

/* Largest request served by the small-object pools (bytes, a multiple of 8).
 * Requests above it are mid-size blocks (MM_CFG_MID_MAX) or large blocks
 * of whole pages. */
#ifndef MM_CFG_SMALL_MAX
#define MM_CFG_SMALL_MAX 256
#endif

/* Largest request served as a mid-size block (bytes, a multiple of 8,
 * above MM_CFG_SMALL_MAX and below 32 KiB; 0: none). Requests above
 * MM_CFG_SMALL_MAX and up to it are cut from page-run areas at 8-byte
 * granularity with an 8-byte header (heap/mid.c); larger ones are large
 * blocks of whole pages. */
#ifndef MM_CFG_MID_MAX
#define MM_CFG_MID_MAX 4096
#endif

/* 1: every request up to MM_CFG_MID_MAX is a mid-size chunk (4-byte
 * header, 8-byte granularity, merged with its free neighbours on free):
 * no pools, so one good-fit space holds all the blocks (heap/mm_heap.h
 * R10), on 1 KiB pages (MM_CFG_PAGE_SIZE). For parts whose RAM is tight:
 * they then run in a smaller arena (4-13% on the pressure workloads),
 * but every call costs what a mid-size one does, several times a pool's
 * (BENCHMARKS.md, "A frugal build"). 0 (default): the pools. Needs
 * MM_CFG_MID_MAX. */
#ifndef MM_CFG_FRUGAL
#define MM_CFG_FRUGAL 0
#endif

/* 1: pools take their pages from the end of the free pages, mid-size
 * areas and large blocks from the start (heap/mm_heap.h R9); 0: all from
 * the start. By default 1 where mid-size areas share the page space; a
 * heap without them (the 8 and 16 KiB boards, about 20 pages) keeps its
 * pools beside its large blocks: there, the free pages between the two
 * sides are a run that a growing table cannot join to the holes beside
 * it (a 100-key dict failed to grow on the 16 KiB board). */
#ifndef MM_CFG_POOLS_AT_END
#define MM_CFG_POOLS_AT_END (MM_CFG_MID_MAX != 0)
#endif

/* Page size in bytes: a power of two, 256..8192. The region is cut into
 * pages; a pool is 1..MM_CFG_POOL_MAX_PAGES pages, a large block a page run.
 * 512 by default; 1024 in the frugal build, whose one area spans the
 * heap: a page there only sizes large blocks and the area's growth, and
 * each costs 9 bytes of page table (BENCHMARKS.md, session 17). */
#ifndef MM_CFG_PAGE_SIZE
#define MM_CFG_PAGE_SIZE (MM_CFG_FRUGAL ? 1024 : 512)
#endif

/* Most pages one pool may span. A class whose block size does not divide a
 * page well gets the smallest pool (in pages) that wastes at most
 * 1/MM_CFG_POOL_WASTE_DIV of it, within this limit. 1 (default): single-page
 * pools, the cheapest refill; more pages waste less of a page's tail (the
 * trade is measured in BENCHMARKS.md). */
#ifndef MM_CFG_POOL_MAX_PAGES
#define MM_CFG_POOL_MAX_PAGES 1
#endif

/* Pool tail waste accepted before a class gets a bigger pool (1/N). */
#ifndef MM_CFG_POOL_WASTE_DIV
#define MM_CFG_POOL_WASTE_DIV 8
#endif

/* 1: every public allocator call runs inside mm_port_lock/unlock, so the
 * allocator may be called from ISRs. 0: the caller serializes. */
#ifndef MM_CFG_LOCK
#define MM_CFG_LOCK 0
#endif

/* Debug poison bytes (MM_CFG_DEBUG only): fresh blocks are filled with
 * MM_CFG_POISON_FRESH, freed blocks (after their link word) with MM_CFG_POISON_FREE. */
#ifndef MM_CFG_POISON_FRESH
#define MM_CFG_POISON_FRESH 0xCD
#endif
#ifndef MM_CFG_POISON_FREE
#define MM_CFG_POISON_FREE 0xDD
#endif

/* Debug red zones (MM_CFG_DEBUG only; heap/mm_heap.h, "Debug red zones"):
 * 1 gives each block 8 bytes more, a guard and the request's size after
 * the request, checked by mm_free, mm_realloc and mm_check. Off by
 * default: it changes which class or how many pages serve a request. */
#ifndef MM_CFG_REDZONE
#define MM_CFG_REDZONE 0
#endif

/* ---- objects and handles (obj/, types/): options below ---- */

/* 1: mm_incref/mm_decref validate the handle out of line and report misuse
 * with the caller's file:line (stale, forged, double decref, overflow).
 * 0: they are the inline 5/6-instruction fast paths (no checks). */
#ifndef MM_CFG_CHECKED_HANDLES
#define MM_CFG_CHECKED_HANDLES 1
#endif

/* Classes (instance types) one runtime can register. 4 or 8 B each. */
#ifndef MM_CFG_MAX_CLASSES
#define MM_CFG_MAX_CLASSES 16
#endif

/* Most fixed slots an instance class may declare. */
#ifndef MM_CFG_MAX_SLOTS
#define MM_CFG_MAX_SLOTS 32
#endif

/* ---- cycle collector (gc/gc.c): options below ---- */

/* Torture mode: 0 off; 1 a young collection at every allocation (every
 * mm_rt_alloc and object creation; the older generations then follow
 * their thresholds); 2 a full collection at every allocation. */
#ifndef MM_CFG_GC_TORTURE
#define MM_CFG_GC_TORTURE 0
#endif

/* Capacity of the young-generation table (handles of generation-0 objects,
 * 4 B each, inside struct mm_gc). It bounds threshold 0: a full table
 * triggers a young collection. CPython's default threshold 0 is 700. */
#ifndef MM_CFG_GC_YOUNG_MAX
#define MM_CFG_GC_YOUNG_MAX 700
#endif

/* Entries of the explicit mark stack (4 B each: slot indices, inside struct
 * mm_gc). On overflow the collector rescans the collected set (see mm_gc.h). */
#ifndef MM_CFG_GC_STACK
#define MM_CFG_GC_STACK 64
#endif

/* Per-type lines kept in a collection's result (the rest is summed into a
 * last "(other)" line). */
#ifndef MM_CFG_GC_RESULT_TYPES
#define MM_CFG_GC_RESULT_TYPES 6
#endif

/* ---- diagnostics (diag/): options below ---- */

/* 1: tracing is compiled in: mm_alloc and mm_realloc become macros that
 * pass the caller's __FILE__/__LINE__ (mm_alloc_at, mm_realloc_at), the
 * object layer charges its blocks to the caller of its API, and each
 * allocator fast path tests one hook pointer (one branch while no tracer
 * is attached). 0: no hook, no test, nothing recorded. */
#ifndef MM_CFG_TRACE
#define MM_CFG_TRACE 0
#endif

/* Traces the tracer's static table holds (one per live traced block;
 * 16 B each on 32-bit targets). A board sets it from its RAM (boards/). A
 * full table drops further traces and counts them; the heap is unharmed. */
#ifndef MM_CFG_TRACE_MAX
#define MM_CFG_TRACE_MAX 256
#endif

/* Lines one memory_profiler-style profile can hold (mm_profile.h). */
#ifndef MM_CFG_PROFILE_LINES
#define MM_CFG_PROFILE_LINES 24
#endif

#endif /* MM_CONFIG_H */
