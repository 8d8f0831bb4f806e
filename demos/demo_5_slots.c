/*
 * demo_5_slots.c - article 3.1 (__slots__): a regular instance (with a
 * per-instance __dict__) against a slots instance.
 *
 *   class RegularUser:                      # name, age in self.__dict__
 *   class SlotUser: __slots__ = ['name', 'age']
 *   sys.getsizeof(regular) + sys.getsizeof(regular.__dict__)
 *   sys.getsizeof(slot)
 *
 * Each size is mm_getsizeof of the real objects: the bytes requested from
 * the allocator and the size-class blocks actually reserved (object block
 * plus private bodies such as the dict's table), with the handle slot
 * beside it. A regular instance holds its attribute values inline and
 * shares its class's keys (as CPython 3.11+); its __dict__ is made only
 * when asked for, which the last line does and measures. The attribute values (a str and the cached 30) are children,
 * not counted, as in CPython.
 */
#include "demos.h"

#include "fmt/mm_fmt.h"

int demo_slots(demo_env *env);

static const char *const user_slots[] = {"name", "age"};
static const mm_class regular_user = {"RegularUser", 0, NULL, true};
static const mm_class slot_user = {"SlotUser", 2, user_slots, false};

/* cls(name, age): NEW instance with both attributes set, or MM_NULL. */
static mm_h user_new(mm_rt *rt, uint32_t cls, const char *name, int64_t age) {
    mm_h u = mm_inst_new(rt, cls);
    mm_h s = mm_str_from(rt, name);
    mm_h a = mm_int_new(rt, age);
    bool ok = u != MM_NULL && s != MM_NULL && a != MM_NULL &&
              mm_inst_setattr(rt, u, "name", s) == MMO_OK &&
              mm_inst_setattr(rt, u, "age", a) == MMO_OK;
    mm_decref(rt, a);
    mm_decref(rt, s);
    if (!ok) {
        mm_decref(rt, u);
        return MM_NULL;
    }
    return u;
}

static void print_size(const char *label, const mm_sizeof *s) {
    mm_printf("%s %lu %s   (%s %lu %s, %s %lu %s)\n", label, (unsigned long)s->block,
              L("字节", "bytes"), L("请求", "requested"), (unsigned long)s->requested,
              L("字节", "bytes"), L("另加句柄槽", "plus the handle slot"),
              (unsigned long)s->handle, L("字节", "bytes"));
}

int demo_slots(demo_env *env) {
    mm_rt *rt = env->rt;
    uint32_t rc_id = mm_class_register(rt, &regular_user);
    uint32_t sc_id = mm_class_register(rt, &slot_user);
    DEMO_CHECK(rc_id != 0 && sc_id != 0);
    mm_h regular = user_new(rt, rc_id, "十一剑", 30);
    mm_h slot = user_new(rt, sc_id, "十一剑的CS_DN博客", 30);
    if (regular == MM_NULL || slot == MM_NULL) { /* MemoryError: drop the other */
        mm_decref(rt, slot);
        mm_decref(rt, regular);
        return DEMO_FAIL("MemoryError creating the users");
    }

    /* The regular instance as it is: its values inline, sharing the
     * class's keys; no __dict__ object exists until one is asked for. */
    mm_sizeof ri, rd, si;
    DEMO_CHECK(mm_getsizeof(rt, regular, &ri) == MMO_OK);
    DEMO_CHECK(mm_getsizeof(rt, slot, &si) == MMO_OK);
    mm_sizeof regular_size = ri;
    print_size(L("常规类内存占用:", "regular class instance:"), &regular_size);
    print_size(L("__slots__类内存占用:", "__slots__ class instance:"), &si);
    /* regular.__dict__: made now, the values move into it */
    mm_h dict = mm_inst_dict(rt, regular); /* borrowed: the instance holds it */
    if (dict == MM_NULL) { /* MemoryError: the users go back before failing */
        mm_decref(rt, slot);
        mm_decref(rt, regular);
        return DEMO_FAIL("MemoryError making regular.__dict__");
    }
    DEMO_CHECK(mm_getsizeof(rt, regular, &ri) == MMO_OK);
    DEMO_CHECK(mm_getsizeof(rt, dict, &rd) == MMO_OK);
    mm_printf("%s%s %lu %s; %s %lu + __dict__ %lu %s\n", DEMO_MCU,
              L("32 位句柄, 8 字节尺寸类; 常规类: 属性值存于实例内, 键由类共享:",
                "32-bit handles, 8-byte size classes; regular = values inline, keys shared by the class:"),
              (unsigned long)regular_size.block, L("字节", "bytes"),
              L("访问 __dict__ 后: 实例", "after __dict__: instance"),
              (unsigned long)ri.block, (unsigned long)rd.block, L("字节", "bytes"));
    /* slots save the 4 B of the odd value word (the regular width is odd:
     * 3 words for 2 attributes) and never need a dict */
    DEMO_CHECK(si.requested < regular_size.requested && si.block <= regular_size.block);
    mm_decref(rt, slot);
    mm_decref(rt, regular);
    return 0;
}
