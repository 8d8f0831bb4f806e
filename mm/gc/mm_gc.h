/*
 * mm_gc.h - the cycle collector of mmrt: generational trial deletion over
 * the refcounts, in the style of CPython's gc module (Modules/gcmodule.c).
 *
 * THIS HEADER IS THE CONTRACT of gc/gc.c. Read mm_obj.h first (handles,
 * refcounts in the slots, invariants H1..H6).
 *
 * THE INVARIANT. Between collections every refcount is exact and every
 * tracked object sits in one generation (0..2); a collection frees
 * exactly those objects of its set that no reference from outside the
 * set can reach, and every survivor keeps its refcount, less the
 * references the garbage held. The rules below say how.
 *
 * ---- What a collection does, in words ----
 * C1. A collection of generation g examines the SET: every tracked object
 *     (a container: its type has traverse) of generation 0..g. An object of
 *     the set is GARBAGE iff no reference from outside the set (a C handle,
 *     an untracked holder, an object of an older generation) reaches it
 *     through objects of the set. Everything else in the set survives and
 *     moves to generation min(g+1, 2). A collection of g = 2 is full.
 * C2. Garbage is freed safely. Its edges are not counted again: marking
 *     (C3) leaves every object but the garbage with the refcount it has
 *     once the garbage is gone. A garbage list or instance drops its
 *     references itself: nothing for a child that is garbage or still
 *     referenced, nothing for a handle gone stale (its object was freed
 *     since: told by its slot), and for a child left at refcount 0 that
 *     is not garbage (an object outside the set, or of an older
 *     generation, that only garbage held) refcount 1 and a place on the
 *     DEFERRED LIST: once the release loop is over, each of those gets
 *     its 1 dropped, i.e. dies by the ordinary refcount drain (so the
 *     loop over the garbage makes no call; such an object is held by
 *     garbage alone, so none on the list references another, and a
 *     second garbage reference to it finds refcount 1 and leaves it
 *     alone). When some garbage object's type has its own
 *     clear(), every garbage object first gets an extra reference (its
 *     hold) and such objects get every edge counted again, before any
 *     garbage object drops anything; then every garbage object drops its
 *     references (garbage keeps its hold, so none is freed), and only
 *     then is each, held by its hold alone, destroyed and freed with its
 *     slot. Otherwise (lists and instances only) each garbage object drops
 *     its references and is freed in turn: a garbage object freed before
 *     is then a stale handle to the ones after it, which nothing but the
 *     collector reads (a track_hook wrapper still sees each before it is
 *     freed). The drain never reaches garbage: anything that references
 *     garbage is garbage. Every garbage object is freed exactly once, no
 *     object is touched after it is freed, and an object that survives
 *     has the refcount it had, less the references the garbage held.
 * C3. Refcounts are exact when no collection is running. During one, slot
 *     refcounts are CPython's gc_refs scratch: every edge of a set member
 *     is taken off its child's refcount (a member or not; the sink,
 *     index 0, whose count nothing reads, is parked mid-range again when
 *     the collection ends), so a member's counts its references from
 *     outside the set (it may read 0; only the collector and the types'
 *     refs()/traverse() run until the release, mm_obj.h (d)); marking
 *     gives back the edges of every reachable object, and garbage's only
 *     where C2 says. Nothing else is stored per object: the
 *     header's GC bits (mm_obj.h) hold the generation (2 bits), REACHED
 *     and SCANNED (with REACHED: scanned; alone, TENTATIVE: passed by
 *     the mark walk without an outside reference, and after marking,
 *     garbage awaiting its release). A tentative member's slot word has
 *     its TENTATIVE bit set too (the DYING bit: no object is dying
 *     while a collection runs, collections never run inside a drain),
 *     so that an edge tells a
 *     tentative child by the word it increments; being reached, or held
 *     by the find pass, clears it. Both header flags and that slot flag
 *     are clear between collections (and on every object outside the
 *     set). The single mark
 *     walk (C4) chains the tentative members into the TENTATIVE LIST
 *     through their headers' slot-index bits (the back-link); once
 *     marking is over, its reached entries get their back-links back and
 *     are unlinked, and what is left is the GARBAGE LIST (head in struct
 *     mm_gc). The release threads its deferred list (C2) through the
 *     back-links of the objects on it, and gives each back before the
 *     drain. No type's traverse/clear reads the back-link, and the
 *     release puts each one back before a type's destroy() or a
 *     track_hook wrapper sees the object.
 * C4. Marking is ONE walk over the set in walk order (as CPython's
 *     move_unreachable): a member passed with rc > 0 (an outside
 *     reference, or an edge a reachable object passed before it gave
 *     back) is reachable, and its edges are followed there and then,
 *     each giving its reference back. A child the walk has not passed yet
 *     needs no more (it is passed with rc > 0); only a child passed
 *     already as tentative (a back edge) is flagged REACHED and scanned,
 *     through an explicit stack, its own edges likewise. A member passed
 *     with rc == 0 goes on the tentative list (C3), where a later
 *     reachable object may still reach it. A reachable member is settled
 *     as the walk passes it (full collection: flags cleared, generation
 *     2; else flagged for the promotion after the release).
 *     The stack has MM_CFG_GC_STACK entries inside struct mm_gc (slot
 *     indices), never recursion. A container whose type has refs() and
 *     whose children would not all fit is scanned in chunks: as many
 *     children as fit are pushed above a CONTINUATION (2 entries: the
 *     container and the position to resume at), so width alone never
 *     fills the stack (given 3 entries). When it is full all the same
 *     (depth), a newly reached object (always on the tentative list) is
 *     flagged REACHED but not pushed and an overflow is noted; once the
 *     walk is over the collector walks that list again (a RESCAN: not the
 *     whole set) and scans every REACHED but not SCANNED entry, until a
 *     pass ends without overflow. The result is the same whatever the
 *     stack size (a test runs with a 1-entry stack).
 * C5. Generation 0 is indexed by the YOUNG TABLE: the handles of the
 *     tracked objects created since the last collection, a fixed array of
 *     MM_CFG_GC_YOUNG_MAX entries inside struct mm_gc (a table of fixed
 *     size, not memory per object). A young collection walks only that
 *     table (entries of objects that died since are skipped by their
 *     handle's epoch; an object that dies as the table's last entry
 *     takes that entry with it, so temporaries never fill the table), so
 *     it costs O(young objects + their references),
 *     whatever the size of the heap. Collections of generations 1 and 2
 *     walk the handle table: O(slots + references of the set).
 * C6. Every tracked object is created in generation 0 and enters the young
 *     table, except when the table is full and no collection may run
 *     (disabled, or refused inside a refcount drain), or when it is made
 *     during a collection (by a destroy()): it is then created in
 *     generation 1 (found by the next collection of generation >= 1).
 *
 * ---- Automatic collection (CPython <= 3.12) ----
 * count[0] = tracked objects created minus tracked objects freed since the
 * last collection; count[1] = collections of generation 0 since the last
 * collection of 1; count[2] = collections of 1 since the last full one.
 * At each tracked object's creation, when the collector is enabled and
 * threshold[0] > 0: if count[0] > threshold[0] or the young table is full,
 * the oldest generation g whose count[g] > threshold[g] is collected (g = 2
 * only if the objects promoted to generation 2 since the last full
 * collection exceed 25% of those the last one left, as CPython), else
 * generation 0. Defaults 700/10/10. The young table bounds threshold[0]:
 * a full table triggers the collection even when count[0] (which discounts
 * freed objects) is lower.
 *
 * ---- Emergency path ----
 * mm_gc_init sets the runtime's oom_hook: when an allocation fails, a full
 * collection runs, then mm_compact() slides the relocatable large blocks
 * together, and mm_rt_alloc retries once; only then MemoryError. The
 * emergency collection is its own switch (mm_gc_set_emergency, on by
 * default): mm_gc_disable does not turn it off. Switched off, a failed
 * allocation runs no collection (compaction, which frees nothing, still
 * runs) and then reports MemoryError. mm_gc_get_counters counts both
 * kinds of collection.
 *
 * ---- Re-entrancy ----
 * A collection requested while one is running, or inside a refcount drain
 * (i.e. from a clear()/destroy() of a dying object, or an allocation made
 * there), is REFUSED: mm_gc_collect returns 0 with status MM_GC_BUSY and
 * changes nothing; automatic and torture collections are skipped there.
 *
 * ---- Torture mode (MM_CFG_GC_TORTURE, mm_config.h) ----
 * 1: every mm_rt_alloc (hence every object creation) first runs an
 * automatic collection of generation 0 or older (as above, whatever
 * count[0]); 2: a full collection. Disabled collectors are left alone.
 *
 * ---- Cost ----
 * Time bounds are given per call below. A full collection costs under 100
 * instructions per tracked object on Cortex-M3; the figures, and what
 * each walk costs: BENCHMARKS.md, "Cycle collector" (lists, slots
 * instances) and "Regular classes" (instances with inline values, read
 * as slots).
 *
 * ---- Ownership and time ----
 * Handles are not involved: the collector frees only garbage, which C code
 * cannot hold (a held handle is an external reference). Raw mm_obj*
 * pointers stay valid across a collection (nothing moves) except across
 * the emergency path (compaction; see H1).
 * Interned strs (mm_types.h) are collectable like any str: the intern
 * table holds no reference, so a collection that frees the last holder
 * of an interned name (say a dict class's last instance, whose class
 * then drops its shared keys) frees the name and its table entry too.
 * Nothing here is ISR-safe; a runtime is used from one thread (mm_obj.h).
 */
