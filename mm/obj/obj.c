/*
 * obj/obj.c - the runtime: handle table, refcount slow paths, iterative
 * deallocation, handle validation, introspection and the graph checker.
 *
 * Algorithm (see mm_obj.h for the invariants H1..H6):
 * 1. Handles are epoch-tagged indices (as in slot maps' "generational
 *    indices", e.g. the handle pools of game engines and Lua's registry).
 *    A slot is taken from a free list (LIFO) or from the never-used tail
 *    (`fresh`), so init is O(1). Freeing bumps the slot's epoch; a
 *    slot whose epoch would wrap (2047 lives) is retired.
 * 2. The refcount sits in the slot word next to the epoch, biased by
 *    one so that "reached zero" is the sign of the decremented word.
 * 3. Deallocation is CPython's tp_dealloc without the recursion (CPython
 *    needs its "trashcan" to cap it): a dying slot is pushed on a pending
 *    list threaded through the slot words (the dead refcount field holds the
 *    link) and a single drain loop pops, clears (children may push
 *    themselves), destroys and frees. Stack: O(1); time: O(objects freed +
 *    references dropped). Leaves (int, str) skip all of it: freed at once;
 *    so are slots instances whose fields can be dropped in place without a
 *    child reaching zero (no collector hook attached).
 * 4. Hot paths (create, destroy, checked incref/decref) decide from the type
 *    id alone (LEAF_TYPES / CONTAINER_TYPES masks, checked against the
 *    descriptors at init), keep rare cases (hooks, OOM, slot retirement,
 *    misuse reports) in out-of-line functions, and zero only what a type
 *    does not write itself. Costs: tests/bench/bench_obj.c.
 * 5. Validation classifies a handle against its slot's epoch and
 *    state: live, immortal, null, forged (never issued), stale (freed, or
 *    freed and reused), dying. O(1).
 * 6. mm_obj_check re-derives every refcount from the graph in two linear
 *    passes over the table with a caller-provided counter array.
 */
#include "obj/mm_obj.h"

#include <string.h>

#include "fmt/mm_fmt.h"
#include "mm_port.h"
#include "types/mm_types.h"

static_assert(sizeof(mm_slot) == 2 * sizeof(void *) || sizeof(mm_slot) == 8,
              "slot is a meta word and a pointer");
static_assert(MM_META_RC_ZERO == (MM_RC_MAX), "rc field all ones = 0");

/* ---------------------------------------------------------------- status */

const char *mm_status_str(mm_status s)
{
    static const char *const names[] = {
        "ok", "MemoryError", "MemoryError (handle table full)",
        "bad handle", "wrong type", "index out of range", "key not found",
        "iteration stopped", "table full", "corrupt",
    };
    size_t i = (size_t)s;
    return i < sizeof names / sizeof names[0] ? names[i] : "?";
}

/* ----------------------------------------------------------- slot fields */

static inline uint32_t meta_epoch(uint32_t m) { return m & MM_META_EPOCH_MASK; }
static inline uint32_t meta_field(uint32_t m) { return m >> MM_META_RC_SHIFT; }
static inline bool meta_dying(uint32_t m) { return (m & MM_META_DYING) != 0; }
static inline bool meta_retired(uint32_t m) { return (m & MM_META_RETIRED) != 0; }
/* flag: DYING on a live slot, RETIRED on a free one (the same bit). */
static inline uint32_t meta_make(uint32_t field, bool flag, uint32_t epoch)
{
    return (field << MM_META_RC_SHIFT) | (flag ? MM_META_DYING : 0u) | epoch;
}

uint32_t mm_rc_get(const mm_rt *rt, uint32_t idx)
{
    uint32_t f = meta_field(rt->tab[idx].meta);
    return f == MM_META_RC_ZERO ? 0u : f + 1u;
}

void mm_rc_set(mm_rt *rt, uint32_t idx, uint32_t rc)
{
    mm_slot *s = &rt->tab[idx];
    s->meta = meta_make((rc - 1u) & MM_META_RC_ZERO, false, meta_epoch(s->meta));
}

/* ----------------------------------------------------------- type masks */

/* Builtin types by id; ids from MM_T_CLASS0 are instances (mm_type_inst). */
static const mm_type *const builtin[MM_T_BUILTIN_END] = {
    NULL, &mm_type_int, &mm_type_str, &mm_type_list,
    &mm_type_dict, &mm_type_generator, &mm_type_lru,
};

/* The hot paths decide from the type id alone, without loading the type:
 * containers (a traverse: marked tracked at birth) and leaves (nothing
 * held, no body owned: freed at once when their refcount reaches zero,
 * without clear/destroy calls). mm_rt_init checks both masks against the
 * descriptors above. Classes (ids >= MM_T_CLASS0) are containers. */
#define CONTAINER_TYPES                                                       \
    ((1u << MM_T_LIST) | (1u << MM_T_DICT) | (1u << MM_T_GENERATOR) | (1u << MM_T_LRU))
#define LEAF_TYPES ((1u << MM_T_INT) | (1u << MM_T_STR))

static_assert(MM_T_STR == MM_T_INT + 1u && LEAF_TYPES == (3u << MM_T_INT),
              "leaf ids are one range: type_is_leaf is one compare");
static_assert(MM_T_BUILTIN_END <= 32u && MM_T_BUILTIN_END <= MM_T_CLASS0,
              "builtin ids index a 32-bit mask");

