/*
 * bench_main.c - allocator benchmarks, main() of the bench firmware.
 *
 * Runs each workload named on the command line against three allocators
 * in the same firmware: mm (this project), newlib's malloc/free (the full
 * newlib, or newlib-nano in the second build: see tools/bench.sh; TLSF
 * in the yardstick build, -DBENCH_TLSF, below) and a do-nothing
 * allocator that measures the harness itself. Costs are
 * instruction counts under QEMU -icount shift=0 (kernel/counter.c); the
 * net cost of an allocator is its count minus the do-nothing count, so
 * loops, the LCG and the indirect calls are not charged to anyone.
 *
 * Workloads (all driven by the same fixed LCG, so every allocator sees the
 * same sequence of requests):
 *   W1  LIFO pairs: alloc then free at once, sizes 8..256
 *   W2  random live set: 512 slots, 100,000 ops, sizes 8..256; an op frees
 *       the chosen slot if it is full and fills it otherwise
 *   W3  W2 with 1 block in 64 large (1..4 KiB)
 *   W4  W2 then W3 again with one marker call around every single alloc and
 *       free, for tools/w4.sh to count exactly from a QEMU instruction trace
 *   cap16  live 16-byte blocks a 64 KiB arena holds
 *   <case> any BENCH_CASE of tests/bench/ (bench.h); "--list" names them
 * newlib's malloc keeps state that cannot be reset, so a firmware run takes
 * exactly one workload (tools/bench.sh starts one QEMU per workload).
 * After W2 and W3, the packed-pools model (below) replays the same
 * sequence and prints the high-water floor of any allocator built like mm
 * (allocator "packed_pools_bound": a bound computed from the requests and
 * mm's class and page sizes, not an allocator that ran).
 * Every figure is printed as "RESULT <workload> <allocator> <metric> <value>".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "kernel.h"
#include "heap/mm_heap.h"
#include "fmt/mm_fmt.h"

#ifndef BENCH_NEWLIB
#define BENCH_NEWLIB "newlib" /* "newlib" or "newlib-nano", from tools/bench.sh */
#endif

#define SLOTS 512U
#define W1_PAIRS 20000U
#define W2_OPS 100000U
#define NEWLIB_ARENA (1024U * 1024U)

/* ---- the allocators under test ---- */

/* Every allocator is called the same way: alloc(heap, size), free(heap, p).
 * mm's entry points are called directly; newlib's and the do-nothing
 * allocator's wrappers ignore the heap argument. */
typedef struct {
    const char *name;
    void *(*alloc)(mm_heap *h, size_t n);
    void (*free)(mm_heap *h, void *p);
} allocator;

static mm_heap *heap;

/* The do-nothing allocator: hands out one scratch block for every request. */
static uint64_t null_block[4096 / 8 + 1];
static void *null_alloc(mm_heap *h, size_t n) {
    (void)h;
    (void)n;
    return null_block;
}
static void null_free(mm_heap *h, void *p) {
    (void)h;
    (void)p;
}

#ifdef BENCH_TLSF
/* The TLSF yardstick build (make bench with TLSF_DIR set; tools/bench.sh
 * runs W1-W3 and the pressure workloads on it): TLSF
 * (github.com/mattconte/tlsf, compiled from the user's own checkout,
 * never kept in this repository) in newlib's place, its control
 * structure and pool in an arena of the size newlib's would have (mm's
 * size in a pressure run), created again for every run. Issue 14 checks
 * mm's failures against TLSF's. */
#include "tlsf.h"
static tlsf_t tlsf; /* NULL: the arena cannot hold TLSF's control structure */
static void *tlsf_alloc(mm_heap *h, size_t n) {
    (void)h;
    return tlsf != NULL ? tlsf_malloc(tlsf, n) : NULL;
}
static void tlsf_free_fn(mm_heap *h, void *p) {
    (void)h;
    tlsf_free(tlsf, p);
}
/* tlsf.c reports a bad pool with printf; the bench firmware has no stdio. */
int printf(const char *fmt, ...);
int printf(const char *fmt, ...) {
    (void)fmt;
    return 0;
}
#define YARDSTICK {"tlsf", tlsf_alloc, tlsf_free_fn}
#define BENCH_TLSF_BUILD 1
#else
#define BENCH_TLSF_BUILD 0
static void *newlib_alloc(mm_heap *h, size_t n) {
    (void)h;
    return malloc(n);
}
static void newlib_free(mm_heap *h, void *p) {
    (void)h;
    free(p);
}
#define YARDSTICK {BENCH_NEWLIB, newlib_alloc, newlib_free}
#endif

