/*
 * obj_int.h - the object runtime's internals: the handle table's slot
 * encoding, struct mm_rt's layout, and the inline fast paths (create,
 * incref, decref, slot freeing) that mm_obj.h declares. Included at the
 * end of mm_obj.h; only obj/, types/ and gc/ use what it defines.
 * Everything named mm__ is internal and may change without notice.
 */
#ifndef MM_OBJ_INT_H
#define MM_OBJ_INT_H

#include "obj/mm_obj.h"
#include "heap/heap_int.h" /* the allocator's inline small paths */
#include "obj/thumb2.h"     /* paired loads and stores, MM__OPAQUE */


/* ==== handle table slots ==== */

/* meta, live:  (refcount-1) << 12 | DYING << 11 | epoch
 * meta, free:  next free index << 12 | RETIRED << 11 | epoch (of the NEXT
 *              occupant). obj == NULL iff free. */
typedef struct mm_slot {
    uint32_t meta;
    mm_obj *obj;
} mm_slot;

#define MM_META_RC_SHIFT 12u
#define MM_RC_ONE (1u << MM_META_RC_SHIFT)
#define MM_META_SIGN 0x80000000u
/* Bit 11 has one meaning per state of the slot, each with its name: */
#define MM_META_DYING 0x00000800u     /* live: being freed (H5) */
#define MM_META_TENTATIVE MM_META_DYING /* live, during a collection: on the
                                           tentative list (gc/mm_gc.h C3) */
#define MM_META_RETIRED MM_META_DYING /* free: never reused (epoch wrapped) */
#define MM_META_EPOCH_MASK 0x000007FFu
#define MM_META_RC_ZERO 0xFFFFFu    /* field value meaning refcount 0 */
/* Internal: the sink's slot word, its refcount field parked mid-range
 * (mm_rt_init; re-centred when it drifts to an edge, and by the
 * collector after each collection). */
#define MM__SINK_META 0x40000000u

static_assert(MM_META_EPOCH_MASK == MM_H_EPOCH_MAX, "slot epoch = handle epoch");
static_assert(MM_META_DYING == MM_H_EPOCH_MAX + 1u, "flag right above the epoch");

/* A slot's two words with one ldrd / strd (obj/thumb2.h; plain loads and
 * stores where pointers are not 32-bit). */
static inline void mm__slot_load(const mm_slot *s, uint32_t *meta, mm_obj **obj)
{
#if MM_CLS_PAIRED
    uint32_t o;
    mm__pair_load(s, meta, &o);
    *obj = (mm_obj *)(uintptr_t)o;
#else
    *meta = s->meta;
    *obj = s->obj;
#endif
}

static inline void mm__slot_store(mm_slot *s, uint32_t meta, mm_obj *obj)
{
#if MM_CLS_PAIRED
    mm__pair_store(s, meta, (uint32_t)(uintptr_t)obj);
#else
    s->meta = meta;
    s->obj = obj;
#endif
}


/* All fields are private to obj/, types/ and gc/; they are in a header
 * only so that the fast paths can be inline. */
/* Internal (types/inst.c): the runtime state of a dict class. Its
 * instances share one keys table (PEP 412): keys[i] is the interned name
 * of value word i of every instance; each instance holds `width` value
 * words (the same for every instance of the class, so the collector
 * reads them as it reads slots). The state and its keys are freed when
 * the class has no live instance left. */
typedef struct mm__class_state {
    mm_h *keys;     /* heap block of width handles (references), or NULL */
    uint32_t live;  /* live instances of the class */
    uint16_t nkeys; /* names in keys (<= width) */
    uint16_t width; /* value words per instance: 1, 3, 5... */
} mm__class_state;