static inline bool type_is_container(uint32_t id)
{
    return id >= MM_T_BUILTIN_END || ((CONTAINER_TYPES >> id) & 1u) != 0;
}

static inline bool type_is_leaf(uint32_t id)
{
    return id - (uint32_t)MM_T_INT <= (uint32_t)(MM_T_STR - MM_T_INT);
}

/* The same for the id of a live object, which is never 0 (MM_T_INVALID:
 * obj_new refuses it): one compare. */
static inline bool live_type_is_leaf(uint32_t id)
{
    return id <= (uint32_t)MM_T_STR;
}

/* Do the masks say what the descriptors say? (Checked once, at init.) */
static bool type_masks_agree(void)
{
    for (uint32_t id = 1; id < MM_T_BUILTIN_END; id++) {
        const mm_type *t = builtin[id];
        bool leaf = t->traverse == NULL && t->clear == NULL && t->destroy == NULL;
        if (type_is_container(id) != (t->traverse != NULL) ||
            (type_is_leaf(id) && !leaf)) {
            return false;
        }
    }
    return true;
}

/* --------------------------------------------------------- init and fini */

/* The live runtimes by tag (H2): the address of each live runtime's
 * struct, NULL for a free tag. Tags are handed out round-robin from
 * next_tag, so a finalised runtime's tag is reissued as late as possible.
 * mm_rt_init and mm_rt_fini are not ISR-safe: nothing else touches these. */
static const mm_rt *rt_by_tag[MM_MAX_RUNTIMES];
static uint32_t next_tag;

/* Ends rt's tag if rt holds one (a re-init of a live runtime's struct). */
static void tag_release(const mm_rt *rt)
{
    for (uint32_t t = 0; t < MM_MAX_RUNTIMES; t++) {
        if (rt_by_tag[t] == rt) {
            rt_by_tag[t] = NULL;
        }
    }
}

/* A free tag for rt, or false if MM_MAX_RUNTIMES runtimes are live. */
static bool tag_take(const mm_rt *rt, uint32_t *tag)
{
    for (uint32_t i = 0; i < MM_MAX_RUNTIMES; i++) {
        uint32_t t = (next_tag + i) % MM_MAX_RUNTIMES;
        if (rt_by_tag[t] == NULL) {
            rt_by_tag[t] = rt;
            next_tag = (t + 1u) % MM_MAX_RUNTIMES;
            *tag = t;
            return true;
        }
    }
    return false;
}

mm_status mm_rt_init(mm_rt *rt, mm_heap *heap, void *table_mem, size_t table_bytes)
{
    tag_release(rt);
    memset(rt, 0, sizeof *rt);
    rt->heap = heap;
    size_t n = table_bytes / sizeof(mm_slot);
    if (n < 2) {
        return rt->err = MMO_INDEX;
    }
    if (n > MM_MAX_SLOTS) {
        n = MM_MAX_SLOTS;
    }
    uint32_t tag;
    if (!tag_take(rt, &tag)) {
        return rt->err = MMO_FULL;
    }
    rt->hbase = tag << MM_H_SLOT_BITS;
    if (table_mem == NULL) {
        table_mem = mm_alloc(heap, n * sizeof(mm_slot));
        if (table_mem == NULL) {
            tag_release(rt);
            return rt->err = MMO_NOMEM;
        }
        rt->table_owned = true;
    }
    MM_ASSERT(type_masks_agree(), "LEAF_TYPES / CONTAINER_TYPES disagree with the types");
    rt->tab = (mm_slot *)table_mem;
    rt->cap = (uint32_t)n;
    rt->tab[0].meta = MM__SINK_META;
    rt->tab[0].obj = NULL;
    rt->fresh = 1;
    return MMO_OK;
}

void mm_rt_fini(mm_rt *rt)
{
    tag_release(rt);
    if (rt->table_owned) {
        mm_free(rt->heap, rt->tab);
    }
    rt->tab = NULL;
    rt->cap = 0;
}


/* ------------------------------------------------------ slot management */

/* Takes a slot (free list first, then the fresh tail). 0 if none. The slot
 * is not live until slot_bind. */
static uint32_t slot_take(mm_rt *rt)
{
    uint32_t idx = rt->free_head;
    if (idx != 0) {
        rt->free_head = meta_field(rt->tab[idx].meta);
        return idx;
    }
    if (rt->fresh < rt->cap) {
        idx = rt->fresh++;
        rt->tab[idx].meta = meta_make(0, false, 1);
        rt->tab[idx].obj = NULL;
        /* live + free + retired + 1 == fresh at all times, so live can
         * reach a new high only now, when the free list is empty and fresh
         * grows (a take from the list leaves live below an earlier fresh
         * take's count): live_peak needs no test on the fast paths. */
        uint32_t live = mm_rt_live(rt) + 1u;
        if (live > rt->live_peak) {
            rt->live_peak = live;
        }
        return idx;
    }
    return 0;
}

/* Binds a taken slot to o with refcount 1; returns the handle. */
static mm_h slot_bind(mm_rt *rt, uint32_t idx, mm_obj *o)
{
    mm_slot *s = &rt->tab[idx];
    uint32_t epoch = meta_epoch(s->meta);
    s->meta = meta_make(0, false, epoch);
    s->obj = o;
    rt->created++;
    return mm__h_make(rt, idx, epoch);
}

