/*
 * bench_obj.c - object-layer benchmarks, BENCH_CASEs of the
 * bench firmware (see bench.h). Every figure is measured: instruction
 * counts under QEMU -icount shift=0 (counter_instructions()) over BENCH_N
 * iterations, net of an identical empty loop, and sizes read from
 * mm_getsizeof / mm_get_stats. Nothing is typed in.
 *
 *   obj_int    create+destroy of a boxed int (mm_int_new(rt, 1000), then
 *              decref to zero) against a raw mm_alloc(12)+mm_free pair of
 *              the same 16 B block; checked (mm_decref_at) and unchecked
 *              (mm_decref_fast) builds' decref; ratio target <= 2.0
 *   obj_inst2  the same for an instance of a 2-slot class (12 B, 16 B
 *              block), without and with the cycle collector attached
 *   refcount   incref and decref of a live object: the inline fast paths
 *              (mm_incref_fast / mm_decref_fast, what MM_CFG_CHECKED_HANDLES=0
 *              compiles mm_incref/mm_decref to) and the checked out-of-line
 *              calls; target <= 6 instructions each for the fast path
 *   obj_dict_inst  a regular-class instance (values inline, shared keys):
 *              bytes with 1 and 2 attributes; create+destroy of a
 *              2-attribute one (bare, and with both set by name) against
 *              a 2-slot instance's; target <= 3x
 *   obj_node_arena  regular-class Nodes (one attribute) a 140 KiB arena
 *              holds, handle table included; target >= 8,000
 *   obj_sizes  RAM of a 2-slot instance (block and handle slot; target: a
 *              block <= 16 B, header included) and of lists of N small ints
 *              for N = 0, 1, 10, 100, 1000 against header + 4N + the
 *              documented growth slack
 *
 * Both sides of a comparison run in the same heap state: one block of the
 * measured size class (an "anchor") stays live throughout, so neither
 * side pays for a pool becoming empty and being re-carved at every
 * iteration (the steady state of a program with live objects). The cold
 * figure (no anchor) is printed too, for the raw pair and the int.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "kernel.h"
#include "heap/mm_heap.h"
#include "fmt/mm_fmt.h"
#include "gc/mm_gc.h"
#include "obj/mm_obj.h"
#include "types/mm_types.h"

#ifndef BENCH_N
#define BENCH_N 100000u /* iterations of every measured loop */
#endif
#define BENCH_SLOTS 4096u

static mm_rt rt;
static mm_gc gc;
static mm_heap *heap;

static const char *const pair_names[] = {"a", "b"};
static const mm_class Pair = {"Pair", 2, pair_names, false};

/* A fresh heap over the whole bench region and a runtime on it. */
static bool open_rt(void)
{
    void *start;
    size_t size;
    bench_region(&start, &size);
    memset(&rt, 0, sizeof rt);
    heap = mm_init(start, size);
    return heap != NULL && mm_rt_init(&rt, heap, NULL, BENCH_SLOTS * sizeof(mm_slot)) == MMO_OK;
}

/* ---- measurement ---- */

/* Instructions of BENCH_N iterations of an empty loop body. */
static __attribute__((noinline)) uint64_t loop_empty(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        __asm__ volatile("" ::: "memory");
    }
    return counter_instructions() - t0;
}

/* Prints "RESULT w impl metric v.vvv" for num/den, from integers. */
static void print_milli(const char *w, const char *impl, const char *metric, uint64_t num,
                        uint64_t den)
{
    uint64_t milli = (num * 1000u + den / 2u) / den;
    mm_printf("RESULT %s %s %s %llu.%03llu\n", w, impl, metric, (unsigned long long)(milli / 1000u),
              (unsigned long long)(milli % 1000u));
}

/* Net instructions of a loop (its count minus the empty loop's). */
static uint64_t net_of(uint64_t loop, uint64_t empty)
{
    return loop > empty ? loop - empty : 0u;
}

/* ---- the measured loops (one function each: same shape as loop_empty) ---- */

