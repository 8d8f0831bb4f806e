/*
 * demo_2_refcount.c - article 1.2 (引用计数): count, del, and the block
 * going back to its pool when the function returns.
 *
 *   def ref_count_demo():
 *       x = [1, 2, 3]
 *       y = x
 *       print("引用计数:", sys.getrefcount(x) - 1)      # 2
 *       del y
 *       print("删除y后引用计数:", sys.getrefcount(x) - 1)  # 1
 *
 * mm_refcount is the true count (sys.getrefcount without its temporary).
 * The list object's size class is watched with mm_get_size_class_stats:
 * one block more in use while x lives, back to the same count after.
 */
#include "demos.h"

#include "fmt/mm_fmt.h"

int demo_refcount(demo_env *env);

static void print_pool(const char *when, const mm_size_class_stats *s) {
    mm_printf("%s %lu %s %lu %s, %lu %s\n", when, (unsigned long)s->block_size,
              L("字节块的池:", "B blocks, their pool:"), (unsigned long)s->in_use,
              L("块在用", "in use"), (unsigned long)s->free_blocks, L("块空闲", "free"));
}

/* The body of ref_count_demo(); returns 0 or a failed check. */
static int ref_count_demo(demo_env *env, size_t cls) {
    mm_rt *rt = env->rt;
    mm_h x = mm_list_new(rt, 0);
    DEMO_CHECK(x != MM_NULL);
    for (int32_t v = 1; v <= 3; v++) {
        if (mm_list_append(rt, x, mm_small_int(v)) != MMO_OK) { /* MemoryError */
            mm_decref(rt, x);
            return DEMO_FAIL("MemoryError growing the list");
        }
    }
    mm_h y = x;
    mm_incref(rt, y);
    mm_printf("%s %lu\n", L("引用计数:", "refcount:"), (unsigned long)mm_refcount(rt, x));
    mm_decref(rt, y); /* del y */
    mm_printf("%s %lu\n", L("删除y后引用计数:", "refcount after del y:"),
              (unsigned long)mm_refcount(rt, x));
    mm_size_class_stats s;
    DEMO_CHECK(mm_get_size_class_stats(env->heap, cls, &s));
    print_pool(L("函数内,", "inside the function,"), &s);
    mm_decref(rt, x); /* the function returns: x goes, the count reaches 0 */
    return 0;
}

int demo_refcount(demo_env *env) {
    mm_rt *rt = env->rt;
    /* The class of a list object's block, from a real list's size. */
    mm_h probe = mm_list_new(rt, 0);
    DEMO_CHECK(probe != MM_NULL);
    mm_sizeof ps;
    DEMO_CHECK(mm_getsizeof(rt, probe, &ps) == MMO_OK);
    mm_decref(rt, probe);
    size_t cls = mm_size_class(ps.requested);
    DEMO_CHECK(cls != SIZE_MAX);

    mm_size_class_stats before, after;
    DEMO_CHECK(mm_get_size_class_stats(env->heap, cls, &before));
    print_pool(L("调用前,", "before the call,"), &before);
    int rc = ref_count_demo(env, cls);
    DEMO_CHECK(mm_get_size_class_stats(env->heap, cls, &after));
    print_pool(L("函数返回后,", "after it returned,"), &after);
    DEMO_CHECK(after.in_use == before.in_use);
    return rc;
}
