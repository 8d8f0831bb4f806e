/*
 * demo_8_tracemalloc.c - demo 8, the article's 4.2 (tracemalloc):
 *
 *     tracemalloc.start()
 *     x = [i for i in range(10000)]
 *     y = {i: str(i) for i in range(10000)}
 *     snapshot = tracemalloc.take_snapshot()
 *     top_stats = snapshot.statistics('lineno')
 *     for stat in top_stats[:5]: print(stat)
 *
 * on the mm heap with diag/mm_trace.h. The sites are this file's lines;
 * the sizes, counts and averages are the live traces at the snapshot. The
 * range is scaled to the board: its RAM and its trace table. The snapshot
 * is also written to demo8.mmtrace (in the directory QEMU runs in), which
 * tools/trace2snapshot.py turns into a file CPython's
 * tracemalloc.Snapshot.load() opens, and the page map of that moment to
 * heapmap_demo8.txt (tools/heapmap.py draws it; make plot).
 */
#include "demos.h"

#include <string.h>

#include "diag/mm_heapmap.h"
#include "diag/mm_trace.h"
#include "diag_file.h"
#include "fmt/mm_fmt.h"

#ifndef MMRT_BOARD
#define MMRT_BOARD "host" /* the host build of the OOM sweep */
#endif

int demo_tracemalloc(demo_env *env);

#define ARTICLE_N 10000 /* range(10000) in the article */
#define DUMP_PATH "demo8.mmtrace"
#define MAP_PATH "heapmap_demo8.txt"

#define tracer (*diag_tracer()) /* the static trace table (MM_CFG_TRACE_MAX) */

/* The range that fits: each i costs at most three traces (a boxed int
 * from 257 up in each comprehension, and a str) and two handle slots and about 70 B of heap
 * (list slot, int, str, dict entry at 2/3 load); half of the free heap
 * is used. */
static int32_t scaled_n(const demo_env *env)
{
    mm_stats st;
    mm_get_stats(env->heap, &st);
    size_t by_ram = (st.free_bytes + st.pool_free_bytes) / 2u / 70u;
    size_t by_table = (MM_TRACE_CAPACITY - 8u) / 3u;
    size_t by_slots = (mm_rt_slots(env->rt) - 1u - mm_rt_live(env->rt)) / 3u - 8u;
    size_t n = by_ram < by_table ? by_ram : by_table;
    n = n < by_slots ? n : by_slots;
    return (int32_t)(n < ARTICLE_N ? n : ARTICLE_N);
}

/* Writes the live traces to DUMP_PATH; returns false if a write failed. */
static bool dump_snapshot(void)
{
    int fd = diag_file_open(DUMP_PATH);
    if (fd < 0) {
        return true; /* said so; the demo itself is not affected */
    }
    bool ok = mm_trace_dump(&tracer, diag_file_write, &fd);
    ok = diag_file_close(fd) == 0 && ok;
    mm_printf("(%s %s: %s)\n", L("快照已写入", "snapshot written to"), DUMP_PATH, ok ? "ok" : "write failed");
    return ok;
}

/* Writes the heap's page map to MAP_PATH; false if a write failed. */
static bool dump_map(const mm_heap *h)
{
    int fd = diag_file_open(MAP_PATH);
    if (fd < 0) {
        return true;
    }
    bool ok = mm_heapmap_dump(h, "mmrt " MMRT_BOARD " demo 8", diag_file_write, &fd);
    ok = diag_file_close(fd) == 0 && ok;
    mm_printf("(%s %s: %s)\n", L("堆图已写入", "heap map written to"), MAP_PATH, ok ? "ok" : "write failed");
    return ok;
}

/* Fills x and y as the article's two comprehensions, one source line
 * each (tracemalloc charges a comprehension to its line). */
static bool allocate(mm_rt *rt, int32_t n, mm_h *xo, mm_h *yo)
{
    char s[12];
    bool ok = true;
    mm_h x = mm_list_new(rt, 0); for (int32_t i = 0; i < n && ok; i++) { mm_h v = mm_int_new(rt, i); ok = v != MM_NULL && mm_list_append(rt, x, v) == MMO_OK; mm_decref(rt, v); }
    mm_h y = mm_dict_new(rt); for (int32_t i = 0; i < n && ok; i++) { mm_h k = mm_int_new(rt, i); mm_snprintf(s, sizeof s, "%ld", (long)i); mm_h v = mm_str_from(rt, s); ok = k != MM_NULL && v != MM_NULL && mm_dict_set(rt, y, k, v) == MMO_OK; mm_decref(rt, k); mm_decref(rt, v); }
    *xo = x;
    *yo = y;
    return ok && x != MM_NULL && y != MM_NULL;
}

/* Does range(n) fit? A dry run of allocate, everything freed again. */
static bool fits(mm_rt *rt, int32_t n)
{
    mm_h x, y;
    bool ok = allocate(rt, n, &x, &y);
    mm_decref(rt, x);
    mm_decref(rt, y);
    mm_trim(rt->heap); /* the dry run's pools back: no fragments pinned by them */
    return ok;
}

int demo_tracemalloc(demo_env *env)
{
    if (MMRT_NO_DIAG_DEMOS || !MM_CFG_TRACE) {
        mm_printf("%s%s\n", DEMO_MCU, L("本板固件未编入跟踪 (RAM 不够): 跳过",
                                         "tracing is not compiled into this board's firmware (RAM): skipped"));
        return 0;
    }
    mm_rt *rt = env->rt;
    int32_t n = scaled_n(env);
    while (n > 0 && !fits(rt, n)) { /* a small heap's pages go to pools first */
        n /= 2;
    }
    mm_printf("%srange(%ld) %s range(%d); %s %u\n", DEMO_MCU, (long)n,
              L("按本板内存缩小, 原文", "scaled to this board's RAM; the article:"), ARTICLE_N,
              L("跟踪表条目:", "trace table entries:"), (unsigned)MM_CFG_TRACE_MAX);
    memset(&tracer, 0, sizeof tracer); /* the block demo 7's profiler used */
    if (!mm_trace_start(&tracer, env->heap)) { /* tracemalloc.start() */
        return DEMO_FAIL("tracing is not compiled in (build with TRACE=1)");
    }
    mm_h x, y;
    bool ok = allocate(rt, n, &x, &y);

    MM_TRACE_SNAPSHOT_STATIC(snapshot, 8);
    ok = mm_trace_take_snapshot(&tracer, &snapshot) && ok;
    mm_printf("%s\n", L("[十一剑的CS_DN博客] 内存分配统计:", "[the article's blog] memory allocation statistics:"));
    mm_trace_print_statistics(&snapshot, MM_TRACE_LINENO, 5);
    size_t current, peak;
    mm_trace_get_traced_memory(&tracer, &current, &peak);
    mm_printf("%s %lu B, %s %lu B; %s %lu B\n", L("跟踪的内存: 当前", "traced memory: current"),
              (unsigned long)current, L("峰值", "peak"), (unsigned long)peak,
              L("跟踪器自身 (静态):", "the tracer's own (static):"),
              (unsigned long)mm_trace_get_tracemalloc_memory(&tracer));
    ok = dump_snapshot() && ok;
    ok = dump_map(env->heap) && ok;

    mm_decref(rt, x);
    mm_decref(rt, y);
    mm_trace_get_traced_memory(&tracer, &current, &peak);
    ok = ok && current == 0; /* every traced block came back */
    mm_trace_stop(&tracer);
    DEMO_CHECK(ok);
    return 0;
}