/* Frees a live/dying slot: bump the epoch, or retire at wrap. */
static __attribute__((noinline)) void slot_retire(mm_rt *rt, mm_slot *s)
{
    s->meta = meta_make(0, true, MM_H_EPOCH_MAX); /* retired: never reused */
    s->obj = NULL;
    rt->retired++;
}

static inline void slot_release(mm_rt *rt, uint32_t idx)
{
    mm_slot *s = &rt->tab[idx];
    uint32_t epoch = meta_epoch(s->meta);
    rt->freed++;
    if (epoch == MM_H_EPOCH_MAX) {
        slot_retire(rt, s);
        return;
    }
    s->meta = meta_make(rt->free_head, false, epoch + 1u);
    s->obj = NULL;
    rt->free_head = idx;
}

void mm__slot_release(mm_rt *rt, uint32_t idx)
{
    slot_release(rt, idx);
}

/* ------------------------------------------------------ allocation route */

/* Registers owner for p; the heap ignores small blocks (they never move). */
static void owner_register(mm_rt *rt, void *p, void **owner)
{
    mm_set_owner(rt->heap, p, owner);
}

void mm_rt_own(mm_rt *rt, void *p, void **owner)
{
    owner_register(rt, p, owner);
}

/* A block from rt's heap, charged to the caller's site in tracing builds
 * (MM__SITE). */
static inline void *heap_alloc(mm_rt *rt, size_t size)
{
    if (MM_CFG_TRACE) {
        return mm_alloc_at(rt->heap, size, rt->site_file, rt->site_line);
    }
    return (mm_alloc)(rt->heap, size);
}

/* One attempt; *err is this call's own outcome (never mm_last_error,
 * which an interrupt's failing allocation may have changed since). In
 * tracing builds the block is charged to the caller's site. */
static void *try_alloc(mm_rt *rt, void **body, size_t size, mm_err *err)
{
    return mm_realloc_err_at(rt->heap, body != NULL ? *body : NULL, size, err,
                             MM_CFG_TRACE ? rt->site_file : NULL, MM_CFG_TRACE ? rt->site_line : 0);
}

void *mm_rt_alloc(mm_rt *rt, void **body, size_t size)
{
    if (rt->alloc_hook != NULL) {
        rt->alloc_hook(rt); /* collector torture mode */
    }
    mm_err err;
    void *p = try_alloc(rt, body, size, &err);
    if (p == NULL && rt->oom_hook != NULL && err == MM_ENOMEM) {
        rt->oom_hook(rt, size);
        p = try_alloc(rt, body, size, &err);
    }
    if (p == NULL) {
        rt->err = MMO_NOMEM;
        return NULL;
    }
    if (body != NULL) {
        *body = p;
        owner_register(rt, p, body);
    }
    rt->err = MMO_OK;
    return p;
}

void mm_rt_free(mm_rt *rt, void *p)
{
    if (p != NULL) {
        mm_free(rt->heap, p);
    }
}

/* Zeroes an object block after its header, up to size rounded up to 4:
 * every block holds that much (R7; a frugal heap's block of 20 bytes
 * holds 20, not 24). Inline word stores, two at a time: a call to memset
 * costs more for the usual 8..32 B. */
static inline void zero_body(mm_obj *o, size_t size)
{
    static_assert(sizeof(mm_obj) == 4u, "the body starts at word 1");
    if (size > 64u) {
        memset((char *)o + sizeof(mm_obj), 0, size - sizeof(mm_obj));
        return;
    }
    uint32_t *w = (uint32_t *)(void *)o;
    w[1] = 0; /* the header's granule: header and one word */
    size_t g = 8;
    for (; g + 4u < size; g += 8) { /* each further granule the body fills past its first word */
        w[g / 4u] = 0;
        w[g / 4u + 1u] = 0;
    }
    if (g < size) { /* a last word alone */
        w[g / 4u] = 0;
    }
}

/* Block allocation once the fast path could not serve: hooks, oom_hook and
 * one retry (mm_rt_alloc). NULL on MemoryError (rt->err set). */
static __attribute__((noinline)) mm_obj *obj_alloc_slow(mm_rt *rt, size_t size)
{
    return (mm_obj *)mm_rt_alloc(rt, NULL, size);
}

/* No slot free: oom_hook (a collection may free some) and one retry; on
 * failure frees the block o and reports MMO_NOHANDLE. */
static __attribute__((noinline)) uint32_t slot_take_slow(mm_rt *rt, mm_obj *o)
{
    uint32_t idx = 0;
    if (rt->oom_hook != NULL) {
        rt->oom_hook(rt, 0);
        idx = slot_take(rt);
    }
    if (idx == 0) {
        mm_rt_free(rt, o);
        rt->err = MMO_NOHANDLE;
    }
    return idx;
}

/* The one creation path (mm_obj_new and mm__obj_new_leaf): block, slot,
 * header; the body is zeroed unless the caller writes all of it (leaf). */
