/*
 * diag/profile.c - the memory_profiler counterpart (contract:
 * diag/mm_profile.h).
 *
 * Algorithm:
 *  1. A marked line reads the heap's bytes in use before and after its
 *     statement (mm_get_stats) and folds the figures into its row as
 *     memory_profiler's CodeMap.trace does: Mem usage = the most seen,
 *     Increment += usage now - usage of the row run before.
 *  2. The mprof series is a grid of sample times t0 + k * interval. The
 *     usage only changes at allocations and frees, so the grid points
 *     passed since the last event all carry the usage before this event:
 *     each event (a hooked allocation or free, or a marked line) first
 *     writes the grid points up to now, then applies its change. No timer
 *     interrupt is needed and the samples are exact.
 * Reference: memory_profiler 0.61 (show_results, CodeMap.trace) and mprof
 * (read_mprofile_file) by F. Pedregosa, P. Gervais et al.
 */
#include <string.h>

#include "diag/mm_profile.h"
#include "fmt/mm_fmt.h"
#include "mm_port.h"

/* Bytes in use now. */
static size_t used_now(const mm_heap *h)
{
    mm_stats st;
    mm_get_stats(h, &st);
    return st.used_bytes;
}

/* ---- mprof samples ---- */

/* Writes one formatted line of the series (no-op after a failure). */
static void put(mm_profiler *p, const char *line, size_t len)
{
    if (p->write != NULL && !p->write_failed && p->write(p->ctx, line, len) != 0) {
        p->write_failed = true;
    }
}

/* "<MiB> <seconds>" of bytes at clock t, into buf. */
static size_t mib_secs(char *buf, size_t n, size_t bytes, uint64_t t)
{
    uint64_t micro = ((uint64_t)bytes * 1000000u + 524288u) / 1048576u;
    return mm_snprintf(buf, n, "%llu.%06llu %llu.%09llu", (unsigned long long)(micro / 1000000u),
                       (unsigned long long)(micro % 1000000u),
                       (unsigned long long)(t / 1000000000u),
                       (unsigned long long)(t % 1000000000u));
}

/* The series' clock: mm_port_clock less the instructions spent writing
 * samples, so that the series shows the program's time, and a sample
 * that costs more than the interval cannot feed itself. */
static uint64_t series_clock(const mm_profiler *p)
{
    return mm_port_clock() - p->overhead;
}

/* Writes the grid points up to now (series clock) with the usage before
 * this event. */
static void sample_to(mm_profiler *p, uint64_t now)
{
    if (p->write == NULL || p->next_t > now) {
        return;
    }
    uint64_t t0 = mm_port_clock();
    while (p->next_t <= now) {
        char line[64], fig[48];
        mib_secs(fig, sizeof fig, p->mem, p->next_t);
        put(p, line, mm_snprintf(line, sizeof line, "MEM %s\n", fig));
        p->samples++;
        p->next_t += p->interval;
    }
    p->overhead += mm_port_clock() - t0;
}

static void on_alloc(void *ctx, void *q, size_t size, const char *file, int line)
{
    mm_profiler *p = ctx;
    sample_to(p, series_clock(p));
    p->mem += mm_usable_size(p->heap, q);
    if (p->next != NULL) {
        p->next->on_alloc(p->next->ctx, q, size, file, line);
    }
}

static void on_free(void *ctx, void *q, size_t usable)
{
    mm_profiler *p = ctx;
    sample_to(p, series_clock(p));
    p->mem -= usable;
    if (p->next != NULL) {
        p->next->on_free(p->next->ctx, q, usable);
    }
}

static void on_move(void *ctx, void *from, void *to)
{
    mm_profiler *p = ctx;
    if (p->next != NULL) {
        p->next->on_move(p->next->ctx, from, to);
    }
}

bool mm_mprof_start(mm_profiler *p, mm_heap *h, uint64_t interval, const char *cmdline,
                    mm_diag_write_fn write, void *ctx)
{
    if (interval == 0 || p->write != NULL) {
        return false;
    }
    p->heap = h;
    p->write = write;
    p->ctx = ctx;
    p->write_failed = false;
    p->interval = interval;
    p->samples = 0;
    p->mem = used_now(h);
    char line[128];
    put(p, line, mm_snprintf(line, sizeof line, "CMDLINE %s\n", cmdline));
    if (p->write_failed) {
        p->write = NULL;
        return false;
    }
    p->overhead = 0;
    p->next_t = series_clock(p);
    sample_to(p, p->next_t);
    if (MM_CFG_TRACE) {
        p->hook.on_alloc = on_alloc;
        p->hook.on_free = on_free;
        p->hook.on_move = on_move;
        p->hook.ctx = p;
        p->next = mm_set_alloc_hook(h, &p->hook);
        p->hooked = true;
    }
    return true;
}

size_t mm_mprof_stop(mm_profiler *p, bool *ok)
{
    if (p->write != NULL) {
        sample_to(p, series_clock(p));
        if (p->hooked) {
            MM_ASSERT(mm_set_alloc_hook(p->heap, p->next) == &p->hook,
                      "mm_mprof_stop: another hook was attached after the profiler");
            p->hooked = false;
        }
        p->write = NULL;
    }
    if (ok != NULL) {
        *ok = !p->write_failed;
    }
    return p->samples;
}

/* ---- the line table ---- */