struct mm_rt {
    /* cap, fresh, tab, heap, inst16 in this order: a checked decref reads
     * fresh and tab, a create tab and heap, a death heap and inst16, each
     * pair with one ldrd. */
    uint32_t cap;          /* slots in tab, sink included (<= MM_MAX_SLOTS) */
    uint32_t fresh;        /* slots [fresh, cap) never used yet */
    mm_slot *tab;          /* handle table; slot 0 is the sink (H4) */
    mm_heap *heap;         /* where every object block and body comes from */
    /* The slots classes whose instances take the inline create and free
     * (mm_inst_new_at, mm__decref_last): bit 31 - id is set for class id
     * 16..31 without a dict and with 2 slots (a 16 B block) while no
     * track_hook is attached; 0 while one is, so that those paths need no
     * hook test of their own. inst16_classes: the same classes whatever
     * the hook (set by mm_class_register). Both kept by
     * mm__rt_set_track_hook, the one way to attach or detach the hook. */
    uint32_t inst16;
    uint32_t live_peak;    /* high-water mark of live, never decreased
                              (updated when a fresh slot is taken: a slot
                              from the free list never makes a new peak) */
    /* created, free_head, freed: adjacent, so that a create and a free
     * each read and write their pair with one ldrd / strd. */
    uint32_t created;      /* objects ever created (immortals not counted) */
    uint32_t free_head;    /* first free slot, 0 = none */
    uint32_t freed;        /* objects ever freed; live = created - freed */
    uint32_t retired;      /* slots retired at epoch wrap */
    uint32_t pending;      /* head of the pending-free list, 0 = empty */
    bool draining;         /* a drain loop is running (H5) */
    bool table_owned;      /* tab came from heap (freed by mm_rt_fini) */
    mm_status err;         /* last error (MMO_OK after a success) */
    /* Called once when a block allocation (size > 0) or a slot (size 0)
     * cannot be had; the allocation is then retried once. */
    void (*oom_hook)(mm_rt *rt, size_t size);
    void *gc;              /* the collector's state */
    /* Collector hooks (set by gc/gc.c), NULL by default.
     * track_hook(rt, o, true): tracked object o was just created (end of
     * mm_obj_new; may run a collection). track_hook(rt, o, false): tracked
     * o is being freed (drain, before clear; must not allocate).
     * alloc_hook: called first thing in every mm_rt_alloc (torture mode).
     * Only a MM_CFG_GC_TORTURE build sets it (mm_gc_init) and only such a
     * build tests it on the creation fast paths (MM_ALLOC_HOOK_ON). */
    void (*track_hook)(mm_rt *rt, mm_obj *o, bool born);
    uint32_t inst16_classes; /* see inst16 */
    void (*alloc_hook)(mm_rt *rt);
    uint32_t nclasses;
    uint32_t hbase;        /* the runtime's tag << MM_H_SLOT_BITS (H2) */
    const mm_class *classes[MM_CFG_MAX_CLASSES];
    /* Per class (types/inst.c): a dict class's state, a small heap block
     * that exists while the class has a live instance, else NULL. */
    mm__class_state *cls[MM_CFG_MAX_CLASSES];
    /* The intern table (types/str.c): open addressing over intern_cap
     * handles (a power of two, MM_NULL empty, MM_DICT_DUMMY deleted), a
     * heap block owned by `intern` (NULL while nothing is interned). It
     * holds no reference: a dying interned str takes itself out. */
    mm_h *intern;
    uint32_t intern_cap, intern_used, intern_fill;
    /* The caller's file:line that the next object blocks and bodies are
     * charged to (MM_CFG_TRACE=1): set by every API entry that may
     * allocate (MM__SITE), read by the allocation route. NULL: none yet. */
    const char *site_file;
    int site_line;
};

/* Internal: an API entry records its caller's site (tracing builds only;
 * nothing otherwise). Calls inside mm/ keep the outer caller's site. */
#define MM__SITE(rt, file, line)                                              \
    do {                                                                      \
        if (MM_CFG_TRACE) {                                                   \
            (rt)->site_file = (file);                                         \
            (rt)->site_line = (line);                                         \
        }                                                                     \
    } while (0)

/* Internal: the handle of slot idx at epoch gen, with the runtime's tag. */
static inline mm_h mm__h_make(const mm_rt *rt, uint32_t idx, uint32_t gen)
{
    return mm_h_make(idx, gen) | rt->hbase;
}

/* Internal: the slot index a handle names in rt, or a value >= any
 * table's size (MM_MAX_SLOTS or more) if its tag is another runtime's:
 * the index field, tag included, less rt's tag. */
static inline uint32_t mm__h_slot(const mm_rt *rt, mm_h h)
{
    return ((h & ((1u << MM_H_INDEX_BITS) - 1u)) - rt->hbase) & ((1u << MM_H_INDEX_BITS) - 1u);
}

/* Is an alloc_hook attached? Only the collector's torture mode attaches
 * one (mm_gc_init, MM_CFG_GC_TORTURE), so other builds test nothing. */
#define MM_ALLOC_HOOK_ON(rt) (MM_CFG_GC_TORTURE && (rt)->alloc_hook != NULL)

