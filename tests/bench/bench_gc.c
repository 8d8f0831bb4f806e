/*
 * bench_gc.c - cycle collector benchmarks, BENCH_CASEs of the
 * bench firmware (see bench.h). Costs are instructions under QEMU -icount
 * (mm_port_clock() = counter_instructions()), read from the collector's
 * own result, never typed in.
 *   gc_full   9,997 tracked objects, 5,000 of them cyclic garbage (rings of
 *             4), full collection: instructions per tracked object, for
 *             lists and for 2-slot instances
 *   gc_young  10,000 old objects + 100 young ones (a young garbage ring of
 *             50 and 50 young survivors): the young collection against the
 *             full one
 *   gc_nodes  10,000 Nodes of a regular class (one attribute, `next`),
 *             half in live 2-cycles, half in garbage 2-cycles: full
 *             collection, instructions per tracked object
 *   gc_demo3  demo 3's two Nodes pointing at each other: collect() == 2
 *   frag      holes everywhere, free total >= 2x the request, no hole big
 *             enough: newlib's malloc fails, mm succeeds through the
 *             collector's emergency path (collection + compaction)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "heap/mm_heap.h"
#include "fmt/mm_fmt.h"
#include "gc/mm_gc.h"
#include "obj/mm_obj.h"
#include "types/mm_types.h"

static mm_rt rt;
static mm_gc gc;

static const char *const pair_names[] = {"a", "b"};
static const mm_class Pair = {"Pair", 2, pair_names, false};
static const mm_class Node = {"Node", 0, NULL, true};

/* A fresh heap over the first `bytes` of the region (0: all of it), a
 * runtime of `slots` slots and the collector (thresholds as CPython). */
static bool open_rt(size_t bytes, uint32_t slots)
{
    void *start;
    size_t size;
    bench_region(&start, &size);
    mm_heap *h = mm_init(start, bytes != 0u && bytes < size ? bytes : size);
    return h != NULL && mm_rt_init(&rt, h, NULL, slots * sizeof(mm_slot)) == MMO_OK &&
           mm_gc_init(&gc, &rt) == MMO_OK;
}

/* A new container of the kind: list (0) or Pair instance (1). */
static mm_h new_obj(uint32_t kind, uint32_t pair)
{
    return kind == 0u ? mm_list_new(&rt, 2) : mm_inst_new(&rt, pair);
}

static void link_to(uint32_t kind, mm_h from, mm_h to)
{
    if (kind == 0u) {
        (void)mm_list_append(&rt, from, to);
    } else {
        (void)mm_inst_set_slot(&rt, from, 0, to);
    }
}

/* A ring of 4; returns a NEW reference to its first object. */
static mm_h ring4(uint32_t kind, uint32_t pair)
{
    mm_h first = new_obj(kind, pair), prev = first;
    mm_incref(&rt, first);
    for (int i = 0; i < 3; i++) {
        mm_h x = new_obj(kind, pair);
        link_to(kind, prev, x);
        mm_decref(&rt, prev);
        prev = x;
    }
    link_to(kind, prev, first);
    mm_decref(&rt, prev);
    return first;
}

/* 1 root list + 1,249 held rings + 1,250 dropped rings of 4 (the root
 * holds the live rings): 9,997 objects, 5,000 of them garbage. */
/* "RESULT <w><label> mm <metric> v.vvv" for num/den, rounded to 3
 * decimals (integers only: no float formatting on target). */
static void print_ratio(const char *w, const char *label, const char *metric, uint64_t num,
                        uint64_t den)
{
    uint64_t milli = (num * 1000u + den / 2u) / den;
    mm_printf("RESULT %s%s mm %s %llu.%03llu\n", w, label, metric,
              (unsigned long long)(milli / 1000u), (unsigned long long)(milli % 1000u));
}

static int gc_full_kind(uint32_t kind, const char *label)
{
    if (!open_rt(0, 32768)) {
        return 1;
    }
    uint32_t pair = mm_class_register(&rt, &Pair);
    mm_gc_disable(&gc); /* the graph is built first, then collected once */
    mm_h root = mm_list_new(&rt, 1250);
    for (uint32_t i = 0; i < 1250u + 1249u; i++) {
        mm_h r = ring4(kind, pair);
        if (r == MM_NULL) {
            return 1;
        }
        if (i % 2u == 1u) {
            (void)mm_list_append(&rt, root, r);
        }
        mm_decref(&rt, r);
    }
    mm_gc_result res;
    uint32_t n = mm_gc_collect(&gc, 2, &res);
    if (n != 5000u || res.examined != 9997u) {
        mm_printf("gc_full: %s: collected %lu of %lu examined\n", label, (unsigned long)n,
                  (unsigned long)res.examined);
        return 1;
    }
    mm_gc_print_result(&res);
    print_ratio("gc_full", label, "instr_per_tracked_object", res.instructions, res.examined);
    print_ratio("gc_full", label, "instr_per_tracked_object_without_dealloc",
                res.instructions - res.release_instructions, res.examined);
    print_ratio("gc_full", label, "dealloc_instr_per_garbage_object", res.release_instructions,
                res.collected);
    mm_decref(&rt, root);
    return mm_check(rt.heap, NULL) ? 0 : 1;
}