static const allocator impls[] = {
    {"null", null_alloc, null_free},
    {"mm", mm_alloc, mm_free},
    YARDSTICK,
};
#define IMPLS (sizeof impls / sizeof impls[0])

/* ---- newlib's heap: _sbrk over a static arena, with its high-water ---- */

static uint8_t *newlib_arena;
static size_t newlib_top, newlib_limit, newlib_peak; /* peak: the break's high-water */

void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr) {
    if (incr < 0 ? (size_t)-incr > newlib_top : newlib_top + (size_t)incr > newlib_limit) {
        return (void *)-1;
    }
    void *old = newlib_arena + newlib_top;
    newlib_top = (size_t)((ptrdiff_t)newlib_top + incr);
    newlib_peak = newlib_top > newlib_peak ? newlib_top : newlib_peak;
    return old;
}

/* Points newlib's heap at [start, start+size) from scratch (for a
 * BENCH_CASE that shows newlib's malloc on the same pattern as mm). */
void bench_newlib_arena(void *start, size_t size);
void bench_newlib_arena(void *start, size_t size) {
    newlib_arena = start;
    newlib_top = 0;
    newlib_limit = size;
}

/* ---- workloads ---- */

/* Another seed for every workload: -DBENCH_SEED=n (0: the figures of
 * BENCHMARKS.md), to see that a change holds beyond one sequence. */
#ifndef BENCH_SEED
#define BENCH_SEED 0U
#endif
static uint32_t lcg_state;
static inline uint32_t lcg(void) {
    lcg_state = lcg_state * 1664525U + 1013904223U;
    return lcg_state;
}

static uint32_t small_size(uint32_t r) { return 8U + (r >> 8) % 249U; }

typedef struct {
    uint64_t instructions;
    uint32_t ops;
    size_t peak_live; /* most requested bytes live at once */
    bool failed;      /* an allocation returned NULL */
    uint32_t fails;   /* allocations that returned NULL (pressure runs go on) */
} run_result;

static void *slots[SLOTS];
static uint32_t slot_size[SLOTS];

/* W1: alloc + free pairs. */
static void w1(const allocator *a, run_result *res) {
    lcg_state = 1U ^ BENCH_SEED;
    for (uint32_t i = 0; i < W1_PAIRS; i++) {
        void *p = a->alloc(heap, small_size(lcg()));
        if (p == NULL) {
            res->failed = true;
            return;
        }
        *(volatile uint32_t *)p = i;
        a->free(heap, p);
    }
    res->ops = 2U * W1_PAIRS;
}

/* Markers for W4: tools/w4.awk counts the instructions from entering a
 * w4_begin_* marker to entering w4_end, one marker per kind of operation. */
#define MARKER(name)                                                          \
    __attribute__((noinline)) void name(void);                                \
    __attribute__((noinline)) void name(void) { __asm__ volatile(""); }
MARKER(w4_begin_alloc_small)
MARKER(w4_begin_alloc_large)
MARKER(w4_begin_free_small)
MARKER(w4_begin_free_large)
MARKER(w4_end)

/* W2/W3: a random live set; large_one_in = 0 for none. */
static void live_set(const allocator *a, run_result *res, uint32_t large_one_in, bool mark) {
    lcg_state = 12345U ^ BENCH_SEED;
    size_t live = 0;
    memset(slots, 0, sizeof slots);
    for (uint32_t i = 0; i < W2_OPS; i++) {
        uint32_t r = lcg();
        uint32_t s = (r >> 4) % SLOTS;
        if (slots[s] != NULL) {
            if (mark) {
                if (slot_size[s] > 256U) {
                    w4_begin_free_large();
                } else {
                    w4_begin_free_small();
                }
            }
            a->free(heap, slots[s]);
            if (mark) {
                w4_end();
            }
            slots[s] = NULL;
            live -= slot_size[s];
            continue;
        }
        uint32_t size = small_size(r);
        if (large_one_in != 0U && (r >> 24) % large_one_in == 0U) {
            size = 1024U + (r >> 2) % 3073U;
        }
        if (mark) {
            if (size > 256U) {
                w4_begin_alloc_large();
            } else {
                w4_begin_alloc_small();
            }
        }
        void *p = a->alloc(heap, size);
        if (mark) {
            w4_end();
        }
        if (p == NULL) {
            res->failed = true;
            return;
        }
        *(volatile uint32_t *)p = i;
        slots[s] = p;
        slot_size[s] = size;
        live += size;
        if (live > res->peak_live) {
            res->peak_live = live;
        }
    }
    for (uint32_t s = 0; s < SLOTS; s++) {
        a->free(heap, slots[s]);
        slots[s] = NULL;
    }
    res->ops = W2_OPS;
}

