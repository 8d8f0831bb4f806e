/*
 * test_trace.c - the tracemalloc and memory_profiler counterparts
 * (diag/mm_trace.h, diag/mm_profile.h). Built with MM_CFG_TRACE=1
 * (tools/test.sh builds every test_trace*.c so).
 *
 * Sites are checked exactly: each allocation below records the line it
 * is written on (captured in a variable with __LINE__ on the same line).
 * If MM_TRACE_DIR is set, test_compare also writes two device dumps and
 * the lines the device printed for them there, for tools/test.sh to check
 * against the host's tracemalloc.
 */
#include "obj_fixture.h"

#include "diag/mm_profile.h"
#include "diag/mm_trace.h"
#include "diag/trace_int.h"
#include "gc/mm_gc.h"
#include "heap/heap_int.h"

#if !MM_CFG_TRACE
#error "test_trace.c needs -DMM_CFG_TRACE=1"
#endif

static mm_tracer tracer; /* static, as on the device */

/* The statistic of site (file, line) in out[0..n), or fail. */
static const mm_trace_stat *stat_at(const mm_trace_stat *out, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) {
        if (out[i].line == line && strcmp(out[i].file, __FILE__) == 0) {
            return &out[i];
        }
    }
    fail_msg("no statistic for %s:%d", __FILE__, line);
    return NULL;
}

static void expect_line(const char *got, const char *fmt, int line)
{
    char want[200];
    snprintf(want, sizeof want, fmt, __FILE__, line);
    assert_string_equal(got, want);
}

/* ---- sizes as tracemalloc._format_size prints them (host CPython 3.11) ---- */

static void test_format_size(void **state)
{
    (void)state;
    static const struct { int64_t v; const char *plain, *sign; } cases[] = {
        {99, "99 B", "+99 B"},          {100, "100 B", "+100 B"},
        {10239, "10239 B", "+10239 B"}, {10240, "10.0 KiB", "+10.0 KiB"},
        {102399, "100.0 KiB", "+100.0 KiB"}, {102400, "100 KiB", "+100 KiB"},
        {1048575, "1024 KiB", "+1024 KiB"}, {10485760, "10.0 MiB", "+10.0 MiB"},
        {-512, "-512 B", "-512 B"},     {-10035, "-10035 B", "-10035 B"},
        {0, "0 B", "+0 B"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mm_trace_format_size(buf, sizeof buf, cases[i].v, 1, false);
        assert_string_equal(buf, cases[i].plain);
        mm_trace_format_size(buf, sizeof buf, cases[i].v, 1, true);
        assert_string_equal(buf, cases[i].sign);
    }
    /* averages: 199/2 = 99.5 -> "100 B", 197/2 = 98.5 -> "98 B" (half to even), 1000/3 */
    mm_trace_format_size(buf, sizeof buf, 199, 2, false);
    assert_string_equal(buf, "100 B");
    mm_trace_format_size(buf, sizeof buf, 197, 2, false);
    assert_string_equal(buf, "98 B");
    mm_trace_format_size(buf, sizeof buf, 1000, 3, false);
    assert_string_equal(buf, "333 B");
}

/* ---- raw mm_alloc sites, sizes, current and peak ---- */

static void test_raw_sites(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    assert_false(mm_trace_is_tracing(&tracer));
    assert_true(mm_trace_start(&tracer, fx.heap));
    assert_true(mm_trace_is_tracing(&tracer));
    assert_false(mm_trace_start(&tracer, fx.heap)); /* already */
    void *a = mm_alloc(fx.heap, 100); int la = __LINE__;
    void *b = mm_alloc(fx.heap, 300); int lb = __LINE__;
    void *c[3];
    int lc = 0;
    for (int i = 0; i < 3; i++) {
        c[i] = mm_alloc(fx.heap, 24); lc = __LINE__;
    }
    size_t cur, peak;
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 472);
    assert_int_equal(peak, 472);

    MM_TRACE_SNAPSHOT_STATIC(snap, 8);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    mm_trace_stat st[8];
    assert_int_equal(mm_trace_statistics(&snap, MM_TRACE_LINENO, st, 8), 3);
    char line[200];
    mm_trace_format_stat(line, sizeof line, &st[0]);
    expect_line(line, "%s:%d: size=300 B, count=1, average=300 B", lb);
    mm_trace_format_stat(line, sizeof line, &st[1]);
    expect_line(line, "%s:%d: size=100 B, count=1, average=100 B", la);
    mm_trace_format_stat(line, sizeof line, &st[2]);
    expect_line(line, "%s:%d: size=72 B, count=3, average=24 B", lc);
    /* by file: one line, line 0 */
    assert_int_equal(mm_trace_statistics(&snap, MM_TRACE_FILENAME, st, 8), 1);
    mm_trace_format_stat(line, sizeof line, &st[0]);
    expect_line(line, "%s:%d: size=472 B, count=5, average=94 B", 0);
    /* only the top 2 asked for */
    assert_int_equal(mm_trace_statistics(&snap, MM_TRACE_LINENO, st, 2), 3);
    assert_int_equal(st[0].line, lb);
    assert_int_equal(st[1].line, la);

    mm_free(fx.heap, b);
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 172);
    assert_int_equal(peak, 472);
    mm_trace_reset_peak(&tracer);
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(peak, 172);
    /* realloc: the old trace ends, the new one is the realloc's */
    a = mm_realloc(fx.heap, a, 200); int lr = __LINE__;
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    assert_int_equal(mm_trace_statistics(&snap, MM_TRACE_LINENO, st, 8), 2);
    assert_int_equal(stat_at(st, 2, lr)->size, 200);
    assert_true(mm_trace_get_tracemalloc_memory(&tracer) >= MM_CFG_TRACE_MAX * sizeof(mm_trace_entry));

    mm_free(fx.heap, a);
    for (int i = 0; i < 3; i++) {
        mm_free(fx.heap, c[i]);
    }
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 0);
    mm_trace_clear_traces(&tracer);
    mm_trace_stop(&tracer);
    assert_false(mm_trace_is_tracing(&tracer));
    assert_false(mm_trace_take_snapshot(&tracer, &snap));
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- the object layer charges its blocks to the caller ---- */

