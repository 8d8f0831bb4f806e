/*
 * diag/trace_int.h - the tracer's hash table, inline: shared by the
 * tracer (diag/trace.c: its hook callbacks, snapshots) and the heap
 * (heap/heap.c: mm_alloc_at and mm_free record into the table directly,
 * with no call, while the tracer is the heap's only observer).
 *
 * The table (mm_tracer in diag/mm_trace.h): MM_CFG_TRACE_MAX slots keyed
 * by block address (Fibonacci hashing: one multiply and one shift;
 * linear probing), filled to at most 7/8 (MM_TRACE_CAPACITY), so probes
 * stay short and always end at an empty slot. A free deletes by backward
 * shift (Knuth, TAOCP vol. 3, 6.4, algorithm R), so no tombstones build
 * up. O(1) expected per operation, O(MM_CFG_TRACE_MAX) worst case.
 */
#ifndef MM_TRACE_INT_H
#define MM_TRACE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "diag/mm_trace.h"

#define MM__TRACE_MASK ((uint32_t)MM_CFG_TRACE_MAX - 1u)
#define MM__TRACE_BITS ((uint32_t)__builtin_ctz(MM_CFG_TRACE_MAX))

/* Home slot of block p: the low 32 bits of its address times 2^32 / phi,
 * the top MM__TRACE_BITS bits kept (blocks 8 bytes apart land far
 * apart). */
static inline uint32_t mm__trace_home(const void *p)
{
    return ((uint32_t)(uintptr_t)p * 2654435769u) >> (32u - MM__TRACE_BITS);
}

/* The slot after i (the last one's is slot 0). */
static inline uint32_t mm__trace_next(uint32_t i)
{
    return (i + 1u) & MM__TRACE_MASK;
}

/* The rare steps of the table's operations, out of line (diag/trace.c),
 * so that the inline paths keep few registers:
 * mm__trace_shift: after slot i was emptied while slot i + 1 is not,
 *   shifts later entries of the probe run back (backward-shift deletion)
 *   so that every entry stays reachable from its home slot;
 * mm__trace_probe: p's slot (p != NULL), or the first empty slot of its
 *   probe run when p is NULL, the search starting at slot i + 1 (i is
 *   the home slot, which was neither). */
void mm__trace_shift(mm_tracer *t, uint32_t i);
uint32_t mm__trace_probe(const mm_tracer *t, const void *p, uint32_t i);

/* Slot i was just emptied: later entries of its probe run shift back.
 * In steady state the next slot is empty: one load and one test. */
static inline __attribute__((always_inline)) void mm__trace_close_gap(mm_tracer *t, uint32_t i)
{
    if (__builtin_expect(t->table[mm__trace_next(i)].ptr != NULL, 0)) {
        mm__trace_shift(t, i);
    }
}

/* Empties slot i and shifts later entries of its probe run back. */
static inline __attribute__((always_inline)) void mm__trace_delete_at(mm_tracer *t, uint32_t i)
{
    t->table[i].ptr = NULL;
    mm__trace_close_gap(t, i);
}

/* The slot of p's trace (p not NULL), or MM_CFG_TRACE_MAX if p is not
 * traced. The table always has an empty slot (at most 7/8 full), so the
 * probe ends. */
static inline __attribute__((always_inline)) uint32_t mm__trace_find(const mm_tracer *t,
                                                                     const void *p)
{
    uint32_t i = mm__trace_home(p);
    const void *q = t->table[i].ptr;
    if (__builtin_expect(q != p, 0)) {
        return q == NULL ? MM_CFG_TRACE_MAX : mm__trace_probe(t, p, i);
    }
    return i;
}

/* The first empty slot of p's probe run (p not present, the table below
 * capacity). */
static inline __attribute__((always_inline)) mm_trace_entry *mm__trace_free_slot(mm_tracer *t,
                                                                                 const void *p)
{
    uint32_t i = mm__trace_home(p);
    if (__builtin_expect(t->table[i].ptr != NULL, 0)) {
        i = mm__trace_probe(t, NULL, i);
    }
    return &t->table[i];
}

