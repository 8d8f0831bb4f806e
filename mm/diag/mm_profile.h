/*
 * diag/mm_profile.h - memory_profiler for C functions on the mm heap: a
 * line-by-line table (@profile) and an mprof time series.
 *
 * THIS HEADER IS THE CONTRACT.
 *
 * ---- What "Mem usage" is on the device ----
 * memory_profiler reads the process's resident set size. A firmware has no
 * process: the figure here is the heap's bytes in use (mm_stats.used_bytes:
 * the block sizes of every live block), read at the moment the row is
 * taken. Increment and Occurrences follow memory_profiler: a row's Mem
 * usage is the most seen after its line ran, its Increment the sum over
 * its runs of (usage after it - usage of the row run before it), and the
 * first row (the function's) counts its whole usage as increment.
 *
 * ---- Marking a function ----
 *     int task(mm_rt *rt) {
 *         static mm_profiler prof;          (static: no heap, no big stack)
 *         MM_PROFILE_BEGIN(&prof, rt->heap);
 *         MM_PROFILE_LINE(&prof, mm_h l = build_list(rt, n));
 *         MM_PROFILE_LINE(&prof, total = sum(rt, l));
 *         mm_profile_end(&prof);
 *         mm_profile_print(&prof);
 *     }
 * MM_PROFILE_LINE(p, statement) runs the statement and records it as one
 * row: its __LINE__ and its source text, captured at compile time by
 * stringizing. It expands to three statements (a declaration in it stays
 * visible after it), so it must not be the body of an unbraced if/for.
 * At most MM_CFG_PROFILE_LINES distinct lines per profile; further lines
 * run but are counted in lost_rows and say so in the table.
 *
 * ---- mprof ----
 * mm_mprof_start .. mm_mprof_stop write an mprof time series through
 * write(ctx, s, n) (semihosting file I/O on the firmware): "CMDLINE ...",
 * then "MEM <MiB> <seconds>" samples of the bytes in use on a fixed grid
 * of `interval` clock ticks (mm_port_clock: instructions under QEMU's
 * -icount shift=0, where one instruction is one ns, so seconds = ticks /
 * 10^9; the ticks spent writing the samples themselves are left out of
 * the series' clock), and at each mm_profile_end meanwhile one "FUNC <file>.<function>
 * <MiB> <s> <MiB> <s>" bracket. The file opens with `mprof plot` (Debian's
 * python3-memory-profiler). With MM_CFG_TRACE=1 the profiler hooks the
 * heap, so the samples follow every allocation and free on the grid; with
 * 0 the grid is filled at each marked line only.
 *
 * Bounds: a marked line costs two mm_get_stats (O(classes + free runs));
 * a sample one formatted line. Nothing allocates from any heap.
 * Concurrency: none; not ISR-safe.
 */
#ifndef MM_PROFILE_H
#define MM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag/mm_trace.h" /* mm_diag_write_fn */
#include "heap/mm_heap.h"
#include "mm_config.h"

typedef struct mm_profile_row {
    int32_t line;         /* source line */
    const char *text;     /* source text of the statement */
    size_t mem;           /* most bytes in use seen after the line */
    long inc;             /* summed increments (bytes) */
    uint32_t occurrences; /* times the line ran */
} mm_profile_row;

/* A profile. Fields are private; declare it static. */
typedef struct mm_profiler {
    mm_heap *heap;
    const char *file, *func;
    size_t rows_n;
    size_t lost_rows;          /* runs of lines beyond MM_CFG_PROFILE_LINES */
    size_t prev_mem;           /* Mem usage of the row run last */
    int32_t cur_line;          /* row being run (MM_PROFILE_LINE), 0: none */
    const char *cur_text;
    mm_profile_row rows[1 + MM_CFG_PROFILE_LINES]; /* rows[0]: the function */
    /* mprof */
    mm_diag_write_fn write;    /* NULL: no time series */
    void *ctx;
    bool write_failed;
    bool hooked;               /* the heap hook below is attached */
    mm_alloc_hook hook;
    const mm_alloc_hook *next; /* hook attached before (called after ours) */
    uint64_t interval, next_t; /* sample grid, in clock ticks */
    uint64_t overhead;         /* ticks spent writing samples (not shown) */
    size_t mem;                /* bytes in use, kept up to date by the hook */
    size_t samples;            /* MEM lines written */
    size_t func_mem;           /* at MM_PROFILE_BEGIN */
    uint64_t func_t;
} mm_profiler;

/* Starts a profile of function func (file:line) on heap h: rows[0] gets
 * the bytes in use now; an mprof series already started on p goes on and
 * gets this function's FUNC bracket at mm_profile_end. Use
 * MM_PROFILE_BEGIN. O(classes). */
void mm_profile_begin(mm_profiler *p, mm_heap *h, const char *file, const char *func, int line);
#define MM_PROFILE_BEGIN(p, h) mm_profile_begin((p), (h), __FILE__, __func__, __LINE__)

/* The two halves of MM_PROFILE_LINE (internal). */
void mm__profile_pre(mm_profiler *p, int line, const char *text);
void mm__profile_post(mm_profiler *p);
#define MM_PROFILE_LINE(p, ...)                                               \
    mm__profile_pre((p), __LINE__, #__VA_ARGS__);                             \
    __VA_ARGS__;                                                              \
    mm__profile_post(p)

/* Ends the profile: writes its FUNC bracket if a series is running. The
 * rows stay for mm_profile_print. O(classes). */
void mm_profile_end(mm_profiler *p);

/* Prints the table through mm_printf, in memory_profiler's layout
 * ("Filename: ...", the header `Line #    Mem usage    Increment
 * Occurrences   Line Contents`, a ruler of '=', one row per line in line
 * order, '{:6} {:>12} {:>12}  {:>10}   text'), with figures in KiB as
 * "{:5.1f} KiB" (halves rounded to even, as Python's format), or in bytes
 * ("{:5d} B") when the heap's region is under 32 KiB (the 16 KiB boards),
 * where a tenth of a KiB would hide most lines. O(rows^2). */
void mm_profile_print(const mm_profiler *p);

/* One figure as the table prints it: bytes / 1024 as "%5.1f KiB". */
size_t mm_profile_format_kib(char *buf, size_t n, long bytes);

/* Starts an mprof time series (see above) of heap h on p, before the
 * profiled function runs (mprof run samples the whole program): samples
 * every `interval` clock ticks (> 0), the first line "CMDLINE <cmdline>".
 * Returns false if interval is 0, a series is already running on p, or
 * the first write failed (then no series runs). O(classes). */
bool mm_mprof_start(mm_profiler *p, mm_heap *h, uint64_t interval, const char *cmdline,
                    mm_diag_write_fn write, void *ctx);

/* Ends the series: the grid up to now, and the hook detached (it must be
 * the last hook attached). Returns the MEM lines written; *ok (may be
 * NULL) says whether every write succeeded. O(1). */
size_t mm_mprof_stop(mm_profiler *p, bool *ok);

#endif /* MM_PROFILE_H */