static __attribute__((noinline)) uint64_t loop_raw_pair(size_t size)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        void *p = mm_alloc(heap, size);
        mm_free(heap, p);
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_int_checked(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_h h = mm_int_new(&rt, 1000);
        mm_decref_at(&rt, h, MM_HERE);
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_int_fast(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_h h = mm_int_new(&rt, 1000);
        mm_decref_fast(&rt, h);
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_inst_checked(uint32_t cls)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_h h = mm_inst_new(&rt, cls);
        mm_decref_at(&rt, h, MM_HERE);
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_inst_fast(uint32_t cls)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_h h = mm_inst_new(&rt, cls);
        mm_decref_fast(&rt, h);
    }
    return counter_instructions() - t0;
}

/* Reports one create+destroy figure and its ratio to the raw pair. */
static void report_pair(const char *w, const char *impl, uint64_t net, uint64_t raw_net)
{
    print_milli(w, impl, "instr_per_create_destroy", net, BENCH_N);
    print_milli(w, impl, "ratio_to_raw_pair", net, raw_net);
}

/* Checks that the loops left nothing behind: no live object, heap sound. */
static bool clean_after(const char *w, uint32_t live0, size_t used0)
{
    mm_stats st;
    mm_get_stats(heap, &st);
    if (mm_rt_live(&rt) != live0 || st.used_bytes != used0 || !mm_check(heap, NULL)) {
        mm_printf("%s: live %lu (was %lu), used %lu B (was %lu B): leak or corruption\n", w,
                  (unsigned long)mm_rt_live(&rt), (unsigned long)live0,
                  (unsigned long)st.used_bytes, (unsigned long)used0);
        return false;
    }
    return true;
}

static size_t used_bytes(void)
{
    mm_stats st;
    mm_get_stats(heap, &st);
    return st.used_bytes;
}

/* ---- obj_int ---- */

BENCH_CASE(obj_int)
{
    if (!open_rt()) {
        return 1;
    }
    uint64_t empty = loop_empty();
    mm_printf("RESULT obj_int null harness_instr_per_op %llu\n",
              (unsigned long long)(empty / BENCH_N));
    size_t used0 = used_bytes();
    /* cold: nothing else lives in the 16 B class */
    uint64_t raw_cold = net_of(loop_raw_pair(12), empty);
    uint64_t int_cold = net_of(loop_int_checked(), empty);
    print_milli("obj_int", "raw_cold", "instr_per_alloc_free", raw_cold, BENCH_N);
    report_pair("obj_int", "mm_checked_cold", int_cold, raw_cold);
    /* steady state: one anchor block keeps the class's pool in use */
    void *anchor = mm_alloc(heap, 12);
    size_t used1 = used_bytes();
    uint64_t raw = net_of(loop_raw_pair(12), empty);
    uint64_t chk = net_of(loop_int_checked(), empty);
    uint64_t fast = net_of(loop_int_fast(), empty);
    print_milli("obj_int", "raw", "instr_per_alloc_free", raw, BENCH_N);
    report_pair("obj_int", "mm_checked", chk, raw);
    report_pair("obj_int", "mm_unchecked", fast, raw);
    if (!clean_after("obj_int", 0, used1)) {
        return 1;
    }
    mm_free(heap, anchor);
    return clean_after("obj_int", 0, used0) ? 0 : 1;
}

/* ---- obj_inst2 ---- */

BENCH_CASE(obj_inst2)
{
    if (!open_rt()) {
        return 1;
    }
    uint32_t cls = mm_class_register(&rt, &Pair);
    if (cls == 0u) {
        return 1;
    }
    uint64_t empty = loop_empty();
    size_t used0 = used_bytes();
    mm_h anchor = mm_inst_new(&rt, cls); /* keeps the 16 B pool in use */
    size_t used1 = used_bytes();
    uint64_t raw = net_of(loop_raw_pair(12), empty);
    uint64_t chk = net_of(loop_inst_checked(cls), empty);
    uint64_t fast = net_of(loop_inst_fast(cls), empty);
    print_milli("obj_inst2", "raw", "instr_per_alloc_free", raw, BENCH_N);
    report_pair("obj_inst2", "mm_checked", chk, raw);
    report_pair("obj_inst2", "mm_unchecked", fast, raw);
    if (!clean_after("obj_inst2", 1, used1)) {
        return 1;
    }
    /* with the collector attached: its track_hook runs at birth and death */
    if (mm_gc_init(&gc, &rt) != MMO_OK) {
        return 1;
    }
    uint64_t gcc = net_of(loop_inst_checked(cls), empty);
    report_pair("obj_inst2", "mm_checked_with_gc", gcc, raw);
    mm_gc_fini(&gc);
    mm_decref(&rt, anchor);
    return clean_after("obj_inst2", 0, used0) ? 0 : 1;
}

