/*
 * mm_obj.h - refcounted handles and the object model of mmrt.
 *
 * THIS HEADER IS THE CONTRACT of obj/obj.c (runtime, handles, dealloc,
 * introspection, checker). The types (int, str, list, dict, instances,
 * generators, LRU cache) are in types/mm_types.h. The runtime's layout
 * and the inline fast paths are internal (obj/obj_int.h, included at the
 * end of this header): use only what is declared here.
 *
 * ---- Invariants, in words ----
 * H1. C code holds an object only through a handle (mm_h, 32 bits). A raw
 *     mm_obj* obtained from a handle is BORROWED and valid only until the
 *     next allocation or decref (an allocation may run the collector and
 *     compact, which moves large blocks).
 *     A setattr on a dict class's instance may move every instance of
 *     that class to a wider block (types/inst.c); handles stay.
 * H2. A handle is `index | tag << 17 | epoch << 20` (bit 31 clear)
 *     naming slot `index` of the handle table of the runtime whose TAG it
 *     carries. A slot's EPOCH is bumped every time its object dies, and a
 *     slot whose epoch would wrap is retired for good, so a handle from an
 *     earlier life never matches a later occupant: stale and forged
 *     handles are always told apart from live ones, never silently reach
 *     a reused slot.
 *     The tag (3 bits) tells runtimes apart: runtimes live at the same
 *     time (mm_rt_init'ed, not yet mm_rt_fini'ed) always have different
 *     tags (mm_rt_init refuses a ninth, MMO_FULL), so a handle of one
 *     live runtime given to another is always caught by every checked
 *     path, whatever its index and epoch ("handle of another runtime").
 *     This is a guarantee, not a probability. Not caught: a handle of a
 *     runtime already finalised, once its tag has been handed to a newer
 *     runtime (tags are handed out round-robin, so at least 7 other
 *     runtimes were initialised in between); the unchecked fast paths
 *     (MM_CFG_CHECKED_HANDLES=0) check nothing, as for any forged handle.
 * H3. The refcount lives in the slot, next to the epoch, not in the
 *     object: slot.meta = (refcount-1) << 12 | flag << 11 | epoch. That makes
 *     incref one add to a word found from the handle alone, and decref one
 *     subtract whose sign says "reached zero" (see mm_incref_fast).
 * H4. Slot 0 is the SINK: never issued, never freed. The null handle and
 *     every immortal handle map to it, so the unchecked incref/decref need
 *     no branch for them and never write to an immortal object (those live
 *     in flash: the small ints -5..256, handles with bit 31 set).
 * H5. When a refcount reaches zero, a leaf (int, str: holds nothing, owns
 *     no body) is freed at once: slot, then block. So is an instance
 *     (slots, or a dict class's inline values; a dying interned str
 *     leaves the intern table first)
 *     when no collector hook is attached and dropping its fields in place
 *     takes no child to zero (unset and immortal fields cost one test);
 *     one of 2 slots whose fields are both unset or immortal is freed
 *     like an int. Any other object is marked dying; if no drain is
 *     running it is freed at once and then the pending-free list
 *     (threaded through the dying slots' meta words) is drained in a
 *     loop; inside a drain it is pushed on that list.
 *     Freeing: clear() drops the children (whose own zero frees or pushes
 *     them), destroy() frees bodies, the block and slot are freed. No
 *     recursion: the C stack is bounded whatever the shape of the graph.
 * H6. Every object block and body is obtained through mm_rt_alloc(), which
 *     on failure calls the runtime's oom_hook (the collector's emergency collect +
 *     compact) and retries once, then returns MemoryError. Large bodies
 *     register their only owner with mm_set_owner(), so mm_compact may move
 *     them; code must reach them through the owning object again after any
 *     allocation.
 *
 * ---- Object header (4 bytes, the first word of every object) ----
 *   bits  0..19  slot index of the object's handle (back-link; 0 = sink)
 *   bits 20..25  type id (0 invalid, 1..15 builtin, 16.. registered classes)
 *   bits 26..27  the collector's generation 0..2 (gc/mm_gc.h)
 *   bit  28      SCANNED: with REACHED, scanned by the mark walk; alone,
 *                TENTATIVE (gc/mm_gc.h C3). Clear between collections.
 *   bit  29      REACHED: reached by the mark walk (gc/mm_gc.h C4)
 *   bit  30      tracked: a container the collector must consider
 *   bit  31      immortal (const object in flash; never written)
 * The refcount is not in the header (H3) but in the handle slot; the
 * collector reads and writes it with mm_rc_get / mm_rc_set.
 *
 * ---- What the collector can rely on ----
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
 * (e) the runtime's oom_hook, gc and hook fields are its to set
 *     (obj/obj_int.h);
 * (f) mm__slot_release (obj/obj_int.h) frees the slot of an object the
 *     collector has freed itself (cleared garbage).
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
 * that takes a handle validate it (null, range, epoch, dying, type,
 * index) and report misuse with the caller's file:line; mm_obj_check finds
 * refcounts that disagree with the graph and containers holding dead
 * handles.
 *
 * ---- Cost ----
 * Inline unchecked incref and decref are a handful of Thumb-2
 * instructions; creating and destroying an int or a 2-slot instance costs
 * under twice a raw mm_alloc + mm_free pair. The figures and how they are
 * reached: BENCHMARKS.md, "Objects and handles".
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

/* The runtime instance: its layout is private (obj/obj_int.h). */
typedef struct mm_rt mm_rt;