static_assert(sizeof(void *) != 4u ||
              (offsetof(mm_rt, tab) == offsetof(mm_rt, fresh) + 4u &&
               offsetof(mm_rt, heap) == offsetof(mm_rt, tab) + 4u &&
               offsetof(mm_rt, inst16) == offsetof(mm_rt, heap) + 4u),
              "fresh, tab, heap, inst16: word pairs (mm_decref_at, "
              "mm__obj_new_fast, mm__decref_last)");
static_assert(offsetof(mm_rt, free_head) == offsetof(mm_rt, created) + 4u &&
              offsetof(mm_rt, freed) == offsetof(mm_rt, free_head) + 4u,
              "created, free_head, freed: word pairs (mm__pair_load/store)");

/* Internal: attaches (fn not NULL) or detaches (NULL) the collector's
 * track_hook, keeping rt->inst16 (0 while a hook is attached) right. The
 * collector's mm_gc_init/mm_gc_fini and the tests' hook wrappers set the
 * hook only through it. O(1). */
static inline void mm__rt_set_track_hook(mm_rt *rt, void (*fn)(mm_rt *rt, mm_obj *o, bool born))
{
    rt->track_hook = fn;
    rt->inst16 = fn != NULL ? 0u : rt->inst16_classes;
}

/* Internal (slots instances' inline paths): a class id t (< 32) takes
 * them iff (rt->inst16 << t) & MM_META_SIGN. */
#define MM__INST16_SIZE 16u /* the block of those instances */

/* Internal: rt->tab and rt->heap / rt->heap and rt->inst16 / rt->fresh
 * and rt->tab with one ldrd on Thumb-2 (plain loads elsewhere). */
static inline void mm__rt_tab_heap(const mm_rt *rt, mm_slot **tab, mm_heap **heap)
{
#if MM_CLS_PAIRED
    uint32_t a, b;
    MM__PAIR_LOAD_AT(rt, offsetof(mm_rt, tab), a, b);
    *tab = (mm_slot *)(uintptr_t)a;
    *heap = (mm_heap *)(uintptr_t)b;
#else
    *tab = rt->tab;
    *heap = rt->heap;
#endif
}

static inline void mm__rt_heap_inst16(const mm_rt *rt, mm_heap **heap, uint32_t *inst16)
{
#if MM_CLS_PAIRED
    uint32_t a, b;
    MM__PAIR_LOAD_AT(rt, offsetof(mm_rt, heap), a, b);
    *heap = (mm_heap *)(uintptr_t)a;
    *inst16 = b;
#else
    *heap = rt->heap;
    *inst16 = rt->inst16;
#endif
}

static inline void mm__rt_fresh_tab(const mm_rt *rt, uint32_t *fresh, mm_slot **tab)
{
#if MM_CLS_PAIRED
    uint32_t a, b;
    MM__PAIR_LOAD_AT(rt, offsetof(mm_rt, fresh), a, b);
    *fresh = a;
    *tab = (mm_slot *)(uintptr_t)b;
#else
    *fresh = rt->fresh;
    *tab = rt->tab;
#endif
}

/* Internal, for the leaf types (int, str: no references, no body): as
 * mm_obj_new, but only the header is written, and *out (not NULL) must be
 * used to write every field before the next allocation. */
mm_h mm__obj_new_leaf(mm_rt *rt, uint32_t type, size_t size, mm_obj **out);

/* Internal: a small block of size bytes popped off its class's free
 * list (mm__alloc_fast: NULL when the list is empty, or size is not
 * small); for a size known at compile time, the class pair at a constant
 * offset from heap (one ldrd and one strd, no address arithmetic: the
 * mirror of MM__SMALL_FREE_CONST). A locked or debug heap: mm_alloc. */
static inline void *mm__small_pop_const(mm_heap *heap, size_t size)
{
    if (MM__HOOKED(heap)) {
        return NULL; /* traced: the general path records the caller's site */
    }
#if MM_CLS_PAIRED
    if (!MM_CFG_LOCK && !MM_CFG_DEBUG && __builtin_constant_p(size) &&
        (size - 1u) >> 3 < MM_NCLASS) {
        size_t off = ((size - 1u) >> 3) * sizeof(mm_cls);
        void **b;
        uintptr_t used;
        MM__PAIR_LOAD_AT(heap, off, b, used);
        if (b != NULL) {
            MM__PAIR_STORE_AT(heap, off, *b, used + 1u);
        }
        return b;
    }
#endif
    return MM_CFG_LOCK || MM_CFG_DEBUG ? (mm_alloc)(heap, size) : mm__alloc_fast(heap, size);
}

