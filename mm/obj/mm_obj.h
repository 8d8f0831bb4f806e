/*
 * mm_obj.h - refcounted handles and the object model of mmrt.
 *
 * THIS HEADER IS THE CONTRACT of obj/obj.c (runtime, handles, dealloc,
 * introspection, checker). The types (int, str, list, dict, instances,
 * generators, LRU cache) are in mm_types.h.
 *
 * ---- Invariants, in words ----
 * H1. C code holds an object only through a handle (mm_h, 32 bits). A raw
 *     mm_obj* obtained from a handle is BORROWED and valid only until the
 *     next allocation or decref (an allocation may run the collector and
 *     compact, which moves large blocks).
 * H2. A handle is `index | gen << 20` (bit 31 clear) naming slot `index` of
 *     the runtime's handle table. A slot's generation is bumped every time
 *     its object dies, and a slot whose generation would wrap is retired
 *     for good, so a handle from an earlier life never matches a later
 *     occupant: stale and forged handles are always told apart from live
 *     ones, never silently reach a reused slot.
 * H3. The refcount lives in the slot, next to the generation, not in the
 *     object: slot.meta = (refcount-1) << 12 | flag << 11 | gen. That makes
 *     incref one add to a word found from the handle alone, and decref one
 *     subtract whose sign says "reached zero" (see mm_incref_fast).
 * H4. Slot 0 is the SINK: never issued, never freed. The null handle and
 *     every immortal handle map to it, so the unchecked incref/decref need
 *     no branch for them and never write to an immortal object (those live
 *     in flash: the small ints -5..256, handles with bit 31 set).
 * H5. When a refcount reaches zero, a leaf (int, str: holds nothing, owns
 *     no body) is freed at once: slot, then block. So is a slots instance
 *     when no collector hook is attached and dropping its fields in place
 *     takes no child to zero (unset and immortal fields cost one test);
 *     one of 2 slots (rt->inst16) whose fields are both unset or immortal
 *     is freed like an int, straight from mm__decref_last.
 *     Any other object is marked dying; if no drain is running it is freed at once and then
 *     the pending-free list (threaded through the dying slots' meta words)
 *     is drained in a loop; inside a drain it is pushed on that list.
 *     Freeing: clear() drops the children (whose own zero frees or pushes
 *     them), destroy() frees bodies, the block and slot are freed. No
 *     recursion: the C stack is bounded whatever the shape of the graph.
 * H6. Every object block and body is obtained through mm_rt_alloc(), which
 *     on failure calls rt->oom_hook (the collector's emergency collect +
 *     compact) and retries once, then returns MemoryError. Large bodies
 *     register their only owner with mm_set_owner(), so mm_compact may move
 *     them; code must reach them through the owning object again after any
 *     allocation.
 *
 * ---- Object header (4 bytes, the first word of every object) ----
 *   bits  0..19  slot index of the object's handle (back-link; 0 = sink)
 *   bits 20..25  type id (0 invalid, 1..15 builtin, 16.. registered classes)
 *   bits 26..27  GC generation 0..2 (reserved for the collector, issue #5)
 *   bit  28      GC flag A   (reserved for the collector)
 *   bit  29      GC flag B   (reserved for the collector)
 *   bit  30      tracked: a container the collector must consider
 *   bit  31      immortal (const object in flash; never written)
 * The refcount is not in the header (H3) but in the handle slot; the
 * collector reads and writes it with mm_rc_get / mm_rc_set.
 *
 * ---- What the collector can rely on (issue #5) ----
 * (a) live objects: for idx in 1..mm_rt_slots(rt)-1, mm_slot_obj(rt, idx)
 *     is the live object or NULL; mm_slot_handle(rt, idx) its handle;
 * (b) children: mm_obj_type(rt, o)->traverse(rt, o, visit, arg) calls
 *     visit once per reference held (NULL traverse: not a container);
 *     where refs is not NULL it gives the same references as one array
 *     of handles (list items, instance fields), read without a call per
 *     child;
 * (c) mm_obj_type(rt, o)->clear(rt, o) drops all references (the object
 *     stays valid and empty); the caller must hold a reference to o across
 *     the call (incref, clear, decref, as CPython's delete_garbage), since
 *     the children it drops may be what kept o alive;
 * (d) mm_rc_get/mm_rc_set read and write the true refcount of a slot
 *     (0 allowed while the collector works; it must restore or free);
 * (e) rt->oom_hook and rt->gc are its to set;
 * (f) mm__slot_release frees the slot of an object the collector has
 *     freed itself (cleared garbage: track_hook, clear, destroy, block).
 *
 * ---- Checked build ----
 * MM_CFG_CHECKED_HANDLES (mm_config.h, default 1): mm_incref/mm_decref
 * (mm_incref_at out of line; mm_decref_at's common case inline, its
 * reports out of line) validate the handle (forged, stale, double decref,
 * refcount overflow) and report the CALLER's file:line through
 * mm_port_misuse(); on a misuse nothing is changed.
 * With 0 they are the inline fast paths (incref 5, decref 6 Thumb-2
 * instructions, see mm_incref_fast) and check nothing: a stale or forged
 * handle there changes the wrong slot word, or memory after the table if
 * its index is beyond it (they never write to an object).
 * What every build still checks: mm_deref and every other API function
 * that takes a handle validate it (null, range, generation, dying, type,
 * index) and report misuse with the caller's file:line; mm_obj_check finds
 * refcounts that disagree with the graph and containers holding dead
 * handles.
 *
 * ---- Measured (mps2-an385, Cortex-M3, -O2, instructions under -icount;
 * tests/bench/bench_obj.c, `make bench`; steady state: one other block of
 * the class stays live, so the class keeps a free block and never refills) ----
 * raw mm_alloc(12)+mm_free pair: 33. Create+destroy of a boxed int: 61
 * checked (mm_decref_at) / 60 unchecked (mm_decref_fast), ratio 1.85 /
 * 1.82 (was 60 / 61, 65 / 61, 93 / 89, and 160 / 152 over the old
 * 46-instruction pair); of a 2-slot instance: 65 / 65, ratio 1.97 / 1.97
 * (was 81 / 82, 139 / 138, 152 / 149); 231 with the collector attached
 * (was 239, 354: the collector now hears of a slots instance's death
 * without the drain, and a temporary takes its young-table entry with
 * it, so churn never collects; what is left is the general create path
 * and the collector's two counts per life, CPython's gc accounting).
 * Where an int life goes (read off the Thumb-2): create, inline in
 * mm_int_new (24): free-list test 3, table and heap 1 (one ldrd: rt->tab
 * and rt->heap are adjacent), the allocator's pop 6 (its class pair at a
 * constant offset from the heap: one ldrd, one strd), constants 2, slot
 * word and counters 7 (two strd), header, err, value 4, handle 1 (21 in
 * the unchecked loop: there the constants are hoisted and both tests are
 * one cbz); checked destroy (12 inline in the caller: rt->fresh and
 * rt->tab in one ldrd, index and range 3, slot ldrd 2, d test 2 (one cmp
 * against h shifted), null test 2, call 2) and mm__decref_last (25: frame
 * 2, slot ldrd 1, rt->heap and the rt->inst16 mask in one ldrd 1, header
 * 1, instance test 3, int test 4, generation test 3, slot back on the free
 * list and freed count 5 (ldrd/strd; its NULL is the int test's zero),
 * block push on its known class 5). The unchecked destroy is the
 * 6-instruction inline decref (5 of them on this path), the call 2, and
 * the same death in mm__decref_slow (32: it finds the slot from h 4 and
 * validates its word 3, a register move 1).
 * A 2-slot instance takes the same paths (mm_inst_new_at inline, 28 at
 * create, 26 in the unchecked loop: the class test 5 (rt->inst16, class id
 * < 32, the class bit shifted to the sign; the mask is 0 while a collector
 * hook is attached, so there is no hook test), the header 2 (a constant
 * hoisted out of loops, or'ed with the index), null fields 1 (strd), no
 * value); at death the instance test comes first (3), then its two field
 * words null-or-immortal 4 (ldrd, orrs, lsls, cbnz; the zero is the slot's
 * NULL), no int test. Its block class is the int's (16 B), pushed back as
 * a compile-time constant.
 * incref/decref: 5 / 6 inline (unchecked); checked: incref 23 out of line,
 * decref 18 (inline common case; was 19).
 *
 * ---- Ownership (CPython's convention) ----
 * NEW: the caller owns one reference and must mm_decref it.
 * BORROWED: the caller may use it until the next allocation or decref
 * without owning it (mm_incref to keep it). Arguments are always borrowed
 * unless a function says it STEALS the reference.
 *
 * Concurrency: none. A runtime is used from one thread, never from an ISR;
 * nothing here is ISR-safe.
 */
