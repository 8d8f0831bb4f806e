/*
 * mm_types.h - the object types of mmrt: int, str, list, dict, class
 * instances (dict or fixed slots), generators/iterators and a bounded LRU
 * cache. Part of the contract of mm_obj.h (read its invariants H1..H6 and
 * the ownership convention first).
 *
 * Every function taking a handle is a macro over a `_at` function that
 * receives the caller's file:line; a null/forged/stale handle, a wrong type
 * or an index out of range is reported through mm_port_misuse() at that
 * location and the function returns its error value (MM_NULL, 0 or a
 * status) with nothing changed. On MemoryError (MMO_NOMEM / MMO_NOHANDLE,
 * see mm_rt_error) nothing already allocated is lost and the containers
 * are unchanged.
 *
 * Time bounds are in terms of the allocator's bound A (one mm_alloc /
 * mm_free) and, on an allocation failure, one collector run (oom_hook).
 *
 * Sizes on Cortex-M (32-bit pointers) - object block requested / class:
 *   int      12 B / 16 B (header, 64-bit value as two words)
 *   str      12 B + len + 1 (header, len, FNV-1a hash, bytes, NUL)
 *   list     16 B / 16 B, plus items: 4 B per handle x capacity
 *   dict     20 B / 24 B, plus table: 12 B per entry x capacity (pow2)
 *   instance 4 B + 4 B per slot (2 slots: 12 B / 16 B block); a dict
 *            class: 4 B + 4 B per value word, the class's width W (1, 3,
 *            5...: 1 attribute 8 B, 2 or 3 attributes 16 B), and the
 *            dict object only once one is asked for or needed
 *   generator 40 B / 40 B whatever it iterates
 *   lru      32 B / 32 B, plus 20 B per entry x maxsize + 2 B per bucket
 * Each object also uses one handle-table slot (8 B).
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include "obj/mm_obj.h"

/* Type descriptors (used by obj/obj.c's type table). */
extern const mm_type mm_type_int, mm_type_str, mm_type_list, mm_type_dict,
    mm_type_generator, mm_type_lru, mm_type_inst;

/* ==== int: boxed 64-bit; -5..256 immortal in flash ==== */

#define MM_SMALL_INT_MIN (-5)
#define MM_SMALL_INT_MAX 256
#define MM_SMALL_INT_COUNT (MM_SMALL_INT_MAX - MM_SMALL_INT_MIN + 1)

/* Handle of a cached small int (v in -5..256): constant, immortal. */
static inline mm_h mm_small_int(int32_t v)
{
    return MM_H_IMMORTAL |
           ((uint32_t)(v - MM_SMALL_INT_MIN) << MM_H_INDEX_BITS);
}

/* NEW reference to int v: the cached immortal for -5..256 (never fails),
 * else a fresh box (so two calls with 257 give two objects: `is` fails).
 * MM_NULL on MemoryError. O(1) + A. Inline: the range test folds away
 * for a constant v. mm_int_new is a macro passing the caller's file:line
 * (the box is charged to it when tracing, diag/mm_trace.h); the function
 * (mm_int_new)(rt, v) keeps the site already recorded. */
static inline mm_h mm_int_new_at(mm_rt *rt, int64_t v, const char *file, int line);
static inline mm_h mm_int_new(mm_rt *rt, int64_t v);
#define mm_int_new(rt, v) mm_int_new_at((rt), (v), MM_HERE)

/* True iff h is a valid int handle (no report). */
bool mm_int_check(const mm_rt *rt, mm_h h);

/* Value of int h; 0 after a misuse report. O(1). */
int64_t mm_int_value_at(const mm_rt *rt, mm_h h, const char *file, int line);
#define mm_int_value(...) mm_int_value_at(__VA_ARGS__, MM_HERE)


/* The constructors below (str, list, dict, generator, LRU cache) are
 * macros that record the caller's file:line for tracing (diag/mm_trace.h)
 * and call the function of the same name; (mm_list_new)(rt, ...) calls it
 * without recording, as calls inside mm/ do, so that their blocks stay
 * charged to the outer caller. Without MM_CFG_TRACE nothing is recorded. */

/* ==== str: immutable UTF-8, FNV-1a 32-bit hash cached at creation ==== */

/* NEW str of n bytes copied from s (must be valid UTF-8: else MM_NULL,
 * mm_rt_error(rt) == MMO_TYPE, no misuse). MM_NULL on MemoryError. O(n) + A. */