BENCH_CASE(gc_full) { return gc_full_kind(0, "") | gc_full_kind(1, "_instances"); }

/* The shape: N = 10,000 Nodes of a regular class (attribute
 * `next`, values inline), N/2 in live 2-cycles (one node of each held by
 * a root list) and N/2 in garbage 2-cycles; a full collection, per
 * tracked object (the root list included). */
BENCH_CASE(gc_nodes)
{
    if (!open_rt(0, 32768)) {
        return 1;
    }
    uint32_t node = mm_class_register(&rt, &Node);
    mm_gc_disable(&gc);
    mm_h root = mm_list_new(&rt, 2500);
    for (uint32_t i = 0; i < 5000u; i++) {
        mm_h a = mm_inst_new(&rt, node), b = mm_inst_new(&rt, node);
        if (a == MM_NULL || b == MM_NULL || mm_inst_setattr(&rt, a, "next", b) != MMO_OK ||
            mm_inst_setattr(&rt, b, "next", a) != MMO_OK) {
            return 1;
        }
        if (i % 2u == 1u) {
            (void)mm_list_append(&rt, root, a);
        }
        mm_decref(&rt, a);
        mm_decref(&rt, b);
    }
    mm_sizeof sz;
    (void)mm_getsizeof(&rt, mm_list_get(&rt, root, 0), &sz);
    mm_printf("RESULT gc_nodes mm bytes_per_node %lu\n", (unsigned long)(sz.block + sz.handle));
    mm_gc_result res;
    uint32_t n = mm_gc_collect(&gc, 2, &res);
    if (n != 5000u || res.examined != 10001u || res.managed_dicts != 0u) {
        mm_printf("gc_nodes: collected %lu of %lu examined\n", (unsigned long)n,
                  (unsigned long)res.examined);
        return 1;
    }
    mm_gc_print_result(&res);
    print_ratio("gc_nodes", "", "instr_per_tracked_object", res.instructions, res.examined);
    print_ratio("gc_nodes", "", "dealloc_instr_per_garbage_object", res.release_instructions,
                res.collected);
    mm_decref(&rt, root);
    (void)mm_gc_collect(&gc, 2, &res);
    return mm_check(rt.heap, NULL) && mm_rt_live(&rt) == 0u ? 0 : 1;
}

/* 10,000 old lists held by one root; then 100 young: a garbage ring of 50
 * and 50 lists appended to the (old) root. */
BENCH_CASE(gc_young)
{
    if (!open_rt(0, 16384)) {
        return 1;
    }
    mm_gc_disable(&gc);
    mm_h root = mm_list_new(&rt, 10000);
    for (int i = 0; i < 9999; i++) {
        mm_h l = mm_list_new(&rt, 0);
        (void)mm_list_append(&rt, root, l);
        mm_decref(&rt, l);
    }
    mm_gc_result full, young;
    mm_gc_collect(&gc, 2, &full); /* all old now */
    mm_h first = mm_list_new(&rt, 1), prev = first;
    mm_incref(&rt, first);
    for (int i = 1; i < 50; i++) {
        mm_h l = mm_list_new(&rt, 1);
        (void)mm_list_append(&rt, prev, l);
        mm_decref(&rt, prev);
        prev = l;
    }
    (void)mm_list_append(&rt, prev, first);
    mm_decref(&rt, prev);
    mm_decref(&rt, first);
    for (int i = 0; i < 50; i++) {
        mm_h l = mm_list_new(&rt, 0);
        (void)mm_list_append(&rt, root, l);
        mm_decref(&rt, l);
    }
    uint32_t n = mm_gc_collect(&gc, 0, &young);
    mm_gc_collect(&gc, 2, &full);
    if (n != 50u || young.examined != 100u || full.examined != 10050u) {
        return 1;
    }
    mm_printf("RESULT gc_young mm young_collection_instr %llu\n",
              (unsigned long long)young.instructions);
    mm_printf("RESULT gc_young mm full_collection_instr %llu\n",
              (unsigned long long)full.instructions);
    mm_printf("RESULT gc_young mm instr_per_young_object %llu\n",
              (unsigned long long)(young.instructions / young.examined));
    mm_printf("RESULT gc_young mm full_over_young %llu\n",
              (unsigned long long)(full.instructions / young.instructions));
    mm_decref(&rt, root);
    return 0;
}