void mm_profile_begin(mm_profiler *p, mm_heap *h, const char *file, const char *func, int line)
{
    p->heap = h;
    p->file = file;
    p->func = func;
    p->rows_n = 0;
    p->lost_rows = 0;
    p->cur_line = 0;
    size_t mem = used_now(h);
    p->rows[0] = (mm_profile_row){line, func, mem, (long)mem, 1};
    p->prev_mem = mem;
    p->func_mem = mem;
    p->func_t = series_clock(p);
    if (p->write != NULL && !p->hooked) {
        sample_to(p, p->func_t);
        p->mem = mem;
    }
}

void mm__profile_pre(mm_profiler *p, int line, const char *text)
{
    p->cur_line = line;
    p->cur_text = text;
    if (p->write != NULL && !p->hooked) {
        p->mem = used_now(p->heap);
        sample_to(p, series_clock(p));
    }
}

/* The row of line, made on first use; NULL when the table is full. */
static mm_profile_row *row_of(mm_profiler *p, int32_t line, const char *text)
{
    for (size_t i = 1; i <= p->rows_n; i++) {
        if (p->rows[i].line == line) {
            return &p->rows[i];
        }
    }
    if (p->rows_n == MM_CFG_PROFILE_LINES) {
        return NULL;
    }
    mm_profile_row *r = &p->rows[++p->rows_n];
    *r = (mm_profile_row){line, text, 0, 0, 0};
    return r;
}

void mm__profile_post(mm_profiler *p)
{
    size_t mem = used_now(p->heap);
    if (p->write != NULL && !p->hooked) {
        sample_to(p, series_clock(p));
        p->mem = mem;
    }
    mm_profile_row *r = row_of(p, p->cur_line, p->cur_text);
    if (r == NULL) {
        p->lost_rows++;
    } else {
        r->inc += (long)mem - (long)p->prev_mem;
        r->mem = mem > r->mem ? mem : r->mem;
        r->occurrences++;
        p->prev_mem = r->mem;
    }
    p->cur_line = 0;
}

void mm_profile_end(mm_profiler *p)
{
    if (p->write == NULL) {
        return;
    }
    uint64_t now = series_clock(p);
    sample_to(p, now);
    size_t mem = used_now(p->heap);
    if (!p->hooked) {
        p->mem = mem;
    }
    /* the function's bracket, named as mprof names a module's function */
    const char *base = strrchr(p->file, '/');
    base = base != NULL ? base + 1 : p->file;
    size_t stem = strcspn(base, ".");
    char line[200], a[48], b[48];
    mib_secs(a, sizeof a, p->func_mem, p->func_t);
    mib_secs(b, sizeof b, mem, now);
    put(p, line, mm_snprintf(line, sizeof line, "FUNC %.*s.%s %s %s\n", (int)stem, base, p->func, a, b));
}

/* ---- printing ---- */

size_t mm_profile_format_kib(char *buf, size_t n, long bytes)
{
    uint64_t a = bytes < 0 ? (uint64_t)0 - (uint64_t)bytes : (uint64_t)bytes;
    uint64_t q = a * 10u / 1024u, r = a * 10u % 1024u;
    if (2u * r > 1024u || (2u * r == 1024u && (q & 1u) != 0)) {
        q++;
    }
    char num[32];
    mm_snprintf(num, sizeof num, "%s%llu.%llu", bytes < 0 ? "-" : "", (unsigned long long)(q / 10u),
                (unsigned long long)(q % 10u));
    return mm_snprintf(buf, n, "%5s KiB", num);
}

/* A figure in KiB, or in bytes ("%5ld B") on a heap under 32 KiB, where
 * a tenth of a KiB would hide most of what a line does. */
static void format_mem(char *buf, size_t n, long bytes, bool in_bytes)
{
    if (in_bytes) {
        mm_snprintf(buf, n, "%5ld B", bytes);
    } else {
        mm_profile_format_kib(buf, n, bytes);
    }
}

/* One row in memory_profiler's template '{0:>6} {1:>12} {2:>12}  {3:>10}   {4:<}'. */
static void print_row(const mm_profile_row *r, const char *indent, bool in_bytes)
{
    char mem[24], inc[24];
    format_mem(mem, sizeof mem, (long)r->mem, in_bytes);
    format_mem(inc, sizeof inc, r->inc, in_bytes);
    mm_printf("%6ld %12s %12s  %10lu   %s%s\n", (long)r->line, mem, inc,
              (unsigned long)r->occurrences, indent, r->text);
}

void mm_profile_print(const mm_profiler *p)
{
    static const char header[] = "Line #    Mem usage    Increment  Occurrences   Line Contents";
    char ruler[sizeof header];
    memset(ruler, '=', sizeof header - 1u);
    ruler[sizeof header - 1u] = '\0';
    mm_stats st;
    mm_get_stats(p->heap, &st);
    bool in_bytes = st.region_size < 32u * 1024u;
    mm_printf("Filename: %s\n\n%s\n%s\n", p->file, header, ruler);
    print_row(&p->rows[0], "MM_PROFILE_BEGIN: ", in_bytes);
    int32_t last = p->rows[0].line;
    for (size_t k = 0; k < p->rows_n; k++) { /* the next line up, in line order */
        const mm_profile_row *next = NULL;
        for (size_t i = 1; i <= p->rows_n; i++) {
            if (p->rows[i].line > last && (next == NULL || p->rows[i].line < next->line)) {
                next = &p->rows[i];
            }
        }
        if (next == NULL) {
            break;
        }
        print_row(next, "    ", in_bytes);
        last = next->line;
    }
    if (p->lost_rows != 0) {
        mm_printf("(%lu runs of lines beyond MM_CFG_PROFILE_LINES=%u not shown)\n",
                  (unsigned long)p->lost_rows, (unsigned)MM_CFG_PROFILE_LINES);
    }
    mm_printf("\n\n");
}