/* ==== handles ==== */

typedef uint32_t mm_h;

#define MM_NULL ((mm_h)0)
#define MM_H_INDEX_BITS 20u                   /* index and tag: bits 0..19 */
#define MM_H_TAG_BITS 3u                      /* bits 17..19: the runtime */
#define MM_H_SLOT_BITS (MM_H_INDEX_BITS - MM_H_TAG_BITS)
#define MM_H_INDEX_MASK ((1u << MM_H_SLOT_BITS) - 1u)
#define MM_H_TAG_MASK (((1u << MM_H_TAG_BITS) - 1u) << MM_H_SLOT_BITS)
#define MM_H_EPOCH_BITS 11u                     /* bits 20..30 */
#define MM_H_EPOCH_MAX ((1u << MM_H_EPOCH_BITS) - 1u)
#define MM_H_IMMORTAL 0x80000000u             /* bit 31: flash small int */
#define MM_MAX_SLOTS (1u << MM_H_SLOT_BITS)   /* table capacity limit */
#define MM_MAX_RUNTIMES (1u << MM_H_TAG_BITS) /* live at once (H2) */

static_assert(MM_H_INDEX_BITS + MM_H_EPOCH_BITS + 1u == 32u, "handle layout");

/* Caller's location, passed by every checked macro. */
#define MM_HERE __FILE__, __LINE__