static void test_object_sites(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    mm_rt *rt = &fx.rt;
    assert_true(mm_trace_start(&tracer, fx.heap));
    mm_h l = mm_list_new(rt, 0); int ll = __LINE__;
    int lv = 0, lapp = 0;
    for (int i = 0; i < 3; i++) {
        mm_h v = mm_int_new(rt, 1000 + i); lv = __LINE__;
        assert_int_equal(mm_list_append(rt, l, v), MMO_OK); lapp = __LINE__;
        mm_decref(rt, v);
    }
    mm_h d = mm_dict_new(rt); int ld = __LINE__;
    mm_h s = mm_str_from(rt, "hello"); int ls = __LINE__;
    assert_int_equal(mm_dict_set(rt, d, s, l), MMO_OK); int lset = __LINE__;

    MM_TRACE_SNAPSHOT_STATIC(snap, 16);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    mm_trace_stat st[16];
    size_t n = mm_trace_statistics(&snap, MM_TRACE_LINENO, st, 16);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) { /* no site inside mm/ */
        assert_string_equal(st[i].file, __FILE__);
    }
    assert_int_equal(stat_at(st, n, ll)->size, sizeof(mm__list));
    assert_int_equal(stat_at(st, n, lv)->size, 3 * MM__INT_SIZE);
    assert_int_equal(stat_at(st, n, lv)->count, 3);
    assert_int_equal(stat_at(st, n, lapp)->count, 1); /* one body, 4 slots */
    assert_int_equal(stat_at(st, n, lapp)->size, 4 * sizeof(mm_h));
    assert_int_equal(stat_at(st, n, ld)->count, 1);
    assert_int_equal(stat_at(st, n, ls)->count, 1);
    assert_int_equal(stat_at(st, n, lset)->count, 1); /* the dict's table */
    size_t cur, peak;
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += st[i].size;
    }
    assert_int_equal(cur, sum);

    mm_decref(rt, s);
    mm_decref(rt, d);
    mm_decref(rt, l);
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 0);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    assert_int_equal(snap.n, 0);
    mm_trace_stop(&tracer);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- compare_to: both signs, and a site that is gone ---- */

static int dump_file(void *ctx, const char *s, size_t n)
{
    return fwrite(s, 1, n, (FILE *)ctx) == n ? 0 : -1;
}