#ifndef MM_OBJ_H
#define MM_OBJ_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap/mm_heap.h"
#include "mm_config.h"
#include "heap/heap_int.h" /* the allocator's inline small paths */

/* ==== handles ==== */

typedef uint32_t mm_h;

#define MM_NULL ((mm_h)0)
#define MM_H_INDEX_BITS 20u
#define MM_H_INDEX_MASK ((1u << MM_H_INDEX_BITS) - 1u)
#define MM_H_EPOCH_BITS 11u                     /* bits 20..30 */
#define MM_H_EPOCH_MAX ((1u << MM_H_EPOCH_BITS) - 1u)
#define MM_H_IMMORTAL 0x80000000u             /* bit 31: flash small int */
#define MM_MAX_SLOTS (1u << MM_H_INDEX_BITS)  /* table capacity limit */

static_assert(MM_H_INDEX_BITS + MM_H_EPOCH_BITS + 1u == 32u, "handle layout");

/* Caller's location, passed by every checked macro. */
#define MM_HERE __FILE__, __LINE__

static inline uint32_t mm_h_index(mm_h h) { return h & MM_H_INDEX_MASK; }
static inline uint32_t mm_h_epoch(mm_h h)
{
    return (h >> MM_H_INDEX_BITS) & MM_H_EPOCH_MAX;
}
static inline bool mm_h_is_immortal(mm_h h) { return (h & MM_H_IMMORTAL) != 0; }
static inline mm_h mm_h_make(uint32_t index, uint32_t gen)
{
    return index | (gen << MM_H_INDEX_BITS);
}
/* `is`: identity is handle equality (stable, unique among live objects). */
static inline bool mm_is(mm_h a, mm_h b) { return a == b; }

