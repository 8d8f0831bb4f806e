/*
 * test_gc.c - on-target tests of the cycle collector, with the
 * tt harness and mm/ only. Each case gets a fresh heap (tt_heap()); the
 * collector's state, the handle table and the check scratch come from it.
 * The graph cases size themselves from the free RAM: a 50,000-node ring on
 * the 4 MiB boards, the largest ring that fits elsewhere (printed), and a
 * comb (a chain of lists, each holding a leaf list and the next) up to
 * 10,000 deep, whose marking overflows the 64-entry mark stack. Sizes are
 * for the 32-bit target: a 1-slot instance is an 8 B block, a list object
 * 16 B plus its item array; each object also takes an 8 B handle slot.
 */
#include <stdint.h>
#include <string.h>

#include "heap/mm_heap.h"
#include "fmt/mm_fmt.h"
#include "gc/mm_gc.h"
#include "obj/mm_obj.h"
#include "mm_port.h"
#include "types/mm_types.h"
#include "tt.h"

static mm_rt gc_rt;

static const char *const link_names[] = {"next"};
static const mm_class Link = {"Link", 1, link_names, false};
static const mm_class GNode = {"Node", 0, NULL, true};

/* Free bytes of the case's heap. */
static size_t heap_free(void)
{
    mm_stats st;
    mm_get_stats(tt_heap(), &st);
    return st.free_bytes + st.pool_free_bytes;
}

static size_t heap_used(const mm_rt *rt)
{
    mm_stats st;
    mm_get_stats(rt->heap, &st);
    return st.used_bytes;
}

static uint32_t *gc_scratch; /* for mm_obj_check, taken before the graph */

/* A runtime of `slots` slots (table from the heap), its collector (state
 * from the heap too: a few KiB, not worth static RAM) and the checker's
 * scratch (4 B per slot), all allocated before the case's graph. */
static mm_gc *gc_open(uint32_t slots)
{
    mm_heap *h = tt_heap();
    mm_gc *gc = (mm_gc *)mm_alloc(h, sizeof(mm_gc));
    gc_scratch = (uint32_t *)mm_alloc(h, slots * sizeof(uint32_t));
    if (gc == NULL || gc_scratch == NULL ||
        mm_rt_init(&gc_rt, h, NULL, slots * sizeof(mm_slot)) != MMO_OK) {
        return NULL;
    }
    return mm_gc_init(gc, &gc_rt) == MMO_OK ? gc : NULL;
}

/* mm_check, mm_obj_check (ext = the case's references), mm_gc_check;
 * prints the first failure. */
static bool all_ok(const mm_gc *gc, const mm_h *ext, size_t n)
{
    mm_rt *rt = &gc_rt;
    mm_report hr;
    const char *what = "";
    mm_obj_report orep;
    if (!mm_check(rt->heap, &hr)) {
        mm_printf("mm_check: %s\n", hr.msg);
        return false;
    }
    if (mm_gc_check(gc, &what) != MMO_OK) {
        mm_printf("mm_gc_check: %s\n", what);
        return false;
    }
    if (mm_obj_check(rt, ext, n, gc_scratch, &orep) != MMO_OK) {
        mm_printf("mm_obj_check: %s\n", orep.what);
        return false;
    }
    return true;
}

/* A ring of Link instances as long as the heap allows (at most 50,000). */
TT_CASE(gc_ring_sized)
{
    const uint32_t want = 50000;
    uint32_t slots = (uint32_t)((heap_free() - sizeof(mm_gc)) / 20u); /* 8 B block, 8 B slot, 4 B scratch */
    mm_gc *gc = gc_open(slots < want + 8u ? slots : want + 8u);
    TT_ASSERT(gc != NULL);
    mm_rt *rt = &gc_rt;
    uint32_t link = mm_class_register(rt, &Link);
    size_t used0 = heap_used(rt);
    mm_h first = mm_inst_new(rt, link), last = first;
    TT_ASSERT(first != MM_NULL);
    mm_incref(rt, last);
    uint32_t n = 1;
    while (n < want) {
        mm_h x = mm_inst_new(rt, link);
        if (x == MM_NULL) {
            TT_ASSERT(mm_is_memory_error(mm_rt_error(rt)));
            break;
        }
        TT_ASSERT_EQ(mm_inst_set_slot(rt, last, 0, x), MMO_OK);
        mm_decref(rt, last);
        last = x;
        n++;
    }
    mm_printf("gc_ring_sized: largest ring that fits: N = %lu (stopped by: %s)\n",
              (unsigned long)n, n < want ? mm_status_str(mm_rt_error(rt)) : "the 50,000 goal");
    TT_ASSERT_EQ(mm_inst_set_slot(rt, last, 0, first), MMO_OK); /* close the ring */
    mm_decref(rt, last);
    mm_h ext[1] = {first};
    TT_ASSERT_EQ(mm_gc_collect(gc, 2, NULL), 0);
    mm_decref(rt, first);
    mm_gc_result r;
    TT_ASSERT_EQ(mm_gc_collect(gc, 2, &r), n);
    mm_printf("gc_ring_sized: collected %lu in %llu instructions (%llu per object)\n",
              (unsigned long)r.collected, (unsigned long long)r.instructions,
              (unsigned long long)(r.instructions / n));
    TT_ASSERT_EQ(mm_rt_live(rt), 0);
    TT_ASSERT_EQ(heap_used(rt), used0);
    TT_ASSERT(all_ok(gc, ext, 0));
}