static void w2(const allocator *a, run_result *res) { live_set(a, res, 0, false); }
static void w3(const allocator *a, run_result *res) { live_set(a, res, 64, false); }

/* ---- workloads under memory pressure ----
 * Each runs at a given arena size against every allocator, counts the
 * allocations that fail (and goes on without that block), and calls through
 * p_alloc/p_free, which put the W4 markers around each call when `marking`
 * is set (tools/bench.sh counts those runs from a filtered QEMU trace).
 *   W1p  W1's LIFO pairs
 *   W2p  W2's random live set
 *   W3p  W3's live set with 1 block in 64 of 1..4 KiB
 *   CPY  a CPython-like mix: 90% 16..64 B, 7% 72..256 B, 3% 512..2048 B;
 *        3 ops in 4 touch one of 32 young slots (short lifetimes), the rest
 *        one of 512
 *   FIFO a queue of 128 messages of 8..512 B: each op enqueues one, and
 *        frees the oldest once the queue is full
 *   SAW  a sawtooth: requests of 8..512 B until their bytes reach 85% of
 *        64 KiB, then all freed; 8 teeth
 */
static bool marking;

static void print_ratio(const char *w, const char *impl, const char *metric, uint64_t num,
                        uint64_t den);

/* While set (mm's run just below its least arena), the first failed
 * request and mm's statistics at that moment (mm_get_stats: every byte of
 * the arena counted once), so that the bench shows where the arena went. */
static bool fail_capture;
static size_t fail_request;
static mm_stats fail_stats;

static void *p_alloc(const allocator *a, run_result *res, size_t size) {
    if (marking) {
        if (size > MM_CFG_SMALL_MAX) {
            w4_begin_alloc_large();
        } else {
            w4_begin_alloc_small();
        }
    }
    void *p = a->alloc(heap, size);
    if (marking) {
        w4_end();
    }
    if (p == NULL) {
        res->fails++;
        if (fail_capture && res->fails == 1U) {
            fail_request = size;
            mm_get_stats(heap, &fail_stats);
        }
    } else {
        *(volatile uint32_t *)p = (uint32_t)size;
    }
    return p;
}

static void p_free(const allocator *a, void *p, size_t size) {
    if (p == NULL) {
        return;
    }
    if (marking) {
        if (size > MM_CFG_SMALL_MAX) {
            w4_begin_free_large();
        } else {
            w4_begin_free_small();
        }
    }
    a->free(heap, p);
    if (marking) {
        w4_end();
    }
}

static void p_live(run_result *res, size_t *live, size_t size, bool add) {
    *live = add ? *live + size : *live - size;
    if (*live > res->peak_live) {
        res->peak_live = *live;
    }
}

static void p_w1(const allocator *a, run_result *res) {
    lcg_state = 1U ^ BENCH_SEED;
    for (uint32_t i = 0; i < W1_PAIRS; i++) {
        size_t n = small_size(lcg());
        void *p = p_alloc(a, res, n);
        if (p != NULL && n > res->peak_live) {
            res->peak_live = n;
        }
        p_free(a, p, n);
    }
    res->ops = 2U * W1_PAIRS;
}

/* A random live set over `slots` slots; young > 0: 3 ops in 4 pick one of
 * the first `young` slots. size_fn draws a request size from r. */
static void p_live_set(const allocator *a, run_result *res, uint32_t young,
                       uint32_t (*size_fn)(uint32_t r)) {
    lcg_state = 12345U ^ BENCH_SEED;
    size_t live = 0;
    uint32_t ops = 0;
    memset(slots, 0, sizeof slots);
    for (uint32_t i = 0; i < W2_OPS; i++) {
        uint32_t r = lcg();
        uint32_t s = (r >> 4) % SLOTS;
        if (young != 0U && (r >> 28) % 4U != 0U) {
            s %= young;
        }
        ops++;
        if (slots[s] != NULL) {
            p_free(a, slots[s], slot_size[s]);
            slots[s] = NULL;
            p_live(res, &live, slot_size[s], false);
            continue;
        }
        uint32_t size = size_fn(lcg());
        void *p = p_alloc(a, res, size);
        if (p != NULL) {
            slots[s] = p;
            slot_size[s] = size;
            p_live(res, &live, size, true);
        }
    }
    for (uint32_t s = 0; s < SLOTS; s++) {
        if (slots[s] != NULL) {
            ops++;
            p_free(a, slots[s], slot_size[s]);
            slots[s] = NULL;
        }
    }
    res->ops = ops;
}