/* ==== object header ==== */

typedef struct mm_obj {
    uint32_t hdr;
} mm_obj;

static_assert(sizeof(mm_obj) == 4, "object header is one word");

#define MM_HDR_SLOT_MASK 0x000FFFFFu
#define MM_HDR_TYPE_SHIFT 20u
#define MM_HDR_TYPE_MASK 0x03F00000u
#define MM_HDR_GCGEN_SHIFT 26u
#define MM_HDR_GCGEN_MASK 0x0C000000u
#define MM_HDR_GC_A 0x10000000u
#define MM_HDR_GC_B 0x20000000u
#define MM_HDR_TRACKED 0x40000000u
#define MM_HDR_IMMORTAL 0x80000000u
#define MM_TYPE_MAX 64u

static_assert((MM_HDR_SLOT_MASK ^ MM_HDR_TYPE_MASK ^ MM_HDR_GCGEN_MASK ^
               MM_HDR_GC_A ^ MM_HDR_GC_B ^ MM_HDR_TRACKED ^
               MM_HDR_IMMORTAL) == 0xFFFFFFFFu,
              "header fields tile the word");
static_assert(MM_HDR_SLOT_MASK == MM_H_INDEX_MASK, "back-link holds an index");

static inline uint32_t mm_hdr_make(uint32_t type, uint32_t slot)
{
    return (type << MM_HDR_TYPE_SHIFT) | slot;
}
static inline uint32_t mm_hdr_slot(const mm_obj *o)
{
    return o->hdr & MM_HDR_SLOT_MASK;
}
static inline uint32_t mm_hdr_type(const mm_obj *o)
{
    return (o->hdr & MM_HDR_TYPE_MASK) >> MM_HDR_TYPE_SHIFT;
}
static inline bool mm_obj_is_immortal(const mm_obj *o)
{
    return (o->hdr & MM_HDR_IMMORTAL) != 0;
}
static inline bool mm_gc_is_tracked(const mm_obj *o)
{
    return (o->hdr & MM_HDR_TRACKED) != 0;
}
static inline uint32_t mm_gc_gen(const mm_obj *o)
{
    return (o->hdr & MM_HDR_GCGEN_MASK) >> MM_HDR_GCGEN_SHIFT;
}
static inline bool mm_gc_flag_a(const mm_obj *o) { return (o->hdr & MM_HDR_GC_A) != 0; }
static inline bool mm_gc_flag_b(const mm_obj *o) { return (o->hdr & MM_HDR_GC_B) != 0; }

/* The setters below must not be used on immortal objects (they are const). */
static inline void mm_hdr_set_bits(mm_obj *o, uint32_t mask, bool on)
{
    o->hdr = on ? (o->hdr | mask) : (o->hdr & ~mask);
}
static inline void mm_gc_set_tracked(mm_obj *o, bool on) { mm_hdr_set_bits(o, MM_HDR_TRACKED, on); }
static inline void mm_gc_set_flag_a(mm_obj *o, bool on) { mm_hdr_set_bits(o, MM_HDR_GC_A, on); }
static inline void mm_gc_set_flag_b(mm_obj *o, bool on) { mm_hdr_set_bits(o, MM_HDR_GC_B, on); }
static inline void mm_gc_set_gen(mm_obj *o, uint32_t gen)
{
    o->hdr = (o->hdr & ~MM_HDR_GCGEN_MASK) | ((gen << MM_HDR_GCGEN_SHIFT) & MM_HDR_GCGEN_MASK);
}