mm_h mm_str_new(mm_rt *rt, const char *s, size_t n);
mm_h mm_str_from(mm_rt *rt, const char *cstr); /* strlen(cstr) bytes */
#define mm_str_new(rt, ...) (mm_str_new)(mm__site((rt), MM_HERE), __VA_ARGS__)
#define mm_str_from(rt, ...) (mm_str_from)(mm__site((rt), MM_HERE), __VA_ARGS__)

/* BORROWED bytes (NUL-terminated) of str h, length in *n (may be NULL);
 * NULL after a misuse report. Valid until the next allocation (H1). */
const char *mm_str_data_at(const mm_rt *rt, mm_h h, size_t *n,
                           const char *file, int line);
#define mm_str_data(...) mm_str_data_at(__VA_ARGS__, MM_HERE)

/* NEW str: ASCII upper-casing / ASCII whitespace stripped at both ends
 * (other UTF-8 bytes copied as they are). MM_NULL on error. O(n) + A. */
mm_h mm_str_upper_at(mm_rt *rt, mm_h h, const char *file, int line);
#define mm_str_upper(...) mm_str_upper_at(__VA_ARGS__, MM_HERE)
mm_h mm_str_strip_at(mm_rt *rt, mm_h h, const char *file, int line);
#define mm_str_strip(...) mm_str_strip_at(__VA_ARGS__, MM_HERE)

/* ---- interning (sys.intern) ----
 * Equal interned strs are one object, so mm_is holds between them.
 * Interned strs are MORTAL (collectable): the intern table holds no
 * reference, and a str leaves it when its refcount reaches zero. The
 * table costs 4 B per entry, at most 2 x (interned strs + 1) entries
 * rounded up to a power of two (min 4), in one heap block that exists
 * only while some str is interned (mm_str_intern_table_bytes), plus 16 B
 * in struct mm_rt. Attribute names given as C strings (mm_inst_setattr,
 * mm_dict_set_str) are interned: an existing interned name is found by
 * its bytes and never allocated again; a dict class's shared keys hold
 * its names, so they stay interned while the class has a live instance. */

/* NEW reference to the interned str equal to str h: the one already
 * interned, else h itself, now interned. MM_NULL on MemoryError (the
 * table could not grow) or misuse. Expected O(1) + O(len) (+ A). */
mm_h mm_str_intern_at(mm_rt *rt, mm_h h, const char *file, int line);
#define mm_str_intern(...) mm_str_intern_at(__VA_ARGS__, MM_HERE)
/* NEW reference to the interned str of cstr's bytes (found: no
 * allocation). MM_NULL on MemoryError or invalid UTF-8 (mm_rt_error). */
mm_h mm_str_intern_from(mm_rt *rt, const char *cstr);
/* Is str h interned? (false after a misuse report) O(1). */
bool mm_str_is_interned_at(const mm_rt *rt, mm_h h, const char *file, int line);
#define mm_str_is_interned(...) mm_str_is_interned_at(__VA_ARGS__, MM_HERE)
/* Bytes of the intern table's block (0 when nothing is interned). O(1). */
size_t mm_str_intern_table_bytes(const mm_rt *rt);

/* FNV-1a over n bytes (offset basis 2166136261, prime 16777619). */
uint32_t mm_fnv1a(const void *p, size_t n);

/* ==== list: array of handles ====
 * Growth (CPython listobject.c policy): when an append needs room, the new
 * capacity is n + n/8 + 6 rounded down to a multiple of 4 (n = the needed
 * length); so a list of N items holds at most N + N/8 + 6 slots of 4 B.
 * The item array is a separate body, registered with mm_set_owner so that
 * compaction may move it when it is a large block. */

/* NEW empty list with room for `hint` items (0: no item array yet).
 * MM_NULL on MemoryError. O(1) + A. */
mm_h mm_list_new(mm_rt *rt, size_t hint);
#define mm_list_new(rt, ...) (mm_list_new)(mm__site((rt), MM_HERE), __VA_ARGS__)

/* Appends item (borrowed; the list takes its own reference). MMO_NOMEM:
 * the list is unchanged. Amortised O(1) + A. */
mm_status mm_list_append_at(mm_rt *rt, mm_h l, mm_h item, const char *file, int line);
#define mm_list_append(...) mm_list_append_at(__VA_ARGS__, MM_HERE)

/* BORROWED item i (i < len, else misuse and MM_NULL). O(1). */
mm_h mm_list_get_at(const mm_rt *rt, mm_h l, size_t i, const char *file, int line);
#define mm_list_get(...) mm_list_get_at(__VA_ARGS__, MM_HERE)