/* ---- obj_dict_inst ---- */

static const mm_class User = {"User", 0, NULL, true};
static const mm_class NodeC = {"Node", 0, NULL, true};

/* Create, set two attributes (cached ints: no other allocation), destroy. */
static __attribute__((noinline)) uint64_t loop_user_set(uint32_t cls)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_h h = mm_inst_new(&rt, cls);
        (void)mm_inst_setattr(&rt, h, "name", mm_small_int(1));
        (void)mm_inst_setattr(&rt, h, "age", mm_small_int(30));
        mm_decref_at(&rt, h, MM_HERE);
    }
    return counter_instructions() - t0;
}

/* Bytes (block + handle slot) of instance h. */
static size_t inst_bytes(mm_h h)
{
    mm_sizeof s;
    (void)mm_getsizeof(&rt, h, &s);
    return s.block + s.handle;
}

/* A regular-class instance (values inline, keys shared): its size with 1
 * and 2 attributes, and create+destroy of a 2-attribute one (the class's
 * width is 3 words: a 16 B block) against a 2-slot instance, bare and
 * with both attributes set by name. */
BENCH_CASE(obj_dict_inst)
{
    if (!open_rt()) {
        return 1;
    }
    uint32_t one = mm_class_register(&rt, &NodeC), two = mm_class_register(&rt, &User);
    uint32_t pair = mm_class_register(&rt, &Pair);
    if (one == 0u || two == 0u || pair == 0u) {
        return 1;
    }
    size_t used0 = used_bytes();
    mm_h n1 = mm_inst_new(&rt, one);
    (void)mm_inst_setattr(&rt, n1, "next", n1);
    mm_printf("RESULT obj_dict_inst mm bytes_1_attr %lu\n", (unsigned long)inst_bytes(n1));
    (void)mm_inst_setattr(&rt, n1, "next", mm_small_int(0)); /* no cycle left */
    mm_decref(&rt, n1);
    mm_h anchor = mm_inst_new(&rt, two); /* keeps the class's keys and the 16 B pool */
    (void)mm_inst_setattr(&rt, anchor, "name", mm_small_int(1));
    (void)mm_inst_setattr(&rt, anchor, "age", mm_small_int(2));
    mm_printf("RESULT obj_dict_inst mm bytes_2_attr %lu\n", (unsigned long)inst_bytes(anchor));
    uint64_t empty = loop_empty();
    size_t used1 = used_bytes();
    uint32_t live1 = mm_rt_live(&rt);
    uint64_t slots = net_of(loop_inst_checked(pair), empty);
    uint64_t bare = net_of(loop_inst_checked(two), empty);
    uint64_t set2 = net_of(loop_user_set(two), empty);
    print_milli("obj_dict_inst", "slots2", "instr_per_create_destroy", slots, BENCH_N);
    print_milli("obj_dict_inst", "dict2", "instr_per_create_destroy", bare, BENCH_N);
    print_milli("obj_dict_inst", "dict2", "ratio_to_slots2", bare, slots);
    print_milli("obj_dict_inst", "dict2_set", "instr_per_create_set2_destroy", set2, BENCH_N);
    print_milli("obj_dict_inst", "dict2_set", "ratio_to_slots2", set2, slots);
    if (!clean_after("obj_dict_inst", live1, used1)) {
        return 1;
    }
    mm_decref(&rt, anchor);
    return clean_after("obj_dict_inst", 0, used0) ? 0 : 1;
}

/* ---- obj_node_arena ---- */

