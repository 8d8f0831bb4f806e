/*
 * types_int.h - the types' internals: the inline creation paths that
 * mm_types.h declares (mm_int_new, mm_inst_new_at), the layouts the
 * collector reads directly (list, instance fields) and the accessors the
 * other types use. Included at the end of mm_types.h. Everything named
 * mm__ is internal.
 */
#ifndef MM_TYPES_INT_H
#define MM_TYPES_INT_H

#include "types/mm_types.h"

/* Internal (use mm_int_new): a NEW fresh box for v, any value, even one
 * that has a cached immortal. MM_NULL on MemoryError. O(1) + A. */
mm_h mm__int_box(mm_rt *rt, int64_t v);

/* Internal: records the caller's site on rt (MM__SITE) and returns rt:
 * the constructor macros of mm_types.h call it in their first argument. */
static inline mm_rt *mm__site(mm_rt *rt, const char *file, int line)
{
    MM__SITE(rt, file, line);
    (void)file;
    (void)line;
    return rt;
}

#define MM__INT_SIZE 12u /* header, value low word, value high word */
static inline mm_h mm_int_new_at(mm_rt *rt, int64_t v, const char *file, int line)
{
    if (v >= MM_SMALL_INT_MIN && v <= MM_SMALL_INT_MAX) {
        rt->err = MMO_OK;
        return mm_small_int((int32_t)v);
    }
    mm_obj *o;
    mm_h h = mm__obj_new_fast(rt, (uint32_t)MM_T_INT << MM_HDR_TYPE_SHIFT, MM__INT_SIZE, &o);
    if (h == MM_NULL) {
        if (file != NULL) {
            MM__SITE(rt, file, line); /* the general path may be traced */
        }
        return mm__int_box(rt, v); /* general path: hooks, MemoryError */
    }
    uint32_t *w = (uint32_t *)(void *)o;
    w[1] = (uint32_t)((uint64_t)v & 0xFFFFFFFFu);
    w[2] = (uint32_t)((uint64_t)v >> 32);
    return h;
}

static inline mm_h(mm_int_new)(mm_rt *rt, int64_t v)
{
    return mm_int_new_at(rt, v, NULL, 0);
}

/* Internal: the flash table (types/int.c), for obj/obj.c and hashing. */
bool mm__small_int_valid(mm_h h);
/* mm__small_int_obj: obj/obj_int.h */
mm_h mm__small_int_handle(const mm_obj *o);
int64_t mm__int_get(const mm_obj *o);

/* Internal accessors. */
const char *mm__str_bytes(const mm_obj *o, size_t *n);
uint32_t mm__str_hash(const mm_obj *o);

/* Internal: BORROWED interned str of bytes s[0..n) (hash: their
 * mm_fnv1a), or MM_NULL; never allocates. */
mm_h mm__str_intern_find(const mm_rt *rt, const char *s, size_t n, uint32_t hash);
/* Internal: NEW reference to the interned str of s[0..n) (hash: their
 * mm_fnv1a), made and interned if absent; MM_NULL on error (rt->err). */
mm_h mm__str_intern_bytes(mm_rt *rt, const char *s, size_t n, uint32_t hash);
/* Internal (obj/obj.c, the leaf death path): str o dies; if interned,
 * its entry leaves the table. Never allocates. */
void mm__str_dying(mm_rt *rt, mm_obj *o);

/* Internal (types/list.c, the collector's per-type fast path): the fixed part
 * of a list object; body holds len handles (cap allocated), or is NULL. */
typedef struct mm__list {
    mm_obj head;
    uint32_t len;
    uint32_t cap;
    void *body;
} mm__list;

/* Internal (the collector, types/inst.c, obj/obj.c): the handle fields
 * of every instance of class id `type`: nslots slots, or the class's
 * width (its value words, mm__class_state; 0 with no live instance). */
static inline uint32_t mm__class_nfields(const mm_rt *rt, uint32_t type)
{
    const mm_class *c = mm_class_of_id(rt, type);
    const mm__class_state *cs = rt->cls[type - MM_T_CLASS0];
    return !c->has_dict ? c->nslots : cs != NULL ? cs->width : 0u;
}

/* Internal (the collector, obj/obj.c): n instances of dict class `type`
 * died without their type's destroy (freed in place); the class's state
 * and keys go with its last instance. */
void mm__class_died(mm_rt *rt, uint32_t type, uint32_t n);

/* Internal (types/inst.c, obj/obj.c): the fields of an instance, right after
 * its header: nslots handles, or a dict class's width value words (field
 * 0 its own dict's handle with bit 31 set once it has one). */
static inline mm_h *mm__inst_fields(mm_obj *o)
{
    return (mm_h *)(void *)(o + 1);
}

/* Internal (use mm_inst_new): the general creation path (any class,
 * hooks, MemoryError, misuse reports). */
mm_h mm__inst_new_at(mm_rt *rt, uint32_t cls, const char *file, int line);

/* mm_inst_new_at (mm_types.h): an instance of a class of rt->inst16
 * made inline by mm__obj_new_fast. */
static inline mm_h mm_inst_new_at(mm_rt *rt, uint32_t cls, const char *file, int line)
{
    uint32_t mask = rt->inst16; /* 0 while a collector hook is attached */
    if (__builtin_expect(cls < 32u && ((mask << cls) & MM_META_SIGN) != 0, 1)) {
        mm_obj *o;
        uint32_t hdr = cls << MM_HDR_TYPE_SHIFT | MM_HDR_TRACKED;
        MM__OPAQUE(hdr); /* one value, hoisted whole out of loops */
        mm_h h = mm__obj_new_fast(rt, hdr, MM__INST16_SIZE, &o);
        if (h != MM_NULL) {
            MM__PAIR_STORE_AT(o, 4, MM_NULL, MM_NULL);
            return h;
        }
    }
    return mm__inst_new_at(rt, cls, file, line);
}

#endif /* MM_TYPES_INT_H */
