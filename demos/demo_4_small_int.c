/*
 * demo_4_small_int.c - article 2.2 (内存池机制 / 小整数对象池): `is` on
 * cached and uncached ints.
 *
 *   a = 10;   b = 10;   a is b    # True:  cached
 *   c = 1000; d = 1000; c is d    # False at the interactive prompt
 *   e = 256;  f = 256;  e is f    # True:  the cache ends at 256
 *   g = 257;  h = 257;  g is h    # False
 *
 * mm_int_new hands out the cached immortal for -5..256 (consts in flash)
 * and a fresh box otherwise, as CPython does when each value is typed at
 * the prompt. (Inside one compiled function CPython shares the constant,
 * so c is d and g is h come out True there; the demo models the prompt,
 * the case the article's answers describe.)
 */
#include "demos.h"

#include "fmt/mm_fmt.h"

int demo_small_int(demo_env *env);

typedef struct int_pair_case {
    const char *label_zh, *label_en;
    int64_t value;
} int_pair_case;

static const int_pair_case cases[] = {
    {"a和b是同一个对象吗?", "are a and b the same object?", 10},
    {"c和d是同一个对象吗?", "are c and d the same object?", 1000},
    {"e和f是同一个对象吗?", "are e and f the same object?", 256},
    {"g和h是同一个对象吗?", "are g and h the same object?", 257},
};

int demo_small_int(demo_env *env) {
    mm_rt *rt = env->rt;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mm_h x = mm_int_new(rt, cases[i].value);
        mm_h y = mm_int_new(rt, cases[i].value);
        if (x == MM_NULL || y == MM_NULL) { /* MemoryError: drop the other */
            mm_decref(rt, y);
            mm_decref(rt, x);
            return DEMO_FAIL("MemoryError creating the ints");
        }
        mm_sizeof sx;
        DEMO_CHECK(mm_getsizeof(rt, x, &sx) == MMO_OK);
        mm_printf("%s %s   (%lld: %s, %lu %s)\n", L(cases[i].label_zh, cases[i].label_en),
                  demo_bool(mm_is(x, y)), (long long)mm_int_value(rt, x),
                  mm_h_is_immortal(x) ? L("flash 中的缓存对象", "cached object in flash")
                                      : L("堆上的新对象", "new object on the heap"),
                  (unsigned long)sx.block + (unsigned long)sx.handle, L("字节 RAM", "bytes of RAM"));
        mm_decref(rt, y);
        mm_decref(rt, x);
    }
    mm_printf("%s%s %d..%d, %lu %s\n", DEMO_MCU,
              L("小整数缓存", "small-int cache"), MM_SMALL_INT_MIN, MM_SMALL_INT_MAX,
              (unsigned long)MM_SMALL_INT_COUNT,
              L("个对象都是 flash 中的常量, 不占 RAM; 按交互式提示符的语义 (函数内 CPython 共享常量, c is d 为 True)",
                "objects, all consts in flash, no RAM; modelled as typed at the prompt (inside a function CPython shares constants: c is d is True)"));
    return 0;
}
