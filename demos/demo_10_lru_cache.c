/*
 * demo_10_lru_cache.c - article 5.2 (缓存优化实践): fib(n) plain against
 * fib through functools.lru_cache, each timed.
 *
 *   def fib(n):        return n if n < 2 else fib(n-1) + fib(n-2)
 *   @functools.lru_cache(maxsize=...)
 *   def fib_cached(n): return n if n < 2 else fib_cached(n-1) + fib_cached(n-2)
 *   print(fib_cached.cache_info())
 *
 * Both work on int objects of the runtime, as Python's do (boxes above
 * 256, cached small ints below). The time is the instruction count
 * (counter_instructions: under QEMU -icount one instruction is one ns).
 * The cache is the runtime's bounded LRU (mm_lru_*) on the heap; the
 * article's maxsize=None has no bound, which a microcontroller cannot
 * offer, so the cache is bounded at CACHE_MAXSIZE entries (more than the
 * N + 1 values fib_cached(N) stores, so the answer and the counts are
 * CPython's). The recursion depth is N.
 */
#include <string.h>

#include "demos.h"

#include "fmt/mm_fmt.h"
#include "kernel.h"

int demo_lru_cache(demo_env *env);

/* fib(N) makes about 2 * fib(N) calls: N = 22 is 57,313 calls, a few
 * million instructions, far under a second under QEMU. */
#define N 22
#define CACHE_MAXSIZE 32u

/* a + b as a NEW int (MM_NULL if either is MM_NULL or on MemoryError);
 * drops a and b. Out of line, like the lookups below, so that the
 * recursive functions keep small frames: the stack holds N of each. */
static __attribute__((noinline)) mm_h add_drop(mm_rt *rt, mm_h a, mm_h b) {
    mm_h r = a != MM_NULL && b != MM_NULL
                 ? mm_int_new(rt, mm_int_value(rt, a) + mm_int_value(rt, b))
                 : MM_NULL;
    mm_decref(rt, b);
    mm_decref(rt, a);
    return r;
}

/* mm_int_new out of line (see add_drop). */
static __attribute__((noinline)) mm_h int_new(mm_rt *rt, int64_t n) { return mm_int_new(rt, n); }

/* fib(n): NEW int, or MM_NULL on MemoryError. */
static mm_h fib(mm_rt *rt, int64_t n) {
    if (n < 2) {
        return int_new(rt, n);
    }
    mm_h a = fib(rt, n - 1);
    return add_drop(rt, a, a != MM_NULL ? fib(rt, n - 2) : MM_NULL);
}

/* The cached value for n as a NEW reference (a hit), or MM_NULL (a miss,
 * or *failed on MemoryError). */
static __attribute__((noinline)) mm_h cache_get(mm_rt *rt, mm_h c, int64_t n, bool *failed) {
    mm_h key = mm_int_new(rt, n);
    *failed = key == MM_NULL;
    mm_h r = key != MM_NULL ? mm_lru_get(rt, c, key) : MM_NULL;
    mm_incref(rt, r);
    mm_decref(rt, key);
    return r;
}

/* Stores n -> r (borrowed) in c; returns r, or MM_NULL (r dropped) if r
 * is MM_NULL or on MemoryError. */
static __attribute__((noinline)) mm_h cache_put(mm_rt *rt, mm_h c, int64_t n, mm_h r) {
    mm_h key = r != MM_NULL ? mm_int_new(rt, n) : MM_NULL;
    if (key == MM_NULL || mm_lru_put(rt, c, key, r) != MMO_OK) {
        mm_decref(rt, r);
        r = MM_NULL;
    }
    mm_decref(rt, key);
    return r;
}

/* fib_cached(n) through cache c: NEW int, or MM_NULL on MemoryError. */
static mm_h fib_cached(mm_rt *rt, mm_h c, int64_t n) {
    bool failed;
    mm_h r = cache_get(rt, c, n, &failed);
    if (r != MM_NULL || failed) {
        return r;
    }
    if (n < 2) {
        r = int_new(rt, n);
    } else {
        mm_h a = fib_cached(rt, c, n - 1);
        r = add_drop(rt, a, a != MM_NULL ? fib_cached(rt, c, n - 2) : MM_NULL);
    }
    return cache_put(rt, c, n, r);
}

static void print_result(const char *label, mm_rt *rt, mm_h r, uint64_t instructions) {
    mm_printf("%s %s=%lld, %s=%llu %s\n", label, L("结果", "result"),
              (long long)mm_int_value(rt, r), L("耗时", "time"),
              (unsigned long long)instructions, demo_unit());
}

int demo_lru_cache(demo_env *env) {
    mm_rt *rt = env->rt;
    mm_printf("%s n=%d\n", L("性能比较:", "performance comparison:"), N);

    uint64_t t0 = counter_instructions();
    mm_h r = fib(rt, N);
    uint64_t t1 = counter_instructions();
    DEMO_CHECK(r != MM_NULL);
    print_result(L("普通版本:", "plain version:"), rt, r, t1 - t0);
    int64_t plain = mm_int_value(rt, r);
    mm_decref(rt, r);

    mm_h cache = mm_lru_new(rt, CACHE_MAXSIZE);
    DEMO_CHECK(cache != MM_NULL);
    t0 = counter_instructions();
    r = fib_cached(rt, cache, N);
    t1 = counter_instructions();
    if (r == MM_NULL) { /* MemoryError: the cache goes too */
        mm_decref(rt, cache);
        return DEMO_FAIL("MemoryError in fib_cached");
    }
    print_result(L("缓存版本:", "cached version:"), rt, r, t1 - t0);
    DEMO_CHECK(mm_int_value(rt, r) == plain);
    mm_decref(rt, r);

    mm_lru_info info;
    DEMO_CHECK(mm_lru_cache_info(rt, cache, &info) == MMO_OK);
    mm_printf("CacheInfo(hits=%lu, misses=%lu, maxsize=%lu, currsize=%lu)\n",
              (unsigned long)info.hits, (unsigned long)info.misses,
              (unsigned long)info.maxsize, (unsigned long)info.currsize);
    mm_sizeof s;
    DEMO_CHECK(mm_getsizeof(rt, cache, &s) == MMO_OK);
    mm_printf("%s%s maxsize=%lu, %s %lu %s\n", DEMO_MCU,
              L("maxsize=None (无界) 在单片机上不可行, 缓存有界:", "maxsize=None (unbounded) does not fit a microcontroller; the cache is bounded:"),
              (unsigned long)info.maxsize, L("在堆上占", "on the heap it takes"),
              (unsigned long)s.block, L("字节", "bytes"));
    mm_printf("%s%s %s%s\n", DEMO_MCU, L("耗时单位:", "time is counted in"), demo_unit(),
              strcmp(counter_unit(), "cycles") == 0
                  ? " (DWT CYCCNT)"
                  : L(" (QEMU -icount: 1 条指令 = 1 ns)", " (QEMU -icount: 1 instruction = 1 ns)"));
    mm_decref(rt, cache);
    return 0;
}
