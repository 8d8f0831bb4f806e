/*
 * types/inst.c - instances of registered classes: fixed slots or a dict.
 *
 * A class is a type: mm_class_register gives it a type id (16..), so the
 * header alone says which class an instance belongs to and no class
 * pointer is stored. Layout: [header][field 0]...[field n-1], 4 B each:
 * a slots class has n = nslots handles (2 slots: 12 B requested, a 16 B
 * block); a dict class has n = 1, the handle of its __dict__ (8 B block,
 * plus the dict object). Unset slots hold MM_NULL. Classes of 2 slots
 * are created inline (mm_inst_new_at, mm_types.h) and freed inline when
 * both fields are null or immortal (obj/obj.c's zero_reached); this
 * file's mm__inst_new_at is the general path, which takes the 16 B
 * class as a constant for 2 or 3 slots.
 * Bounds: new O(nslots) + A (+ a dict); slot access O(1); attribute by
 * name O(nslots) string compares, or a dict lookup.
 */
#include "types/mm_types.h"

#include <stddef.h>
#include <string.h>

#include "mm_port.h"

typedef struct inst_obj {
    mm_obj head;
    mm_h f[]; /* slots, or f[0] = the dict */
} inst_obj;

static_assert(sizeof(inst_obj) == 4, "instance = header + 4 B per field");
static_assert(offsetof(inst_obj, f) == sizeof(mm_obj), "mm__inst_fields");
static_assert(sizeof(inst_obj) + 3u * sizeof(mm_h) == MM__INST16_SIZE,
              "2 or 3 slots: the 16 B block (mm__inst_new_at, zero_other)");
static_assert(sizeof(inst_obj) + MM_CFG_MAX_SLOTS * sizeof(mm_h) <= MM_CFG_SMALL_MAX,
              "a slots instance is a small block (mm__obj_new_fast)");

static inline inst_obj *as_inst(mm_obj *o) { return (inst_obj *)(void *)o; }

static uint32_t nfields(const mm_class *c) { return c->has_dict ? 1u : c->nslots; }

static const mm_class *class_of(const mm_rt *rt, const mm_obj *o)
{
    return mm_class_of_id(rt, mm_hdr_type(o));
}

mm_h mm__inst_new_at(mm_rt *rt, uint32_t cls, const char *file, int line)
{
    uint32_t k = cls - (uint32_t)MM_T_CLASS0; /* ids below wrap: too big */
    if (k >= rt->nclasses) {
        mm_port_misuse(file, line, "mm_inst_new: not a registered class id");
        rt->err = MMO_TYPE;
        return MM_NULL;
    }
    const mm_class *c = rt->classes[k]; /* as mm_class_of_id, known valid */
    if (!c->has_dict) {
        size_t size = sizeof(inst_obj) + c->nslots * sizeof(mm_h);
        uint32_t hdr = mm_hdr_make(cls, 0) | MM_HDR_TRACKED;
        mm_obj *o;
        /* 2 or 3 slots (the collector's instances are those of inst16
         * classes, made here while its hook is attached): the 16 B class,
         * a constant, so its pair is popped without address arithmetic */
        bool in16 = size - 9u <= MM__INST16_SIZE - 9u;
        mm_h h = in16 ? mm__obj_new_fast(rt, hdr, MM__INST16_SIZE, &o)
                      : mm__obj_new_fast(rt, hdr, size, &o);
        if (h == MM_NULL) {
            return mm_obj_new(rt, cls, size, NULL); /* hooks, MemoryError */
        }
        /* Every slot MM_NULL, in whole 8 B granules (the allocator rounds
         * each block up to 8 B, so this stays inside it): the second word
         * of the first granule, then whole granules; up to 3 slots, no
         * loop is entered (2 or 3 slots: a store and a doubleword). */
        uint32_t *w = (uint32_t *)(void *)o;
        w[1] = 0;
        if (in16) {
            MM__PAIR_STORE_AT(w, 8, 0u, 0u);
        } else if (size > 8u) {
            w[2] = 0;
            w[3] = 0;
            for (size_t g = 16; g < size; g += 8) {
                w[g / 4u] = 0;
                w[g / 4u + 1u] = 0;
            }
        }
        if (rt->track_hook != NULL) {
            rt->track_hook(rt, o, true); /* collector accounting */
        }
        return h;
    }
    mm_h h = mm_obj_new(rt, cls, sizeof(inst_obj) + sizeof(mm_h), NULL);
    if (h == MM_NULL) {
        return h;
    }
    mm_h d = mm_dict_new(rt);
    if (d == MM_NULL) {
        mm_decref_fast(rt, h);
        rt->err = MMO_NOMEM;
        return MM_NULL;
    }
    as_inst(rt->tab[mm_h_index(h)].obj)->f[0] = d; /* steals d's reference */
    return h;
}

