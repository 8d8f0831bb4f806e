/*
 * diag/trace.c - the tracemalloc counterpart (contract: diag/mm_trace.h).
 *
 * Algorithm:
 *  1. The tracer attaches an allocation hook (one pointer test on each
 *     of the heap's fast paths; heap/mm_heap.h "tracing") and tells the
 *     heap (mm__heap_set_tracer): while it is the only observer, the
 *     heap's mm_alloc_at and mm_free record small blocks into the table
 *     inline, with no call; every other path calls the hook. The
 *     callbacks test no chained hook unless one was attached before the
 *     tracer.
 *  2. Live traces sit in an open-addressing hash table keyed by block
 *     address (diag/trace_int.h, shared with the heap: Fibonacci hashing,
 *     linear probing, at most 7/8 full, backward-shift deletion). The
 *     live count and bytes sit side by side at the tracer's start.
 *  3. A snapshot groups the table by site with a linear search of the
 *     sites seen so far: O(traces x sites), paid only when asked.
 *  4. Sizes print as tracemalloc's _format_size, in exact integer
 *     arithmetic: every value is a ratio num / den of integers, and
 *     Python's %.1f / %.0f round such a ratio half to even.
 * Reference: CPython Lib/tracemalloc.py (formatting and sort orders).
 */
#include <stdarg.h>
#include <string.h>

#include "diag/mm_trace.h"
#include "diag/trace_int.h"
#include "fmt/mm_fmt.h"
#include "mm_port.h"

/* ---- the table's rare steps (diag/trace_int.h) ---- */

void mm__trace_shift(mm_tracer *t, uint32_t i)
{
    uint32_t j = i;
    for (;;) {
        for (;;) {
            j = mm__trace_next(j);
            const void *q = t->table[j].ptr;
            if (q == NULL) {
                return;
            }
            uint32_t k = mm__trace_home(q);
            /* entry j may move to i iff its home k is not cyclically in (i, j] */
            bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays) {
                break;
            }
        }
        t->table[i] = t->table[j];
        t->table[j].ptr = NULL;
        i = j;
    }
}

uint32_t mm__trace_probe(const mm_tracer *t, const void *p, uint32_t i)
{
    for (;;) {
        i = mm__trace_next(i);
        const void *q = t->table[i].ptr;
        if (q == p) {
            return i;
        }
        if (q == NULL) {
            return MM_CFG_TRACE_MAX; /* p not traced (p != NULL) */
        }
    }
}

/* ---- the hook ----
 * The heap records inline (diag/trace_int.h) while the tracer is its only
 * observer; these callbacks serve its general paths (a realloc, a
 * compaction's move) and the chained case. Two versions of each: the
 * plain ones when no hook was attached before the tracer (no test of
 * `next`), the chained ones that call it after. */

static void on_alloc(void *ctx, void *p, size_t size, const char *file, int line)
{
    mm__trace_record(ctx, p, size, file, line);
}

static void on_free(void *ctx, void *p, size_t usable)
{
    (void)usable;
    mm__trace_forget(ctx, p);
}

static void on_move(void *ctx, void *from, void *to)
{
    mm_tracer *t = ctx;
    uint32_t i = mm__trace_find(t, from);
    if (i != MM_CFG_TRACE_MAX) {
        mm_trace_entry moved = t->table[i];
        mm__trace_delete_at(t, i);
        mm__trace_insert(t, to, moved.size, moved.file, moved.line);
    }
}

static void on_alloc_chained(void *ctx, void *p, size_t size, const char *file, int line)
{
    mm_tracer *t = ctx;
    mm__trace_record(t, p, size, file, line);
    t->next->on_alloc(t->next->ctx, p, size, file, line);
}

static void on_free_chained(void *ctx, void *p, size_t usable)
{
    mm_tracer *t = ctx;
    mm__trace_forget(t, p);
    t->next->on_free(t->next->ctx, p, usable);
}

static void on_move_chained(void *ctx, void *from, void *to)
{
    mm_tracer *t = ctx;
    on_move(t, from, to);
    t->next->on_move(t->next->ctx, from, to);
}

/* ---- the tracemalloc API ---- */