/* A comb up to 10,000 deep (less if the heap ends first): reachable
 * (nothing collected, rescans after the mark stack overflows), then closed
 * into a ring, dropped and collected. Per level: a spine list (16 B + 8 B
 * items) and a leaf list (16 B), 2 slots (16 B). Each spine holds the one
 * made before it, so that the mark walk (C4) passes the whole comb before
 * its root, the newest spine, and then follows it through its stack. */
TT_CASE(gc_deep_comb)
{
    const uint32_t want = 10000;
    uint32_t fit = (uint32_t)((heap_free() - sizeof(mm_gc)) / (2u * 12u + 40u));
    mm_gc *gc = gc_open(2u * (fit < want ? fit : want) + 8u);
    TT_ASSERT(gc != NULL);
    mm_rt *rt = &gc_rt;
    mm_h first = mm_list_new(rt, 2), cur = first;
    TT_ASSERT(first != MM_NULL);
    mm_incref(rt, cur);
    uint32_t depth = 1, objects = 1;
    while (depth < want) {
        mm_h leaf = mm_list_new(rt, 0);
        if (leaf == MM_NULL) {
            break; /* MemoryError: the comb is as deep as the heap allows */
        }
        mm_h next = mm_list_new(rt, 2);
        if (next == MM_NULL) {
            mm_decref(rt, leaf);
            break;
        }
        /* [leaf, older spine]: the LIFO stack scans the spine first and
         * piles up the leaves. No growth: cap 2. */
        TT_ASSERT_EQ(mm_list_append(rt, next, leaf), MMO_OK);
        mm_decref(rt, leaf);
        TT_ASSERT_EQ(mm_list_append(rt, next, cur), MMO_OK);
        mm_decref(rt, cur);
        cur = next;
        objects += 2u;
        depth++;
    }
    mm_printf("gc_deep_comb: depth %lu (%lu objects)\n", (unsigned long)depth,
              (unsigned long)objects);
    mm_gc_result r;
    TT_ASSERT_EQ(mm_gc_collect(gc, 2, &r), 0);
    TT_ASSERT_EQ(r.survivors, objects);
    mm_printf("gc_deep_comb: reachable: %lu rescans, %llu instructions\n",
              (unsigned long)r.rescans, (unsigned long long)r.instructions);
    if (depth > MM_CFG_GC_STACK + 1u) {
        TT_ASSERT(r.rescans > 0);
    }
    mm_gc_set_stack_limit(gc, 4); /* force the overflow path on every board */
    TT_ASSERT_EQ(mm_gc_collect(gc, 2, &r), 0);
    TT_ASSERT_EQ(r.survivors, objects);
    TT_ASSERT(r.rescans > 0);
    mm_printf("gc_deep_comb: 4-entry stack: %lu rescans, %llu instructions\n",
              (unsigned long)r.rescans, (unsigned long long)r.instructions);
    mm_gc_set_stack_limit(gc, MM_CFG_GC_STACK);
    mm_h ext[2] = {first, cur};
    TT_ASSERT(all_ok(gc, ext, 2));
    TT_ASSERT_EQ(mm_list_append(rt, first, cur), MMO_OK); /* room: cap 2, no items */
    mm_decref(rt, cur);
    mm_decref(rt, first);
    TT_ASSERT_EQ(mm_gc_collect(gc, 2, &r), objects);
    TT_ASSERT_EQ(mm_rt_live(rt), 0);
    TT_ASSERT(all_ok(gc, ext, 0));
}

/* Demo 3: two Nodes referencing each other; collect() returns 2. */
TT_CASE(gc_demo3_two_nodes)
{
    mm_gc *gc = gc_open(64);
    TT_ASSERT(gc != NULL);
    mm_rt *rt = &gc_rt;
    uint32_t node = mm_class_register(rt, &GNode);
    size_t used0 = heap_used(rt);
    mm_h a = mm_inst_new(rt, node), b = mm_inst_new(rt, node);
    TT_ASSERT_EQ(mm_inst_setattr(rt, a, "ref", b), MMO_OK);
    TT_ASSERT_EQ(mm_inst_setattr(rt, b, "ref", a), MMO_OK);
    mm_decref(rt, a);
    mm_decref(rt, b);
    TT_ASSERT(heap_used(rt) > used0);
    mm_gc_result r;
    TT_ASSERT_EQ(mm_gc_collect(gc, 2, &r), 2);
    TT_ASSERT_EQ(r.ntypes, 1);
    TT_ASSERT(strcmp(r.types[0].name, "Node") == 0);
    TT_ASSERT_EQ(heap_used(rt), used0);
    TT_ASSERT(all_ok(gc, NULL, 0));
}