/* Writes the tracer's dump to dir/name (when dir is set). */
static void dump_to(const char *dir, const char *name)
{
    if (dir == NULL) {
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(mm_trace_dump(&tracer, dump_file, f));
    fclose(f);
}

static void test_compare(void **state)
{
    (void)state;
    const char *dir = getenv("MM_TRACE_DIR");
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    assert_true(mm_trace_start(&tracer, fx.heap));
    void *keep = mm_alloc(fx.heap, 40); int lk = __LINE__;
    void *gone[2];
    int lg = 0;
    for (int i = 0; i < 2; i++) {
        gone[i] = mm_alloc(fx.heap, 16); lg = __LINE__;
    }
    void *shrink[3];
    int lsh = 0;
    for (int i = 0; i < 3; i++) {
        shrink[i] = mm_alloc(fx.heap, 24); lsh = __LINE__;
    }
    MM_TRACE_SNAPSHOT_STATIC(old, 8);
    assert_true(mm_trace_take_snapshot(&tracer, &old));
    dump_to(dir, "old.mmtrace");

    mm_free(fx.heap, gone[0]);
    mm_free(fx.heap, gone[1]);
    mm_free(fx.heap, shrink[2]);
    void *grow[4];
    int lgr = 0;
    for (int i = 0; i < 4; i++) {
        grow[i] = mm_alloc(fx.heap, 300 + 100 * (size_t)i); lgr = __LINE__;
    }
    MM_TRACE_SNAPSHOT_STATIC(now, 8);
    assert_true(mm_trace_take_snapshot(&tracer, &now));
    dump_to(dir, "new.mmtrace");

    mm_trace_diff df[8];
    size_t n = mm_trace_compare_to(&now, &old, MM_TRACE_LINENO, df, 8);
    assert_int_equal(n, 4);
    char line[200];
    mm_trace_format_diff(line, sizeof line, &df[0]);
    expect_line(line, "%s:%d: size=1800 B (+1800 B), count=4 (+4), average=450 B", lgr);
    mm_trace_format_diff(line, sizeof line, &df[1]);
    expect_line(line, "%s:%d: size=0 B (-32 B), count=0 (-2)", lg);
    mm_trace_format_diff(line, sizeof line, &df[2]);
    expect_line(line, "%s:%d: size=48 B (-24 B), count=2 (-1), average=24 B", lsh);
    mm_trace_format_diff(line, sizeof line, &df[3]);
    expect_line(line, "%s:%d: size=40 B (+0 B), count=1 (+0), average=40 B", lk);

    if (dir != NULL) { /* what the device printed, for the host to agree with */
        char path[512];
        snprintf(path, sizeof path, "%s/device.txt", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        mm_trace_stat st[8];
        size_t k = mm_trace_statistics(&now, MM_TRACE_LINENO, st, 8);
        fprintf(f, "statistics lineno\n");
        for (size_t i = 0; i < k; i++) {
            mm_trace_format_stat(line, sizeof line, &st[i]);
            fprintf(f, "%s\n", line);
        }
        k = mm_trace_statistics(&now, MM_TRACE_FILENAME, st, 8);
        fprintf(f, "statistics filename\n");
        for (size_t i = 0; i < k; i++) {
            mm_trace_format_stat(line, sizeof line, &st[i]);
            fprintf(f, "%s\n", line);
        }
        fprintf(f, "compare_to lineno\n");
        for (size_t i = 0; i < n; i++) {
            mm_trace_format_diff(line, sizeof line, &df[i]);
            fprintf(f, "%s\n", line);
        }
        fclose(f);
    }

    mm_free(fx.heap, keep);
    mm_free(fx.heap, shrink[0]);
    mm_free(fx.heap, shrink[1]);
    for (int i = 0; i < 4; i++) {
        mm_free(fx.heap, grow[i]);
    }
    mm_trace_stop(&tracer);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- a full table drops traces, counts them, and harms no block ---- */

static void test_table_full(void **state)
{
    (void)state;
    enum { EXTRA = 5, N = MM_TRACE_CAPACITY + EXTRA };
    static void *p[N];
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    size_t base = fx_used(&fx);
    assert_true(mm_trace_start(&tracer, fx.heap));
    for (size_t i = 0; i < N; i++) {
        p[i] = mm_alloc(fx.heap, 8);
        assert_non_null(p[i]);
        memset(p[i], (int)(i & 0xFF), 8);
    }
    size_t bytes;
    assert_int_equal(mm_trace_dropped(&tracer, &bytes), EXTRA);
    assert_int_equal(bytes, EXTRA * 8);
    size_t cur, peak;
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, MM_TRACE_CAPACITY * 8);
    assert_int_equal(fx_used(&fx), base + N * 8); /* every block was handed out */
    fx_check(&fx);

    MM_TRACE_SNAPSHOT_STATIC(snap, 4);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    port_capture_begin();
    assert_int_equal(mm_trace_print_statistics(&snap, MM_TRACE_LINENO, 5), 1);
    const char *out = port_capture_end();
    char want[96];
    snprintf(want, sizeof want, "%d allocations not traced (trace table full, MM_CFG_TRACE_MAX=%d)\n",
             EXTRA, MM_CFG_TRACE_MAX);
    assert_non_null(strstr(out, want));

    for (size_t i = 0; i < N; i++) {
        const unsigned char *b = p[i];
        assert_int_equal(b[7], i & 0xFF);
        mm_free(fx.heap, p[i]);
    }
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 0);
    assert_int_equal(fx_used(&fx), base);
    mm_trace_stop(&tracer);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- across a collection, a compaction and a MemoryError ---- */

static void test_gc_compact_oom(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, 32 * 1024, 512);
    mm_rt *rt = &fx.rt;
    static mm_gc gc;
    assert_int_equal(mm_gc_init(&gc, rt), MMO_OK);
    assert_true(mm_trace_start(&tracer, fx.heap));

    /* a cycle: only the collector frees it, and its traces go with it */
    mm_h a = mm_list_new(rt, 0);
    mm_h b = mm_list_new(rt, 0);
    assert_int_equal(mm_list_append(rt, a, b), MMO_OK);
    assert_int_equal(mm_list_append(rt, b, a), MMO_OK);
    mm_decref(rt, a);
    mm_decref(rt, b);
    size_t cur, peak;
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_true(cur > 0);
    assert_int_equal(mm_gc_collect(&gc, 2, NULL), 2);
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 0);

    /* compaction moves a list's large body: its trace follows it */
    mm_h hole = mm_list_new(rt, 100); int lh = __LINE__;
    mm_h big = mm_list_new(rt, 100); int lbig = __LINE__;
    mm_decref(rt, hole);
    mm_h bigger = mm_list_new(rt, 300); /* an owned large body above the hole */
    (void)lh;
    mm_compact(fx.heap);
    MM_TRACE_SNAPSHOT_STATIC(snap, 8);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    mm_trace_stat st[8];
    size_t n = mm_trace_statistics(&snap, MM_TRACE_LINENO, st, 8);
    assert_int_equal(stat_at(st, n, lbig)->count, 2); /* object + body */
    mm_decref(rt, big);
    mm_decref(rt, bigger);
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 0); /* the moved body's free found its trace */

    /* MemoryError: the failed request leaves no trace */
    void *blocks[256];
    size_t k = 0, sum = 0;
    while (k < 256 && (blocks[k] = mm_alloc(fx.heap, 1000)) != NULL) {
        sum += 1000;
        k++;
    }
    assert_true(k < 256);
    assert_int_equal(mm_last_error(fx.heap), MM_ENOMEM);
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, sum);
    for (size_t i = 0; i < k; i++) {
        mm_free(fx.heap, blocks[i]);
    }
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 0);
    mm_trace_stop(&tracer);
    mm_gc_fini(&gc);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- the line profiler's table and the mprof series ---- */