bool mm_trace_start(mm_tracer *t, mm_heap *h)
{
    if (!MM_CFG_TRACE || t->heap != NULL) {
        return false;
    }
    memset(t, 0, sizeof *t);
    t->hook.ctx = t;
    t->heap = h;
    /* attached with the plain callbacks, then switched to the chained
     * ones if a hook was there before (the heap calls nothing between) */
    t->hook.on_alloc = on_alloc;
    t->hook.on_free = on_free;
    t->hook.on_move = on_move;
    t->next = mm_set_alloc_hook(h, &t->hook);
    if (t->next != NULL) {
        t->hook.on_alloc = on_alloc_chained;
        t->hook.on_free = on_free_chained;
        t->hook.on_move = on_move_chained;
    }
    mm__heap_set_tracer(h, t); /* records inline while t is the only observer */
    return true;
}

void mm_trace_stop(mm_tracer *t)
{
    if (t->heap == NULL) {
        return;
    }
    mm__heap_set_tracer(t->heap, NULL);
    MM_ASSERT(mm_set_alloc_hook(t->heap, t->next) == &t->hook,
              "mm_trace_stop: another hook was attached after the tracer");
    memset(t, 0, sizeof *t);
}

bool mm_trace_is_tracing(const mm_tracer *t)
{
    return t->heap != NULL;
}

void mm_trace_clear_traces(mm_tracer *t)
{
    memset(t->table, 0, sizeof t->table);
    t->current = 0;
    t->peak = 0;
    t->count = 0;
    t->dropped = 0;
    t->dropped_bytes = 0;
}

void mm_trace_get_traced_memory(const mm_tracer *t, size_t *current, size_t *peak)
{
    *current = t->current;
    *peak = t->current > t->peak ? t->current : t->peak;
}

void mm_trace_reset_peak(mm_tracer *t)
{
    t->peak = t->current;
}

size_t mm_trace_get_tracemalloc_memory(const mm_tracer *t)
{
    return sizeof *t;
}

uint32_t mm_trace_dropped(const mm_tracer *t, size_t *bytes)
{
    if (bytes != NULL) {
        *bytes = t->dropped_bytes;
    }
    return t->dropped;
}

/* ---- snapshots ---- */

/* Same file name (the same literal may sit at several addresses). */
static bool same_file(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* strcmp with NULL ("<unknown>") first. */
static int file_cmp(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return (a != NULL) - (b != NULL);
    }
    return strcmp(a, b);
}

/* Index of site (file, line) in sites[0..n), or n. */
static size_t site_find(const mm_trace_stat *sites, size_t n, const char *file, int32_t line)
{
    for (size_t k = 0; k < n; k++) {
        if (sites[k].line == line && same_file(sites[k].file, file)) {
            return k;
        }
    }
    return n;
}

void mm_trace_snapshot_init(mm_trace_snapshot *s, mm_trace_stat *sites, size_t cap)
{
    s->sites = sites;
    s->cap = cap;
    s->n = 0;
    s->traces = 0;
    s->lost_sites = 0;
    s->dropped = 0;
}

bool mm_trace_take_snapshot(const mm_tracer *t, mm_trace_snapshot *s)
{
    s->n = 0;
    s->traces = 0;
    s->lost_sites = 0;
    s->dropped = t->dropped;
    if (t->heap == NULL) {
        return false;
    }
    for (uint32_t i = 0; i < MM_CFG_TRACE_MAX; i++) {
        const mm_trace_entry *e = &t->table[i];
        if (e->ptr == NULL) {
            continue;
        }
        size_t k = site_find(s->sites, s->n, e->file, e->line);
        if (k == s->n) {
            if (s->n == s->cap) {
                s->lost_sites++;
                continue;
            }
            s->sites[k] = (mm_trace_stat){e->file, e->line, 0, 0};
            s->n++;
        }
        s->sites[k].size += e->size;
        s->sites[k].count++;
        s->traces++;
    }
    return true;
}

/* The sites of s grouped by key into out (room for s->n): by file with
 * line 0 for MM_TRACE_FILENAME. Returns how many. */
