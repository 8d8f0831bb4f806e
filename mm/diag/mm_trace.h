/*
 * diag/mm_trace.h - tracemalloc for the mm heap: where the bytes in use
 * were allocated, by the caller's file:line.
 *
 * THIS HEADER IS THE CONTRACT.
 *
 * ---- What is traced, in words ----
 * T1. While a tracer is started on a heap (mm_trace_start), every block
 *     the heap hands out through mm_alloc / mm_realloc (macros passing the
 *     caller's __FILE__/__LINE__ when MM_CFG_TRACE=1) and every object
 *     block and body the object layer makes gets one TRACE: its address,
 *     the requested size and the site. The object layer charges its
 *     blocks to the file:line of the call into its API (mm_list_append,
 *     mm_dict_set, mm_int_new ...), never to a line inside mm/.
 * T2. A freed block's trace goes away; a block that mm_compact moves keeps
 *     its trace; mm_realloc ends the old trace and starts a new one at
 *     the realloc's site (as tracemalloc does).
 * T3. The traces live in the tracer's own static table (MM_CFG_TRACE_MAX
 *     entries, 16 B each on 32-bit targets); the tracer never allocates
 *     from any heap. When the table is full, the allocation succeeds as
 *     always and its trace is DROPPED and counted: traced sizes then leave
 *     out those blocks, and the statistics print one line saying how many
 *     allocations were not traced.
 * T4. Blocks allocated before start, or while a table was full, are not
 *     traced; freeing them later changes nothing here.
 * Needs MM_CFG_TRACE=1: with 0 the heap has no hook, mm_trace_start
 * returns false and nothing is traced.
 *
 * ---- Statistics, in tracemalloc's own terms ----
 * A snapshot groups the live traces by site ('lineno'); statistics by
 * 'lineno' or 'filename' are sorted as tracemalloc sorts them: by size,
 * then count, then file and line, all descending. compare_to gives size
 * and count differences with their signs, sorted by |size diff|, size,
 * |count diff|, count, site (descending). Lines print exactly as
 * tracemalloc's Statistic / StatisticDiff __str__:
 *     demos/demo_trace.c:42: size=9.8 KiB, count=101, average=99 B
 *     demos/demo_trace.c:42: size=9.8 KiB (+9.8 KiB), count=101 (+101), average=99 B
 * with sizes as tracemalloc's _format_size (B, KiB, MiB ...; one decimal
 * below 100 of a unit, none from 100 up to 10240 of it; halves rounded to
 * even).
 *
 * Bounds: tracing adds one hash-table insert to an allocation and one
 * lookup and delete to a free, O(1) expected (linear probing, load at
 * most 7/8), O(MM_CFG_TRACE_MAX) worst case. While the tracer is its
 * heap's only observer, mm_alloc_at and mm_free do this inline for small
 * blocks, with no call (the cost: BENCHMARKS.md); other paths, or all
 * of them while a hook attached after the tracer (a profiler) is there,
 * go through the heap's hook. Snapshots and statistics are
 * O(traces x sites) and print nothing unless asked.
 * Concurrency: none; not ISR-safe. A tracer is used with one heap.
 */
#ifndef MM_TRACE_H
#define MM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap/mm_heap.h"
#include "mm_config.h"

_Static_assert((MM_CFG_TRACE_MAX & (MM_CFG_TRACE_MAX - 1)) == 0 && MM_CFG_TRACE_MAX >= 8,
              "MM_CFG_TRACE_MAX must be a power of two >= 8");

/* One trace (internal layout, public so that a tracer can be static). */
typedef struct mm_trace_entry {
    const void *ptr;  /* the block; NULL: empty slot */
    const char *file; /* site; NULL for a plain (mm_alloc)() call */
    uint32_t size;    /* requested bytes */
    int32_t line;
} mm_trace_entry;

/* The most traces a table holds (7/8 of its slots, for short probes). */
#define MM_TRACE_CAPACITY (MM_CFG_TRACE_MAX - MM_CFG_TRACE_MAX / 8)

/* A tracer. All fields are private; declare it static (or in memory that
 * outlives its use) and pass it to mm_trace_start. */
typedef struct mm_tracer {
    uint32_t count;         /* live traces */
    size_t current;         /* bytes of the live traces (beside count, at
                               the start: the hook updates both) */
    size_t peak;            /* most of current since start/reset_peak/clear,
                               recorded at each decrease (the larger of it
                               and current is the peak) */
    uint32_t dropped;       /* allocations not traced since start/clear (T3) */
    size_t dropped_bytes;   /* their requested bytes */
    mm_heap *heap;          /* traced heap while started, else NULL */
    mm_alloc_hook hook;     /* attached to heap while started */
    const mm_alloc_hook *next; /* the hook that was attached before (chained) */
    mm_trace_entry table[MM_CFG_TRACE_MAX];
} mm_tracer;

/* tracemalloc.start(): attaches t to heap h and starts tracing with an
 * empty table. Returns false (nothing changes) if tracing is not compiled
 * in (MM_CFG_TRACE=0) or t is already tracing. A hook already on the heap
 * (a profiler) is kept and called after t's. O(MM_CFG_TRACE_MAX). */
bool mm_trace_start(mm_tracer *t, mm_heap *h);

/* tracemalloc.stop(): detaches t and clears its traces. No-op if not
 * tracing. Must be the last hook attached to h (stop in reverse order of
 * start). O(MM_CFG_TRACE_MAX). */
void mm_trace_stop(mm_tracer *t);