static inline __attribute__((always_inline)) mm_h
obj_new(mm_rt *rt, uint32_t type, size_t size, mm_obj **out, bool leaf)
{
    if (leaf) { /* sizes are the leaf types' own constants (>= 12) */
        MM_ASSERT(type_is_leaf(type), "mm__obj_new_leaf: not a leaf type");
    } else {
        MM_ASSERT(size >= sizeof(mm_obj) && type - 1u < MM_TYPE_MAX - 1u,
                  "mm_obj_new: bad size or type");
    }
    mm_obj *o = NULL;
    if (!MM_ALLOC_HOOK_ON(rt)) { /* fast path: straight to the pools */
        o = (mm_obj *)heap_alloc(rt, size);
    }
    if (o == NULL && (o = obj_alloc_slow(rt, size)) == NULL) {
        return MM_NULL;
    }
    uint32_t idx = slot_take(rt);
    if (idx == 0 && (idx = slot_take_slow(rt, o)) == 0) {
        return MM_NULL;
    }
    if (!leaf) {
        zero_body(o, size);
    }
    bool tracked = !leaf && type_is_container(type);
    o->hdr = mm_hdr_make(type, idx) | (tracked ? MM_HDR_TRACKED : 0u);
    mm_h h = slot_bind(rt, idx, o);
    if (size > MM_CFG_SMALL_MAX) { /* a large block: movable through its slot */
        owner_register(rt, o, (void **)&rt->tab[idx].obj);
    }
    if (tracked && rt->track_hook != NULL) {
        rt->track_hook(rt, o, true); /* collector accounting */
    }
    *out = o;
    rt->err = MMO_OK;
    return h;
}

mm_h mm_obj_new(mm_rt *rt, uint32_t type, size_t size, mm_obj **out)
{
    mm_obj *o = NULL;
    mm_h h = obj_new(rt, type, size, &o, false);
    if (out != NULL && h != MM_NULL) {
        *out = o;
    }
    return h;
}

mm_h mm__obj_new_leaf(mm_rt *rt, uint32_t type, size_t size, mm_obj **out)
{
    return obj_new(rt, type, size, out, true);
}

/* ----------------------------------------------------------------- types */

const mm_type *mm_type_of_id(const mm_rt *rt, uint32_t id)
{
    if (id < MM_T_BUILTIN_END) {
        return builtin[id];
    }
    if (id >= MM_T_CLASS0 && id - MM_T_CLASS0 < rt->nclasses) {
        return &mm_type_inst;
    }
    return NULL;
}

const mm_type *mm_obj_type(const mm_rt *rt, const mm_obj *o)
{
    return mm_type_of_id(rt, mm_hdr_type(o));
}

uint32_t mm_class_register(mm_rt *rt, const mm_class *cls)
{
    static_assert(MM_T_CLASS0 + MM_CFG_MAX_CLASSES <= MM_TYPE_MAX, "class ids fit");
    for (uint32_t i = 0; i < rt->nclasses; i++) {
        if (rt->classes[i] == cls) {
            return MM_T_CLASS0 + i;
        }
    }
    if (cls->nslots > MM_CFG_MAX_SLOTS || (cls->has_dict && cls->nslots != 0)) {
        rt->err = MMO_INDEX;
        return 0;
    }
    if (rt->nclasses >= MM_CFG_MAX_CLASSES) {
        rt->err = MMO_FULL;
        return 0;
    }
    rt->classes[rt->nclasses] = cls;
    uint32_t id = MM_T_CLASS0 + rt->nclasses;
    if (!cls->has_dict && cls->nslots == 2u && id < 32u) {
        rt->inst16_classes |= 0x80000000u >> id; /* 2 slots: a 16 B block */
        mm__rt_set_track_hook(rt, rt->track_hook); /* rt->inst16 follows */
    }
    rt->err = MMO_OK;
    return MM_T_CLASS0 + rt->nclasses++;
}

/* ------------------------------------------------------------ validation */

typedef enum {
    HC_LIVE, HC_IMMORTAL, HC_NULL, HC_FORGED, HC_FREED, HC_REUSED, HC_DYING,
    HC_FOREIGN
} hclass;

/* A free (not retired) slot with epoch g last held epoch g-1. */
static hclass classify_free(uint32_t meta, uint32_t epoch)
{
    uint32_t se = meta_epoch(meta);
    if (meta_retired(meta)) {           /* retired at epoch se */
        return epoch == se ? HC_FREED : (epoch < se ? HC_REUSED : HC_FORGED);
    }
    if (epoch + 1u == se) {
        return HC_FREED;
    }
    return epoch < se ? HC_REUSED : HC_FORGED;
}

/* The common case in one test: h names a live, not dying slot of its
 * epoch. (h >> 20) puts h's epoch in bits 0..10 and its immortal bit on
 * bit 11, the slot's DYING flag: any difference in the 12 bits fails. */
static_assert((MM_H_IMMORTAL >> MM_H_INDEX_BITS) == MM_META_DYING,
              "immortal bit lands on the DYING flag");
static inline bool live_fast(const mm_rt *rt, mm_h h)
{
    uint32_t idx = mm__h_slot(rt, h);
    if (idx >= rt->fresh) {
        return false; /* never used, or another runtime's tag (index 0,
                         the sink, has obj NULL) */
    }
    const mm_slot *s = &rt->tab[idx];
    return s->obj != NULL &&
           ((s->meta ^ (h >> MM_H_INDEX_BITS)) & (MM_META_EPOCH_MASK | MM_META_DYING)) == 0;
}

