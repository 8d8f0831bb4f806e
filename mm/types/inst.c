/*
 * types/inst.c - instances of registered classes: fixed slots, or
 * attributes in key-sharing values (PEP 412, in mmrt's own way).
 *
 * A class is a type: mm_class_register gives it a type id (16..), so the
 * header alone says which class an instance belongs to and no class
 * pointer is stored. Layout: [header][field 0]...[field n-1], 4 B each.
 * A slots class has n = nslots handles (2 slots: 12 B requested, a 16 B
 * block). Unset fields hold MM_NULL. Classes of 2 slots are created
 * inline (mm_inst_new_at, mm_types.h) and freed inline when both fields
 * are null or immortal (obj/obj.c's zero_reached); this file's
 * mm__inst_new_at is the general path, which takes the 16 B class as a
 * constant for 2 or 3 slots.
 *
 * A dict class ("regular" class) has n = the class's width W (rt->cls):
 * 1. SHARED form: the class's keys table names value word i of every
 *    instance (keys[i], an interned str, i < nkeys <= W). The values set
 *    are a prefix: words 0..m-1 set, the rest MM_NULL (so the instance's
 *    insertion order is the keys' order). Setting key i < nkeys is a
 *    store (if i <= m); a name the keys lack is appended to them when the
 *    instance holds all nkeys values (CPython's rule for adding to shared
 *    keys), at most MM_INST_KEYS_MAX names.
 * 2. DICT form: field 0 is the handle of the instance's own dict with
 *    bit 31 set (DICT_TAG; an immortal small int has index 0, so a tagged
 *    handle with a non-zero index is never a value), the other fields
 *    MM_NULL. Every attribute is then in that dict, the one storage.
 *    An instance goes to the dict form (split) when asked for its
 *    __dict__ (mm_inst_dict), when an attribute is deleted, set out of
 *    the keys' order, or is a new name it cannot append; never back.
 * W starts at 1 with the first instance and grows by 2 (W odd: the block,
 *    4 + 4W bytes, is a whole 8 B class: 8, 16, 24...) when a name must
 *    be appended with nkeys == W: every instance of the class is moved to
 *    a block one class larger at once (grow_width: all or nothing; the
 *    handles stay, only the slots' object pointers change, H1), so that
 *    every instance of a class keeps the same width and the collector
 *    reads them exactly as it reads slots. When the class's last instance
 *    dies, its keys are released and W is 0 again.
 * Bounds: new O(W) + A; slot access O(1); attribute by name O(len) hash
 * + O(nkeys) compares (shared) or a dict lookup; a split O(W) + dict
 * inserts; a width growth O(slots) + one block per instance.
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

static const mm_class *class_of(const mm_rt *rt, const mm_obj *o)
{
    return mm_class_of_id(rt, mm_hdr_type(o));
}

#define DICT_TAG MM_H_IMMORTAL
#define NO_KEY UINT32_MAX
static_assert(MM_INST_KEYS_MAX % 2u == 1u && MM_INST_KEYS_MAX <= MM_CFG_MAX_SLOTS,
              "an odd width, a small block (mm__obj_new_fast)");

/* The state of a dict class with a live instance (never NULL then). */
static mm__class_state *state_of(mm_rt *rt, uint32_t type) { return rt->cls[type - MM_T_CLASS0]; }

/* The instance's own dict, or MM_NULL (shared form). */
static inline mm_h own_dict(const inst_obj *in)
{
    mm_h f0 = in->f[0];
    return (f0 & DICT_TAG) != 0u && (f0 & MM_H_INDEX_MASK) != 0u ? f0 & ~DICT_TAG : MM_NULL;
}

/* A class's last instance died: its state and keys (and the names they
 * hold) go. */
static void class_release(mm_rt *rt, uint32_t type)
{
    mm__class_state *cs = state_of(rt, type);
    rt->cls[type - MM_T_CLASS0] = NULL;
    for (uint32_t i = 0; i < cs->nkeys; i++) {
        mm_decref_fast(rt, cs->keys[i]);
    }
    mm_rt_free(rt, cs->keys);
    mm_rt_free(rt, cs);
}