static uint32_t size_w2(uint32_t r) { return small_size(r); }
static uint32_t size_w3(uint32_t r) {
    return (r >> 24) % 64U == 0U ? 1024U + (r >> 2) % 3073U : small_size(r);
}
static uint32_t size_cpy(uint32_t r) {
    uint32_t k = (r >> 20) % 100U;
    if (k < 90U) {
        return 16U + 8U * ((r >> 4) % 7U); /* 16..64 */
    }
    if (k < 97U) {
        return 72U + 8U * ((r >> 4) % 24U); /* 72..256 */
    }
    return 512U + 8U * ((r >> 4) % 193U); /* 512..2048 */
}
static uint32_t size_8_512(uint32_t r) { return 8U + (r >> 8) % 505U; }

static void p_w2(const allocator *a, run_result *res) { p_live_set(a, res, 0, size_w2); }
static void p_w3(const allocator *a, run_result *res) { p_live_set(a, res, 0, size_w3); }
static void p_cpy(const allocator *a, run_result *res) { p_live_set(a, res, 32, size_cpy); }

#define FIFO_LEN 128U
static void p_fifo(const allocator *a, run_result *res) {
    lcg_state = 777U ^ BENCH_SEED;
    size_t live = 0;
    uint32_t ops = 0;
    memset(slots, 0, sizeof slots);
    for (uint32_t i = 0; i < W2_OPS / 2U; i++) {
        uint32_t s = i % FIFO_LEN;
        if (slots[s] != NULL) { /* the oldest message */
            ops++;
            p_free(a, slots[s], slot_size[s]);
            slots[s] = NULL;
            p_live(res, &live, slot_size[s], false);
        }
        uint32_t size = size_8_512(lcg());
        ops++;
        void *p = p_alloc(a, res, size);
        if (p != NULL) {
            slots[s] = p;
            slot_size[s] = size;
            p_live(res, &live, size, true);
        }
    }
    for (uint32_t s = 0; s < FIFO_LEN; s++) {
        ops += slots[s] != NULL ? 1U : 0U;
        p_free(a, slots[s], slot_size[s]);
        slots[s] = NULL;
    }
    res->ops = ops;
}

#define SAW_FILL (65536U * 85U / 100U)
#define SAW_TEETH 8U
static void *saw_blocks[SAW_FILL / 8U + 1U];
static uint16_t saw_size[SAW_FILL / 8U + 1U];
static void p_saw(const allocator *a, run_result *res) {
    lcg_state = 4242U ^ BENCH_SEED;
    uint32_t ops = 0;
    for (uint32_t t = 0; t < SAW_TEETH; t++) {
        size_t asked = 0, live = 0;
        uint32_t n = 0;
        while (asked < SAW_FILL) {
            uint32_t size = size_8_512(lcg());
            asked += size;
            ops++;
            void *p = p_alloc(a, res, size);
            saw_blocks[n] = p;
            saw_size[n++] = (uint16_t)size;
            if (p != NULL) {
                p_live(res, &live, size, true);
            }
        }
        for (uint32_t i = 0; i < n; i++) {
            ops += saw_blocks[i] != NULL ? 1U : 0U;
            p_free(a, saw_blocks[i], saw_size[i]);
        }
    }
    res->ops = ops;
}

typedef struct {
    const char *name;
    void (*fn)(const allocator *, run_result *);
    size_t tight; /* fixed tight arena, or 0 for 1.4x the peak live bytes */
} pressure_workload;

static const pressure_workload pressure[] = {
    {"W1p", p_w1, 16384U}, {"W2p", p_w2, 0},   {"W3p", p_w3, 0},
    {"CPY", p_cpy, 0},     {"FIFO", p_fifo, 0}, {"SAW", p_saw, 0},
};
#define AMPLE_ARENA (512U * 1024U)

static void *region_start;
static size_t region_size;

/* Gives mm an arena of `arena` bytes at the region's start (8-aligned) and
 * newlib the same size at its arena. */
static void arena_heaps(size_t arena) {
    kernel_mm_region(&region_start, &region_size);
    if (newlib_arena != NULL && newlib_top != 0U) {
        PANIC("bench: newlib's heap was used already: one workload per run");
    }
    newlib_arena = (uint8_t *)region_start + region_size - NEWLIB_ARENA;
    newlib_top = 0;
    newlib_limit = arena;
    heap = mm_init(region_start, arena);
#ifdef BENCH_TLSF
    tlsf = arena > tlsf_size() + tlsf_pool_overhead() + tlsf_block_size_min()
               ? tlsf_create_with_pool(newlib_arena, arena)
               : NULL;
#endif
}