/* tracemalloc.is_tracing(). O(1). */
bool mm_trace_is_tracing(const mm_tracer *t);

/* tracemalloc.clear_traces(): forgets every trace, the dropped count and
 * the peak; keeps tracing. O(MM_CFG_TRACE_MAX). */
void mm_trace_clear_traces(mm_tracer *t);

/* tracemalloc.get_traced_memory(): bytes of the live traces now and at
 * their peak (both 0 when not tracing). O(1). */
void mm_trace_get_traced_memory(const mm_tracer *t, size_t *current, size_t *peak);

/* tracemalloc.reset_peak(): peak = current. O(1). */
void mm_trace_reset_peak(mm_tracer *t);

/* tracemalloc.get_tracemalloc_memory(): the tracer's own bytes (its whole
 * static table, which is all it ever uses). O(1). */
size_t mm_trace_get_tracemalloc_memory(const mm_tracer *t);

/* Allocations not traced because the table was full, since start or
 * clear_traces (T3), and their bytes. O(1). */
uint32_t mm_trace_dropped(const mm_tracer *t, size_t *bytes);

/* ---- snapshots and statistics ---- */

/* One statistic: a site ('lineno'; line 0 for 'filename') and its
 * traces' bytes and count. */
typedef struct mm_trace_stat {
    const char *file;
    int32_t line;
    size_t size;
    size_t count;
} mm_trace_stat;

/* A statistic difference (compare_to). */
typedef struct mm_trace_diff {
    const char *file;
    int32_t line;
    size_t size;
    long size_diff;
    size_t count;
    long count_diff;
} mm_trace_diff;

/* A snapshot: the live traces grouped by site, in caller-given (or
 * static) memory of cap statistics. */
typedef struct mm_trace_snapshot {
    mm_trace_stat *sites; /* cap entries, n used, in no particular order */
    size_t cap;
    size_t n;
    size_t traces;        /* traces grouped */
    size_t lost_sites;    /* traces whose site did not fit in cap (their
                             bytes are not in sites[]) */
    uint32_t dropped;     /* the tracer's dropped count when taken */
} mm_trace_snapshot;

/* Defines a static snapshot `name` with room for cap sites. */
#define MM_TRACE_SNAPSHOT_STATIC(name, cap)                                   \
    static mm_trace_stat name##_sites[cap];                                   \
    static mm_trace_snapshot name = {name##_sites, (cap), 0, 0, 0, 0}

/* Lays snapshot s over caller memory sites[cap]. O(1). */
void mm_trace_snapshot_init(mm_trace_snapshot *s, mm_trace_stat *sites, size_t cap);

/* tracemalloc.take_snapshot(): groups t's live traces by site into s.
 * Returns false (s emptied) when t is not tracing, as tracemalloc raises
 * then. O(traces x sites). */
bool mm_trace_take_snapshot(const mm_tracer *t, mm_trace_snapshot *s);

typedef enum { MM_TRACE_LINENO, MM_TRACE_FILENAME } mm_trace_key;

/* Snapshot.statistics(key): writes at most cap statistics into out, sorted
 * as tracemalloc sorts them; returns how many there are in all (which may
 * exceed cap: the first cap are written). O(sites^2). */
size_t mm_trace_statistics(const mm_trace_snapshot *s, mm_trace_key key, mm_trace_stat *out,
                           size_t cap);

/* Snapshot.compare_to(old, key): as mm_trace_statistics, for newer
 * against older. Sites in only one of them are included (the other's
 * side counted 0). Returns how many there are in all. O(sites^2). */
size_t mm_trace_compare_to(const mm_trace_snapshot *newer, const mm_trace_snapshot *older,
                           mm_trace_key key, mm_trace_diff *out, size_t cap);

/* str(Statistic) / str(StatisticDiff) into buf (n bytes, NUL-terminated,
 * cut if short). Returns the untruncated length. A NULL file prints as
 * "<unknown>". O(length). */
size_t mm_trace_format_stat(char *buf, size_t n, const mm_trace_stat *st);
size_t mm_trace_format_diff(char *buf, size_t n, const mm_trace_diff *d);

/* tracemalloc's _format_size(num / den, sign) into buf: the one size
 * formatter behind the two above (den > 0). Returns the length. */
size_t mm_trace_format_size(char *buf, size_t n, int64_t num, uint64_t den, bool sign);

/* Prints, one per line through mm_printf, the first `top` statistics of s
 * by key (top 0 or above 16: the first 16; they are sorted on the
 * stack), then, if any allocations were not traced,
 * "<N> allocations not traced (trace table full, MM_CFG_TRACE_MAX=<M>)".
 * Returns the number of statistics printed. No heap is touched. */
size_t mm_trace_print_statistics(const mm_trace_snapshot *s, mm_trace_key key, size_t top);

/* ---- the device snapshot file ----
 * mm_trace_dump writes t's live traces as text through write(ctx, s, n)
 * (semihosting file I/O on the firmware), which tools/trace2snapshot.py
 * turns into a file that CPython's tracemalloc.Snapshot.load() opens:
 *     mmtrace 1
 *     trace <size> <line> <file>        (one per live trace)
 *     dropped <count> <bytes>
 *     end
 * Returns false if write reported a failure (it returns non-zero). Lines
 * are formatted on the stack; nothing is allocated. O(MM_CFG_TRACE_MAX). */
typedef int (*mm_diag_write_fn)(void *ctx, const char *s, size_t n);
bool mm_trace_dump(const mm_tracer *t, mm_diag_write_fn write, void *ctx);

#endif /* MM_TRACE_H */