void mm__class_died(mm_rt *rt, uint32_t type, uint32_t n)
{
    mm__class_state *cs = state_of(rt, type);
    MM_ASSERT(cs->live >= n, "inst: more instances died than lived");
    cs->live -= n;
    if (cs->live == 0u) {
        class_release(rt, type);
    }
}

mm_h mm__inst_new_at(mm_rt *rt, uint32_t cls, const char *file, int line)
{
    MM__SITE(rt, file, line);
    uint32_t k = cls - (uint32_t)MM_T_CLASS0; /* ids below wrap: too big */
    if (k >= rt->nclasses) {
        mm_port_misuse(file, line, "mm_inst_new: not a registered class id");
        rt->err = MMO_TYPE;
        return MM_NULL;
    }
    const mm_class *c = rt->classes[k]; /* as mm_class_of_id, known valid */
    uint32_t nf = c->nslots;
    if (c->has_dict) { /* counted first: a collection run by the allocation keeps the keys */
        mm__class_state *cs = rt->cls[k];
        if (cs == NULL) { /* the class's first live instance: its state */
            cs = (mm__class_state *)mm_rt_alloc(rt, NULL, sizeof *cs);
            if (cs == NULL) {
                return MM_NULL; /* rt->err: MemoryError */
            }
            memset(cs, 0, sizeof *cs);
            rt->cls[k] = cs;
        }
        cs->live++;
        cs->width = (uint16_t)(cs->width | 1u); /* 0 (no instance yet) -> 1; odd stays */
        nf = cs->width;
    }
    {
        size_t size = sizeof(inst_obj) + nf * sizeof(mm_h);
        uint32_t hdr = mm_hdr_make(cls, 0) | MM_HDR_TRACKED;
        mm_obj *o;
        /* 2 or 3 slots (the collector's instances are those of inst16
         * classes, made here while its hook is attached): the 16 B class,
         * a constant, so its pair is popped without address arithmetic */
        bool in16 = size - 9u <= MM__INST16_SIZE - 9u;
        mm_h h = in16 ? mm__obj_new_fast(rt, hdr, MM__INST16_SIZE, &o)
                      : mm__obj_new_fast(rt, hdr, size, &o);
        if (h == MM_NULL) {
            h = mm_obj_new(rt, cls, size, NULL); /* hooks, MemoryError */
            if (h == MM_NULL && c->has_dict) {
                mm__class_died(rt, cls, 1);
            }
            return h;
        }
        /* Every slot MM_NULL, in whole 8 B granules (the fast path's
         * blocks are pool blocks, a multiple of 8 B, so this stays inside
         * them): the second word of the first granule, then whole
         * granules; up to 3 slots, no loop is entered (2 or 3 slots: a
         * store and a doubleword). */
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

/* ------------------------------------------------- shared keys, values */

/* An attribute name: its bytes, length and hash (computed once). */
typedef struct name_ref {
    const char *s;
    size_t n;
    uint32_t hash;
} name_ref;

static name_ref name_of(const char *name)
{
    name_ref r = {name, strlen(name), 0};
    r.hash = mm_fnv1a(name, r.n);
    return r;
}

/* Index of name in the class's keys, or NO_KEY. */
static uint32_t key_index(const mm_rt *rt, const mm__class_state *cs, const name_ref *r)
{
    for (uint32_t i = 0; i < cs->nkeys; i++) {
        const mm_obj *k = rt->tab[mm_h_index(cs->keys[i])].obj;
        if (mm__str_hash(k) != r->hash) {
            continue;
        }
        size_t n;
        const char *b = mm__str_bytes(k, &n);
        if (n == r->n && memcmp(b, r->s, n) == 0) {
            return i;
        }
    }
    return NO_KEY;
}

static inline inst_obj *inst_at(const mm_rt *rt, mm_h o)
{
    return as_inst(rt->tab[mm_h_index(o)].obj);
}

/* Moves the live instances of class `type` from width w to w + 2 (block
 * 4 + 4w to 4 + 4w + 8): pass 1 takes a new block for each (straight
 * from the allocator, no hook: nothing runs in between), copies it and
 * points the slot at it, keeping the old block's address in the two new
 * words (MM_NULL in every instance until now); pass 2 frees the old
 * blocks and clears those words. If a block cannot be had, pass 1 is
 * undone (the slots get their old blocks back) and false returned.
 * O(slots) + one block per instance. */
static bool move_instances(mm_rt *rt, uint32_t type, uint32_t w)
{
    size_t osz = sizeof(inst_obj) + w * sizeof(mm_h), nsz = osz + 2u * sizeof(mm_h);
    static_assert(sizeof(void *) <= 2u * sizeof(mm_h), "a block address fits two words");
    uint32_t i = 1;
    bool ok = true;
    for (; i < rt->fresh; i++) {
        mm_obj *o = rt->tab[i].obj;
        if (o == NULL || mm_hdr_type(o) != type) {
            continue;
        }
        char *nb = (char *)(MM_CFG_TRACE ? mm_alloc_at(rt->heap, nsz, rt->site_file, rt->site_line)
                                         : (mm_alloc)(rt->heap, nsz));
        if (nb == NULL) {
            ok = false;
            break;
        }
        memcpy(nb, o, osz);
        memcpy(nb + osz, &o, sizeof o); // NOLINT(bugprone-sizeof-expression): the pointer itself is stored
        rt->tab[i].obj = (mm_obj *)(void *)nb;
    }
    for (uint32_t j = 1; j < i; j++) {
        char *nb = (char *)rt->tab[j].obj;
        if (nb == NULL || mm_hdr_type((mm_obj *)(void *)nb) != type) {
            continue;
        }
        mm_obj *old;
        memcpy(&old, nb + osz, sizeof old); // NOLINT(bugprone-sizeof-expression): the pointer itself is read back
        if (ok) {
            memset(nb + osz, 0, 2u * sizeof(mm_h));
            mm_free(rt->heap, old);
        } else {
            rt->tab[j].obj = old;
            mm_free(rt->heap, nb);
        }
    }
    return ok;
}

/* Grows class `type`'s width by 2 (its keys table and every instance);
 * on a failed allocation runs the emergency hook and tries once more
 * (H6). False on MemoryError, nothing changed. */
static bool grow_width(mm_rt *rt, uint32_t type)
{
    mm__class_state *cs = state_of(rt, type);
    uint32_t w = cs->width;
    mm_h *keys = (mm_h *)mm_rt_alloc(rt, NULL, (w + 2u) * sizeof(mm_h));
    if (keys == NULL) {
        return false;
    }
    if (cs->nkeys != 0u) {
        memcpy(keys, cs->keys, cs->nkeys * sizeof(mm_h));
    }
    bool ok = move_instances(rt, type, w);
    if (!ok && rt->oom_hook != NULL) {
        rt->oom_hook(rt, (w + 2u) * sizeof(mm_h) + sizeof(inst_obj));
        ok = move_instances(rt, type, w);
    }
    if (!ok) {
        mm_rt_free(rt, keys);
        rt->err = MMO_NOMEM;
        return false;
    }
    mm_rt_free(rt, cs->keys);
    cs->keys = keys;
    cs->width = (uint16_t)(w + 2u);
    return true;
}

/* The class's first keys table (width entries). False on MemoryError. */
static bool first_keys(mm_rt *rt, mm__class_state *cs)
{
    mm_h *keys = (mm_h *)mm_rt_alloc(rt, NULL, cs->width * sizeof(mm_h));
    cs->keys = keys;
    return keys != NULL;
}

/* The instance o (class `type`, shared form) to the dict form: a new
 * dict gets every value set, under its key; then the fields are cleared
 * and field 0 names the dict. MMO_NOMEM: o unchanged. */
static mm_status split(mm_rt *rt, mm_h o, uint32_t type)
{
    mm_h d = (mm_dict_new)(rt);
    if (d == MM_NULL) {
        return rt->err;
    }
    const mm__class_state *cs = state_of(rt, type);
    for (uint32_t i = 0; i < cs->nkeys; i++) {
        mm_h v = inst_at(rt, o)->f[i]; /* again after each insert (H1) */
        if (v != MM_NULL && mm_dict_set(rt, d, cs->keys[i], v) != MMO_OK) {
            mm_status st = rt->err;
            mm_decref_fast(rt, d);
            return rt->err = st;
        }
    }
    inst_obj *in = inst_at(rt, o);
    for (uint32_t i = 0; i < cs->width; i++) {
        mm_h x = in->f[i];
        in->f[i] = MM_NULL;
        mm_decref_fast(rt, x); /* the dict holds it too: never the last */
    }
    in->f[0] = d | DICT_TAG; /* the instance's reference to its dict */
    return rt->err = MMO_OK;
}

/* setattr on a dict-class instance (v validated). */
static mm_status values_setattr(mm_rt *rt, mm_h o, const char *name, mm_h v,
                                const char *file, int line)
{
    inst_obj *in = inst_at(rt, o);
    uint32_t type = mm_hdr_type(&in->head);
    mm_h d = own_dict(in);
    if (d != MM_NULL) {
        return mm_dict_set_str_at(rt, d, name, v, file, line);
    }
    mm__class_state *cs = state_of(rt, type);
    name_ref r = name_of(name);
    uint32_t i = key_index(rt, cs, &r);
    if (i != NO_KEY && (in->f[i] != MM_NULL || i == 0u || in->f[i - 1u] != MM_NULL)) {
        mm_h old = in->f[i]; /* set, or the next of the prefix */
        mm_incref_fast(rt, v);
        in->f[i] = v;
        mm_decref_fast(rt, old);
        return rt->err = MMO_OK;
    }
    uint32_t n = cs->nkeys;
    if (i == NO_KEY && n < MM_INST_KEYS_MAX && (n == 0u || in->f[n - 1u] != MM_NULL)) {
        /* a new name, and o holds every key: appended to the shared keys */
        mm_h k = mm__str_intern_bytes(rt, r.s, r.n, r.hash);
        if (k == MM_NULL) {
            return rt->err;
        }
        bool room = n < cs->width ? cs->keys != NULL || first_keys(rt, cs)
                                  : grow_width(rt, type);
        if (!room) {
            mm_decref_fast(rt, k);
            return rt->err = MMO_NOMEM;
        }
        cs->keys[n] = k; /* steals k */
        cs->nkeys = (uint16_t)(n + 1u);
        mm_incref_fast(rt, v);
        inst_at(rt, o)->f[n] = v;
        return rt->err = MMO_OK;
    }
    if (split(rt, o, type) != MMO_OK) { /* out of order, or no room to share */
        return rt->err;
    }
    return mm_dict_set_str_at(rt, own_dict(inst_at(rt, o)), name, v, file, line);
}

mm_status mm_inst_setattr_at(mm_rt *rt, mm_h o, const char *name, mm_h v,
                             const char *file, int line)
{
    MM__SITE(rt, file, line);
    inst_obj *in = get_inst(rt, o, file, line);
    if (in == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    const mm_class *c = class_of(rt, &in->head);
    if (c->has_dict) {
        if (mm_deref_at(rt, v, file, line) == NULL) {
            return rt->err = MMO_BADHANDLE;
        }
        return values_setattr(rt, o, name, v, file, line);
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
    mm_h v = MM_NULL;
    if (c->has_dict) {
        mm_h d = own_dict(in);
        if (d != MM_NULL) {
            return mm_dict_get_str_at(rt, d, name, file, line);
        }
        name_ref r = name_of(name);
        uint32_t i = key_index(rt, state_of(rt, mm_hdr_type(&in->head)), &r);
        v = i != NO_KEY ? in->f[i] : MM_NULL;
    } else {
        uint32_t i = slot_of(c, name);
        v = i != UINT32_MAX ? in->f[i] : MM_NULL;
    }
    rt->err = v != MM_NULL ? MMO_OK : MMO_KEY;
    return v;
}

mm_status mm_inst_delattr_at(mm_rt *rt, mm_h o, const char *name, const char *file, int line)
{
    inst_obj *in = get_inst(rt, o, file, line);
    if (in == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    const mm_class *c = class_of(rt, &in->head);
    if (!c->has_dict) {
        uint32_t i = slot_of(c, name);
        if (i == UINT32_MAX || in->f[i] == MM_NULL) {
            return rt->err = MMO_KEY; /* AttributeError, not a misuse */
        }
        return mm_inst_set_slot_at(rt, o, i, MM_NULL, file, line);
    }
    uint32_t type = mm_hdr_type(&in->head);
    if (own_dict(in) == MM_NULL) {
        name_ref r = name_of(name);
        uint32_t i = key_index(rt, state_of(rt, type), &r);
        if (i == NO_KEY || in->f[i] == MM_NULL) {
            return rt->err = MMO_KEY;
        }
        if (split(rt, o, type) != MMO_OK) { /* as CPython: a deletion unshares */
            return rt->err;
        }
    }
    return mm_dict_del_str_at(rt, own_dict(inst_at(rt, o)), name, file, line);
}

mm_h mm_inst_dict_at(mm_rt *rt, mm_h o, const char *file, int line)
{
    inst_obj *in = get_inst(rt, o, file, line);
    if (in == NULL || !class_of(rt, &in->head)->has_dict) {
        rt->err = in == NULL ? MMO_BADHANDLE : MMO_TYPE;
        return MM_NULL;
    }
    if (own_dict(in) == MM_NULL && split(rt, o, mm_hdr_type(&in->head)) != MMO_OK) {
        return MM_NULL; /* MemoryError: still the shared form */
    }
    rt->err = MMO_OK;
    return own_dict(inst_at(rt, o));
}

bool mm_inst_has_dict_at(const mm_rt *rt, mm_h o, const char *file, int line)
{
    const inst_obj *in = get_inst(rt, o, file, line);
    return in != NULL && class_of(rt, &in->head)->has_dict && own_dict(in) != MM_NULL;
}

/* ------------------------------------------------------------- the type */

static void inst_traverse(mm_rt *rt, mm_obj *o, mm_visit_fn visit, void *arg)
{
    uint32_t n = mm__class_nfields(rt, mm_hdr_type(o));
    mm_h d = class_of(rt, o)->has_dict ? own_dict(as_inst(o)) : MM_NULL;
    for (uint32_t i = 0; i < n; i++) {
        visit(rt, i == 0u && d != MM_NULL ? d : as_inst(o)->f[i], arg);
    }
}

/* The fields are one array of handles: the collector reads it directly
 * (it takes a handle's index alone, so a tagged dict handle is its
 * dict). */
static uint32_t inst_refs(const mm_rt *rt, const mm_obj *o, const mm_h **out)
{
    *out = ((const inst_obj *)(const void *)o)->f;
    return mm__class_nfields(rt, mm_hdr_type(o));
}

static void inst_clear(mm_rt *rt, mm_obj *o)
{
    uint32_t n = mm__class_nfields(rt, mm_hdr_type(o));
    for (uint32_t i = 0; i < n; i++) {
        mm_h x = as_inst(o)->f[i];
        as_inst(o)->f[i] = MM_NULL;
        mm_decref_fast(rt, x); /* by index: a tagged dict handle is its dict */
    }
}

/* A dict-class instance's death is counted (its class's keys go with
 * the last one). The collector counts the garbage it frees itself. */
static void inst_destroy(mm_rt *rt, mm_obj *o)
{
    if (class_of(rt, o)->has_dict) {
        mm__class_died(rt, mm_hdr_type(o), 1);
    }
}

static size_t inst_size(const mm_rt *rt, const mm_obj *o)
{
    return sizeof(inst_obj) + mm__class_nfields(rt, mm_hdr_type(o)) * sizeof(mm_h);
}

const mm_type mm_type_inst = {"instance", inst_traverse, inst_clear, inst_destroy,
                              inst_size, NULL, inst_refs};
