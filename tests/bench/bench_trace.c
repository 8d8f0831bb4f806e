/*
 * bench_trace.c - the cost of the diagnostics' allocation hook
 * (diag/mm_trace.h), a BENCH_CASE of the bench firmware (see bench.h).
 *
 *   trace  a raw mm_alloc(12)+mm_free pair and a boxed int's
 *          create+destroy (the object layer's inline paths), in steady
 *          state (an anchor block of the class stays live), net of an
 *          empty loop. The firmware is built twice by tools/bench.sh:
 *          with MM_CFG_TRACE=0 it prints the "trace_untraced" figures;
 *          with MM_CFG_TRACE=1 "trace_off" (compiled in, no tracer
 *          started: one pointer test per fast path) and "trace_on" (a
 *          tracer started: every block recorded and looked up again at
 *          its free; the heap records inline, the tracer being its
 *          only observer), and the tracer's RAM: bytes per trace and the
 *          whole static table. Between the two, "trace_hook": a hook
 *          whose callbacks return at once, the cost of the heap's general
 *          hooked paths alone (what a profiler's hook pays before its own
 *          work). bench.sh divides each by trace_untraced (target for
 *          trace_on: at most 2).
 * The tracer lives at the start of the bench region (not static), so the
 * untraced firmware's memory is the same as without this file.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "diag/mm_trace.h"
#include "fmt/mm_fmt.h"
#include "heap/mm_heap.h"
#include "kernel.h"
#include "obj/mm_obj.h"
#include "types/mm_types.h"

#define TRACE_N 20000u
#define TRACE_SLOTS 256u

static mm_rt trt;
static mm_heap *theap;

static __attribute__((noinline)) uint64_t loop_empty(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < TRACE_N; i++) {
        __asm__ volatile("" ::: "memory");
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_pair(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < TRACE_N; i++) {
        void *p = mm_alloc(theap, 12);
        mm_free(theap, p);
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_int(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < TRACE_N; i++) {
        mm_h h = mm_int_new(&trt, 1000);
        mm_decref(&trt, h);
    }
    return counter_instructions() - t0;
}

/* "RESULT trace_<state> mm <metric> v.vvv": net instructions per op. */
static void print_per_op(const char *state, const char *metric, uint64_t loop, uint64_t empty)
{
    uint64_t net = loop > empty ? loop - empty : 0u;
    uint64_t milli = (net * 1000u + TRACE_N / 2u) / TRACE_N;
    mm_printf("RESULT trace_%s mm %s %llu.%03llu\n", state, metric,
              (unsigned long long)(milli / 1000u), (unsigned long long)(milli % 1000u));
}

/* Both loops in the heap's present state. */
static void measure(const char *state)
{
    uint64_t empty = loop_empty();
    print_per_op(state, "pair_instr", loop_pair(), empty);
    print_per_op(state, "int_instr", loop_int(), empty);
}

/* The empty hook of "trace_hook". */
static void nop_alloc(void *ctx, void *p, size_t size, const char *file, int line)
{
    (void)ctx, (void)p, (void)size, (void)file, (void)line;
}
static void nop_free(void *ctx, void *p, size_t usable) { (void)ctx, (void)p, (void)usable; }
static void nop_move(void *ctx, void *from, void *to) { (void)ctx, (void)from, (void)to; }

BENCH_CASE(trace)
{
    void *start;
    size_t size;
    bench_region(&start, &size);
    mm_tracer *t = (mm_tracer *)start; /* the tracer first, the heap after it */
    size_t skip = MM_CFG_TRACE ? (sizeof *t + 7u) & ~(size_t)7u : 0u;
    memset(&trt, 0, sizeof trt);
    theap = mm_init((char *)start + skip, size - skip);
    if (theap == NULL || mm_rt_init(&trt, theap, NULL, TRACE_SLOTS * sizeof(mm_slot)) != MMO_OK) {
        return 1;
    }
    void *anchor = mm_alloc(theap, 12); /* keeps the class's pool in use */
    measure(MM_CFG_TRACE ? "off" : "untraced");
    if (MM_CFG_TRACE) {
        static const mm_alloc_hook nop = {nop_alloc, nop_free, nop_move, NULL};
        mm_set_alloc_hook(theap, &nop);
        measure("hook");
        mm_set_alloc_hook(theap, NULL);
        memset(t, 0, sizeof *t);
        if (!mm_trace_start(t, theap)) {
            return 1;
        }
        measure("on");
        size_t cur, peak;
        mm_trace_get_traced_memory(t, &cur, &peak);
        mm_trace_stop(t);
        if (cur != 0) {
            return 1; /* every traced block was freed */
        }
        mm_printf("RESULT trace_ram mm bytes_per_trace %lu\n", (unsigned long)sizeof(mm_trace_entry));
        mm_printf("RESULT trace_ram mm table_bytes_%s %lu\n", MMRT_BOARD,
                  (unsigned long)mm_trace_get_tracemalloc_memory(t));
    }
    mm_free(theap, anchor);
    return 0;
}