/* Puts a trace in the first empty slot of p's probe run (p not present,
 * the table below capacity); the counts are the caller's. */
static inline __attribute__((always_inline)) void mm__trace_insert(mm_tracer *t, const void *p,
                                                                   uint32_t size,
                                                                   const char *file, int32_t line)
{
    *mm__trace_free_slot(t, p) = (mm_trace_entry){p, file, size, line};
}

/* ---- a trace recorded into, or forgotten from, a slot already found:
 * the entry and the counts ---- */

/* The trace of block p (size bytes, from file:line) into empty slot e. */
static inline __attribute__((always_inline)) void mm__trace_put(mm_tracer *t, mm_trace_entry *e,
                                                                const void *p, uint32_t size,
                                                                const char *file, int line)
{
    *e = (mm_trace_entry){p, file, size, (int32_t)line};
    t->count++;
    t->current += size; /* the peak is recorded at decreases */
}

/* Slot e's trace goes (nothing shifted back: the caller's). (All is read
 * before anything is written: the stores could alias.) */
static inline __attribute__((always_inline)) void mm__trace_take(mm_tracer *t, mm_trace_entry *e)
{
    uint32_t size = e->size;
    uint32_t n = t->count;
    size_t cur = t->current;
    size_t peak = t->peak;
    if (cur > peak) {
        t->peak = cur; /* a peak is always followed by a decrease */
    }
    e->ptr = NULL;
    t->count = n - 1u;
    t->current = cur - size;
}

/* ---- the general operations (the tracer's hook callbacks, the heap's
 * rarer paths) ---- */

/* A block p of size bytes was allocated at file:line: its trace, or a
 * dropped one when the table is full (T3). */
static inline __attribute__((always_inline)) void mm__trace_record(mm_tracer *t, void *p,
                                                                   size_t size, const char *file,
                                                                   int line)
{
    if (__builtin_expect(t->count >= MM_TRACE_CAPACITY || size > UINT32_MAX, 0)) {
        t->dropped++;
        t->dropped_bytes += size;
        return;
    }
    mm__trace_put(t, mm__trace_free_slot(t, p), p, (uint32_t)size, file, line);
}

/* Block p (not NULL) is freed: its trace, if any, goes. */
static inline __attribute__((always_inline)) void mm__trace_forget(mm_tracer *t, const void *p)
{
    uint32_t i = mm__trace_find(t, p);
    if (__builtin_expect(i != MM_CFG_TRACE_MAX, 1)) {
        mm__trace_take(t, &t->table[i]);
        mm__trace_close_gap(t, i);
    }
}

/* ---- the common cases, for the heap's inline paths ----
 * Each finds the slot without changing anything (NULL: not the common
 * case; the caller then takes a path that calls mm__trace_record or
 * mm__trace_forget); the caller commits with mm__trace_put or
 * mm__trace_take. */

/* p's home slot when it is empty and the table below capacity. */
static inline mm_trace_entry *mm__trace_put_slot(mm_tracer *t, const void *p)
{
    mm_trace_entry *e = &t->table[mm__trace_home(p)];
    return t->count < MM_TRACE_CAPACITY && e->ptr == NULL ? e : NULL;
}

/* p's slot when p's trace sits in its home slot and the next slot is
 * empty (its deletion shifts nothing back). */
static inline mm_trace_entry *mm__trace_take_slot(mm_tracer *t, const void *p)
{
    uint32_t i = mm__trace_home(p);
    mm_trace_entry *e = &t->table[i];
    return e->ptr == p && t->table[mm__trace_next(i)].ptr == NULL ? e : NULL;
}

/* ---- heap/heap.c ---- */

/* Tells heap h which tracer is attached to it (t, whose hook was
 * attached with mm_set_alloc_hook; NULL: none). While the heap's hook is
 * that tracer's, with no hook chained after it, mm_alloc_at and mm_free
 * record into t inline instead of calling the hook. The heap knows one
 * tracer: a second one started on the same heap (chained to the first),
 * and the first after the second stops, are called through the hook
 * (the same records, the general path's cost). O(1). */
void mm__heap_set_tracer(mm_heap *h, mm_tracer *t);

#endif /* MM_TRACE_INT_H */