/* Runs workload w on allocator i with an arena of `arena` bytes. Returns
 * false if mm_init refused it. */
static bool pressure_run(const pressure_workload *w, size_t i, size_t arena, run_result *res) {
    memset(res, 0, sizeof *res);
    arena_heaps(arena);
    if (heap == NULL && i == 1U) {
        return false;
    }
    uint64_t t0 = counter_instructions();
    w->fn(&impls[i], res);
    res->instructions = counter_instructions() - t0;
    mm_report rep;
    if (i == 1U && !mm_check(heap, &rep)) {
        mm_printf("bench %s: mm_check: %s\n", w->name, rep.msg);
        PANIC("bench: mm_check failed after a pressure run");
    }
    return true;
}

/* The peak live bytes of w: the do-nothing allocator never fails. */
static size_t pressure_peak(const pressure_workload *w) {
    run_result r;
    pressure_run(w, 0, AMPLE_ARENA, &r);
    return r.peak_live;
}

static size_t tight_arena(const pressure_workload *w, size_t peak) {
    return w->tight != 0U ? w->tight : (peak * 14U / 10U + 7U) & ~(size_t)7U;
}

/* The least arena (a multiple of 8) at which allocator i (mm, or the TLSF
 * yardstick) completes w without a failed allocation, by bisection
 * between the peak live bytes and the ample arena (the need grows with
 * the workload, not always strictly with the arena; the bench prints
 * whether 16 B less fails mm). */