static size_t group(const mm_trace_snapshot *s, mm_trace_key key, mm_trace_stat *out)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        int32_t line = key == MM_TRACE_FILENAME ? 0 : s->sites[i].line;
        size_t k = site_find(out, n, s->sites[i].file, line);
        if (k == n) {
            out[n++] = (mm_trace_stat){s->sites[i].file, line, 0, 0};
        }
        out[k].size += s->sites[i].size;
        out[k].count += s->sites[i].count;
    }
    return n;
}

/* Three-way compare of two unsigned or signed figures. */
static int cmp_u(size_t a, size_t b) { return (a > b) - (a < b); }

/* Traceback order: (file, line) tuples. */
static int site_cmp(const char *fa, int32_t la, const char *fb, int32_t lb)
{
    int c = file_cmp(fa, fb);
    return c != 0 ? c : (la > lb) - (la < lb);
}

/* Statistic._sort_key order: (size, count, traceback). */
static int stat_cmp(const mm_trace_stat *a, const mm_trace_stat *b)
{
    int c = cmp_u(a->size, b->size);
    if (c == 0) {
        c = cmp_u(a->count, b->count);
    }
    return c != 0 ? c : site_cmp(a->file, a->line, b->file, b->line);
}

static size_t absl(long v) { return v < 0 ? (size_t)0 - (size_t)v : (size_t)v; }

/* StatisticDiff._sort_key order: (|size_diff|, size, |count_diff|, count,
 * traceback). */
static int diff_cmp(const mm_trace_diff *a, const mm_trace_diff *b)
{
    int c = cmp_u(absl(a->size_diff), absl(b->size_diff));
    if (c == 0) {
        c = cmp_u(a->size, b->size);
    }
    if (c == 0) {
        c = cmp_u(absl(a->count_diff), absl(b->count_diff));
    }
    if (c == 0) {
        c = cmp_u(a->count, b->count);
    }
    return c != 0 ? c : site_cmp(a->file, a->line, b->file, b->line);
}

/* Snapshot.statistics: when out has room for every site, the groups are
 * built in out and insertion-sorted (descending, as sort(reverse=True));
 * else each of the cap passes picks the largest group not yet taken (the
 * order is total, so "taken" is "not smaller than the last one taken").
 * O(sites^2) either way. */
size_t mm_trace_statistics(const mm_trace_snapshot *s, mm_trace_key key, mm_trace_stat *out,
                           size_t cap)
{
    size_t total = 0;
    for (size_t i = 0; i < s->n; i++) { /* count distinct keys */
        bool first = true;
        for (size_t j = 0; j < i && first; j++) {
            first = !(same_file(s->sites[j].file, s->sites[i].file) &&
                      (key == MM_TRACE_FILENAME || s->sites[j].line == s->sites[i].line));
        }
        total += first ? 1u : 0u;
    }
    if (cap >= s->n) {
        size_t n = group(s, key, out);
        for (size_t i = 0; i < n; i++) { /* insertion sort, descending */
            mm_trace_stat v = out[i];
            size_t j = i;
            for (; j > 0 && stat_cmp(&out[j - 1u], &v) < 0; j--) {
                out[j] = out[j - 1u];
            }
            out[j] = v;
        }
        return total;
    }
    /* out too small for every group: take the cap largest, one pass each */
    for (size_t k = 0; k < cap && k < total; k++) {
        mm_trace_stat best = {NULL, 0, 0, 0};
        bool have = false;
        for (size_t i = 0; i < s->n; i++) {
            mm_trace_stat g = {s->sites[i].file, key == MM_TRACE_FILENAME ? 0 : s->sites[i].line,
                               0, 0};
            for (size_t j = 0; j < s->n; j++) {
                if (same_file(s->sites[j].file, g.file) &&
                    (key == MM_TRACE_FILENAME || s->sites[j].line == g.line)) {
                    g.size += s->sites[j].size;
                    g.count += s->sites[j].count;
                }
            }
            bool taken = k > 0 && stat_cmp(&g, &out[k - 1u]) >= 0;
            if (!taken && (!have || stat_cmp(&g, &best) > 0)) {
                best = g;
                have = true;
            }
        }
        out[k] = best;
    }
    return total;
}