/* Replaces item i with item (borrowed); the old one is decref'd. O(1). */
mm_status mm_list_set_at(mm_rt *rt, mm_h l, size_t i, mm_h item, const char *file, int line);
#define mm_list_set(...) mm_list_set_at(__VA_ARGS__, MM_HERE)

/* Removes item i (later items move down) and drops its reference. O(n). */
mm_status mm_list_del_at(mm_rt *rt, mm_h l, size_t i, const char *file, int line);
#define mm_list_del(...) mm_list_del_at(__VA_ARGS__, MM_HERE)

/* Removes the last item and returns it as a NEW reference; MM_NULL (and
 * misuse MMO_INDEX) on an empty list. O(1). */
mm_h mm_list_pop_at(mm_rt *rt, mm_h l, const char *file, int line);
#define mm_list_pop(...) mm_list_pop_at(__VA_ARGS__, MM_HERE)

/* Length / capacity (0 after misuse). O(1). */
size_t mm_list_len_at(const mm_rt *rt, mm_h l, const char *file, int line);
#define mm_list_len(...) mm_list_len_at(__VA_ARGS__, MM_HERE)
size_t mm_list_capacity_at(const mm_rt *rt, mm_h l, const char *file, int line);
#define mm_list_capacity(...) mm_list_capacity_at(__VA_ARGS__, MM_HERE)

/* ==== dict: open addressing, keys int/str (others by identity) ====
 * Table of 2^k entries {key, value, hash}; probing i = 5i + 1 + perturb
 * (perturb >>= 5), as CPython. Empty key MM_NULL, deleted key = the
 * tombstone MM_DICT_DUMMY. Grows (x2 of live, min 8) when live+tombstones
 * would pass 2/3 of the table; a resize drops the tombstones. */
#define MM_DICT_DUMMY ((mm_h)0x7FF00000u) /* index 0 epoch 2047: never issued */

mm_h mm_dict_new(mm_rt *rt); /* NEW empty dict (no table yet); O(1) + A */
#define mm_dict_new(rt) (mm_dict_new)(mm__site((rt), MM_HERE))

/* Inserts or replaces; key and value are borrowed (the dict takes its own
 * references). MMO_NOMEM: unchanged. Amortised O(1) + A. */
mm_status mm_dict_set_at(mm_rt *rt, mm_h d, mm_h key, mm_h value, const char *file, int line);
#define mm_dict_set(...) mm_dict_set_at(__VA_ARGS__, MM_HERE)

/* BORROWED value for key, or MM_NULL with mm_rt_error(rt) == MMO_KEY if absent
 * (not a misuse). Expected O(1). */
mm_h mm_dict_get_at(mm_rt *rt, mm_h d, mm_h key, const char *file, int line);
#define mm_dict_get(...) mm_dict_get_at(__VA_ARGS__, MM_HERE)

/* Removes key (leaves a tombstone); MMO_KEY if absent. Expected O(1). */
mm_status mm_dict_del_at(mm_rt *rt, mm_h d, mm_h key, const char *file, int line);
#define mm_dict_del(...) mm_dict_del_at(__VA_ARGS__, MM_HERE)

/* Same with a C-string key: set interns it (no allocation when it is
 * interned already), get and del never allocate. */
mm_status mm_dict_set_str_at(mm_rt *rt, mm_h d, const char *key, mm_h value, const char *file, int line);
#define mm_dict_set_str(...) mm_dict_set_str_at(__VA_ARGS__, MM_HERE)
mm_h mm_dict_get_str_at(mm_rt *rt, mm_h d, const char *key, const char *file, int line);
#define mm_dict_get_str(...) mm_dict_get_str_at(__VA_ARGS__, MM_HERE)
mm_status mm_dict_del_str_at(mm_rt *rt, mm_h d, const char *key, const char *file, int line);
#define mm_dict_del_str(...) mm_dict_del_str_at(__VA_ARGS__, MM_HERE)

size_t mm_dict_len_at(const mm_rt *rt, mm_h d, const char *file, int line);
#define mm_dict_len(...) mm_dict_len_at(__VA_ARGS__, MM_HERE)
size_t mm_dict_capacity_at(const mm_rt *rt, mm_h d, const char *file, int line);
#define mm_dict_capacity(...) mm_dict_capacity_at(__VA_ARGS__, MM_HERE)

/* Iteration: start with *pos = 0 (an opaque cursor after that); returns
 * true with BORROWED *key and *value for the next entry, false at the end.
 * An insert, delete or resize between two calls of one iteration is
 * misuse (CPython's RuntimeError): reported at the caller as
 * "dict_next: dictionary changed size during iteration", and false is
 * returned (the dict is unchanged). Replacing the value of an existing
 * key is allowed. Not caught: changes between two calls whose size
 * effects cancel out (one insert and one delete; 4096 net inserts). */