/* How many regular-class Nodes (one attribute, `next`, each pointing at
 * the one before) a 140 KiB arena holds: heap, handle table (sized at one
 * slot per 16 B of arena: a Node is an 8 B block and an 8 B slot) and
 * all, until MemoryError. MicroPython's figure for the same budget is
 * 4,184 (32 B per Node). */
BENCH_CASE(obj_node_arena)
{
    void *start;
    size_t size;
    bench_region(&start, &size);
    const size_t arena = 140u * 1024u;
    memset(&rt, 0, sizeof rt);
    heap = mm_init(start, arena < size ? arena : size);
    if (heap == NULL || mm_rt_init(&rt, heap, NULL, arena / 16u * sizeof(mm_slot)) != MMO_OK) {
        return 1;
    }
    uint32_t node = mm_class_register(&rt, &NodeC);
    mm_h head = MM_NULL;
    uint32_t n = 0;
    for (;;) {
        mm_h x = mm_inst_new(&rt, node);
        if (x == MM_NULL) {
            break;
        }
        if (head != MM_NULL && mm_inst_setattr(&rt, x, "next", head) != MMO_OK) {
            mm_decref(&rt, x);
            break;
        }
        mm_decref(&rt, head);
        head = x;
        n++;
    }
    mm_printf("RESULT obj_node_arena mm nodes_in_140KiB %lu\n", (unsigned long)n);
    mm_decref(&rt, head);
    return mm_rt_live(&rt) == 0u && mm_check(heap, NULL) ? 0 : 1;
}

/* ---- refcount ---- */

/* Reloaded at every iteration through volatile, as a handle held in
 * memory would be: the loops below cannot fold BENCH_N adds into one. */
static mm_rt *volatile rt_v = &rt;
static volatile mm_h h_v;