/* Does site k of s belong to the group of (file, line) under key? */
static bool in_group(const mm_trace_stat *k, const char *file, int32_t line, mm_trace_key key)
{
    return same_file(k->file, file) && (key == MM_TRACE_FILENAME || k->line == line);
}

/* Sums s's sites from index `from` on in the group of (file, line);
 * returns whether there was any. */
static bool group_sum(const mm_trace_snapshot *s, size_t from, const char *file, int32_t line,
                      mm_trace_key key, size_t *size, size_t *count)
{
    bool any = false;
    *size = 0;
    *count = 0;
    for (size_t j = from; j < s->n; j++) {
        if (in_group(&s->sites[j], file, line, key)) {
            *size += s->sites[j].size;
            *count += s->sites[j].count;
            any = true;
        }
    }
    return any;
}

/* Inserts d into out[0..*n) kept in descending order, holding the top cap. */
static void insert_top(mm_trace_diff *out, size_t cap, size_t *n, const mm_trace_diff *d)
{
    size_t j = *n < cap ? (*n)++ : cap;
    for (; j > 0 && diff_cmp(&out[j - 1u], d) < 0; j--) {
        if (j < cap) {
            out[j] = out[j - 1u];
        }
    }
    if (j < cap) {
        out[j] = *d;
    }
}

/* Snapshot.compare_to: each group once, the newer snapshot's first (the
 * older's side summed, 0 if absent), then the groups found only in the
 * older one (size and count 0, negative differences). */
size_t mm_trace_compare_to(const mm_trace_snapshot *newer, const mm_trace_snapshot *older,
                           mm_trace_key key, mm_trace_diff *out, size_t cap)
{
    size_t n = 0, total = 0;
    for (int side = 0; side < 2; side++) {
        const mm_trace_snapshot *a = side == 0 ? newer : older;
        const mm_trace_snapshot *b = side == 0 ? older : newer;
        for (size_t i = 0; i < a->n; i++) {
            const char *file = a->sites[i].file;
            int32_t line = key == MM_TRACE_FILENAME ? 0 : a->sites[i].line;
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++) {
                seen = in_group(&a->sites[j], file, line, key);
            }
            size_t asize, acount, bsize, bcount;
            bool in_b = group_sum(b, 0, file, line, key, &bsize, &bcount);
            if (seen || (side == 1 && in_b)) {
                continue;
            }
            group_sum(a, i, file, line, key, &asize, &acount);
            mm_trace_diff d = {file, line, asize, (long)asize - (long)bsize, acount,
                               (long)acount - (long)bcount};
            if (side == 1) { /* only in the older one: gone */
                d = (mm_trace_diff){file, line, 0, -(long)asize, 0, -(long)acount};
            }
            insert_top(out, cap, &n, &d);
            total++;
        }
    }
    return total;
}

/* ---- formatting ---- */

/* num / den rounded to `dec` decimals (0 or 1) half to even, as |value|
 * scaled by 10^dec. */
static uint64_t round_ratio(uint64_t a, uint64_t den, unsigned dec)
{
    uint64_t scaled = dec ? a * 10u : a;
    uint64_t q = scaled / den, r = scaled % den;
    if (2u * r > den || (2u * r == den && (q & 1u) != 0)) {
        q++;
    }
    return q;
}

size_t mm_trace_format_size(char *buf, size_t n, int64_t num, uint64_t den, bool sign)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    uint64_t a = num < 0 ? (uint64_t)0 - (uint64_t)num : (uint64_t)num;
    const char *sg = num < 0 ? "-" : sign ? "+" : "";
    for (unsigned u = 0; u < 5u; u++) {
        if (u > 0 && a < 100u * den) {
            uint64_t q = round_ratio(a, den, 1);
            /* Python keeps the sign of a negative value rounded to 0.0 */
            return mm_snprintf(buf, n, "%s%llu.%llu %s", sg, (unsigned long long)(q / 10u),
                               (unsigned long long)(q % 10u), units[u]);
        }
        if (a < (uint64_t)10u * 1024u * den || u == 4u) {
            return mm_snprintf(buf, n, "%s%llu %s", sg,
                               (unsigned long long)round_ratio(a, den, 0), units[u]);
        }
        den *= 1024u;
    }
    return 0; /* not reached */
}