/* Internal, the creation fast path of mm__obj_new_leaf and of instances
 * (inline so that those two callers pay no further call): when no
 * alloc_hook is attached and the free list has a slot, takes it, pops a
 * small block of size bytes (size <= MM_CFG_SMALL_MAX) off its class's free
 * list (mm__small_pop_const: an empty one, to refill, is the general
 * path's) and binds both: header = hdr | slot index (hdr: type << 20, and
 * MM_HDR_TRACKED for a container), refcount 1, rt->err = MMO_OK. Nothing
 * after the header is written. Returns the NEW handle and the borrowed
 * object in *out; MM_NULL, with nothing changed, when the fast path cannot
 * serve (the caller then takes the general path, which may run hooks, the
 * collector or report MemoryError). O(1) + A. */
static inline mm_h mm__obj_new_fast(mm_rt *rt, uint32_t hdr, size_t size, mm_obj **out)
{
    uint32_t created, idx;
    MM__PAIR_LOAD_AT(rt, offsetof(mm_rt, created), created, idx); /* created, free_head */
    if (__builtin_expect(idx == 0, 0) || MM_ALLOC_HOOK_ON(rt)) {
        return MM_NULL;
    }
    if (idx > MM_H_INDEX_MASK) { /* free_head is an index or a slot word's
                                    20-bit field: the caller's h & index
                                    mask folds to idx */
        __builtin_unreachable();
    }
    mm_slot *tab;
    mm_heap *heap;
    mm__rt_tab_heap(rt, &tab, &heap);
    /* The heap never calls back into the runtime, so the slot is taken
     * after the block is had: a failed allocation leaves all as it was. */
    mm_obj *o = (mm_obj *)mm__small_pop_const(heap, size);
    if (o == NULL) {
        return MM_NULL;
    }
    mm_slot *s = &tab[idx];
    uint32_t m = s->meta; /* free slot: next << 12 | epoch of this occupant */
    MM__PAIR_STORE_AT(rt, offsetof(mm_rt, created), created + 1u,
                      m >> MM_META_RC_SHIFT); /* free_head */
    uint32_t epoch = m & MM_META_EPOCH_MASK;
    mm__slot_store(s, epoch, o); /* refcount 1, not dying */
    o->hdr = hdr | idx;
    rt->err = MMO_OK;
    *out = o;
    return mm__h_make(rt, idx, epoch);
}

/* Internal: slot s (index idx) of an object just freed goes on the free
 * list whose head is *head, with epoch + 1 (*head = idx), its obj word
 * NULL. False, with nothing done, when the epoch would
 * wrap: the caller then retires the slot out of line (mm__slot_release,
 * which counts the object itself). The one encoding of a slot's freeing,
 * for mm__slot_free_fast and for the collector's release, which
 * keeps the head in a register. */
static inline bool mm__slot_push(mm_slot *s, uint32_t idx, uint32_t epoch, uint32_t *head)
{
    uint32_t next_epoch = epoch + 1u;
    if (next_epoch > MM_H_EPOCH_MAX) {
        return false;
    }
    mm__slot_store(s, *head << MM_META_RC_SHIFT | next_epoch, NULL);
    *head = idx;
    return true;
}

/* Internal: mm__slot_push on rt's free list, the object counted freed
 * (free_head and freed: one ldrd / strd). False, with nothing done, at
 * the epoch wrap (see mm__slot_push). The one inline form of slot
 * freeing for the refcount deaths (obj/obj.c). */
static inline bool mm__slot_free_fast(mm_rt *rt, mm_slot *s, uint32_t idx, uint32_t epoch)
{
    if (epoch + 1u > MM_H_EPOCH_MAX) {
        return false; /* tested before the pair is loaded */
    }
    uint32_t head, freed;
    MM__PAIR_LOAD_AT(rt, offsetof(mm_rt, free_head), head, freed);
    (void)mm__slot_push(s, idx, epoch, &head);
    MM__PAIR_STORE_AT(rt, offsetof(mm_rt, free_head), head, freed + 1u);
    return true;
}


static inline const mm_class *mm_class_of_id(const mm_rt *rt, uint32_t id)
{
    uint32_t k = id - (uint32_t)MM_T_CLASS0; /* ids below wrap: too big */
    return k < rt->nclasses ? rt->classes[k] : NULL;
}

/* ==== refcounts (declared in mm_obj.h) ==== */