bool mm_dict_next_at(const mm_rt *rt, mm_h d, size_t *pos, mm_h *key, mm_h *value,
                     const char *file, int line);
#define mm_dict_next(...) mm_dict_next_at(__VA_ARGS__, MM_HERE)

/* ==== class instances ====
 * A dict ("regular") class keeps each instance's attribute values inline
 * and the names once per class, in keys shared by all its instances
 * (PEP 412): see types/inst.c. An instance gets a dict object of its own
 * only when asked for it (mm_inst_dict), or on a deletion, an attribute
 * set out of the shared keys' order, or a name the keys cannot take. */

/* Most names a dict class's instances share (odd: see types/inst.c);
 * an instance that would need more gets its own dict. */
#define MM_INST_KEYS_MAX 31u

/* NEW instance of registered class id `cls` (see mm_class_register); a
 * dict class's instance has no attribute and no dict yet (the class's first live
 * instance also makes its 12 B state). MM_NULL on MemoryError or
 * misuse (unknown id). O(nslots or width) + A. Inline (types/types_int.h):
 * an instance of a 2-slot class without a dict, while no collector hook
 * is attached, is made without a call; any other class, or no free slot
 * or block at hand, takes the general path. */
static inline mm_h mm_inst_new_at(mm_rt *rt, uint32_t cls, const char *file, int line);
#define mm_inst_new(...) mm_inst_new_at(__VA_ARGS__, MM_HERE)

/* Slot i of a slots instance: set (value borrowed; old one decref'd) /
 * get (BORROWED, MM_NULL if unset). i >= nslots: misuse, MMO_INDEX. */
mm_status mm_inst_set_slot_at(mm_rt *rt, mm_h o, uint32_t i, mm_h v, const char *file, int line);
#define mm_inst_set_slot(...) mm_inst_set_slot_at(__VA_ARGS__, MM_HERE)
mm_h mm_inst_get_slot_at(const mm_rt *rt, mm_h o, uint32_t i, const char *file, int line);
#define mm_inst_get_slot(...) mm_inst_get_slot_at(__VA_ARGS__, MM_HERE)

/* Attribute by name: the named slot, or (a dict class) the value the
 * class's shared keys name, or the entry of the instance's own dict.
 * setattr of a name a slots class lacks: misuse, MMO_KEY (like
 * AttributeError); v must be a valid handle for a dict class. setattr may
 * allocate (an interned name the first time, a wider block for every
 * instance of the class, or the instance's own dict): MemoryError leaves
 * the instance as it was. getattr of a missing name: MM_NULL, mm_rt_error(rt) ==
 * MMO_KEY (no misuse). BORROWED. The name is read as a C string; it is
 * never allocated again once interned (mm_str_intern_from). Time: O(len)
 * + O(shared names), or a dict operation; + O(slots) when the class's
 * width grows (at most MM_INST_KEYS_MAX / 2 times per class life). */
mm_status mm_inst_setattr_at(mm_rt *rt, mm_h o, const char *name, mm_h v, const char *file, int line);
#define mm_inst_setattr(...) mm_inst_setattr_at(__VA_ARGS__, MM_HERE)
mm_h mm_inst_getattr_at(mm_rt *rt, mm_h o, const char *name, const char *file, int line);
#define mm_inst_getattr(...) mm_inst_getattr_at(__VA_ARGS__, MM_HERE)

/* delattr: removes the attribute; MMO_KEY if it is not set (no misuse).
 * A dict-class instance gets its own dict first (as CPython unshares on
 * a deletion): MMO_NOMEM then, unchanged. */
mm_status mm_inst_delattr_at(mm_rt *rt, mm_h o, const char *name, const char *file, int line);
#define mm_inst_delattr(...) mm_inst_delattr_at(__VA_ARGS__, MM_HERE)

/* BORROWED __dict__ of a dict-class instance, made on the first call
 * (the values move into it; from then on it is the instance's only
 * storage, so setattr/getattr/delattr and the dict's own functions see
 * the same attributes). MM_NULL: MemoryError (mm_rt_error, the instance
 * unchanged), or a slots instance (MMO_TYPE, no misuse).
 * O(W) + dict inserts the first time, O(1) after. */
