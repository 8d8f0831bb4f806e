/*
 * bench_lock.c - the longest interrupt-masked stretch of the allocator with
 * MM_CFG_LOCK=1 (the bench firmware built again with -DMM_CFG_LOCK=1:
 * tools/bench.sh, BENCH_ONLY=lock for this part alone).
 *
 * This file supplies the firmware's mm_port_lock/unlock (kernel/kernel.c's
 * are weak): the same PRIMASK critical section, plus a read of the SysTick
 * count (kernel/counter.c) when the outermost section begins and when it
 * ends. Under QEMU -icount shift=0 one tick is 1e9 / MMRT_SYSTICK_HZ
 * instructions (40 on mps2-an385), so each stretch is known to within one
 * tick. The stretch includes one counter read (lock_overhead_instr: the
 * mean of 1000 empty sections measured the same way).
 *
 * Workloads: a random live set over SLOTS blocks, mostly small with 1 in 8
 * large (257 B to LARGE_MAX) whose owners are registered, on an arena sized
 * so that requests fail now and then (tight). An operation allocates an
 * empty slot (mm_alloc or mm_realloc_err), or frees, resizes (mm_realloc,
 * so large blocks are copied when they cannot grow in place), asks
 * mm_usable_size, or re-registers the owner; every TRIM_EVERY operations
 * mm_trim, every COMPACT_EVERY mm_compact. Each entry point's longest
 * stretch is printed:
 *     RESULT lock <workload> longest_masked_instr <n>
 *     RESULT lock <workload>.<entry> longest_masked_instr <n>
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "fmt/mm_fmt.h"
#include "heap/mm_heap.h"
#include "kernel.h"
#include "mm_port.h"

#if MM_CFG_LOCK

/* ---- the counting port lock ---- */

static struct {
    uint32_t depth;     /* nesting of mm_port_lock */
    uint64_t t0;        /* SysTick ticks when the outermost section began */
    uint64_t longest;   /* longest outermost section since lock_reset, ticks */
    uint32_t sections;  /* outermost sections since lock_reset */
} L;

uint32_t mm_port_lock(void) {
    uint32_t s = crit_enter();
    if (L.depth++ == 0U) {
        L.t0 = counter_ticks();
    }
    return s;
}

void mm_port_unlock(uint32_t state) {
    if (--L.depth == 0U) {
        uint64_t d = counter_ticks() - L.t0;
        if (d > L.longest) {
            L.longest = d;
        }
        L.sections++;
    }
    crit_exit(state);
}

static void lock_reset(void) {
    L.longest = 0;
    L.sections = 0;
}

static uint64_t ticks_to_instr(uint64_t ticks) {
    return ticks * 1000000000ULL / MMRT_SYSTICK_HZ;
}

/* ---- the entry points, each with its own longest stretch ---- */

enum {
    E_ALLOC_SMALL, E_ALLOC_LARGE, E_FREE_SMALL, E_FREE_LARGE, E_REALLOC_INPLACE,
    E_REALLOC_MOVE_SMALL, E_REALLOC_COPY_LARGE, E_REALLOC_FAIL, E_USABLE, E_SET_OWNER,
    E_TRIM, E_COMPACT, E_COUNT
};
static const char *const entry_name[E_COUNT] = {
    "mm_alloc_small", "mm_alloc_large", "mm_free_small", "mm_free_large",
    "mm_realloc_in_place", "mm_realloc_move_small", "mm_realloc_copy_large",
    "mm_realloc_failed", "mm_usable_size", "mm_set_owner", "mm_trim", "mm_compact",
};

static struct entries {
    uint64_t longest[E_COUNT];  /* ticks */
    uint32_t calls[E_COUNT];
    uint32_t sections;          /* outermost sections, all calls */
    size_t largest_copy;        /* bytes of the largest block a realloc copied */
} E;

/* Charges the call just made (since lock_reset) to entry e. */
static void charge(int e) {
    if (L.longest > E.longest[e]) {
        E.longest[e] = L.longest;
    }
    E.calls[e]++;
    E.sections += L.sections;
    lock_reset();
}

/* ---- the workload ---- */

#define SLOTS_PER_64K 64U
#define OPS 60000U
#define LARGE_MAX 16384U
#define TRIM_EVERY 1000U
#define COMPACT_EVERY 3000U

typedef struct {
    void *p;      /* the block; the registered owner slot of a large one */
    size_t size;
} slot;

static uint32_t rng;

static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static size_t pick_size(uint32_t r) {
    if ((r & 7U) == 0U) {
        return MM_CFG_SMALL_MAX + 1U + (r >> 3) % (LARGE_MAX - MM_CFG_SMALL_MAX);
    }
    return 1U + (r >> 3) % MM_CFG_SMALL_MAX;
}

static void set_owner(mm_heap *h, slot *s) {
    if (s->size > MM_CFG_SMALL_MAX) {
        mm_set_owner(h, s->p, &s->p);
        charge(E_SET_OWNER);
    }
}