/* Fast paths (H3, H4): handle -> slot -> one add or subtract. Work for
 * live, null and immortal handles; NO validation (see checked build).
 * Thumb-2 (-O2 -mcpu=cortex-m3): incref = ldr, ubfx, ldr, add, str;
 * decref = ldr, ubfx, ldr, subs, bmi, str (+ out-of-line call on zero). */
static inline void mm_incref_fast(mm_rt *rt, mm_h h)
{
    rt->tab[h & MM_H_INDEX_MASK].meta += MM_RC_ONE;
}
/* The slow path of mm_decref_fast: the slot word of h went negative. (It
 * takes h, not the slot: the fast path then needs no slot address.) */
void mm__decref_slow(mm_rt *rt, mm_h h);
static inline void mm_decref_fast(mm_rt *rt, mm_h h)
{
    mm_slot *s = &rt->tab[h & MM_H_INDEX_MASK];
    uint32_t m = s->meta - MM_RC_ONE;
    if ((m & MM_META_SIGN) != 0) {
        mm__decref_slow(rt, h);
    } else {
        s->meta = m;
    }
}

/* Internal, the parts of mm_decref_at: the out-of-line validation and
 * reports (any handle; does the decref if h turns out valid), and the
 * death of live slot s (index idx) whose refcount is 1 and not dying
 * (validated). */
bool mm__decref_at_slow(mm_rt *rt, mm_h h, const char *file, int line);
void mm__decref_last(mm_rt *rt, mm_slot *s, uint32_t idx);

/* The common case inline, file:line passed only to the slow path: a live
 * handle of refcount 1 (freed) or 2..MM_RC_MAX. d = meta ^ (h >> 20) is 0
 * exactly for refcount 1, same epoch, not dying, h not immortal (bit
 * 11 of h >> 20 is h's immortal bit, facing the DYING flag); its low 12
 * bits are 0 for any refcount of a live object of h's epoch
 * (refcount 0, field all ones, only while the collector works: slow
 * path). A free slot has obj NULL; slots from `fresh` on were never
 * written; the sink has obj NULL. */
static inline bool mm_decref_at(mm_rt *rt, mm_h h, const char *file, int line)
{
    uint32_t idx = mm__h_slot(rt, h); /* another runtime's: beyond fresh */
    uint32_t fresh;
    mm_slot *tab;
    mm__rt_fresh_tab(rt, &fresh, &tab);
    if (idx < fresh) {
        mm_slot *s = &tab[idx];
        uint32_t m;
        mm_obj *o;
        mm__slot_load(s, &m, &o);
        if (m == h >> MM_H_INDEX_BITS) { /* d == 0: one cmp, h shifted */
            if (o != NULL) {
                mm__decref_last(rt, s, idx);
                return true;
            }
        } else if (o != NULL) {
            /* d's low 12 bits, as the top 12 of h ^ m << 20: no h >> 20
             * kept alive from the test above */
            static_assert((MM_META_EPOCH_MASK | MM_META_DYING) == 0xFFFu, "low 12 bits");
            if (((h ^ m << 20) >> 20) == 0 && m < (MM_META_RC_ZERO << MM_META_RC_SHIFT)) {
                s->meta = m - MM_RC_ONE;
                return true;
            }
        }
    }
    return mm__decref_at_slow(rt, h, file, line);
}


/* Internal, for the collector: frees live slot idx, whose
 * object the caller has just freed itself (clear, destroy, block) outside
 * any drain, as the drain does last: the slot's epoch is bumped (or
 * the slot retired) and the object counted freed. No hook runs. O(1). */
void mm__slot_release(mm_rt *rt, uint32_t idx);

/* ==== handle -> object ==== */

/* Object of a handle ALREADY VALIDATED (live or immortal): no checks. For
 * handles held by containers, which were validated when stored. O(1). */
const mm_obj *mm__small_int_obj(mm_h h);
static inline mm_obj *mm_obj_ptr(const mm_rt *rt, mm_h h)
{
    if (mm_h_is_immortal(h)) {
        return (mm_obj *)(uintptr_t)mm__small_int_obj(h);
    }
    return rt->tab[mm_h_index(h)].obj;
}


/* The accessors mm_obj.h declares. */
static inline mm_status mm_rt_error(const mm_rt *rt) { return rt->err; }
static inline uint32_t mm_rt_slots(const mm_rt *rt) { return rt->cap; }
static inline uint32_t mm_rt_live(const mm_rt *rt) { return rt->created - rt->freed; }

#endif /* MM_OBJ_INT_H */