BENCH_CASE(gc_demo3)
{
    if (!open_rt(64u * 1024u, 256)) {
        return 1;
    }
    uint32_t node = mm_class_register(&rt, &Node);
    mm_h a = mm_inst_new(&rt, node), b = mm_inst_new(&rt, node);
    (void)mm_inst_setattr(&rt, a, "ref", b);
    (void)mm_inst_setattr(&rt, b, "ref", a);
    mm_decref(&rt, a);
    mm_decref(&rt, b);
    mm_gc_set_debug(&gc, MM_GC_DEBUG_STATS);
    mm_gc_result res;
    uint32_t n = mm_gc_collect(&gc, 2, &res);
    mm_printf("RESULT gc_demo3 mm collected %lu\n", (unsigned long)n);
    mm_printf("RESULT gc_demo3 mm instructions %llu\n", (unsigned long long)res.instructions);
    return n == 2u ? 0 : 1;
}

/* ---- fragmentation: newlib's malloc against mm's emergency path ---- */

#define FRAG_ARENA (64u * 1024u)
/* Large blocks (whole pages, above the mid-size range): the ones mm_compact
 * may move. */
#define FRAG_BLOCK ((MM_CFG_MID_MAX / MM_CFG_PAGE_SIZE + 1u) * MM_CFG_PAGE_SIZE)
#define FRAG_WANT (3u * FRAG_BLOCK) /* more than any hole, less than half the free bytes */
#define FRAG_MAX (FRAG_ARENA / FRAG_BLOCK)

/* Gives newlib's malloc (through _sbrk) the arena [start, start+size).
 * Defined by bench_main.c when it offers it; see the frag case. */
void bench_newlib_arena(void *start, size_t size) __attribute__((weak));

static void *frag_blocks[FRAG_MAX];

/* Fills with FRAG_BLOCK blocks, frees every other: returns the count. */
static uint32_t frag_fill(void *(*alloc_fn)(size_t), void (*free_fn)(void *))
{
    uint32_t n = 0;
    while (n < FRAG_MAX && (frag_blocks[n] = alloc_fn(FRAG_BLOCK)) != NULL) {
        n++;
    }
    for (uint32_t i = 0; i < n; i += 2) {
        free_fn(frag_blocks[i]);
        frag_blocks[i] = NULL;
    }
    return n;
}

static void *rt_alloc_plain(size_t n) { return mm_rt_alloc(&rt, NULL, n); }
static void rt_free_plain(void *p) { mm_rt_free(&rt, p); }

static int frag_newlib(void *arena)
{
    if (bench_newlib_arena == NULL) {
        mm_printf("RESULT frag newlib not_run (bench_main.c lacks bench_newlib_arena)\n");
        return 0;
    }
    bench_newlib_arena(arena, FRAG_ARENA);
    uint32_t n = frag_fill(malloc, free);
    void *p = malloc(FRAG_WANT);
    mm_printf("frag: newlib: %lu blocks of %u B, every other freed (%lu B free), request %u B\n",
              (unsigned long)n, FRAG_BLOCK, (unsigned long)((n + 1u) / 2u * FRAG_BLOCK), FRAG_WANT);
    mm_printf("RESULT frag newlib alloc_after_fragmentation %s\n", p == NULL ? "failed" : "ok");
    free(p);
    return 0;
}

BENCH_CASE(frag)
{
    void *start;
    size_t size;
    bench_region(&start, &size);
    mm_heap *h = mm_init(start, FRAG_ARENA);
    if (h == NULL || mm_rt_init(&rt, h, NULL, 16 * sizeof(mm_slot)) != MMO_OK) {
        return 1;
    }
    /* relocatable blocks: each owned by its frag_blocks entry */
    uint32_t n = 0;
    while (n < FRAG_MAX && mm_rt_alloc(&rt, &frag_blocks[n], FRAG_BLOCK) != NULL) {
        n++;
    }
    for (uint32_t i = 0; i < n; i += 2) {
        rt_free_plain(frag_blocks[i]);
    }
    mm_stats st;
    mm_get_stats(h, &st);
    mm_printf("frag: mm: %lu blocks of %u B, every other freed: %lu B free, largest hole %lu B, "
              "request %u B\n",
              (unsigned long)n, FRAG_BLOCK, (unsigned long)st.free_bytes,
              (unsigned long)st.largest_free, FRAG_WANT);
    if (st.largest_free >= FRAG_WANT || st.free_bytes < 2u * FRAG_WANT) {
        return 1; /* not the pattern we want to show */
    }
    if (mm_gc_init(&gc, &rt) != MMO_OK) {
        return 1;
    }
    void *p = rt_alloc_plain(FRAG_WANT);
    mm_printf("RESULT frag mm alloc_after_fragmentation %s\n", p != NULL ? "ok" : "failed");
    mm_printf("RESULT frag mm emergency_runs %lu\n", (unsigned long)gc.emergencies);
    return frag_newlib((uint8_t *)start + FRAG_ARENA) | (p != NULL ? 0 : 1);
}