/* ==== handle table slots ==== */

/* meta, live:  (refcount-1) << 12 | DYING << 11 | gen
 * meta, free:  next free index << 12 | RETIRED << 11 | gen (of the NEXT
 *              occupant). obj == NULL iff free. */
typedef struct mm_slot {
    uint32_t meta;
    mm_obj *obj;
} mm_slot;

#define MM_META_RC_SHIFT 12u
#define MM_RC_ONE (1u << MM_META_RC_SHIFT)
#define MM_META_SIGN 0x80000000u
#define MM_META_FLAG 0x00000800u /* live: DYING (during a collection: TENTATIVE, mm_gc.h C3); free: RETIRED */
#define MM_META_EPOCH_MASK 0x000007FFu
#define MM_RC_MAX ((1u << 20) - 1u) /* largest refcount the field holds */
#define MM_META_RC_ZERO 0xFFFFFu    /* field value meaning refcount 0 */
/* Internal: the sink's slot word, its refcount field parked mid-range
 * (mm_rt_init; re-centred when it drifts to an edge, and by the
 * collector after each collection). */
#define MM__SINK_META 0x40000000u

static_assert(MM_META_EPOCH_MASK == MM_H_EPOCH_MAX, "slot gen = handle gen");
static_assert(MM_META_FLAG == MM_H_EPOCH_MAX + 1u, "flag right above gen");

/* Two adjacent words (a slot; the runtime's counter pairs) loaded or
 * stored with one ldrd / strd on Thumb-2, which GCC otherwise splits (as
 * the allocator's class pairs, heap/heap_int.h). p is 4-aligned. */
static inline void mm__pair_load(const void *p, uint32_t *a, uint32_t *b)
{
#if MM_CLS_PAIRED
    __asm__("ldrd %0, %1, [%2]" : "=r"(*a), "=r"(*b)
            : "r"(p), "m"(*(const uint32_t(*)[2])p));
#else
    const uint32_t *w = (const uint32_t *)p;
    *a = w[0];
    *b = w[1];
#endif
}

static inline void mm__pair_store(void *p, uint32_t a, uint32_t b)
{
#if MM_CLS_PAIRED
    __asm__("strd %1, %2, [%3]" : "=m"(*(uint32_t(*)[2])p) : "r"(a), "r"(b), "r"(p));
#else
    uint32_t *w = (uint32_t *)p;
    w[0] = a;
    w[1] = b;
#endif
}

/* The same at base + off, off a compile-time constant: [base, #off] saves
 * the address arithmetic. */
#if MM_CLS_PAIRED
#define MM__PAIR_LOAD_AT(base, off, a, b)                                        \
    __asm__("ldrd %0, %1, [%2, %3]" : "=r"(a), "=r"(b)                           \
            : "r"(base), "i"(off), "m"(*(const uint32_t(*)[2])(const void *)((const char *)(base) + (off))))
#define MM__PAIR_STORE_AT(base, off, a, b)                                       \
    __asm__("strd %1, %2, [%3, %4]" : "=m"(*(uint32_t(*)[2])(void *)((char *)(base) + (off))) \
            : "r"(a), "r"(b), "r"(base), "i"(off))
#else
#define MM__PAIR_LOAD_AT(base, off, a, b)                                        \
    mm__pair_load((const char *)(base) + (off), &(a), &(b))
#define MM__PAIR_STORE_AT(base, off, a, b) mm__pair_store((char *)(base) + (off), (a), (b))
#endif

/* A slot's two words with one ldrd / strd (32-bit Thumb-2). */
static inline void mm__slot_load(const mm_slot *s, uint32_t *meta, mm_obj **obj)
{
#if MM_CLS_PAIRED
    __asm__("ldrd %0, %1, [%2]" : "=r"(*meta), "=r"(*obj) : "r"(s), "m"(*s));
#else
    *meta = s->meta;
    *obj = s->obj;
#endif
}

