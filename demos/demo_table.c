/*
 * demo_table.c - every demo the firmware carries, in docs/DEMOS.md order:
 * one line per demo.
 */
#include "demos.h"

int demo_id(demo_env *env);
int demo_refcount(demo_env *env);
int demo_gc(demo_env *env);
int demo_small_int(demo_env *env);
int demo_slots(demo_env *env);
int demo_generator(demo_env *env);
int demo_memory_profiler(demo_env *env);
int demo_tracemalloc(demo_env *env);
int demo_large_file(demo_env *env);
int demo_lru_cache(demo_env *env);

const demo demo_table[] = {
    {1, "id", "1.1 内存分配", "1.1 memory allocation", demo_id},
    {2, "refcount", "1.2 引用计数", "1.2 reference counting", demo_refcount},
    {3, "gc", "2.1 分代回收", "2.1 generational collection", demo_gc},
    {4, "small_int", "2.2 小整数对象池", "2.2 the small-int pool", demo_small_int},
    {5, "slots", "3.1 __slots__", "3.1 __slots__", demo_slots},
    {6, "generator", "3.2 生成器", "3.2 generators", demo_generator},
    {7, "memory_profiler", "4.1 使用memory_profiler分析内存", "4.1 memory_profiler", demo_memory_profiler},
    {8, "tracemalloc", "4.2 使用tracemalloc跟踪内存分配", "4.2 tracemalloc", demo_tracemalloc},
    {9, "large_file", "5.1 大文件处理", "5.1 large files", demo_large_file},
    {10, "lru_cache", "5.2 functools.lru_cache", "5.2 functools.lru_cache", demo_lru_cache},
};
const size_t demo_count = sizeof demo_table / sizeof demo_table[0];
