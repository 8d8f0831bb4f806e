/*
 * demo_6_generator.c - article 3.2 (生成器与内存效率): a list of
 * 1,000,000 squares against a generator of them.
 *
 *   n = 1000000
 *   sys.getsizeof([i**2 for i in range(n)])   # the whole list
 *   sys.getsizeof((i**2 for i in range(n)))   # a constant-size generator
 *
 * No microcontroller holds that list (each square above 256 is a boxed
 * int: a block and a handle slot, plus 4 B in the item array). The demo
 * builds it anyway, as Python would; the runtime's MemoryError comes back
 * as a status (after the emergency collection), the demo catches it, drops
 * the partial list, and checks that the heap is intact and every byte is
 * back. Then mm_generator_squares yields all n squares from one 40 B
 * object; their sum is exact in 64 bits: 333332833333500000.
 */
#include "demos.h"

#include "fmt/mm_fmt.h"

int demo_generator(demo_env *env);

#define N_SQUARES 1000000
/* Heap use is read every this many squares (a power of two): often enough
 * to see growth, rarely enough not to dominate the loop's cost. */
#define USED_SAMPLE_EVERY 1024

/* [i**2 for i in range(n)] into list l; returns MMO_OK, or the
 * MemoryError status with *done = the items appended before it. */
static mm_status squares_list(mm_rt *rt, mm_h l, int64_t n, int64_t *done) {
    for (int64_t i = 0; i < n; i++) {
        mm_h sq = mm_int_new(rt, i * i);
        if (sq == MM_NULL) {
            *done = i;
            return mm_rt_error(rt);
        }
        mm_status st = mm_list_append(rt, l, sq);
        mm_decref(rt, sq);
        if (st != MMO_OK) {
            *done = i;
            return st;
        }
    }
    *done = n;
    return MMO_OK;
}

/* The list's least RAM: its item array, and a box and a handle slot for
 * every square outside the small-int cache (read from one real box). */
static int64_t list_bytes_needed(mm_rt *rt, int64_t n) {
    int64_t cached = 0;
    while (cached < n && cached * cached <= MM_SMALL_INT_MAX) {
        cached++;
    }
    mm_h box = mm_int_new(rt, MM_SMALL_INT_MAX + 1);
    mm_sizeof s = {0, 0, 0};
    if (box == MM_NULL || mm_getsizeof(rt, box, &s) != MMO_OK) {
        return -1;
    }
    mm_decref(rt, box);
    return n * (int64_t)sizeof(mm_h) + (n - cached) * (int64_t)(s.block + s.handle);
}

static int list_part(demo_env *env) {
    mm_rt *rt = env->rt;
    size_t used0 = demo_used_bytes(env);
    mm_h l = mm_list_new(rt, 0);
    DEMO_CHECK(l != MM_NULL);
    int64_t done = 0;
    mm_status st = squares_list(rt, l, N_SQUARES, &done);
    if (st == MMO_OK) {
        mm_sizeof s;
        DEMO_CHECK(mm_getsizeof(rt, l, &s) == MMO_OK);
        mm_printf("%s %lu %s\n", L("列表占用内存:", "list memory:"), (unsigned long)s.block,
                  L("字节", "bytes"));
        mm_decref(rt, l);
        return 0;
    }
    DEMO_CHECK(mm_is_memory_error(st));
    size_t used_at_error = demo_used_bytes(env) - used0;
    mm_decref(rt, l);
    mm_report hr;
    bool intact = mm_check(env->heap, &hr) && demo_used_bytes(env) == used0;
    mm_printf("%s %s, %s %lld %s %lu %s\n", L("列表占用内存:", "list memory:"),
              mm_status_str(st), L("在第", "after"), (long long)done,
              L("项时已用", "items, with"), (unsigned long)used_at_error, L("字节", "bytes"));
    mm_printf("%s %s\n", L("捕获 MemoryError 后堆完好, 字节全部归还:",
                           "MemoryError caught; heap intact, every byte back:"),
              demo_bool(intact));
    mm_printf("%s%s %d %s %lld %s %lu %s\n", DEMO_MCU, L("列表", "a list of"), N_SQUARES,
              L("项至少需要", "squares needs at least"), (long long)list_bytes_needed(rt, N_SQUARES),
              L("字节, 而整个堆只有", "bytes; the whole heap is"), (unsigned long)env->region_size,
              L("字节", "bytes"));
    DEMO_CHECK(intact);
    return 0;
}

static int generator_part(demo_env *env) {
    mm_rt *rt = env->rt;
    if (mm_rt_slots(rt) < DEMO_MIN_SLOTS) { /* the 8 KiB board */
        mm_printf("%s%s %d %s %lu %s (%lu B); %s %lu: %s\n", DEMO_MCU,
                  L("生成器的", "the generator's"), N_SQUARES,
                  L("个整数需要", "ints need"), (unsigned long)DEMO_MIN_SLOTS,
                  L("个句柄槽", "handle slots"),
                  (unsigned long)(DEMO_MIN_SLOTS * sizeof(mm_slot)),
                  L("本板只有", "this board has"), (unsigned long)mm_rt_slots(rt),
                  L("跳过", "skipped"));
        return 0;
    }
    mm_h g = mm_generator_squares(rt, N_SQUARES);
    DEMO_CHECK(g != MM_NULL);
    mm_sizeof s;
    DEMO_CHECK(mm_getsizeof(rt, g, &s) == MMO_OK);
    mm_printf("%s %lu %s   (%s %lu %s)\n", L("生成器占用内存:", "generator memory:"),
              (unsigned long)s.block, L("字节", "bytes"), L("另加句柄槽", "plus the handle slot"),
              (unsigned long)s.handle, L("字节", "bytes"));
    size_t used_start = demo_used_bytes(env), used_max = used_start;
    int64_t sum = 0, count = 0;
    mm_h v;
    mm_status st;
    while ((st = mm_iter_next(rt, g, &v)) == MMO_OK) {
        if ((count & (USED_SAMPLE_EVERY - 1)) == 0) {
            size_t u = demo_used_bytes(env);
            used_max = u > used_max ? u : used_max;
        }
        sum += mm_int_value(rt, v);
        count++;
        mm_decref(rt, v);
    }
    mm_decref(rt, g);
    DEMO_CHECK(st == MMO_STOP);
    mm_printf("%s %lld %s, %s %lld\n", L("生成器产出", "the generator yielded"), (long long)count,
              L("个平方数", "squares"), L("总和", "sum"), (long long)sum);
    mm_printf("%s %lu %s\n", L("迭代时堆内存最多多用", "heap in use while iterating: at most"),
              (unsigned long)(used_max - used_start), L("字节 (常数)", "bytes more (constant)"));
    return 0;
}

int demo_generator(demo_env *env) {
    int rc = list_part(env);
    return rc != 0 ? rc : generator_part(env);
}
