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
 * one block more in use while x lives, back to the same count after. The
 * frugal build (MM_CFG_FRUGAL=1) has no pools: there the heap's blocks
 * in use are watched instead (mm_get_stats), the list's and its items'.
 */
#include "demos.h"

#include "fmt/mm_fmt.h"

int demo_refcount(demo_env *env);

/* The blocks watched: the list's size class (cls), or, with no size
 * classes (cls SIZE_MAX, the frugal build), every block of the heap. */
typedef struct {
    bool pool;
    size_t block_size, in_use, free_blocks;
} watched;

static bool watch(demo_env *env, size_t cls, watched *w) {
    w->pool = cls != SIZE_MAX;
    if (!w->pool) {
        mm_stats st;
        mm_get_stats(env->heap, &st);
        w->block_size = 0;
        w->in_use = st.mid_blocks + st.large_blocks;
        w->free_blocks = 0;
        return true;
    }
    mm_size_class_stats s;
    if (!mm_get_size_class_stats(env->heap, cls, &s)) {
        return false;
    }
    w->block_size = s.block_size;
    w->in_use = s.in_use;
    w->free_blocks = s.free_blocks;
    return true;
}

static void print_pool(const char *when, const watched *s) {
    if (!s->pool) {
        mm_printf("%s %s %lu\n", when, L("堆中在用的块 (无池):", "blocks in use in the heap (no pools):"),
                  (unsigned long)s->in_use);
        return;
    }
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
    watched s;
    DEMO_CHECK(watch(env, cls, &s));
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
    size_t cls = mm_size_class(ps.requested); /* SIZE_MAX: no pools */
    DEMO_CHECK(cls != SIZE_MAX || mm_size_class_count() == 0);

    watched before, after;
    DEMO_CHECK(watch(env, cls, &before));
    print_pool(L("调用前,", "before the call,"), &before);
    int rc = ref_count_demo(env, cls);
    DEMO_CHECK(watch(env, cls, &after));
    print_pool(L("函数返回后,", "after it returned,"), &after);
    DEMO_CHECK(after.in_use == before.in_use);
    return rc;
}