static inst_obj *get_inst(const mm_rt *rt, mm_h o, const char *file, int line)
{
    return as_inst(mm_deref_type_at(rt, o, MM_T_CLASS0, file, line));
}

/* Validates a slot access: a slots instance and i < nslots. */
static inst_obj *get_slot_inst(const mm_rt *rt, mm_h o, uint32_t i,
                               const char *file, int line)
{
    inst_obj *in = get_inst(rt, o, file, line);
    if (in == NULL) {
        return NULL;
    }
    const mm_class *c = class_of(rt, &in->head);
    if (c->has_dict || i >= c->nslots) {
        mm_port_misuse(file, line, c->has_dict ? "slot access on a dict instance"
                                               : "slot index out of range");
        return NULL;
    }
    return in;
}

mm_status mm_inst_set_slot_at(mm_rt *rt, mm_h o, uint32_t i, mm_h v,
                              const char *file, int line)
{
    inst_obj *in = get_slot_inst(rt, o, i, file, line);
    if (in == NULL) {
        return rt->err = MMO_INDEX;
    }
    if (v != MM_NULL && mm_deref_at(rt, v, file, line) == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    mm_h old = in->f[i];
    mm_incref_fast(rt, v);
    in->f[i] = v;
    mm_decref_fast(rt, old);
    return rt->err = MMO_OK;
}

mm_h mm_inst_get_slot_at(const mm_rt *rt, mm_h o, uint32_t i, const char *file, int line)
{
    const inst_obj *in = get_slot_inst(rt, o, i, file, line);
    return in != NULL ? in->f[i] : MM_NULL;
}

/* Slot index of `name` in class c, or UINT32_MAX. */
static uint32_t slot_of(const mm_class *c, const char *name)
{
    for (uint32_t i = 0; c->slot_names != NULL && i < c->nslots; i++) {
        if (strcmp(c->slot_names[i], name) == 0) {
            return i;
        }
    }
    return UINT32_MAX;
}

mm_status mm_inst_setattr_at(mm_rt *rt, mm_h o, const char *name, mm_h v,
                             const char *file, int line)
{
    inst_obj *in = get_inst(rt, o, file, line);
    if (in == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    const mm_class *c = class_of(rt, &in->head);
    if (c->has_dict) {
        return mm_dict_set_str_at(rt, in->f[0], name, v, file, line);
    }
    uint32_t i = slot_of(c, name);
    if (i == UINT32_MAX) {
        mm_port_misuse(file, line, "setattr: no slot of that name (__slots__)");
        return rt->err = MMO_KEY;
    }
    return mm_inst_set_slot_at(rt, o, i, v, file, line);
}

mm_h mm_inst_getattr_at(mm_rt *rt, mm_h o, const char *name, const char *file, int line)
{
    inst_obj *in = get_inst(rt, o, file, line);
    if (in == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    const mm_class *c = class_of(rt, &in->head);
    if (c->has_dict) {
        return mm_dict_get_str_at(rt, in->f[0], name, file, line);
    }
    uint32_t i = slot_of(c, name);
    mm_h v = i != UINT32_MAX ? in->f[i] : MM_NULL;
    rt->err = v != MM_NULL ? MMO_OK : MMO_KEY;
    return v;
}

mm_h mm_inst_dict_at(const mm_rt *rt, mm_h o, const char *file, int line)
{
    const inst_obj *in = get_inst(rt, o, file, line);
    if (in == NULL || !class_of(rt, &in->head)->has_dict) {
        return MM_NULL;
    }
    return in->f[0];
}

/* ------------------------------------------------------------- the type */

static void inst_traverse(mm_rt *rt, mm_obj *o, mm_visit_fn visit, void *arg)
{
    uint32_t n = nfields(class_of(rt, o));
    for (uint32_t i = 0; i < n; i++) {
        visit(rt, as_inst(o)->f[i], arg);
    }
}

/* The fields are one array of handles: the collector reads it directly. */
static uint32_t inst_refs(const mm_rt *rt, const mm_obj *o, const mm_h **out)
{
    *out = ((const inst_obj *)(const void *)o)->f;
    return nfields(class_of(rt, o));
}

static void inst_clear(mm_rt *rt, mm_obj *o)
{
    uint32_t n = nfields(class_of(rt, o));
    for (uint32_t i = 0; i < n; i++) {
        mm_h x = as_inst(o)->f[i];
        as_inst(o)->f[i] = MM_NULL;
        mm_decref_fast(rt, x);
    }
}

static size_t inst_size(const mm_rt *rt, const mm_obj *o)
{
    return sizeof(inst_obj) + nfields(class_of(rt, o)) * sizeof(mm_h);
}

const mm_type mm_type_inst = {"instance", inst_traverse, inst_clear, NULL,
                              inst_size, NULL, inst_refs};