static inline void mm__slot_store(mm_slot *s, uint32_t meta, mm_obj *obj)
{
#if MM_CLS_PAIRED
    __asm__("strd %1, %2, [%3]" : "=m"(*s) : "r"(meta), "r"(obj), "r"(s));
#else
    s->meta = meta;
    s->obj = obj;
#endif
}

/* ==== types ==== */

typedef struct mm_rt mm_rt;

/* Called once per reference a container holds (child may be MM_NULL or
 * immortal; the visitor must cope). */
typedef void (*mm_visit_fn)(mm_rt *rt, mm_h child, void *arg);

typedef struct mm_type {
    const char *name;
    /* Visit every reference held. NULL for non-containers. O(children). */
    void (*traverse)(mm_rt *rt, mm_obj *o, mm_visit_fn visit, void *arg);
    /* Drop every reference held; the object stays valid (empty). NULL for
     * non-containers. Decrefs may free children (iteratively, H5). */
    void (*clear)(mm_rt *rt, mm_obj *o);
    /* Free the bodies the object owns (not the object block). May be NULL. */
    void (*destroy)(mm_rt *rt, mm_obj *o);
    /* Requested bytes of the object block plus its bodies. */
    size_t (*size)(const mm_rt *rt, const mm_obj *o);
    /* Free body pointers held in the object (for getsizeof's block
     * figure). Writes up to 2 into body[]; returns how many. May be NULL. */
    size_t (*bodies)(const mm_rt *rt, const mm_obj *o, const void *body[2]);
    /* Collector fast path (may be NULL): when every reference the object
     * holds sits in one array of handles, points *out at it and returns
     * the count; the collector then reads the array instead of calling
     * traverse. NULL: the collector uses traverse. O(1). */
    uint32_t (*refs)(const mm_rt *rt, const mm_obj *o, const mm_h **out);
} mm_type;

/* Builtin type ids (header bits 20..25). */
enum {
    MM_T_INVALID = 0,
    MM_T_INT = 1,
    MM_T_STR = 2,
    MM_T_LIST = 3,
    MM_T_DICT = 4,
    MM_T_GEN = 5,
    MM_T_LRU = 6,
    MM_T_BUILTIN_END = 7,
    MM_T_CLASS0 = 16 /* first id given to a registered class */
};

/* ==== status codes ==== */

typedef enum {
    MMO_OK = 0,
    MMO_NOMEM,     /* MemoryError: the heap could not give a block */
    MMO_NOHANDLE,  /* MemoryError: the handle table is full */
    MMO_BADHANDLE, /* null, forged or stale handle (misuse reported) */
    MMO_TYPE,      /* wrong object type (misuse reported) */
    MMO_INDEX,     /* index / slot out of range (misuse reported) */
    MMO_KEY,       /* key not found (not a misuse) */
    MMO_STOP,      /* iterator exhausted (not a misuse) */
    MMO_FULL,      /* a fixed table (classes) is full */
    MMO_CORRUPT,   /* mm_obj_check found an inconsistency */
} mm_status;

const char *mm_status_str(mm_status s);
static inline bool mm_is_memory_error(mm_status s)
{
    return s == MMO_NOMEM || s == MMO_NOHANDLE;
}

/* ==== the runtime instance ==== */

/* A user class (instances with a dict or with fixed slots). Lives in
 * flash; the runtime keeps a pointer. */
typedef struct mm_class {
    const char *name;
    uint32_t nslots;                /* fixed slots (0..MM_CFG_MAX_SLOTS) */
    const char *const *slot_names;  /* nslots names, or NULL */
    bool has_dict;                  /* true: a per-instance dict */
} mm_class;

/* All fields are private to mm_obj*.c and the collector; they are in the
 * header only so that the fast paths can be inline. */
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
    uint32_t retired;      /* slots retired at generation wrap */
    uint32_t pending;      /* head of the pending-free list, 0 = empty */
    bool draining;         /* a drain loop is running (H5) */
    bool table_owned;      /* tab came from heap (freed by mm_rt_fini) */
    mm_status err;         /* last error (MMO_OK after a success) */
    /* Called once when a block allocation (size > 0) or a slot (size 0)
     * cannot be had; the allocation is then retried once. */
    void (*oom_hook)(mm_rt *rt, size_t size);
    void *gc;              /* the collector's state (issue #5) */
    /* Collector hooks (issue #5, set by gc/gc.c), NULL by default.
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
    const mm_class *classes[MM_CFG_MAX_CLASSES];
};

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

/* Lays a runtime over heap. The handle table is table_mem (table_bytes,
 * pinned, caller-owned) or, if table_mem is NULL, a table_bytes block from
 * the heap (pinned). Capacity: table_bytes / sizeof(mm_slot) slots, minus
 * the sink, at most MM_MAX_SLOTS-1 objects (8 B per slot on Cortex-M).
 * Returns MMO_OK, MMO_NOMEM (no table block) or MMO_INDEX (fewer than 2
 * slots). O(1): slots are initialised lazily. */
