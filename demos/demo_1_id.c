/*
 * demo_1_id.c - article 1.1 (内存分配): two names, one object.
 *
 *   a = 10          # the runtime hands out the object 10
 *   b = a           # b names the same object
 *   print(id(a))
 *   print(id(b))    # the same id
 *
 * id() is the handle (mm_id), the object's identity for its whole life.
 * 10 is a cached small int: its object is a const in flash, so the handle
 * names a flash address and the object costs no RAM. A value outside the
 * cache (1000) is boxed on the heap: its handle names a RAM block and a
 * handle-table slot, both read back here.
 */
#include "demos.h"

#include "fmt/mm_fmt.h"

int demo_id(demo_env *env);

int demo_id(demo_env *env) {
    mm_rt *rt = env->rt;
    mm_h a = mm_int_new(rt, 10);
    mm_h b = a;
    mm_incref(rt, b);
    mm_printf("id(a) = %lu\n", (unsigned long)mm_id(a));
    mm_printf("id(b) = %lu\n", (unsigned long)mm_id(b));
    mm_printf("%s %s\n", L("a和b是同一个对象吗?", "are a and b the same object?"),
              demo_bool(mm_is(a, b)));
    mm_sizeof sa;
    DEMO_CHECK(mm_getsizeof(rt, a, &sa) == MMO_OK);
    mm_printf("%s%s %p, %s %lu %s\n", DEMO_MCU,
              L("10 是缓存的小整数: 对象在 flash 中, 地址", "10 is a cached small int: its object is in flash at"),
              (const void *)mm_obj_ptr(rt, a), L("占用 RAM", "RAM used:"),
              (unsigned long)sa.block + (unsigned long)sa.handle, L("字节", "bytes"));
    mm_decref(rt, b);
    mm_decref(rt, a);

    mm_h c = mm_int_new(rt, 1000);
    DEMO_CHECK(c != MM_NULL);
    mm_h d = c;
    mm_incref(rt, d);
    mm_sizeof sc;
    DEMO_CHECK(mm_getsizeof(rt, c, &sc) == MMO_OK);
    mm_printf("id(c) = %lu, id(d) = %lu, c is d: %s\n", (unsigned long)mm_id(c),
              (unsigned long)mm_id(d), demo_bool(mm_is(c, d)));
    mm_printf("%s%s %p, %s %lu + %lu %s\n", DEMO_MCU,
              L("1000 在堆上: 块地址", "1000 lives on the heap: block at"),
              (const void *)mm_obj_ptr(rt, c), L("块 + 句柄槽", "block + handle slot"),
              (unsigned long)sc.block, (unsigned long)sc.handle, L("字节", "bytes"));
    mm_decref(rt, d);
    mm_decref(rt, c);
    return 0;
}