#ifndef MM_GC_H
#define MM_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm_config.h"
#include "obj/mm_obj.h"

#define MM_GC_GENERATIONS 3u

typedef enum {
    MM_GC_OK = 0,
    MM_GC_BUSY,   /* refused: a collection or a refcount drain is running */
    MM_GC_BADGEN, /* generation > 2 (misuse reported) */
} mm_gc_status;

/* Debug flags (gc.set_debug). */
#define MM_GC_DEBUG_STATS 1u /* print each collection over mm_printf */

typedef struct mm_gc_type_count {
    const char *name; /* type name; class name for instances */
    uint32_t count;
} mm_gc_type_count;

/* What one collection did. */
typedef struct mm_gc_result {
    mm_gc_status status;
    uint32_t generation;   /* generation collected (0..2) */
    uint32_t examined;     /* tracked objects in the set */
    uint32_t collected;    /* unreachable tracked objects (CPython 3.11's
                              count: an instance's own __dict__, when it is
                              garbage too, counts as part of the instance) */
    uint32_t managed_dicts;/* such __dict__s (freed, not in `collected`) */
    uint32_t freed;        /* objects freed in all: collected, their dicts,
                              and untracked objects only the garbage held */
    uint32_t survivors;    /* members promoted to the next generation */
    uint32_t rescans;      /* passes over the tentative list after a
                              mark-stack overflow (C4) */
    uint64_t instructions; /* mm_port_clock() over the whole collection */
    uint64_t release_instructions; /* of which the last walk: promotion
                              and the refcount drain freeing the garbage
                              (types' clear/destroy, allocator, slots) */
    uint32_t ntypes;       /* entries used in types[] */
    /* `collected` by type, largest first; if there are more types than
     * entries, the last entry is "(other)" and sums the rest. */
    mm_gc_type_count types[MM_CFG_GC_RESULT_TYPES];
} mm_gc_result;