mm_status mm_rt_init(mm_rt *rt, mm_heap *heap, void *table_mem, size_t table_bytes);

/* Frees the table if it came from the heap. Live objects are not freed
 * (their blocks stay allocated in the heap). O(1). */
void mm_rt_fini(mm_rt *rt);

/* Last error (MMO_OK after a success). O(1). */
static inline mm_status mm_rt_error(const mm_rt *rt) { return rt->err; }

/* Slots in the table (sink included), live objects (created - freed).
 * O(1). */
static inline uint32_t mm_rt_slots(const mm_rt *rt) { return rt->cap; }
static inline uint32_t mm_rt_live(const mm_rt *rt) { return rt->created - rt->freed; }

/* The one allocation route for objects (H6).
 * body == NULL: returns a new block of size bytes, or NULL (rt->err =
 *   MMO_NOMEM) after oom_hook and one retry.
 * body != NULL: resizes the block *body (NULL: allocate) to size bytes,
 *   like realloc; on success *body is the new block, registered with
 *   mm_set_owner(body) when the heap may move it, and the result is *body;
 *   on failure *body is untouched (but possibly moved by compaction) and
 *   the result NULL. body must lie in a block that never moves (an object
 *   block of a small object). O(allocator) + O(collector) on failure. */
void *mm_rt_alloc(mm_rt *rt, void **body, size_t size);

/* Registers *owner as the only reference to block p (mm_set_owner), for a
 * block from mm_rt_alloc(rt, NULL, ...) that is then stored in *owner. */
void mm_rt_own(mm_rt *rt, void *p, void **owner);

/* Frees a block from mm_rt_alloc (NULL: no-op). */
void mm_rt_free(mm_rt *rt, void *p);

/* Creates an object: a block of size bytes (size >= 4) with a header of
 * type `type`, rest zeroed, and a fresh slot with refcount 1. Containers
 * are marked tracked. Returns the NEW handle, or MM_NULL with rt->err =
 * MMO_NOMEM / MMO_NOHANDLE. *out (if not NULL) gets the borrowed object.
 * O(allocator). */
mm_h mm_obj_new(mm_rt *rt, uint32_t type, size_t size, mm_obj **out);

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
    return MM_CFG_LOCK || MM_CFG_DEBUG ? mm_alloc(heap, size) : mm__alloc_fast(heap, size);
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
    uint32_t m = s->meta; /* free slot: next << 12 | gen of this occupant */
    MM__PAIR_STORE_AT(rt, offsetof(mm_rt, created), created + 1u,
                      m >> MM_META_RC_SHIFT); /* free_head */
    uint32_t gen = m & MM_META_EPOCH_MASK;
    mm__slot_store(s, gen, o); /* refcount 1, not dying */
    o->hdr = hdr | idx;
    rt->err = MMO_OK;
    *out = o;
    return mm_h_make(idx, gen);
}

/* Internal: slot s (index idx) of an object just freed goes on the free
 * list whose head is *head, with generation gen + 1 (*head = idx), its
 * obj word `null` (NULL: a register the caller knows to hold 0 saves a
 * constant load). False, with nothing done, when the generation would
 * wrap: the caller then retires the slot out of line (mm__slot_release,
 * which counts the object itself). The one encoding of a slot's freeing,
 * for mm__slot_free_fast(_null) and for the collector's release, which
 * keeps the head in a register. */
static inline bool mm__slot_push(mm_slot *s, uint32_t idx, uint32_t gen, uint32_t *head,
                                 mm_obj *null)
{
    uint32_t next_gen = gen + 1u;
    if (next_gen > MM_H_EPOCH_MAX) {
        return false;
    }
    mm__slot_store(s, *head << MM_META_RC_SHIFT | next_gen, null);
    *head = idx;
    return true;
}

/* Internal: mm__slot_push on rt's free list, the object counted freed
 * (free_head and freed: one ldrd / strd). False, with nothing done, at
 * the generation wrap (see mm__slot_push). The one inline form of slot
 * freeing for the refcount deaths (obj/obj.c). The _null form takes the
 * slot's new obj word, NULL, from a register the caller knows to hold 0
 * (one constant load fewer). */