static inline uint32_t mm_h_index(mm_h h) { return h & MM_H_INDEX_MASK; }
static inline uint32_t mm_h_tag(mm_h h) { return (h & MM_H_TAG_MASK) >> MM_H_SLOT_BITS; }
static inline uint32_t mm_h_epoch(mm_h h)
{
    return (h >> MM_H_INDEX_BITS) & MM_H_EPOCH_MAX;
}
static inline bool mm_h_is_immortal(mm_h h) { return (h & MM_H_IMMORTAL) != 0; }
static inline mm_h mm_h_make(uint32_t index, uint32_t epoch)
{
    return index | (epoch << MM_H_INDEX_BITS);
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
#define MM_HDR_GC_SCANNED 0x10000000u
#define MM_HDR_GC_REACHED 0x20000000u
#define MM_HDR_TRACKED 0x40000000u
#define MM_HDR_IMMORTAL 0x80000000u
#define MM_TYPE_MAX 64u

static_assert((MM_HDR_SLOT_MASK ^ MM_HDR_TYPE_MASK ^ MM_HDR_GCGEN_MASK ^
               MM_HDR_GC_SCANNED ^ MM_HDR_GC_REACHED ^ MM_HDR_TRACKED ^
               MM_HDR_IMMORTAL) == 0xFFFFFFFFu,
              "header fields tile the word");
static_assert(MM_H_INDEX_MASK <= MM_HDR_SLOT_MASK, "back-link holds an index");

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
static inline bool mm_gc_is_scanned(const mm_obj *o)
{
    return (o->hdr & MM_HDR_GC_SCANNED) != 0;
}
static inline bool mm_gc_is_reached(const mm_obj *o)
{
    return (o->hdr & MM_HDR_GC_REACHED) != 0;
}

/* The setters below must not be used on immortal objects (they are const). */
static inline void mm_hdr_set_bits(mm_obj *o, uint32_t mask, bool on)
{
    o->hdr = on ? (o->hdr | mask) : (o->hdr & ~mask);
}
static inline void mm_gc_set_tracked(mm_obj *o, bool on)
{
    mm_hdr_set_bits(o, MM_HDR_TRACKED, on);
}
static inline void mm_gc_set_scanned(mm_obj *o, bool on)
{
    mm_hdr_set_bits(o, MM_HDR_GC_SCANNED, on);
}
static inline void mm_gc_set_reached(mm_obj *o, bool on)
{
    mm_hdr_set_bits(o, MM_HDR_GC_REACHED, on);
}
static inline void mm_gc_set_gen(mm_obj *o, uint32_t gen)
{
    o->hdr = (o->hdr & ~MM_HDR_GCGEN_MASK) | ((gen << MM_HDR_GCGEN_SHIFT) & MM_HDR_GCGEN_MASK);
}

/* Largest refcount a slot holds; a larger one is reported as overflow. */
#define MM_RC_MAX ((1u << 20) - 1u)

/* ==== types ==== */


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
    MM_T_GENERATOR = 5,
    MM_T_LRU = 6,
    MM_T_BUILTIN_END = 7,
    MM_T_CLASS0 = 16 /* first id given to a registered class */
};

/* ==== status codes ==== */

/* One status enum per layer, on purpose: the allocator's mm_err
 * (heap/mm_heap.h: MM_OK, MM_ENOMEM...) sits below objects and knows
 * nothing of handles; mm_status is every object and type call's; and
 * mm_gc_status (gc/mm_gc.h: MM_GC_OK, MM_GC_BUSY, MM_GC_BADGEN) only
 * says why a collection did not run, in its result. A layer reports a
 * lower layer's failure in its own words (the allocator's MM_ENOMEM is
 * MMO_NOMEM here), so a caller reads one enum per call. */