/* "file:line" of a statistic. */
static size_t put_site(char *buf, size_t n, const char *file, int32_t line)
{
    return mm_snprintf(buf, n, "%s:%ld", file != NULL ? file : "<unknown>", (long)line);
}

/* Formats the rest of a line after len bytes already in buf (n bytes;
 * the output stays NUL-terminated when cut). Returns the new untruncated
 * length. */
static size_t append(char *buf, size_t n, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t n, size_t len, const char *fmt, ...)
{
    size_t used = len < n ? len : (n == 0 ? 0 : n - 1u);
    va_list ap;
    va_start(ap, fmt);
    size_t more = mm_vsnprintf(buf + used, n - used, fmt, ap);
    va_end(ap);
    return len + more;
}

size_t mm_trace_format_stat(char *buf, size_t n, const mm_trace_stat *st)
{
    char size[24];
    size_t len = put_site(buf, n, st->file, st->line);
    mm_trace_format_size(size, sizeof size, (int64_t)st->size, 1, false);
    len = append(buf, n, len, ": size=%s, count=%lu", size, (unsigned long)st->count);
    if (st->count != 0) {
        mm_trace_format_size(size, sizeof size, (int64_t)st->size, st->count, false);
        len = append(buf, n, len, ", average=%s", size);
    }
    return len;
}

size_t mm_trace_format_diff(char *buf, size_t n, const mm_trace_diff *d)
{
    char size[24], diff[24];
    size_t len = put_site(buf, n, d->file, d->line);
    mm_trace_format_size(size, sizeof size, (int64_t)d->size, 1, false);
    mm_trace_format_size(diff, sizeof diff, (int64_t)d->size_diff, 1, true);
    len = append(buf, n, len, ": size=%s (%s), count=%lu (%+ld)", size, diff,
                 (unsigned long)d->count, d->count_diff);
    if (d->count != 0) {
        mm_trace_format_size(size, sizeof size, (int64_t)d->size, d->count, false);
        len = append(buf, n, len, ", average=%s", size);
    }
    return len;
}

size_t mm_trace_print_statistics(const mm_trace_snapshot *s, mm_trace_key key, size_t top)
{
    enum { MOST = 16 }; /* statistics on the stack: 16 B each on 32-bit */
    mm_trace_stat out[MOST];
    size_t want = top == 0 || top > MOST ? MOST : top;
    size_t total = mm_trace_statistics(s, key, out, want);
    size_t printed = want < total ? want : total;
    for (size_t i = 0; i < printed; i++) {
        char line[160];
        mm_trace_format_stat(line, sizeof line, &out[i]);
        mm_printf("%s\n", line);
    }
    if (s->dropped != 0) {
        mm_printf("%lu allocations not traced (trace table full, MM_CFG_TRACE_MAX=%u)\n",
                  (unsigned long)s->dropped, (unsigned)MM_CFG_TRACE_MAX);
    }
    return printed;
}

/* ---- the device snapshot file ---- */

bool mm_trace_dump(const mm_tracer *t, mm_diag_write_fn write, void *ctx)
{
    char line[160];
    size_t len = mm_snprintf(line, sizeof line, "mmtrace 1\n");
    if (write(ctx, line, len) != 0) {
        return false;
    }
    for (uint32_t i = 0; i < MM_CFG_TRACE_MAX; i++) {
        const mm_trace_entry *e = &t->table[i];
        if (e->ptr == NULL) {
            continue;
        }
        len = mm_snprintf(line, sizeof line, "trace %lu %ld %s\n", (unsigned long)e->size,
                          (long)e->line, e->file != NULL ? e->file : "<unknown>");
        if (len >= sizeof line || write(ctx, line, len) != 0) {
            return false;
        }
    }
    len = mm_snprintf(line, sizeof line, "dropped %lu %lu\nend\n", (unsigned long)t->dropped,
                      (unsigned long)t->dropped_bytes);
    return write(ctx, line, len) == 0;
}