typedef struct {
    char buf[8192];
    size_t len;
} sink;

static int sink_write(void *ctx, const char *s, size_t n)
{
    sink *k = ctx;
    if (k->len + n >= sizeof k->buf) {
        return -1;
    }
    memcpy(k->buf + k->len, s, n);
    k->len += n;
    k->buf[k->len] = '\0';
    return 0;
}

static void test_profile(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    static mm_profiler prof;
    static sink series;
    series.len = 0;
    size_t base = fx_used(&fx);
    assert_true(mm_mprof_start(&prof, fx.heap, 1, "test_trace", sink_write, &series));
    MM_PROFILE_BEGIN(&prof, fx.heap); int l0 = __LINE__;
    void *p[3];
    for (int i = 0; i < 3; i++) {
        MM_PROFILE_LINE(&prof, p[i] = mm_alloc(fx.heap, 2048)); int l1 = __LINE__;
        (void)l1;
    }
    MM_PROFILE_LINE(&prof, mm_free(fx.heap, p[0])); int l2 = __LINE__;
    mm_profile_end(&prof);
    port_capture_begin();
    mm_profile_print(&prof);
    const char *out = port_capture_end();

    char want[512];
    char m0[24], m1[24], i1[24], m2[24], i2[24];
    mm_profile_format_kib(m0, sizeof m0, (long)base);
    mm_profile_format_kib(m1, sizeof m1, (long)(base + 3 * 2048));
    mm_profile_format_kib(i1, sizeof i1, 3 * 2048);
    mm_profile_format_kib(m2, sizeof m2, (long)(base + 2 * 2048));
    mm_profile_format_kib(i2, sizeof i2, -2048);
    snprintf(want, sizeof want,
             "Filename: %s\n\n"
             "Line #    Mem usage    Increment  Occurrences   Line Contents\n"
             "=============================================================\n"
             "%6d %12s %12s  %10d   MM_PROFILE_BEGIN: test_profile\n"
             "%6d %12s %12s  %10d       p[i] = mm_alloc(fx.heap, 2048)\n"
             "%6d %12s %12s  %10d       mm_free(fx.heap, p[0])\n\n\n",
             __FILE__, l0, m0, m0, 1, l2 - 3, m1, i1, 3, l2, m2, i2, 1);
    assert_string_equal(out, want);
    mm_profile_format_kib(m0, sizeof m0, 6144);
    assert_string_equal(m0, "  6.0 KiB");
    mm_profile_format_kib(m0, sizeof m0, -20);
    assert_string_equal(m0, " -0.0 KiB");

    /* the series: CMDLINE, MEM lines on the grid, one FUNC bracket */
    bool ok;
    assert_true(mm_mprof_stop(&prof, &ok) > 0);
    assert_int_equal(prof.mem, fx_used(&fx)); /* the series kept count of every block */
    assert_true(ok);
    assert_memory_equal(series.buf, "CMDLINE test_trace\nMEM ", 23);
    assert_non_null(strstr(series.buf, "\nFUNC test_trace.test_profile "));

    mm_free(fx.heap, p[1]);
    mm_free(fx.heap, p[2]);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- a full table emptied in a scrambled order: every free finds its
 * trace (the probe runs are shifted back right, across the wrap) ---- */

static void test_table_churn(void **state)
{
    (void)state;
    enum { N = MM_TRACE_CAPACITY };
    static void *p[N];
    static size_t sz[N];
    fixture fx;
    fx_open(&fx, 256 * 1024, 64);
    assert_true(mm_trace_start(&tracer, fx.heap));
    size_t want = 0;
    for (size_t i = 0; i < N; i++) {
        sz[i] = 1u + (i * 37u) % 200u;
        p[i] = mm_alloc(fx.heap, sz[i]);
        assert_non_null(p[i]);
        want += sz[i];
    }
    assert_int_equal(mm_trace_dropped(&tracer, NULL), 0);
    for (int round = 0; round < 2; round++) {
        for (size_t k = 0; k < N; k++) {
            size_t i = (k * 7919u + (size_t)round) % N; /* 7919 is prime: a permutation */
            if ((i & 1u) != (size_t)round) {
                continue;
            }
            mm_free(fx.heap, p[i]);
            want -= sz[i];
            size_t cur, peak;
            mm_trace_get_traced_memory(&tracer, &cur, &peak);
            assert_int_equal(cur, want);
        }
    }
    assert_int_equal(want, 0);
    MM_TRACE_SNAPSHOT_STATIC(snap, 4);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    assert_int_equal(snap.traces, 0);
    mm_trace_stop(&tracer);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- a tracer chained after a profiler: both see every block ---- */

static void test_chained(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    static mm_profiler prof;
    static sink series;
    series.len = 0;
    assert_true(mm_mprof_start(&prof, fx.heap, 1, "test_trace", sink_write, &series));
    assert_true(mm_trace_start(&tracer, fx.heap)); /* the profiler's hook is its next */
    void *a = mm_alloc(fx.heap, 100);
    void *b = mm_alloc(fx.heap, 3000); int lb = __LINE__;
    assert_int_equal(prof.mem, fx_used(&fx));
    mm_free(fx.heap, a);
    assert_int_equal(prof.mem, fx_used(&fx));
    size_t cur, peak;
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 3000);
    assert_int_equal(peak, 3100);
    MM_TRACE_SNAPSHOT_STATIC(snap, 4);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    mm_trace_stat st[4];
    size_t n = mm_trace_statistics(&snap, MM_TRACE_LINENO, st, 4);
    assert_int_equal(n, 1);
    assert_int_equal(stat_at(st, n, lb)->size, 3000);
    mm_trace_stop(&tracer);
    mm_free(fx.heap, b); /* after stop: only the profiler sees it */
    assert_int_equal(prof.mem, fx_used(&fx));
    bool ok;
    assert_true(mm_mprof_stop(&prof, &ok) > 0);
    assert_true(ok);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- the inline tracer and the general hook: a profiler attached after
 * the tracer turns the heap's inline recording off (both see every
 * block through the hooks); detached, the inline path is back ---- */

static void test_inline_and_hook(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    static mm_profiler prof;
    static sink series;
    series.len = 0;
    assert_true(mm_trace_start(&tracer, fx.heap));
    assert_ptr_equal(fx.heap->trace, &tracer); /* the only observer: inline */
    void *a = mm_alloc(fx.heap, 24); int la = __LINE__;
    void *b = mm_alloc(fx.heap, 24); int lb = __LINE__;
    void *big = mm_alloc(fx.heap, 5000); int lbig = __LINE__;
    assert_true(mm_mprof_start(&prof, fx.heap, 1, "test_trace", sink_write, &series));
    assert_null(fx.heap->trace); /* a hook after the tracer: the general path */
    size_t base = prof.mem;
    void *c = mm_alloc(fx.heap, 40); int lc = __LINE__;
    mm_free(fx.heap, a);
    assert_int_equal(prof.mem, base + mm_usable_size(fx.heap, c) - 24);
    bool ok;
    assert_true(mm_mprof_stop(&prof, &ok) > 0);
    assert_true(ok);
    assert_ptr_equal(fx.heap->trace, &tracer); /* inline again */
    void *d = mm_alloc(fx.heap, 24); int ld = __LINE__;
    mm_free(fx.heap, c);
    size_t cur, peak;
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 24 + 5000 + 24);
    assert_int_equal(peak, 24 + 24 + 5000 + 40);
    MM_TRACE_SNAPSHOT_STATIC(snap, 8);
    assert_true(mm_trace_take_snapshot(&tracer, &snap));
    mm_trace_stat st[8];
    size_t n = mm_trace_statistics(&snap, MM_TRACE_LINENO, st, 8);
    assert_int_equal(n, 3);
    assert_int_equal(stat_at(st, n, lb)->size, 24);
    assert_int_equal(stat_at(st, n, lbig)->size, 5000);
    assert_int_equal(stat_at(st, n, ld)->size, 24);
    (void)la, (void)lc;
    mm_trace_stop(&tracer);
    assert_null(fx.heap->trace);
    assert_null(fx.heap->tracer);
    mm_free(fx.heap, b);
    mm_free(fx.heap, big);
    mm_free(fx.heap, d);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- two tracers on one heap: the second chains to the first; the
 * first keeps every record through the hook after the second stops ---- */

static void test_two_tracers(void **state)
{
    (void)state;
    fixture fx;
    fx_open(&fx, 64 * 1024, 64);
    static mm_tracer second;
    assert_true(mm_trace_start(&tracer, fx.heap));
    assert_true(mm_trace_start(&second, fx.heap));
    assert_null(fx.heap->trace); /* chained: the general path */
    void *a = mm_alloc(fx.heap, 16);
    void *b = mm_alloc(fx.heap, 32);
    mm_free(fx.heap, a);
    size_t cur, peak;
    mm_trace_get_traced_memory(&second, &cur, &peak);
    assert_int_equal(cur, 32);
    assert_int_equal(peak, 48);
    mm_trace_stop(&second);
    assert_null(fx.heap->trace); /* the heap knew only the second */
    void *c = mm_alloc(fx.heap, 8);
    mm_free(fx.heap, b);
    mm_trace_get_traced_memory(&tracer, &cur, &peak);
    assert_int_equal(cur, 8);
    assert_int_equal(peak, 48);
    mm_trace_stop(&tracer);
    mm_free(fx.heap, c);
    fx_check(&fx);
    fx_close(&fx);
}

/* ---- the table alone (diag/trace_int.h), keys made to collide at the
 * last slot: probe runs wrap to slot 0, deletions shift entries back
 * across the wrap ---- */

/* A fake block address (never dereferenced) whose home slot is `home`,
 * the first at or after *from (8-aligned steps). */
static const void *key_at(uintptr_t *from, uint32_t home)
{
    while (mm__trace_home((const void *)*from) != home) {
        *from += 8u;
    }
    const void *p = (const void *)*from;
    *from += 8u;
    return p;
}

static void test_table_wrap(void **state)
{
    (void)state;
    enum { K = 5 };
    static mm_tracer t;
    memset(&t, 0, sizeof t);
    uintptr_t from = 0x10000u;
    const void *k[K + 1];
    for (int i = 0; i < K; i++) { /* all at home MAX - 1: slots MAX-1, 0, 1, 2, 3 */
        k[i] = key_at(&from, MM_CFG_TRACE_MAX - 1u);
    }
    k[K] = key_at(&from, 0u); /* home 0: pushed to slot 4 */
    for (int i = 0; i <= K; i++) {
        if (i == 0) { /* only the first finds its home slot free */
            assert_ptr_equal(mm__trace_put_slot(&t, k[i]), &t.table[MM_CFG_TRACE_MAX - 1u]);
        } else {
            assert_null(mm__trace_put_slot(&t, k[i]));
        }
        mm__trace_record(&t, (void *)(uintptr_t)k[i], (size_t)(10 + i), "f.c", i);
    }
    assert_int_equal(t.count, K + 1);
    assert_int_equal(t.current, 10 + 11 + 12 + 13 + 14 + 15);
    assert_ptr_equal(t.table[MM_CFG_TRACE_MAX - 1u].ptr, k[0]);
    for (uint32_t s = 0; s < (uint32_t)K; s++) {
        assert_ptr_equal(t.table[s].ptr, k[s + 1u]);
    }
    /* the home-slot fast forms see the collisions: not the common case */
    assert_null(mm__trace_put_slot(&t, key_at(&from, MM_CFG_TRACE_MAX - 1u)));
    assert_null(mm__trace_take_slot(&t, k[0])); /* its next slot (0) is used */
    assert_null(mm__trace_take_slot(&t, k[1])); /* not in its home slot */
    /* forget the one at the last slot: everything shifts back one, across the wrap */
    mm__trace_forget(&t, k[0]);
    assert_ptr_equal(t.table[MM_CFG_TRACE_MAX - 1u].ptr, k[1]);
    for (int i = 1; i <= K; i++) {
        uint32_t s = mm__trace_find(&t, k[i]);
        assert_int_not_equal(s, MM_CFG_TRACE_MAX);
        assert_int_equal(t.table[s].line, i);
    }
    assert_int_equal(mm__trace_find(&t, k[0]), MM_CFG_TRACE_MAX);
    /* the middle ones go; the rest stay reachable */
    mm__trace_forget(&t, k[3]);
    mm__trace_forget(&t, k[1]);
    assert_int_equal(mm__trace_find(&t, k[1]), MM_CFG_TRACE_MAX);
    assert_int_equal(mm__trace_find(&t, k[3]), MM_CFG_TRACE_MAX);
    for (int i = 2; i <= K; i += i == 2 ? 2 : 1) {
        assert_int_equal(t.table[mm__trace_find(&t, k[i])].line, i);
    }
    mm__trace_forget(&t, k[2]);
    mm__trace_forget(&t, k[4]);
    /* k[5] alone, in its home slot now, with nothing after it */
    assert_ptr_equal(t.table[0].ptr, k[K]);
    assert_ptr_equal(mm__trace_take_slot(&t, k[K]), &t.table[0]);
    mm__trace_take(&t, &t.table[0]);
    assert_int_equal(t.count, 0);
    assert_int_equal(t.current, 0);
    assert_int_equal(t.peak, 10 + 11 + 12 + 13 + 14 + 15);
    for (uint32_t s = 0; s < MM_CFG_TRACE_MAX; s++) {
        assert_null(t.table[s].ptr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_size),  cmocka_unit_test(test_raw_sites),
        cmocka_unit_test(test_object_sites), cmocka_unit_test(test_compare),
        cmocka_unit_test(test_table_full),   cmocka_unit_test(test_gc_compact_oom),
        cmocka_unit_test(test_profile),      cmocka_unit_test(test_chained),
        cmocka_unit_test(test_table_churn),  cmocka_unit_test(test_inline_and_hook),
        cmocka_unit_test(test_table_wrap),   cmocka_unit_test(test_two_tracers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
