/*
 * demo_3_gc.c - article 2.1 (分代回收): a reference cycle that refcounting
 * cannot free, and gc.collect() freeing it.
 *
 *   class Node:
 *       def __init__(self, name):
 *           self.name = name
 *           self.next = None
 *   node1 = Node("节点1"); node2 = Node("节点2")
 *   node1.next = node2; node2.next = node1
 *   del node1; del node2
 *   print(f"回收的垃圾对象数量: {gc.collect()}")    # 2
 *
 * Node is a regular class: its instances keep their attribute values
 * inline and share the class's keys (as CPython 3.11+), so no __dict__
 * object exists; mm_gc_collect counts as CPython does (an instance's own
 * __dict__, had one been made, would count as part of it): 2. The bytes in use are read before, after the dels, and
 * after the collection.
 */
#include "demos.h"

#include "fmt/mm_fmt.h"

int demo_gc(demo_env *env);

static const mm_class node_class = {"Node", 0, NULL, true};

/* Node(name): NEW instance, or MM_NULL on MemoryError. */
static mm_h node_new(mm_rt *rt, uint32_t cls, const char *name) {
    mm_h n = mm_inst_new(rt, cls);
    mm_h s = mm_str_from(rt, name);
    /* self.next = None: the runtime has no None object; an unset
     * attribute reads back as MM_NULL, and `next` is set below. */
    if (n == MM_NULL || s == MM_NULL || mm_inst_setattr(rt, n, "name", s) != MMO_OK) {
        mm_decref(rt, s);
        mm_decref(rt, n);
        return MM_NULL;
    }
    mm_decref(rt, s);
    return n;
}

int demo_gc(demo_env *env) {
    mm_rt *rt = env->rt;
    uint32_t cls = mm_class_register(rt, &node_class);
    DEMO_CHECK(cls != 0);
    size_t used0 = demo_used_bytes(env);
    uint32_t live0 = mm_rt_live(rt);

    mm_h node1 = node_new(rt, cls, "节点1");
    mm_h node2 = node_new(rt, cls, "节点2");
    if (node1 == MM_NULL || node2 == MM_NULL ||
        mm_inst_setattr(rt, node1, "next", node2) != MMO_OK ||
        mm_inst_setattr(rt, node2, "next", node1) != MMO_OK) { /* MemoryError */
        mm_decref(rt, node2);
        mm_decref(rt, node1);
        (void)mm_gc_collect(env->gc, 2, NULL); /* a half-made cycle, if any */
        return DEMO_FAIL("MemoryError building the nodes");
    }
    mm_printf("%s %lu %s, %lu %s\n", L("两个节点互相引用:", "two nodes point at each other:"),
              (unsigned long)(mm_rt_live(rt) - live0), L("个对象", "objects"),
              (unsigned long)(demo_used_bytes(env) - used0), L("字节", "bytes"));
    mm_decref(rt, node1); /* del node1 */
    mm_decref(rt, node2); /* del node2 */
    mm_printf("%s %lu %s, %lu %s\n", L("del 之后仍在使用:", "still in use after del:"),
              (unsigned long)(mm_rt_live(rt) - live0), L("个对象", "objects"),
              (unsigned long)(demo_used_bytes(env) - used0), L("字节", "bytes"));

    mm_gc_result res;
    uint32_t collected = mm_gc_collect(env->gc, 2, &res);
    mm_printf("%s %lu\n", L("回收的垃圾对象数量:", "garbage objects collected:"),
              (unsigned long)collected);
    mm_printf("%s %lu %s, %lu %s\n", L("gc.collect() 之后:", "after gc.collect():"),
              (unsigned long)(mm_rt_live(rt) - live0), L("个对象", "objects"),
              (unsigned long)(demo_used_bytes(env) - used0), L("字节", "bytes"));
    mm_printf("%s%s %lu (%s %lu, %s %lu %s)\n", DEMO_MCU,
              L("连同节点的名字和属性名, 共释放对象", "with the nodes' names and attribute names, objects freed:"),
              (unsigned long)res.freed, L("字典", "dicts"), (unsigned long)res.managed_dicts,
              L("耗时", "cost"), (unsigned long)res.instructions, L("条指令", "instructions"));
    DEMO_CHECK(res.status == MM_GC_OK);
    return 0;
}