static __attribute__((noinline)) uint64_t loop_load_only(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_rt *r = rt_v;
        mm_h h = h_v;
        __asm__ volatile("" ::"r"(r), "r"(h) : "memory");
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_incref_fast(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_rt *r = rt_v;
        mm_h h = h_v;
        mm_incref_fast(r, h);
        __asm__ volatile("" ::: "memory");
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_decref_fast(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_rt *r = rt_v;
        mm_h h = h_v;
        mm_decref_fast(r, h);
        __asm__ volatile("" ::: "memory");
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_incref_checked(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_rt *r = rt_v;
        mm_h h = h_v;
        mm_incref_at(r, h, MM_HERE);
        __asm__ volatile("" ::: "memory");
    }
    return counter_instructions() - t0;
}

static __attribute__((noinline)) uint64_t loop_decref_checked(void)
{
    uint64_t t0 = counter_instructions();
    for (uint32_t i = 0; i < BENCH_N; i++) {
        mm_rt *r = rt_v;
        mm_h h = h_v;
        mm_decref_at(r, h, MM_HERE);
        __asm__ volatile("" ::: "memory");
    }
    return counter_instructions() - t0;
}

/* One refcount figure: net per op; fails if the refcount is not rc. */
static bool report_rc(const char *impl, const char *metric, uint64_t loop, uint64_t empty,
                      uint32_t want_rc)
{
    print_milli("refcount", impl, metric, net_of(loop, empty), BENCH_N);
    uint32_t rc = mm_refcount(&rt, h_v);
    if (rc != want_rc) {
        mm_printf("refcount: %s %s left refcount %lu, expected %lu\n", impl, metric,
                  (unsigned long)rc, (unsigned long)want_rc);
        return false;
    }
    return true;
}

BENCH_CASE(refcount)
{
    if (!open_rt()) {
        return 1;
    }
    h_v = mm_int_new(&rt, 1000);
    if (h_v == MM_NULL) {
        return 1;
    }
    uint64_t empty = loop_load_only();
    mm_printf("RESULT refcount null harness_instr_per_op %llu\n",
              (unsigned long long)(empty / BENCH_N));
    bool ok = report_rc("fast_inline", "incref_instr", loop_incref_fast(), empty, 1u + BENCH_N);
    ok = report_rc("fast_inline", "decref_instr", loop_decref_fast(), empty, 1u) && ok;
    ok = report_rc("checked_call", "incref_instr", loop_incref_checked(), empty,
                   1u + BENCH_N) && ok;
    ok = report_rc("checked_call", "decref_instr", loop_decref_checked(), empty, 1u) && ok;
    mm_decref(&rt, h_v);
    return ok && mm_rt_live(&rt) == 0u ? 0 : 1;
}

/* ---- obj_sizes ---- */

/* Prints the sizes of one list of n small ints built by appending; false
 * if the documented bound does not hold or the heap disagrees. */
static bool list_sizes(uint32_t n)
{
    size_t used0 = used_bytes();
    mm_h l = mm_list_new(&rt, 0);
    for (uint32_t i = 0; i < n && l != MM_NULL; i++) {
        if (mm_list_append(&rt, l, mm_small_int((int32_t)(i % 200u))) != MMO_OK) {
            return false;
        }
    }
    mm_sizeof s;
    if (l == MM_NULL || mm_getsizeof(&rt, l, &s) != MMO_OK) {
        return false;
    }
    size_t heap_delta = used_bytes() - used0;
    mm_sizeof s0;
    mm_h empty = mm_list_new(&rt, 0);
    (void)mm_getsizeof(&rt, empty, &s0);
    mm_decref(&rt, empty);
    /* documented: header block + 4 B per item + growth slack of at most
     * n/8 + 6 items, each block rounded up to its allocator granule */
    size_t ideal = s0.block + 4u * n;
    size_t items = 4u * (n + n / 8u + 6u);
    size_t granule = items > MM_CFG_SMALL_MAX ? MM_CFG_PAGE_SIZE : 8u;
    size_t bound = n == 0u ? s0.block : s0.block + (items + granule - 1u) / granule * granule;
    bool holds = s.block <= bound && s.block == heap_delta;
    char w[24];
    mm_snprintf(w, sizeof w, "obj_sizes_list%lu", (unsigned long)n);
    mm_printf("RESULT %s mm requested_bytes %lu\n", w, (unsigned long)s.requested);
    mm_printf("RESULT %s mm block_bytes %lu\n", w, (unsigned long)s.block);
    mm_printf("RESULT %s mm heap_bytes_delta %lu\n", w, (unsigned long)heap_delta);
    mm_printf("RESULT %s mm handle_bytes %lu\n", w, (unsigned long)s.handle);
    mm_printf("RESULT %s mm header_plus_4n_bytes %lu\n", w, (unsigned long)ideal);
    mm_printf("RESULT %s mm documented_bound_bytes %lu\n", w, (unsigned long)bound);
    mm_printf("RESULT %s mm bound_holds %s\n", w, holds ? "yes" : "no");
    mm_decref(&rt, l);
    return holds && used_bytes() == used0;
}

BENCH_CASE(obj_sizes)
{
    if (!open_rt()) {
        return 1;
    }
    uint32_t cls = mm_class_register(&rt, &Pair);
    size_t used0 = used_bytes();
    mm_h p = mm_inst_new(&rt, cls);
    mm_sizeof s;
    if (p == MM_NULL || mm_getsizeof(&rt, p, &s) != MMO_OK) {
        return 1;
    }
    size_t delta = used_bytes() - used0;
    mm_printf("RESULT obj_sizes_inst2 mm requested_bytes %lu\n", (unsigned long)s.requested);
    mm_printf("RESULT obj_sizes_inst2 mm block_bytes %lu\n", (unsigned long)s.block);
    mm_printf("RESULT obj_sizes_inst2 mm heap_bytes_delta %lu\n", (unsigned long)delta);
    mm_printf("RESULT obj_sizes_inst2 mm handle_bytes %lu\n", (unsigned long)s.handle);
    mm_printf("RESULT obj_sizes_inst2 mm block_plus_handle_bytes %lu\n",
              (unsigned long)(s.block + s.handle));
    bool ok = s.block <= 16u && s.block == delta;
    mm_printf("RESULT obj_sizes_inst2 mm block_le_16 %s\n", ok ? "yes" : "no");
    mm_decref(&rt, p);
    static const uint32_t ns[] = {0, 1, 10, 100, 1000};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        ok = list_sizes(ns[i]) && ok;
    }
    return ok && mm_rt_live(&rt) == 0u && mm_check(heap, NULL) ? 0 : 1;
}