static hclass classify(const mm_rt *rt, mm_h h)
{
    if (live_fast(rt, h)) {
        return HC_LIVE;
    }
    if (h == MM_NULL) {
        return HC_NULL;
    }
    if (mm_h_is_immortal(h)) {
        return mm__small_int_valid(h) ? HC_IMMORTAL : HC_FORGED;
    }
    uint32_t idx = mm_h_index(h), epoch = mm_h_epoch(h);
    if (idx == 0) {
        return HC_FORGED; /* index 0 (the sink) is never issued */
    }
    if ((h & MM_H_TAG_MASK) != rt->hbase) {
        return HC_FOREIGN;
    }
    if (idx >= rt->fresh || epoch == 0) {
        return HC_FORGED;
    }
    const mm_slot *s = &rt->tab[idx];
    if (s->obj == NULL) {
        return classify_free(s->meta, epoch);
    }
    uint32_t se = meta_epoch(s->meta);
    if (epoch == se) {
        return meta_dying(s->meta) ? HC_DYING : HC_LIVE;
    }
    return epoch < se ? HC_REUSED : HC_FORGED;
}

static const char *hclass_msg(hclass c, bool decref)
{
    switch (c) {
    case HC_NULL: return "null handle";
    case HC_FORGED: return "forged handle (never issued by this runtime)";
    case HC_FREED:
        return decref ? "double decref: object already freed"
                      : "stale handle: object already freed";
    case HC_REUSED: return "stale handle: object freed, slot since reused";
    case HC_DYING: return "handle of an object being freed";
    case HC_FOREIGN: return "handle of another runtime";
    default: return "handle ok";
    }
}

/* Reports "<what>: <msg> (handle 0x...)" at the caller's location. */
static void report(const char *file, int line, const char *what,
                   const char *msg, mm_h h)
{
    char buf[128];
    mm_snprintf(buf, sizeof buf, "%s: %s (handle 0x%08lx)", what, msg,
                (unsigned long)h);
    mm_port_misuse(file, line, buf);
}

mm_status mm_handle_status(const mm_rt *rt, mm_h h)
{
    hclass c = classify(rt, h);
    return (c == HC_LIVE || c == HC_IMMORTAL) ? MMO_OK : MMO_BADHANDLE;
}

mm_obj *mm_deref_at(const mm_rt *rt, mm_h h, const char *file, int line)
{
    if (live_fast(rt, h)) {
        return rt->tab[mm_h_index(h)].obj;
    }
    hclass c = classify(rt, h);
    if (c == HC_LIVE) {
        return rt->tab[mm_h_index(h)].obj;
    }
    if (c == HC_IMMORTAL) {
        return (mm_obj *)mm__small_int_obj(h);
    }
    report(file, line, "deref", hclass_msg(c, false), h);
    return NULL;
}