static size_t min_arena(const pressure_workload *w, size_t peak, size_t i) {
    size_t lo = peak & ~(size_t)7U, hi = AMPLE_ARENA; /* lo fails (or is the floor), hi works */
    run_result r;
    while (hi - lo > 8U) {
        size_t mid = (lo + (hi - lo) / 2U) & ~(size_t)7U;
        if (pressure_run(w, i, mid, &r) && r.fails == 0U) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    return hi;
}

/* Where the arena 16 B below the least one went, at its first failed
 * request ("at_fail_*" bytes: meta (with the alignment) + used + pool free
 * + pool waste + mid free + mid headers + free pages is the arena). */
static void print_fail_stats(const char *label) {
    const mm_stats *s = &fail_stats;
    const struct {
        const char *name;
        size_t v;
    } rows[] = {
        {"request", fail_request},
        {"meta", s->meta_bytes},
        {"used", s->used_bytes},
        {"pool_free", s->pool_free_bytes},
        {"pool_waste", s->pool_waste_bytes},
        {"mid_free", s->mid_free_bytes},
        {"mid_largest_free", s->mid_largest_free},
        {"mid_headers", s->mid_header_bytes},
        {"free_pages", s->free_bytes},
        {"largest_free_run", s->largest_free},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mm_printf("RESULT %s mm at_fail_%s_bytes %lu\n", label, rows[i].name,
                  (unsigned long)rows[i].v);
    }
}

/* The arena of a timed mode: "ample", "tight", "x<tenths>" (that many
 * tenths of the peak live bytes: "x20" is twice them) or "b<bytes>" (that
 * many bytes: "SAW b65536" is issue 14's own sawtooth, which fills 85% of
 * 64 KiB); 0 for any other. */
static size_t mode_arena(const pressure_workload *w, const char *mode, size_t peak) {
    if (strcmp(mode, "ample") == 0) {
        return AMPLE_ARENA;
    }
    if (strcmp(mode, "tight") == 0) {
        return tight_arena(w, peak);
    }
    if ((mode[0] != 'x' && mode[0] != 'b') || mode[1] < '1' || mode[1] > '9') {
        return 0;
    }
    char *end;
    unsigned long n = strtoul(mode + 1, &end, 10);
    if (*end != '\0') {
        return 0;
    }
    return mode[0] == 'b' ? (size_t)n : (peak * (size_t)n / 10U + 7U) & ~(size_t)7U;
}

/* One pressure run: mode "ample", "tight", "x<tenths>" (an arena of that
 * many tenths of the peak live bytes: x20 is twice it), "b<bytes>" (an
 * arena of that many bytes), "min" (the search), or
 * "trace" (mm alone, with markers, at an arena of `arena` bytes: the tight
 * or least arena that an earlier run printed), "trace-yard" (the same with
 * the yardstick, newlib or TLSF, alone). */
static int run_pressure(const char *name, const char *mode, size_t arena) {
    const pressure_workload *w = NULL;
    for (size_t k = 0; k < sizeof pressure / sizeof pressure[0]; k++) {
        if (strcmp(pressure[k].name, name) == 0) {
            w = &pressure[k];
        }
    }
    if (w == NULL) {
        mm_printf("bench: no pressure workload '%s'\n", name);
        return 1;
    }
    size_t peak = pressure_peak(w);
    char label[32];
    mm_snprintf(label, sizeof label, "%s.%s", w->name, mode);
    if (strcmp(mode, "min") == 0) {
        size_t m = min_arena(w, peak, 1);
        run_result r;
        fail_capture = true;
        bool below = pressure_run(w, 1, m - 16U, &r) && r.fails == 0U;
        fail_capture = false;
        mm_printf("RESULT %s mm peak_live_bytes %lu\n", label, (unsigned long)peak);
        mm_printf("RESULT %s mm min_arena_bytes %lu\n", label, (unsigned long)m);
        print_ratio(label, "mm", "min_arena_over_peak_live", m, peak);
        mm_printf("RESULT %s mm completes_16B_below %s\n", label, below ? "yes" : "no");
        if (!below && r.fails != 0U) {
            print_fail_stats(label);
        }
#ifdef BENCH_TLSF
        size_t y = min_arena(w, peak, 2);
#else
        /* newlib's decisions do not depend on its limit until _sbrk fails,
         * so its least arena is its break's high-water in an ample run */
        pressure_run(w, 2, AMPLE_ARENA, &r);
        size_t y = newlib_peak;
#endif
        mm_printf("RESULT %s %s min_arena_bytes %lu\n", label, impls[2].name, (unsigned long)y);
        print_ratio(label, impls[2].name, "min_arena_over_peak_live", y, peak);
        return 0;
    }
    bool yard = strcmp(mode, "trace-yard") == 0;
    if (strcmp(mode, "trace") == 0 || yard) {
        /* mm (or the yardstick) alone, with markers, at `arena` */
        run_result r;
        uint32_t irq = crit_enter();
        marking = true;
        bool ok = pressure_run(w, yard ? 2U : 1U, arena, &r);
        marking = false;
        crit_exit(irq);
        if (!ok) {
            mm_printf("bench %s: mm_init refused %lu bytes\n", label, (unsigned long)arena);
            return 1;
        }
        return 0;
    }
    arena = mode_arena(w, mode, peak);
    if (arena == 0U) {
        mm_printf("bench: no pressure mode '%s' (ample, tight, x<tenths>, b<bytes>, min, trace, "
                  "trace-yard)\n",
                  mode);
        return 1;
    }
    mm_printf("RESULT %s all arena_bytes %lu\n", label, (unsigned long)arena);
    run_result res[IMPLS];
    for (size_t i = 0; i < IMPLS; i++) {
        if (!pressure_run(w, i, arena, &res[i])) {
            mm_printf("bench %s: mm_init refused %lu bytes\n", label, (unsigned long)arena);
            return 1;
        }
        if (i == 0U) {
            continue;
        }
        uint64_t net = res[i].instructions - res[0].instructions;
        print_ratio(label, impls[i].name, "net_instr_per_call", net, res[i].ops);
        mm_printf("RESULT %s %s failures %lu\n", label, impls[i].name, (unsigned long)res[i].fails);
    }
    return 0;
}

/* ---- reporting ---- */

static void fresh_heaps(void) {
    void *start;
    size_t size;
    kernel_mm_region(&start, &size);
    if (newlib_arena != NULL && newlib_top != 0U) {
        PANIC("bench: newlib's heap was used already: one workload per run");
    }
    /* mm gets the region below newlib's arena, newlib the top MiB */
    newlib_arena = (uint8_t *)start + size - NEWLIB_ARENA;
    newlib_top = 0;
    newlib_limit = NEWLIB_ARENA;
#ifdef BENCH_TLSF
    tlsf = tlsf_create_with_pool(newlib_arena, NEWLIB_ARENA);
#endif
    heap = mm_init(start, size - NEWLIB_ARENA);
    if (heap == NULL) {
        PANIC("bench: mm_init refused the region");
    }
}

/* Prints value/div with three decimals, from integers. */
static void print_ratio(const char *w, const char *impl, const char *metric, uint64_t num,
                        uint64_t den) {
    uint64_t milli = (num * 1000U + den / 2U) / den;
    mm_printf("RESULT %s %s %s %llu.%03llu\n", w, impl, metric, (unsigned long long)(milli / 1000U),
              (unsigned long long)(milli % 1000U));
}

/* ---- the packed-pools model: a bound, not an allocator ----
 * The least arena any allocator with mm's size classes (8-byte steps up
 * to MM_CFG_SMALL_MAX) and single-class pools of MM_CFG_PAGE_SIZE bytes could
 * use on a workload's exact sequence of requests, even one that moved
 * blocks so that every class's live blocks filled its pages perfectly at
 * every step: at each step, sum over the classes of ceil(live blocks /
 * blocks per page) pages, plus whole pages for each large block (no
 * metadata at all). Its maximum over the run, against the peak of live
 * bytes, is the floor of high_water_over_peak_live for that design.
 * It hands out words of a table of SLOTS (the live set never holds more;
 * the workload writes to each block) and counts pages as blocks come and
 * go, in O(1) per request. */
static uint32_t model_blk[SLOTS], model_size[SLOTS], model_free[SLOTS], model_nfree;
static uint32_t model_live[MM_CFG_SMALL_MAX / 8U + 1U];
static size_t model_pages, model_peak_pages;

static void model_reset(void) {
    memset(model_live, 0, sizeof model_live);
    model_pages = model_peak_pages = 0;
    model_nfree = SLOTS;
    for (uint32_t i = 0; i < SLOTS; i++) {
        model_free[i] = SLOTS - 1U - i;
    }
}

/* Pages one more (+1) or one fewer (-1) block of size n changes. */
static size_t model_step(uint32_t n, int dir) {
    if (n > MM_CFG_SMALL_MAX) {
        return (n + MM_CFG_PAGE_SIZE - 1U) / MM_CFG_PAGE_SIZE;
    }
    uint32_t c = (n + 7U) / 8U, per_page = MM_CFG_PAGE_SIZE / (8U * c);
    uint32_t before = model_live[c];
    model_live[c] = dir > 0 ? before + 1U : before - 1U;
    /* a page is opened by the first block above a multiple of per_page,
     * and closed by the last one */
    return (dir > 0 ? before : model_live[c]) % per_page == 0U ? 1U : 0U;
}

static void *model_alloc(mm_heap *h, size_t n) {
    (void)h;
    if (model_nfree == 0U) {
        return NULL;
    }
    uint32_t i = model_free[--model_nfree];
    model_size[i] = (uint32_t)n;
    model_pages += model_step((uint32_t)n, 1);
    if (model_pages > model_peak_pages) {
        model_peak_pages = model_pages;
    }
    return &model_blk[i];
}

static void model_free_fn(mm_heap *h, void *p) {
    (void)h;
    if (p == NULL) {
        return;
    }
    uint32_t i = (uint32_t)((uint32_t *)p - model_blk);
    model_pages -= model_step(model_size[i], -1);
    model_free[model_nfree++] = i;
}

/* Runs the model over workload fn and prints its floor. */
static void run_model(const char *w, void (*fn)(const allocator *, run_result *)) {
    static const allocator model = {"packed_pools_bound", model_alloc, model_free_fn};
    run_result r;
    memset(&r, 0, sizeof r);
    model_reset();
    fn(&model, &r);
    if (r.failed || r.peak_live == 0U) {
        mm_printf("bench %s: the packed-pools model could not run\n", w);
        return;
    }
    mm_printf("RESULT %s packed_pools_bound high_water_bytes %lu\n", w,
              (unsigned long)(model_peak_pages * MM_CFG_PAGE_SIZE));
    print_ratio(w, "packed_pools_bound", "high_water_over_peak_live",
                model_peak_pages * MM_CFG_PAGE_SIZE, r.peak_live);
}

static int run_timed(const char *w, void (*fn)(const allocator *, run_result *)) {
    run_result res[IMPLS];
    for (size_t i = 0; i < IMPLS; i++) {
        memset(&res[i], 0, sizeof res[i]);
        fresh_heaps();
        uint64_t t0 = counter_instructions();
        fn(&impls[i], &res[i]);
        res[i].instructions = counter_instructions() - t0;
        if (res[i].failed) {
            mm_printf("bench %s: %s ran out of memory\n", w, impls[i].name);
            return 1;
        }
        mm_report rep;
        if (i == 1U && !mm_check(heap, &rep)) {
            mm_printf("bench %s: mm_check failed after the run: %s\n", w, rep.msg);
            return 1;
        }
        mm_printf("RESULT %s %s instructions %llu\n", w, impls[i].name,
                  (unsigned long long)res[i].instructions);
        if (i != 0U) {
            uint64_t net = res[i].instructions - res[0].instructions;
            print_ratio(w, impls[i].name, "net_instr_per_op", net, res[i].ops);
        } else {
            print_ratio(w, "null", "harness_instr_per_op", res[0].instructions, res[0].ops);
        }
        if (fn != w1 && i == 1U) {
            mm_printf("RESULT %s mm peak_live_bytes %lu\nRESULT %s mm high_water_bytes %lu\n", w,
                      (unsigned long)res[i].peak_live, w, (unsigned long)mm_high_water(heap));
            print_ratio(w, "mm", "high_water_over_peak_live", mm_high_water(heap),
                        res[i].peak_live);
        }
        if (fn != w1 && i == 2U && !BENCH_TLSF_BUILD) { /* TLSF has no break */
            mm_printf("RESULT %s %s high_water_bytes %lu\n", w, impls[i].name,
                      (unsigned long)newlib_top);
            print_ratio(w, impls[i].name, "high_water_over_peak_live", newlib_top,
                        res[i].peak_live);
        }
    }
    if (fn != w1) {
        run_model(w, fn);
    }
    return 0;
}

/* W4: marked W2 + W3 runs for every allocator, null first (the trace does
 * the counting; the null allocator's count of the same op is the harness).
 * Interrupts stay masked so that no SysTick lands inside an operation. */
static int run_w4(void) {
    uint32_t irq = crit_enter();
    for (size_t i = 0; i < IMPLS; i++) {
        run_result res = {0};
        fresh_heaps();
        mm_printf("W4 phase %s\n", impls[i].name);
        live_set(&impls[i], &res, 0, true);
        live_set(&impls[i], &res, 64, true);
        if (res.failed) {
            crit_exit(irq);
            return 1;
        }
    }
    crit_exit(irq);
    return 0;
}

/* How many live 16-byte blocks fit in a 64 KiB arena. */
static int run_cap16(void) {
    static uint64_t arena[65536 / 8];
    mm_heap *h = mm_init(arena, sizeof arena);
    if (h == NULL) {
        return 1;
    }
    uint32_t n = 0;
    while (mm_alloc(h, 16) != NULL) {
        n++;
    }
    mm_printf("RESULT cap16 mm live_16B_blocks_in_64KiB %lu\n", (unsigned long)n);
    newlib_arena = (uint8_t *)arena;
    newlib_top = 0;
    newlib_limit = sizeof arena;
    n = 0;
    while (malloc(16) != NULL) {
        n++;
    }
    mm_printf("RESULT cap16 %s live_16B_blocks_in_64KiB %lu\n", BENCH_NEWLIB, (unsigned long)n);
    return 0;
}

extern const bench_case __start_bench_cases[], __stop_bench_cases[];

void bench_region(void **start, size_t *size) { kernel_mm_region(start, size); }

/* Runs a BENCH_CASE by name; returns -1 if there is none. */
static int run_case(const char *name) {
    size_t n = ((uintptr_t)__stop_bench_cases - (uintptr_t)__start_bench_cases) / sizeof(bench_case);
    for (const bench_case *c = __start_bench_cases; c != __start_bench_cases + n; c++) {
        if (strcmp(name, "--list") == 0) {
            mm_printf("bench-case %s\n", c->name);
        } else if (strcmp(name, c->name) == 0) {
            return c->fn();
        }
    }
    return strcmp(name, "--list") == 0 ? 0 : -1;
}

int main(void) {
    static char line[128];
    char *argv[8];
    int argc = kernel_args(line, sizeof line, argv, 8);
    if (argc == 2 || argc == 3) {
        size_t arena = argc == 3 ? (size_t)strtoul(argv[2], NULL, 10) : 0;
        return run_pressure(argv[0], argv[1], arena) == 0 ? MMRT_EXIT_OK : MMRT_EXIT_FAILED;
    }
    if (argc != 1) {
        mm_printf("bench: name one workload: W1 W2 W3 W4 cap16, or a pressure workload and a "
                  "mode: W1p W2p W3p CPY FIFO SAW, ample tight x<tenths> b<bytes> min, "
                  "or trace|trace-yard <arena bytes>\n");
        return MMRT_EXIT_USAGE;
    }
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "W1") == 0) {
            rc = run_timed("W1", w1);
        } else if (strcmp(argv[i], "W2") == 0) {
            rc = run_timed("W2", w2);
        } else if (strcmp(argv[i], "W3") == 0) {
            rc = run_timed("W3", w3);
        } else if (strcmp(argv[i], "W4") == 0) {
            rc = run_w4();
        } else if (strcmp(argv[i], "cap16") == 0) {
            rc = run_cap16();
        } else if ((rc = run_case(argv[i])) < 0) {
            mm_printf("bench: unknown workload '%s' (try --list)\n", argv[i]);
            return MMRT_EXIT_USAGE;
        }
    }
    return rc == 0 ? MMRT_EXIT_OK : MMRT_EXIT_FAILED;
}