/* Young collection with old objects around: only the young are examined. */
TT_CASE(gc_young_only_young)
{
    uint32_t fit = (uint32_t)((heap_free() - sizeof(mm_gc)) / 64u);
    uint32_t old = fit;
    if (old > 400u) {
        old = 400u;
    }
    mm_gc *gc = gc_open(old + 16u);
    TT_ASSERT(gc != NULL);
    mm_rt *rt = &gc_rt;
    mm_h keep = mm_list_new(rt, old);
    for (uint32_t i = 0; i < old; i++) {
        mm_h l = mm_list_new(rt, 0);
        TT_ASSERT(l != MM_NULL);
        TT_ASSERT_EQ(mm_list_append(rt, keep, l), MMO_OK);
        mm_decref(rt, l);
    }
    mm_gc_result r;
    mm_gc_collect(gc, 2, &r);
    mm_gc_disable(gc);
    mm_h a = mm_list_new(rt, 1), b = mm_list_new(rt, 1);
    mm_list_append(rt, a, b);
    mm_list_append(rt, b, a);
    mm_list_append(rt, a, keep); /* young -> old */
    mm_decref(rt, a);
    mm_decref(rt, b);
    TT_ASSERT_EQ(mm_gc_collect(gc, 0, &r), 2);
    TT_ASSERT_EQ(r.examined, 2);
    TT_ASSERT_EQ(mm_refcount(rt, keep), 1);
    mm_gc_enable(gc);
    mm_h ext[1] = {keep};
    TT_ASSERT(all_ok(gc, ext, 1));
    mm_decref(rt, keep);
}

/* Fragmentation: relocatable large blocks with every other one freed; a
 * request of 4 blocks (2 on small heaps) fails without the collector, then succeeds through the
 * emergency path (collection + compaction). */
TT_CASE(gc_emergency_compaction)
{
    mm_heap *h = tt_heap();
    /* Large blocks (whole pages, the ones compaction moves): the fewest
     * pages above the pools' and the mid-size blocks' sizes (one 512 B page
     * where there are no mid-size blocks, two of the 8 KiB board's 256 B
     * pages, five 512 B pages with mid-size blocks up to 2 KiB). */
    const size_t below = MM_CFG_MID_MAX > MM_CFG_SMALL_MAX ? MM_CFG_MID_MAX : MM_CFG_SMALL_MAX;
    const size_t blk = (below / MM_CFG_PAGE_SIZE + 1u) * MM_CFG_PAGE_SIZE;
    size_t pages = heap_free() / blk;
    void **owners = (void **)mm_alloc(h, pages * sizeof(void *)); /* pinned */
    TT_ASSERT(owners != NULL);
    memset(owners, 0, pages * sizeof(void *)); /* mm_rt_alloc reads *body: NULL = new */
    mm_gc *gc = (mm_gc *)mm_alloc(h, sizeof(mm_gc));
    TT_ASSERT(gc != NULL);
    TT_ASSERT_EQ(mm_rt_init(&gc_rt, h, NULL, 16 * sizeof(mm_slot)), MMO_OK);
    mm_rt *rt = &gc_rt;
    uint32_t n = 0;
    while (n < pages && mm_rt_alloc(rt, &owners[n], blk) != NULL) {
        memset(owners[n], (int)(n & 0xFFu), blk);
        n++;
    }
    for (uint32_t i = 0; i < n; i += 2) {
        mm_rt_free(rt, owners[i]);
    }
    if (n < 8u) { /* the 8 KiB board: its heap is 5 KiB, the collector's state 1 KiB of it */
        mm_printf("gc_emergency_compaction: skipped: %lu blocks of %lu B fit, the case needs 8\n",
                  (unsigned long)n, (unsigned long)blk);
        return;
    }
    const size_t want = (n >= 16u ? 4u : 2u) * blk; /* small boards: 2 blocks */
    mm_stats st;
    mm_get_stats(h, &st);
    mm_printf("gc_emergency_compaction: %lu blocks, free %lu B, largest hole %lu B, request %lu B\n",
              (unsigned long)n, (unsigned long)st.free_bytes, (unsigned long)st.largest_free,
              (unsigned long)want);
    TT_ASSERT(st.largest_free < want && st.free_bytes >= 2u * want);
    TT_ASSERT(mm_rt_alloc(rt, NULL, want) == NULL);
    TT_ASSERT_EQ(mm_gc_init(gc, rt), MMO_OK);
    void *p = mm_rt_alloc(rt, NULL, want);
    TT_ASSERT(p != NULL);
    TT_ASSERT_EQ(gc->emergencies, 1);
    for (uint32_t i = 1; i < n; i += 2) {
        const uint8_t *b = (const uint8_t *)owners[i];
        TT_ASSERT_EQ(b[0], i & 0xFFu);
        TT_ASSERT_EQ(b[blk - 1u], i & 0xFFu);
    }
    TT_ASSERT(mm_check(h, NULL));
}