/* Cumulative figures per generation (gc.get_stats). Never decreased. */
typedef struct mm_gc_gen_stats {
    uint32_t collections;
    uint32_t collected;
    uint32_t uncollectable; /* always 0: mmrt has no finalizers */
} mm_gc_gen_stats;

/* The collector's state. Lives where the caller puts it (static RAM or a
 * heap block); its size is fixed by mm_config.h: 4*MM_CFG_GC_YOUNG_MAX +
 * 4*MM_CFG_GC_STACK + 10*MM_TYPE_MAX + 144 bytes on Cortex-M, i.e. 3,840 B
 * with the defaults (a 16 KiB board may want -DMM_CFG_GC_YOUNG_MAX=128:
 * 1,552 B; both read off arm-none-eabi-gcc's sizeof). Its fields are
 * private to gc/gc.c; declare one (static mm_gc gc;) and use the calls
 * below. */
typedef struct mm_gc mm_gc; /* laid out in gc/gc_int.h */

/* Attaches a collector to rt (the runtime's gc, oom_hook, track_hook and,
 * in torture mode, alloc_hook) with thresholds 700/10/10 (threshold 0
 * capped at MM_CFG_GC_YOUNG_MAX), enabled, debug off. Tracked objects that
 * already exist go to generation 2. Returns MMO_OK, or MMO_FULL if rt
 * already has a collector. O(slots). */