static void op_alloc(mm_heap *h, slot *s, uint32_t r) {
    size_t n = pick_size(r);
    void *p;
    if ((r & 0x10000U) != 0U) {
        mm_err err;
        p = mm_realloc_err(h, NULL, n, &err);
    } else {
        p = mm_alloc(h, n);
    }
    charge(n > MM_CFG_SMALL_MAX ? E_ALLOC_LARGE : E_ALLOC_SMALL);
    if (p != NULL) {
        *s = (slot){p, n};
        set_owner(h, s);
    }
}

static void op_realloc(mm_heap *h, slot *s, uint32_t r) {
    size_t n = pick_size(r);
    void *old = s->p;
    void *p = mm_realloc(h, s->p, n);
    if (p == NULL) {
        charge(E_REALLOC_FAIL);
        return;
    }
    if (p == old) {
        charge(E_REALLOC_INPLACE);
    } else if (s->size > MM_CFG_SMALL_MAX && n > MM_CFG_SMALL_MAX) {
        charge(E_REALLOC_COPY_LARGE);
        size_t copied = s->size < n ? s->size : n;
        E.largest_copy = copied > E.largest_copy ? copied : E.largest_copy;
    } else {
        charge(E_REALLOC_MOVE_SMALL);
    }
    *s = (slot){p, n};
    set_owner(h, s);
}

static void op(mm_heap *h, slot *slots, uint32_t nslots) {
    uint32_t r = rnd();
    slot *s = &slots[r % nslots];
    r >>= 8;
    if (s->p == NULL) {
        op_alloc(h, s, r >> 3);
    } else if ((r & 7U) < 3U) {
        bool large = s->size > MM_CFG_SMALL_MAX;
        mm_free(h, s->p);
        charge(large ? E_FREE_LARGE : E_FREE_SMALL);
        s->p = NULL;
    } else if ((r & 7U) < 6U) {
        op_realloc(h, s, r >> 3);
    } else if ((r & 7U) == 6U) {
        (void)mm_usable_size(h, s->p);
        charge(E_USABLE);
    } else {
        set_owner(h, s);
    }
}

/* One workload on an arena of `arena` bytes at the region's start. */
static int run(const char *name, size_t arena) {
    static slot slots[SLOTS_PER_64K * 16U];
    void *start;
    size_t size;
    bench_region(&start, &size);
    uint32_t nslots = (uint32_t)(arena / 65536U * SLOTS_PER_64K);
    if (arena > size || nslots == 0U || nslots > sizeof slots / sizeof slots[0]) {
        mm_printf("bench lock: arena %lu does not fit\n", (unsigned long)arena);
        return 1;
    }
    mm_heap *h = mm_init(start, arena);
    if (h == NULL) {
        return 1;
    }
    for (uint32_t i = 0; i < nslots; i++) {
        slots[i] = (slot){NULL, 0};
    }
    E = (struct entries){0};
    rng = 0x2545F491U;
    lock_reset();
    for (uint32_t i = 1; i <= OPS; i++) {
        op(h, slots, nslots);
        if (i % TRIM_EVERY == 0U) {
            mm_trim(h);
            charge(E_TRIM);
        }
        if (i % COMPACT_EVERY == 0U) {
            (void)mm_compact(h);
            charge(E_COMPACT);
        }
    }
    for (uint32_t i = 0; i < nslots; i++) {
        mm_free(h, slots[i].p);
    }
    mm_trim(h);
    mm_stats st;
    mm_get_stats(h, &st);
    if (!mm_check(h, NULL) || st.used_bytes != 0U || st.pages_free != st.pages) {
        mm_printf("bench lock: %s: heap not empty or inconsistent at the end\n", name);
        return 1;
    }
    uint64_t all = 0;
    uint32_t calls = 0;
    for (int e = 0; e < E_COUNT; e++) {
        all = E.longest[e] > all ? E.longest[e] : all;
        calls += E.calls[e];
    }
    mm_printf("RESULT lock %s arena_bytes %lu\n", name, (unsigned long)arena);
    mm_printf("RESULT lock %s calls %lu\n", name, (unsigned long)calls);
    mm_printf("RESULT lock %s longest_masked_instr %llu\n", name,
              (unsigned long long)ticks_to_instr(all));
    for (int e = 0; e < E_COUNT; e++) {
        if (E.calls[e] == 0U) {
            mm_printf("bench lock: %s: %s never called\n", name, entry_name[e]);
            return 1;
        }
        mm_printf("RESULT lock %s.%s longest_masked_instr %llu\n", name, entry_name[e],
                  (unsigned long long)ticks_to_instr(E.longest[e]));
    }
    mm_printf("RESULT lock %s largest_realloc_copy_bytes %lu\n", name,
              (unsigned long)E.largest_copy);
    return 0;
}

BENCH_CASE(lock) {
    /* empty sections, measured as the others: their mean */
    uint64_t ticks = 0;
    for (uint32_t i = 0; i < 1000U; i++) {
        lock_reset();
        mm_port_unlock(mm_port_lock());
        ticks += L.longest;
    }
    lock_reset();
    mm_printf("RESULT lock empty_section lock_overhead_instr %llu\n",
              (unsigned long long)(ticks_to_instr(ticks) / 1000U));
    if (run("tight128k", 128U * 1024U) != 0) {
        return 1;
    }
    return run("tight1m", 1024U * 1024U);
}

#endif /* MM_CFG_LOCK */