mm_h mm_inst_dict_at(mm_rt *rt, mm_h o, const char *file, int line);
#define mm_inst_dict(...) mm_inst_dict_at(__VA_ARGS__, MM_HERE)
/* Has the instance its own dict (made by mm_inst_dict or a split)? O(1). */
bool mm_inst_has_dict_at(const mm_rt *rt, mm_h o, const char *file, int line);
#define mm_inst_has_dict(...) mm_inst_has_dict_at(__VA_ARGS__, MM_HERE)

/* ==== generators / iterators: constant-size C state machines ==== */

typedef struct mm_generator_state {
    int64_t a, b, c; /* free for the state machine */
    mm_h src;        /* an object the generator references (or MM_NULL) */
    uint32_t line;   /* free for the state machine (e.g. a resume point) */
} mm_generator_state;

/* One step: MMO_OK with a NEW reference in *out, MMO_STOP when exhausted,
 * or an error status. st is the generator's own state (H1: valid until the
 * step function allocates; re-read it through mm_generator_state_of if needed). */
typedef mm_status (*mm_generator_step)(mm_rt *rt, mm_h self, mm_generator_state *st, mm_h *out);

/* NEW generator running `step` over state {src (borrowed, the generator
 * takes a reference), a, b, c}. MM_NULL on MemoryError. O(1) + A. */
mm_h mm_generator_new(mm_rt *rt, mm_generator_step step, mm_h src, int64_t a, int64_t b, int64_t c);
#define mm_generator_new(rt, ...) (mm_generator_new)(mm__site((rt), MM_HERE), __VA_ARGS__)

/* NEW generator of i*i for i in range(n). */
mm_h mm_generator_squares(mm_rt *rt, int64_t n);
#define mm_generator_squares(rt, ...) (mm_generator_squares)(mm__site((rt), MM_HERE), __VA_ARGS__)

/* NEW iterator over the items of list l (holds a reference to l; sees
 * appends made while iterating). */
mm_h mm_list_iter_at(mm_rt *rt, mm_h l, const char *file, int line);
#define mm_list_iter(...) mm_list_iter_at(__VA_ARGS__, MM_HERE)

/* Next value: MMO_OK and a NEW reference in *out; MMO_STOP (exhausted,
 * *out = MM_NULL, and every later call too); MemoryError statuses (the
 * generator may be retried). O(step). */
mm_status mm_iter_next_at(mm_rt *rt, mm_h it, mm_h *out, const char *file, int line);
#define mm_iter_next(...) mm_iter_next_at(__VA_ARGS__, MM_HERE)

/* BORROWED state of generator g (NULL after misuse). */
mm_generator_state *mm_generator_state_of_at(const mm_rt *rt, mm_h g, const char *file, int line);
#define mm_generator_state_of(...) mm_generator_state_of_at(__VA_ARGS__, MM_HERE)

/* ==== bounded LRU cache (functools.lru_cache) ====
 * maxsize entries {key, value} (both referenced), chained hash buckets and
 * a recency list through entry indices, all in one body of
 * 20 B x maxsize + 2 B x buckets (a power of two >= maxsize). get moves
 * the entry to the front; put of a new key when full evicts the least
 * recently used entry. */
#define MM_LRU_MAXSIZE 65534u

typedef struct mm_lru_info {
    uint32_t hits, misses, maxsize, currsize;
} mm_lru_info;

/* NEW cache of maxsize (1..MM_LRU_MAXSIZE, else misuse-free MMO_INDEX). */
mm_h mm_lru_new(mm_rt *rt, uint32_t maxsize);
#define mm_lru_new(rt, ...) (mm_lru_new)(mm__site((rt), MM_HERE), __VA_ARGS__)

/* BORROWED cached value (counts a hit), or MM_NULL and mm_rt_error(rt) == MMO_KEY
 * (counts a miss). Expected O(1). */
mm_h mm_lru_get_at(mm_rt *rt, mm_h c, mm_h key, const char *file, int line);
#define mm_lru_get(...) mm_lru_get_at(__VA_ARGS__, MM_HERE)

/* Stores key -> value (both borrowed; the cache references them),
 * evicting the least recently used entry if full. Expected O(1). */
mm_status mm_lru_put_at(mm_rt *rt, mm_h c, mm_h key, mm_h value, const char *file, int line);
#define mm_lru_put(...) mm_lru_put_at(__VA_ARGS__, MM_HERE)

mm_status mm_lru_cache_info_at(const mm_rt *rt, mm_h c, mm_lru_info *info, const char *file, int line);
#define mm_lru_cache_info(...) mm_lru_cache_info_at(__VA_ARGS__, MM_HERE)

/* The inline bodies and the types' internals. */
#include "types/types_int.h"

#endif /* MM_TYPES_H */
