/*
 * demo_7_memory_profiler.c - demo 7, the article's 4.1 (memory_profiler):
 *
 *     @profile
 *     def memory_intensive_task():
 *         big_list = [i for i in range(100000)]
 *         result = sum(x * 2 for x in big_list)
 *         big_dict = {i: str(i) for i in range(100000)}
 *         return result
 *
 * on the mm heap with diag/mm_profile.h: each marked line is measured as
 * it runs, and the table is memory_profiler's. "Mem usage" is the heap's
 * bytes in use (the device's stand-in for a process's RSS). The range is
 * scaled to the board's RAM. The run is also sampled into
 * mprofile_demo7.dat (in the directory QEMU runs in), which `mprof plot`
 * draws (make plot).
 */
#include "demos.h"

#include <string.h>

#include "diag/mm_profile.h"
#include "diag_file.h"
#include "fmt/mm_fmt.h"

#ifndef MMRT_BOARD
#define MMRT_BOARD "host" /* the host build of the OOM sweep */
#endif

int demo_memory_profiler(demo_env *env);

#define ARTICLE_N 100000 /* range(100000) in the article */
#define DAT_PATH "mprofile_demo7.dat"
#define SAMPLES 200      /* about this many mprof samples over the task */

#define prof (*diag_profiler()) /* static: the profile holds no heap memory */

/* [i for i in range(n)]; MM_NULL on MemoryError. */
static mm_h list_of_range(mm_rt *rt, int32_t n)
{
    mm_h l = mm_list_new(rt, 0);
    for (int32_t i = 0; i < n && l != MM_NULL; i++) {
        mm_h v = mm_int_new(rt, i);
        if (v == MM_NULL || mm_list_append(rt, l, v) != MMO_OK) {
            mm_decref(rt, l);
            l = MM_NULL;
        }
        mm_decref(rt, v);
    }
    return l;
}

/* sum(x * 2 for x in big_list): the generator allocates no list. */
static int64_t sum_doubled(mm_rt *rt, mm_h l)
{
    int64_t sum = 0;
    size_t n = mm_list_len(rt, l);
    for (size_t i = 0; i < n; i++) {
        sum += mm_int_value(rt, mm_list_get(rt, l, i)) * 2;
    }
    return sum;
}

/* {i: str(i) for i in range(n)}; MM_NULL on MemoryError. */
static mm_h dict_of_str(mm_rt *rt, int32_t n)
{
    mm_h d = mm_dict_new(rt);
    for (int32_t i = 0; i < n && d != MM_NULL; i++) {
        char s[12];
        mm_snprintf(s, sizeof s, "%ld", (long)i);
        mm_h k = mm_int_new(rt, i), v = mm_str_from(rt, s);
        if (k == MM_NULL || v == MM_NULL || mm_dict_set(rt, d, k, v) != MMO_OK) {
            mm_decref(rt, d);
            d = MM_NULL;
        }
        mm_decref(rt, k);
        mm_decref(rt, v);
    }
    return d;
}

/* The profiled function. */
static int64_t memory_intensive_task(mm_rt *rt, int32_t n, bool *ok)
{
    MM_PROFILE_BEGIN(&prof, rt->heap);
    MM_PROFILE_LINE(&prof, mm_h big_list = list_of_range(rt, n));
    MM_PROFILE_LINE(&prof, int64_t result = sum_doubled(rt, big_list));
    MM_PROFILE_LINE(&prof, mm_h big_dict = dict_of_str(rt, n));
    *ok = big_list != MM_NULL && big_dict != MM_NULL;
    MM_PROFILE_LINE(&prof, mm_decref(rt, big_list); mm_decref(rt, big_dict)); /* return result */
    mm_profile_end(&prof);
    return result;
}

/* The range that fits in half of the free heap, at about 70 B per i
 * (list slot, int, str, dict entry at 2/3 load), and in the free handle
 * slots (two per i: an int from 257 up and a str). */
static int32_t scaled_n(const demo_env *env)
{
    mm_stats st;
    mm_get_stats(env->heap, &st);
    size_t n = (st.free_bytes + st.pool_free_bytes) / 2u / 70u;
    size_t by_slots = (mm_rt_slots(env->rt) - 1u - mm_rt_live(env->rt)) / 2u - 8u;
    n = n < by_slots ? n : by_slots;
    return (int32_t)(n < ARTICLE_N ? n : ARTICLE_N);
}

/* Do the task's list and dict of range(n) fit? A dry run, freed again. */
static bool fits(mm_rt *rt, int32_t n)
{
    mm_h l = list_of_range(rt, n);
    mm_h d = dict_of_str(rt, n);
    bool ok = l != MM_NULL && d != MM_NULL;
    mm_decref(rt, l);
    mm_decref(rt, d);
    mm_trim(rt->heap); /* the dry run's pools back: no fragments pinned by them */
    return ok;
}

int demo_memory_profiler(demo_env *env)
{
    if (MMRT_NO_DIAG_DEMOS) {
        mm_printf("%s%s\n", DEMO_MCU, L("本板 RAM 容不下分析器的静态表: 跳过",
                                         "this board's RAM has no room for the profiler's tables: skipped"));
        return 0;
    }
    int32_t n = scaled_n(env);
    while (n > 0 && !fits(env->rt, n)) { /* a small heap's pages go to pools first */
        n /= 2;
    }
    mm_printf("%srange(%ld) %s range(%d); %s\n", DEMO_MCU, (long)n,
              L("按本板内存缩小, 原文", "scaled to this board's RAM; the article:"), ARTICLE_N,
              L("Mem usage = 堆中在用的字节 (代替进程的 RSS)",
                "Mem usage = the heap's bytes in use (standing in for a process's RSS)"));
    size_t used0 = demo_used_bytes(env);
    memset(&prof, 0, sizeof prof); /* the block demo 8's tracer used */

    /* mprof run: the series covers the whole task, sampled on a grid of
     * the task's instructions (about 3,000 per i on these cores) / SAMPLES */
    int fd = diag_file_open(DAT_PATH);
    bool series = fd >= 0 && mm_mprof_start(&prof, env->heap, (uint64_t)n * 3000u / SAMPLES + 1u,
                                            "mmrt " MMRT_BOARD " demo 7", diag_file_write, &fd);
    bool ok;
    int64_t result = memory_intensive_task(env->rt, n, &ok);
    mm_profile_print(&prof);
    mm_printf("result = %lld\n", (long long)result);
    if (series) {
        bool written;
        size_t samples = mm_mprof_stop(&prof, &written);
        ok = diag_file_close(fd) == 0 && written && ok;
        /* the sample count follows the instruction count: not printed, so
         * that the output stays the same when the code gets faster */
        mm_printf("(%s %s: %s)\n", L("mprof 数据已写入", "mprof series written to"), DAT_PATH,
                  samples > 0 && written ? "ok" : "write failed");
    } else if (fd >= 0) {
        diag_file_close(fd);
    }
    DEMO_CHECK(ok);
    DEMO_CHECK(demo_used_bytes(env) == used0); /* nothing left behind */
    return 0;
}