mm_obj *mm_deref_type_at(const mm_rt *rt, mm_h h, uint32_t type,
                         const char *file, int line)
{
    mm_obj *o = mm_deref_at(rt, h, file, line);
    if (o == NULL) {
        return NULL;
    }
    uint32_t t = mm_hdr_type(o);
    bool ok = type == MM_T_CLASS0 ? mm_class_of_id(rt, t) != NULL : t == type;
    if (!ok) {
        char buf[96];
        const mm_type *ty = mm_type_of_id(rt, t);
        const mm_type *want = mm_type_of_id(rt, type);
        mm_snprintf(buf, sizeof buf, "wrong type: expected %s, got %s",
                    want != NULL ? want->name : "instance",
                    ty != NULL ? ty->name : "?");
        mm_port_misuse(file, line, buf);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------------- refcounts */

/* Frees one dying object: children first (they may join the pending list),
 * then its bodies, block and slot. */
static void free_one(mm_rt *rt, uint32_t idx)
{
    mm_obj *o = rt->tab[idx].obj;
    const mm_type *t = mm_obj_type(rt, o);
    MM_ASSERT(t != NULL, "free_one: object of unknown type");
    if (rt->track_hook != NULL && mm_gc_is_tracked(o)) {
        rt->track_hook(rt, o, false); /* collector accounting */
    }
    if (t->clear != NULL) {
        t->clear(rt, o);
    }
    o = rt->tab[idx].obj; /* clear may allocate nothing, but stay safe (H1) */
    if (t->destroy != NULL) {
        t->destroy(rt, o);
    }
    mm_rt_free(rt, o);
    slot_release(rt, idx);
}

/* A container (or an object with a body) reached zero (H5). Inside a
 * drain: mark it dying and queue it. Else: mark it dying, free it (the
 * children it drops queue themselves) and pop and free pending objects
 * until none is left. Out of line, so that the leaf path of its callers
 * needs no large stack frame. */
static __attribute__((noinline)) void queue_dying(mm_rt *rt, uint32_t idx)
{
    mm_slot *s = &rt->tab[idx];
    if (rt->draining) {
        s->meta = meta_make(rt->pending, true, meta_epoch(s->meta));
        rt->pending = idx;
        return;
    }
    s->meta = meta_make(0, true, meta_epoch(s->meta)); /* dying, not queued */
    rt->draining = true;
    free_one(rt, idx);
    while (rt->pending != 0) {
        idx = rt->pending;
        rt->pending = meta_field(rt->tab[idx].meta);
        free_one(rt, idx);
    }
    rt->draining = false;
}

/* The rest of mm__slot_free_fast at the epoch wrap: the slot is retired,
 * the object counted freed, and its block o freed. */
static __attribute__((noinline)) void retire_free(mm_rt *rt, mm_slot *s, mm_obj *o)
{
    slot_retire(rt, s);
    rt->freed++;
    mm_free(rt->heap, o);
}

/* The class of an instance of type id t, or NULL (a builtin type). */
static inline const mm_class *inst_class(const mm_rt *rt, uint32_t t)
{
    uint32_t k = t - (uint32_t)MM_T_CLASS0; /* builtin ids wrap: too big */
    return k < rt->nclasses ? rt->classes[k] : NULL; /* never NULL once registered */
}

/* Slots instance o of class c reached zero: drops its fields in place as
 * long as each child's refcount stays above zero (a null field costs one
 * test; an immortal child lands on the sink, H4). True: every field is
 * now null, o holds nothing and can be freed at once. False: a child
 * would reach zero; the general path (clear() in a drain) then frees o,
 * and the fields already dropped are null, so nothing is dropped twice. */
static inline bool inst_drop_fields(mm_rt *rt, mm_obj *o, uint32_t n)
{
    mm_h *f = mm__inst_fields(o);
    for (const mm_h *end = f + n; f != end; f++) {
        mm_h x = *f;
        if (__builtin_expect(x != MM_NULL, 0)) { /* unset slots: one test */
            mm_slot *cs = &rt->tab[mm_h_index(x)];
            uint32_t cm = cs->meta - MM_RC_ONE;
            if ((cm & MM_META_SIGN) != 0) {
                return false;
            }
            cs->meta = cm;
            *f = MM_NULL;
        }
    }
    return true;
}

/* Object o in slot s (index idx, live, not dying, meta = epoch) reached
 * refcount zero and is no int (zero_reached). A str holds no reference
 * and owns no body, and neither does a slots instance once its fields are
 * dropped without any child reaching zero: freed at once, even inside a
 * drain (nothing of the pending list is touched). A collector hook hears
 * of a tracked slots instance's death first, before any field is dropped,
 * and the instance is untracked then, so that a drain that frees it after
 * all (a child reached zero) does not tell the hook twice. Anything else
 * goes through the pending list. */
static __attribute__((noinline)) void zero_other(mm_rt *rt, mm_obj *o, uint32_t idx,
                                                 mm_slot *s)
{
    uint32_t epoch = s->meta;
    uint32_t t = mm_hdr_type(o);
    bool bare = live_type_is_leaf(t), in16 = false;
    if (bare) {
        if (t == MM_T_STR) {
            mm__str_dying(rt, o); /* an interned str leaves the table */
        }
    } else {
        const mm_class *c = inst_class(rt, t);
        if (c == NULL) {
            queue_dying(rt, idx);
            return;
        }
        if (rt->track_hook != NULL && mm_gc_is_tracked(o)) {
            rt->track_hook(rt, o, false); /* collector accounting */
            o->hdr &= ~MM_HDR_TRACKED;
        }
        uint32_t n = mm__class_nfields(rt, t); /* slots, or a dict class's width */
        if (!inst_drop_fields(rt, o, n)) {
            queue_dying(rt, idx);
            return;
        }
        if (c->has_dict) { /* its class's keys go with its last instance */
            mm__class_state *cs = rt->cls[t - MM_T_CLASS0]; /* there: o lives */
            if (cs->live > 1u) {
                cs->live--;
            } else {
                mm__class_died(rt, t, 1);
            }
        }
        in16 = n - 2u <= 1u; /* 12 or 16 B: a block of the 16 B class */
    }
    if (mm__slot_free_fast(rt, s, idx, epoch)) {
        if (in16) {
            mm__free_small_sized_const(rt->heap, o, MM__INST16_SIZE);
        } else {
            mm_free_inline(rt->heap, o);
        }
    } else {
        retire_free(rt, s, o);
    }
}

/* Object o in slot s (index idx, live, not dying, meta = epoch) reached
 * refcount zero. Freed right here, its 16 B block straight back on its
 * class (no type lookup, no indirect call, no drain): an instance of a
 * class of rt->inst16 (so no collector hook attached) whose two fields
 * are null or immortal (it holds nothing: immortal children live on the
 * sink, H4), tested first (rt->heap and the mask in one ldrd, the class
 * bit shifted to the sign, the fields in one ldrd), then an int.
 * Anything else: zero_other. */
static_assert((MM__INT_SIZE - 1u) >> 3 == (MM__INST16_SIZE - 1u) >> 3,
              "ints and inst16 instances share a block class");
static inline __attribute__((always_inline)) void
zero_reached(mm_rt *rt, mm_slot *s, uint32_t idx, uint32_t epoch, mm_obj *o)
{
    mm_heap *heap;
    uint32_t mask;
    mm__rt_heap_inst16(rt, &heap, &mask);
    uint32_t hdr = o->hdr, z;
    if (__builtin_expect(((mask << ((hdr >> MM_HDR_TYPE_SHIFT) & 31u)) & MM_META_SIGN) != 0, 1)) {
        /* type ids 32.. alias 0..15: never in the mask, nor is the int's */
        uint32_t f0, f1;
        MM__PAIR_LOAD_AT(o, 4, f0, f1);
        static_assert(MM_H_INDEX_BITS == 32u - 12u, "index and tag: the low 20 bits");
        z = (f0 | f1) << 12; /* 0: both null or immortal (index 0) */
    } else {
        z = (hdr & MM_HDR_TYPE_MASK) ^ (uint32_t)MM_T_INT << MM_HDR_TYPE_SHIFT;
    }
    if (z != 0) {
        zero_other(rt, o, idx, s);
        return;
    }
    if (mm__slot_free_fast(rt, s, idx, epoch)) {
        mm__free_small_sized_const(heap, o, MM__INT_SIZE);
    } else {
        retire_free(rt, s, o);
    }
}

/* The odd cases of an unchecked decref whose word went negative: the sink
 * drifted to the edge, a free or dying slot (an unchecked misuse), or a
 * refcount of 2^19 or more (the sign bit is part of the count). */
static __attribute__((noinline)) void decref_odd(mm_rt *rt, mm_slot *s)
{
    if (s == &rt->tab[0]) {
        s->meta = MM__SINK_META; /* re-centre the sink */
        return;
    }
    if (s->obj == NULL || meta_dying(s->meta)) {
        return; /* free or dying (only an unchecked misuse gets here) */
    }
    s->meta -= MM_RC_ONE; /* a large count (>= 2^19), not a zero */
}

void mm__decref_slow(mm_rt *rt, mm_h h)
{
    uint32_t idx = mm_h_index(h);
    mm_slot *s = &rt->tab[idx];
    uint32_t m;
    mm_obj *o;
    mm__slot_load(s, &m, &o);
    if (m < MM_META_DYING && o != NULL) { /* field 0 (refcount 1), not dying;
                                            the sink's obj is NULL */
        zero_reached(rt, s, idx, m, o);
        return;
    }
    decref_odd(rt, s);
}

/* Validation and reports of a checked incref/decref that did not take the
 * fast path: null and immortal handles (no-ops), misuses, overflow. */
static __attribute__((noinline)) bool incref_checked_slow(mm_rt *rt, mm_h h,
                                                          const char *file, int line)
{
    hclass c = classify(rt, h);
    if (c == HC_NULL || c == HC_IMMORTAL) {
        return true;
    }
    if (c != HC_LIVE) {
        report(file, line, "incref", hclass_msg(c, false), h);
        return false;
    }
    uint32_t idx = mm_h_index(h);
    if (mm_rc_get(rt, idx) >= MM_RC_MAX) {
        report(file, line, "incref", "refcount overflow", h);
        return false;
    }
    rt->tab[idx].meta += MM_RC_ONE;
    return true;
}

bool mm__decref_at_slow(mm_rt *rt, mm_h h, const char *file, int line)
{
    hclass c = classify(rt, h);
    if (c == HC_NULL || c == HC_IMMORTAL) {
        return true;
    }
    if (c != HC_LIVE) {
        report(file, line, "decref", hclass_msg(c, true), h);
        return false;
    }
    if (mm_rc_get(rt, mm_h_index(h)) == 0) {
        report(file, line, "decref", "refcount already 0 (collector running?)", h);
        return false;
    }
    mm_decref_fast(rt, h);
    return true;
}

/* Fast path: a live handle whose refcount is 1..MM_RC_MAX-1 (field f =
 * refcount-1 below MM_RC_MAX-1; refcount 0, field all ones, is excluded). */
bool mm_incref_at(mm_rt *rt, mm_h h, const char *file, int line)
{
    if (live_fast(rt, h)) {
        mm_slot *s = &rt->tab[mm_h_index(h)];
        if (meta_field(s->meta) < MM_RC_MAX - 1u) {
            s->meta += MM_RC_ONE;
            return true;
        }
    }
    return incref_checked_slow(rt, h, file, line);
}

/* Refcount 1 -> 0 of validated live slot s, index idx (mm_decref_at's
 * inline path): the slot word is the epoch alone (refcount 1, not
 * dying). */
void mm__decref_last(mm_rt *rt, mm_slot *s, uint32_t idx)
{
    uint32_t epoch;
    mm_obj *o;
    mm__slot_load(s, &epoch, &o);
    zero_reached(rt, s, idx, epoch, o);
}

/* ----------------------------------------------------- slots for the GC */

mm_obj *mm_slot_obj(const mm_rt *rt, uint32_t idx)
{
    if (idx == 0 || idx >= rt->fresh) {
        return NULL;
    }
    const mm_slot *s = &rt->tab[idx];
    return (s->obj != NULL && !meta_dying(s->meta)) ? s->obj : NULL;
}

mm_h mm_slot_handle(const mm_rt *rt, uint32_t idx)
{
    if (mm_slot_obj(rt, idx) == NULL) {
        return MM_NULL;
    }
    return mm__h_make(rt, idx, meta_epoch(rt->tab[idx].meta));
}

mm_h mm_obj_handle(const mm_rt *rt, const mm_obj *o)
{
    if (mm_obj_is_immortal(o)) {
        return mm__small_int_handle(o);
    }
    return mm_slot_handle(rt, mm_hdr_slot(o));
}

/* --------------------------------------------------------- introspection */

uint32_t mm_refcount_at(const mm_rt *rt, mm_h h, const char *file, int line)
{
    if (mm_deref_at(rt, h, file, line) == NULL) {
        return 0;
    }
    if (mm_h_is_immortal(h)) {
        return MM_RC_IMMORTAL;
    }
    return mm_rc_get(rt, mm_h_index(h));
}

mm_status mm_getsizeof_at(const mm_rt *rt, mm_h h, mm_sizeof *out,
                          const char *file, int line)
{
    memset(out, 0, sizeof *out);
    const mm_obj *o = mm_deref_at(rt, h, file, line);
    if (o == NULL) {
        return MMO_BADHANDLE;
    }
    const mm_type *t = mm_obj_type(rt, o);
    out->requested = t->size(rt, o);
    if (mm_obj_is_immortal(o)) {
        return MMO_OK; /* in flash: no RAM block, no slot */
    }
    out->block = mm_usable_size(rt->heap, o);
    out->handle = sizeof(mm_slot);
    const void *body[2];
    size_t n = t->bodies != NULL ? t->bodies(rt, o, body) : 0;
    for (size_t i = 0; i < n; i++) {
        out->block += body[i] != NULL ? mm_usable_size(rt->heap, body[i]) : 0u;
    }
    return MMO_OK;
}

/* ----------------------------------------------------------- the checker */

typedef struct check_ctx {
    uint32_t *count;
    mm_obj_report *rep;
    mm_h parent;
} check_ctx;

static bool fail(mm_obj_report *rep, mm_h h, const char *what)
{
    if (rep->status == MMO_OK) {
        rep->status = MMO_CORRUPT;
        rep->handle = h;
        rep->what = what;
    }
    return false;
}

static void count_child(mm_rt *rt, mm_h child, void *arg)
{
    check_ctx *cx = (check_ctx *)arg;
    hclass c = classify(rt, child);
    if (c == HC_LIVE) {
        cx->count[mm_h_index(child)]++;
    } else if (c != HC_NULL && c != HC_IMMORTAL) {
        fail(cx->rep, cx->parent, "container holds a dead or forged handle");
    }
}

/* Walks the free list: each entry is an untaken, unretired, unbound slot. */
static bool check_free_list(const mm_rt *rt, mm_obj_report *rep, uint32_t *nfree)
{
    uint32_t n = 0;
    for (uint32_t i = rt->free_head; i != 0; i = meta_field(rt->tab[i].meta)) {
        if (i >= rt->fresh || rt->tab[i].obj != NULL || meta_retired(rt->tab[i].meta) ||
            ++n > rt->cap) {
            return fail(rep, mm__h_make(rt, i, 0), "free list broken");
        }
    }
    *nfree = n;
    return true;
}

/* Counts every reference held by containers and externals. */
static void count_refs(mm_rt *rt, const mm_h *ext, size_t n_ext, check_ctx *cx)
{
    for (uint32_t i = 1; i < rt->fresh; i++) {
        mm_obj *o = rt->tab[i].obj;
        const mm_type *t = o != NULL ? mm_obj_type(rt, o) : NULL;
        if (t != NULL && t->traverse != NULL) {
            cx->parent = mm__h_make(rt, i, meta_epoch(rt->tab[i].meta));
            t->traverse(rt, o, count_child, cx);
        }
    }
    cx->parent = MM_NULL;
    for (uint32_t k = 0; k < rt->nclasses; k++) { /* shared keys hold their names */
        for (uint32_t i = 0; rt->cls[k] != NULL && i < rt->cls[k]->nkeys; i++) {
            count_child(rt, rt->cls[k]->keys[i], cx);
        }
    }
    for (size_t k = 0; k < n_ext; k++) {
        count_child(rt, ext[k], cx);
    }
}

/* Structural checks of slot i (live): back-link, type, not dying. */
static bool check_slot(const mm_rt *rt, uint32_t i, mm_obj_report *rep)
{
    const mm_slot *s = &rt->tab[i];
    mm_h h = mm__h_make(rt, i, meta_epoch(s->meta));
    if (meta_dying(s->meta)) {
        return fail(rep, h, "object left dying outside a drain");
    }
    if (mm_hdr_slot(s->obj) != i || mm_obj_is_immortal(s->obj)) {
        return fail(rep, h, "header back-link does not name its slot");
    }
    if (mm_obj_type(rt, s->obj) == NULL) {
        return fail(rep, h, "object of unknown type");
    }
    return true;
}

mm_status mm_obj_check(mm_rt *rt, const mm_h *ext, size_t n_ext,
                       uint32_t *scratch, mm_obj_report *rep)
{
    mm_obj_report local = {MMO_OK, MM_NULL, 0, 0, NULL};
    rep = rep != NULL ? rep : &local;
    memset(rep, 0, sizeof *rep);
    uint32_t nfree = 0, nlive = 0;
    if (!check_free_list(rt, rep, &nfree)) {
        return rep->status;
    }
    for (uint32_t i = 1; i < rt->fresh; i++) {
        scratch[i] = 0;
        if (rt->tab[i].obj != NULL) {
            nlive++;
            if (!check_slot(rt, i, rep)) {
                return rep->status;
            }
        }
    }
    if (nlive != mm_rt_live(rt) || nlive + nfree + rt->retired + 1u != rt->fresh) {
        fail(rep, MM_NULL, "slot counts disagree (live/free/retired)");
        return rep->status;
    }
    check_ctx cx = {scratch, rep, MM_NULL};
    count_refs(rt, ext, n_ext, &cx);
    for (uint32_t i = 1; i < rt->fresh && rep->status == MMO_OK; i++) {
        if (rt->tab[i].obj != NULL && mm_rc_get(rt, i) != scratch[i]) {
            rep->stored = mm_rc_get(rt, i);
            rep->derived = scratch[i];
            fail(rep, mm__h_make(rt, i, meta_epoch(rt->tab[i].meta)),
                 "refcount differs from references found");
        }
    }
    return rep->status;
}