static inline bool mm__slot_free_fast_null(mm_rt *rt, mm_slot *s, uint32_t idx, uint32_t gen,
                                           mm_obj *null)
{
    if (gen + 1u > MM_H_EPOCH_MAX) {
        return false; /* tested before the pair is loaded */
    }
    uint32_t head, freed;
    MM__PAIR_LOAD_AT(rt, offsetof(mm_rt, free_head), head, freed);
    (void)mm__slot_push(s, idx, gen, &head, null);
    MM__PAIR_STORE_AT(rt, offsetof(mm_rt, free_head), head, freed + 1u);
    return true;
}

static inline bool mm__slot_free_fast(mm_rt *rt, mm_slot *s, uint32_t idx, uint32_t gen)
{
    return mm__slot_free_fast_null(rt, s, idx, gen, NULL);
}

/* Type descriptor of an object (NULL if the type id is not known). O(1). */
const mm_type *mm_obj_type(const mm_rt *rt, const mm_obj *o);
const mm_type *mm_type_of_id(const mm_rt *rt, uint32_t id);

/* Registers a class; returns its type id (>= MM_T_CLASS0), or 0 with
 * rt->err = MMO_FULL (MM_CFG_MAX_CLASSES reached) or MMO_INDEX (too many
 * slots, or slots and dict both requested). Registering the same class
 * twice returns the same id. O(classes). */
uint32_t mm_class_register(mm_rt *rt, const mm_class *cls);
/* The class of type id `id`, or NULL if id is no registered class. O(1).
 * Inline: instances look their class up at every slot access and clear. */
static inline const mm_class *mm_class_of_id(const mm_rt *rt, uint32_t id)
{
    uint32_t k = id - (uint32_t)MM_T_CLASS0; /* ids below wrap: too big */
    return k < rt->nclasses ? rt->classes[k] : NULL;
}

/* ==== refcounts ==== */

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

/* Checked forms: validate h (null and immortal handles are no-ops) and
 * report misuse at file:line for a forged or stale handle, a decref of a
 * freed object (double decref) or a refcount overflow; then nothing is
 * changed. Return true iff h was valid. O(1) (+ dealloc drain on zero). */
bool mm_incref_at(mm_rt *rt, mm_h h, const char *file, int line);

/* Internal, the parts of mm_decref_at: the out-of-line validation and
 * reports (any handle; does the decref if h turns out valid), and the
 * death of live slot s (index idx, handle h: unused, passed where it
 * already is, so that idx and s need no register move at the call) whose
 * refcount is 1 and not dying (validated). */
bool mm__decref_at_slow(mm_rt *rt, mm_h h, const char *file, int line);
void mm__decref_last(mm_rt *rt, mm_h h, uint32_t idx, mm_slot *s);

/* The common case inline, file:line passed only to the slow path: a live
 * handle of refcount 1 (freed) or 2..MM_RC_MAX. d = meta ^ (h >> 20) is 0
 * exactly for refcount 1, same generation, not dying, h not immortal (bit
 * 11 of h >> 20 is h's immortal bit, facing the DYING flag); its low 12
 * bits are 0 for any refcount of a live object of h's generation
 * (refcount 0, field all ones, only while the collector works: slow
 * path). A free slot has obj NULL; slots from `fresh` on were never
 * written; the sink has obj NULL. */
static inline bool mm_decref_at(mm_rt *rt, mm_h h, const char *file, int line)
{
    uint32_t idx = h & MM_H_INDEX_MASK;
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
                mm__decref_last(rt, h, idx, s);
                return true;
            }
        } else if (o != NULL) {
            /* d's low 12 bits, as the top 12 of h ^ m << 20: no h >> 20
             * kept alive from the test above */
            static_assert((MM_META_EPOCH_MASK | MM_META_FLAG) == 0xFFFu, "low 12 bits");
            if (((h ^ m << 20) >> 20) == 0 && m < (MM_META_RC_ZERO << MM_META_RC_SHIFT)) {
                s->meta = m - MM_RC_ONE;
                return true;
            }
        }
    }
    return mm__decref_at_slow(rt, h, file, line);
}

#if MM_CFG_CHECKED_HANDLES
#define mm_incref(rt, h) ((void)mm_incref_at((rt), (h), MM_HERE))
#define mm_decref(rt, h) ((void)mm_decref_at((rt), (h), MM_HERE))
#else
#define mm_incref(rt, h) mm_incref_fast((rt), (h))
#define mm_decref(rt, h) mm_decref_fast((rt), (h))
#endif