typedef enum {
    MMO_OK = 0,
    MMO_NOMEM,     /* MemoryError: the heap could not give a block */
    MMO_NOHANDLE,  /* MemoryError: the handle table is full */
    MMO_BADHANDLE, /* null, forged or stale handle (misuse reported) */
    MMO_TYPE,      /* wrong object type (misuse reported) */
    MMO_INDEX,     /* index / slot out of range (misuse reported) */
    MMO_KEY,       /* key not found (not a misuse) */
    MMO_STOP,      /* iterator exhausted (not a misuse) */
    MMO_FULL,      /* a fixed table (classes, live runtimes) is full */
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
/* Lays a runtime over heap. The handle table is table_mem (table_bytes,
 * pinned, caller-owned) or, if table_mem is NULL, a table_bytes block from
 * the heap (pinned). Capacity: table_bytes / 8 B on Cortex-M slots, minus
 * the sink, at most MM_MAX_SLOTS-1 objects (8 B per slot on Cortex-M).
 * Takes the runtime's tag (H2): the next free one after the last handed
 * out; mm_rt_init on a struct that is still a live runtime first ends that
 * runtime (as mm_rt_fini, except that an owned table is not freed).
 * Returns MMO_OK, MMO_NOMEM (no table block), MMO_INDEX (fewer than 2
 * slots) or MMO_FULL (MM_MAX_RUNTIMES runtimes live already). O(1): slots
 * are initialised lazily. Not ISR-safe. */
mm_status mm_rt_init(mm_rt *rt, mm_heap *heap, void *table_mem, size_t table_bytes);

/* Frees the table if it came from the heap. Live objects are not freed
 * (their blocks stay allocated in the heap). O(1). */
void mm_rt_fini(mm_rt *rt);

/* Last error (MMO_OK after a success). O(1). */
static inline mm_status mm_rt_error(const mm_rt *rt);

/* Slots in the table (sink included), live objects (created - freed).
 * O(1). */
static inline uint32_t mm_rt_slots(const mm_rt *rt);
static inline uint32_t mm_rt_live(const mm_rt *rt);

/* The one allocation route for objects (H6).
 * body == NULL: returns a new block of size bytes, or NULL (mm_rt_error() =
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
 * are marked tracked. Returns the NEW handle, or MM_NULL with mm_rt_error() =
 * MMO_NOMEM / MMO_NOHANDLE. *out (if not NULL) gets the borrowed object.
 * O(allocator). */
mm_h mm_obj_new(mm_rt *rt, uint32_t type, size_t size, mm_obj **out);

/* Type descriptor of an object (NULL if the type id is not known). O(1). */
const mm_type *mm_obj_type(const mm_rt *rt, const mm_obj *o);
const mm_type *mm_type_of_id(const mm_rt *rt, uint32_t id);

/* Registers a class; returns its type id (>= MM_T_CLASS0), or 0 with
 * mm_rt_error() = MMO_FULL (MM_CFG_MAX_CLASSES reached) or MMO_INDEX (too many
 * slots, or slots and dict both requested). Registering the same class
 * twice returns the same id. O(classes). */
uint32_t mm_class_register(mm_rt *rt, const mm_class *cls);
/* The class of type id `id`, or NULL if id is no registered class. O(1).
 * Inline: instances look their class up at every slot access and clear. */
static inline const mm_class *mm_class_of_id(const mm_rt *rt, uint32_t id);

/* ==== refcounts ==== */

/* Fast paths (H3, H4): handle -> slot -> one add or subtract, inline
 * (obj/obj_int.h). Work for live, null and immortal handles; NO
 * validation (see checked build). decref calls out of line when the
 * count reaches zero (H5). O(1) (+ dealloc drain on zero). */
static inline void mm_incref_fast(mm_rt *rt, mm_h h);
static inline void mm_decref_fast(mm_rt *rt, mm_h h);

/* Checked forms: validate h (null and immortal handles are no-ops) and
 * report misuse at file:line for a forged or stale handle, a decref of a
 * freed object (double decref) or a refcount overflow; then nothing is
 * changed. Return true iff h was valid. O(1) (+ dealloc drain on zero).
 * mm_decref_at's common case is inline (obj/obj_int.h). */
bool mm_incref_at(mm_rt *rt, mm_h h, const char *file, int line);
static inline bool mm_decref_at(mm_rt *rt, mm_h h, const char *file, int line);

#if MM_CFG_CHECKED_HANDLES
#define mm_incref(rt, h) ((void)mm_incref_at((rt), (h), MM_HERE))
#define mm_decref(rt, h) ((void)mm_decref_at((rt), (h), MM_HERE))
#else
#define mm_incref(rt, h) mm_incref_fast((rt), (h))
#define mm_decref(rt, h) mm_decref_fast((rt), (h))
#endif

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
static inline mm_obj *mm_obj_ptr(const mm_rt *rt, mm_h h);


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
 * handle-table slot (8 B on Cortex-M; 0 for immortals, which also report
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

/* The fast paths above are inline; their bodies, the runtime's layout
 * and the handle table's encoding are internal. */
#include "obj/obj_int.h"

#endif /* MM_OBJ_H */
