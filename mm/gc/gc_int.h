/*
 * gc_int.h - the layout of the collector's state (struct mm_gc). Included
 * at the end of mm_gc.h so that a caller can place an mm_gc where it likes
 * (static RAM or a heap block); every field is private to gc/gc.c.
 */
#ifndef MM_GC_INT_H
#define MM_GC_INT_H

#include "gc/mm_gc.h"

struct mm_gc {
    mm_rt *rt;
    uint32_t threshold[MM_GC_GENERATIONS];
    uint32_t count[MM_GC_GENERATIONS];
    uint32_t pop[MM_GC_GENERATIONS];      /* tracked objects per generation */
    mm_gc_gen_stats stats[MM_GC_GENERATIONS];
    uint32_t long_lived_total;   /* survivors of the last full collection */
    uint32_t long_lived_pending; /* promoted to 2 since then */
    uint32_t automatic;          /* automatic collections run */
    uint32_t emergencies;        /* oom_hook runs with the emergency
                                    collection on, never decreased */
    uint32_t emergencies_off;    /* allocation failures with the emergency
                                    collection switched off */
    uint32_t debug;              /* MM_GC_DEBUG_* flags */
    bool enabled;
    bool emergency_on;           /* mm_gc_set_emergency */
    bool running;
    /* ---- one collection's scratch ---- */
    bool overflow;               /* the mark stack overflowed this walk */
    uint32_t gen;                /* generation being collected */
    uint32_t sp, stack_limit;    /* mark stack depth and usable entries */
    uint32_t young_len;          /* entries used in young[] */
    uint64_t dict_classes;       /* type ids of classes with a __dict__ */
    uint32_t garbage;            /* head of the garbage list (gc/gc.c) */
    uint32_t ngarbage;           /* objects on it */
    bool garbage_own_clear;      /* some garbage (after the walk: some
                                    tentative member) has its own clear() */
    bool fused;                  /* no find pass: the tentative list was all
                                    garbage (gc/gc.c, mark_find) */
    uint32_t reached;            /* tentative members reached after all */
    uint32_t tentative;          /* members put on the tentative list */
    const mm_type *types[MM_TYPE_MAX]; /* type id -> descriptor, cached */
    uint16_t fast[MM_TYPE_MAX];  /* type id -> fast path code, cached */
    uint32_t by_type[MM_TYPE_MAX];
    uint32_t stack[MM_CFG_GC_STACK]; /* mark stack: slot indices of reached
                                        members, and continuations */
    mm_h young[MM_CFG_GC_YOUNG_MAX];
};

#endif /* MM_GC_INT_H */