/* Internal, for the collector (issue #5): frees live slot idx, whose
 * object the caller has just freed itself (clear, destroy, block) outside
 * any drain, as the drain does last: the slot's generation is bumped (or
 * the slot retired) and the object counted freed. No hook runs. O(1). */
void mm__slot_release(mm_rt *rt, uint32_t idx);

/* Collector access to the true refcount of slot idx (a live slot).
 * mm_rc_set accepts 0..MM_RC_MAX and never frees. O(1). */
uint32_t mm_rc_get(const mm_rt *rt, uint32_t idx);
void mm_rc_set(mm_rt *rt, uint32_t idx, uint32_t rc);

/* Object of live slot idx, or NULL (free, dying, sink, out of range). */
mm_obj *mm_slot_obj(const mm_rt *rt, uint32_t idx);
/* Handle of live slot idx (MM_NULL if not live). O(1). */
mm_h mm_slot_handle(const mm_rt *rt, uint32_t idx);
/* Handle of a live or immortal object (from its back-link). O(1). */
mm_h mm_obj_handle(const mm_rt *rt, const mm_obj *o);

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


/* Returns the BORROWED object (H1), or NULL after reporting misuse at
 * file:line for a null, forged or stale handle (or a dying object). Always
 * validates, in every build. O(1). */
mm_obj *mm_deref_at(const mm_rt *rt, mm_h h, const char *file, int line);
#define mm_deref(rt, h) mm_deref_at((rt), (h), MM_HERE)

/* As mm_deref_at, and the type id must be `type` (or, for MM_T_CLASS0,
 * any registered class): else misuse "wrong type" and NULL. */
mm_obj *mm_deref_type_at(const mm_rt *rt, mm_h h, uint32_t type,
                         const char *file, int line);

/* Classifies h without reporting: MMO_OK (live or immortal) or
 * MMO_BADHANDLE. O(1). */
mm_status mm_handle_status(const mm_rt *rt, mm_h h);

/* ==== introspection ==== */

/* id(): the handle value, stable for the object's life. */
static inline uint32_t mm_id(mm_h h) { return h; }

/* The true refcount (sys.getrefcount(x) - 1). Immortals report
 * MM_RC_IMMORTAL. 0 after a reported misuse. O(1). */
#define MM_RC_IMMORTAL 0xFFFFFFFFu
uint32_t mm_refcount_at(const mm_rt *rt, mm_h h, const char *file, int line);
#define mm_refcount(rt, h) mm_refcount_at((rt), (h), MM_HERE)

/* getsizeof: requested = bytes asked of the allocator for the object block
 * and its private bodies (list item array, dict table...); block = what
 * the allocator actually reserved for them (mm_usable_size), handle = the
 * handle-table slot (sizeof(mm_slot); 0 for immortals, which also report
 * block 0: they are in flash). Children objects are not included. */
typedef struct mm_sizeof {
    size_t requested;
    size_t block;
    size_t handle;
} mm_sizeof;
mm_status mm_getsizeof_at(const mm_rt *rt, mm_h h, mm_sizeof *out,
                          const char *file, int line);
#define mm_getsizeof(rt, h, out) mm_getsizeof_at((rt), (h), (out), MM_HERE)

/* ==== consistency check ==== */

typedef struct mm_obj_report {
    mm_status status;   /* MMO_OK or MMO_CORRUPT */
    mm_h handle;        /* first object found wrong (MM_NULL if none) */
    uint32_t stored;    /* its stored refcount */
    uint32_t derived;   /* refcount re-derived from the graph + externals */
    const char *what;   /* one-line description */
} mm_obj_report;

/* Walks the handle table and every container's traverse(): checks the
 * free list, each live object's header back-link and type, every child
 * handle (must be live or immortal), and re-derives each refcount as
 * (references from containers) + (occurrences in ext[0..n_ext)), comparing
 * it with the stored one. scratch must hold mm_rt_slots(rt) uint32_t.
 * Returns MMO_OK or MMO_CORRUPT with the first mismatch in *rep (rep may be
 * NULL). Never aborts, never changes the runtime. O(slots + references). */
mm_status mm_obj_check(mm_rt *rt, const mm_h *ext, size_t n_ext,
                       uint32_t *scratch, mm_obj_report *rep);

/* Value equality and hash used by dict and LRU keys: ints by value, strs
 * by bytes, anything else by identity. Both handles must be valid. */
bool mm_obj_eq(const mm_rt *rt, mm_h a, mm_h b);
uint32_t mm_obj_hash(const mm_rt *rt, mm_h h);

#endif /* MM_OBJ_H */