mm_status mm_gc_init(mm_gc *gc, mm_rt *rt);

/* Detaches the collector from its runtime (hooks back to NULL). O(1). */
void mm_gc_fini(mm_gc *gc);

/* gc.collect(generation): collects generations 0..generation and returns
 * the number of unreachable objects found (result->collected). res (may be
 * NULL) gets the details. Refused (returns 0, status MM_GC_BUSY) while a
 * collection or a refcount drain runs; generation > 2: misuse reported,
 * 0, MM_GC_BADGEN. Never allocates, never fails otherwise.
 * Time: O(young + their references) for generation 0; O(slots + set +
 * references) otherwise; plus, per rescan, O(tentative list + its
 * references). */
uint32_t mm_gc_collect(mm_gc *gc, uint32_t generation, mm_gc_result *res);

/* gc.enable / gc.disable / gc.isenabled: AUTOMATIC (threshold and
 * torture) collections only. mm_gc_disable stops those and nothing else:
 * explicit collections (mm_gc_collect) run, and so does the emergency
 * collection on an allocation failure unless it is switched off with
 * mm_gc_set_emergency. O(1). */
void mm_gc_enable(mm_gc *gc);
void mm_gc_disable(mm_gc *gc);
bool mm_gc_isenabled(const mm_gc *gc);

/* The emergency collection's own switch (on after mm_gc_init): off, an
 * allocation that fails gets MemoryError with no collection run (as with
 * CPython's gc.disable(), which has no emergency collection at all); the
 * failure is counted (emergency_off). O(1). */
void mm_gc_set_emergency(mm_gc *gc, bool on);
bool mm_gc_emergency_enabled(const mm_gc *gc);

/* Collections by cause, since mm_gc_init; never decreased. */
typedef struct mm_gc_counters {
    uint32_t automatic;     /* threshold (and torture) collections run */
    uint32_t emergency;     /* allocation failures met with the switch on
                               (a full collection, unless refused: busy) */
    uint32_t emergency_off; /* allocation failures met with the switch off */
} mm_gc_counters;
mm_gc_counters mm_gc_get_counters(const mm_gc *gc);

/* gc.get_count / gc.get_threshold / gc.set_threshold. threshold 0 == 0
 * disables automatic collection (as CPython); values above
 * MM_CFG_GC_YOUNG_MAX are kept but the young table still triggers at
 * MM_CFG_GC_YOUNG_MAX. O(1). */
void mm_gc_get_count(const mm_gc *gc, uint32_t count[MM_GC_GENERATIONS]);
void mm_gc_get_threshold(const mm_gc *gc, uint32_t th[MM_GC_GENERATIONS]);
void mm_gc_set_threshold(mm_gc *gc, uint32_t t0, uint32_t t1, uint32_t t2);

/* gc.set_debug / gc.get_debug (MM_GC_DEBUG_STATS prints, for every
 * collection, the lines CPython prints: generation, objects in each
 * generation, unreachable count, plus the cost in instructions). O(1). */
void mm_gc_set_debug(mm_gc *gc, uint32_t flags);
uint32_t mm_gc_get_debug(const mm_gc *gc);

/* gc.get_stats()[gen] (gen 0..2; else zeros). Tracked objects now in
 * generation gen (mm_gc_population). O(1). */
mm_gc_gen_stats mm_gc_get_stats(const mm_gc *gc, uint32_t gen);
uint32_t mm_gc_population(const mm_gc *gc, uint32_t gen);

/* Limits the mark stack to n entries (1..MM_CFG_GC_STACK, clamped), to
 * exercise the overflow fallback in tests. O(1). */
void mm_gc_set_stack_limit(mm_gc *gc, uint32_t n);

/* Prints a result like the debug-stats lines, with the per-type counts. */
void mm_gc_print_result(const mm_gc_result *res);

/* Walker (never aborts, never changes anything): every tracked object has
 * both GC flags clear and a generation 0..2, the per-generation counts
 * match the objects, every generation-0 object is in the young table and
 * every live young entry is a tracked generation-0 object. Returns MMO_OK,
 * or MMO_CORRUPT with *what (may be NULL) naming the first problem.
 * O(slots + young). */
mm_status mm_gc_check(const mm_gc *gc, const char **what);

/* The collector's state, laid out where the caller can place it. */
#include "gc/gc_int.h"

#endif /* MM_GC_H */
