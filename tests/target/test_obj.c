/*
 * test_obj.c - on-target tests of handles and objects, with the
 * tt harness and mm/ only. Each case gets a fresh heap (tt_heap()) and
 * puts its runtime's handle table in it. Sizes are for the 32-bit target:
 * a 2-slot instance is a 12 B request in a 16 B block, a list object 16 B.
 * The chain case sizes itself from the free RAM (100,000 nodes on the
 * 4 MiB boards); its stack use is bounded by the iterative free, and an
 * overflow would hit the stack guard and fail the run.
 */
#include <stdint.h>
#include <string.h>

#include "heap/mm_heap.h"
#include "fmt/mm_fmt.h"
#include "obj/mm_obj.h"
#include "mm_port.h"
#include "types/mm_types.h"
#include "tt.h"

static mm_rt rt_storage;

/* A runtime over the case's heap with `slots` handle slots (table from the
 * heap). */
static mm_rt *rt_open(uint32_t slots)
{
    mm_rt *rt = &rt_storage;
    if (mm_rt_init(rt, tt_heap(), NULL, slots * sizeof(mm_slot)) != MMO_OK) {
        return NULL;
    }
    return rt;
}

/* mm_check and mm_obj_check with ext as the case's references. */
static bool all_ok(mm_rt *rt, const mm_h *ext, size_t n)
{
    if (!mm_check(rt->heap, NULL)) {
        return false;
    }
    uint32_t *scratch = (uint32_t *)mm_alloc(rt->heap, mm_rt_slots(rt) * sizeof(uint32_t));
    if (scratch == NULL) {
        return false;
    }
    mm_status s = mm_obj_check(rt, ext, n, scratch, NULL);
    mm_free(rt->heap, scratch);
    return s == MMO_OK;
}

static size_t heap_used(const mm_rt *rt)
{
    mm_stats st;
    mm_get_stats(rt->heap, &st);
    return st.used_bytes;
}

static const char *const node_slots[] = {"value", "next"};
static const mm_class Node = {"Node", 2, node_slots, false};
static const mm_class Plain = {"Plain", 0, NULL, true};

TT_CASE(obj_refcount_and_id)
{
    mm_rt *rt = rt_open(64);
    TT_ASSERT(rt != NULL);
    size_t used0 = heap_used(rt);
    mm_h x = mm_list_new(rt, 0);
    for (int i = 1; i <= 3; i++) {
        TT_ASSERT_EQ(mm_list_append(rt, x, mm_small_int(i)), MMO_OK);
    }
    mm_h y = x;
    mm_incref(rt, y);
    TT_ASSERT_EQ(mm_refcount(rt, x), 2);
    TT_ASSERT_EQ(mm_id(x), mm_id(y));
    mm_decref(rt, y);
    TT_ASSERT_EQ(mm_refcount(rt, x), 1);
    mm_h ext[] = {x};
    TT_ASSERT(all_ok(rt, ext, 1));
    mm_decref(rt, x);
    TT_ASSERT_EQ(mm_rt_live(rt), 0);
    TT_ASSERT_EQ(heap_used(rt), used0);
    TT_ASSERT_EQ(mm_handle_status(rt, x), MMO_BADHANDLE);
}

TT_CASE(obj_small_ints_in_flash)
{
    mm_rt *rt = rt_open(64);
    TT_ASSERT(rt != NULL);
    size_t used0 = heap_used(rt);
    TT_ASSERT(mm_is(mm_int_new(rt, 10), mm_int_new(rt, 10)));
    TT_ASSERT(mm_is(mm_int_new(rt, 256), mm_int_new(rt, 256)));
    TT_ASSERT_EQ(heap_used(rt), used0);
    mm_sizeof sz;
    TT_ASSERT_EQ(mm_getsizeof(rt, mm_small_int(10), &sz), MMO_OK);
    TT_ASSERT_EQ(sz.block, 0);
    TT_ASSERT_EQ(sz.handle, 0);
    mm_h a = mm_int_new(rt, 257), b = mm_int_new(rt, 257);
    mm_h c = mm_int_new(rt, 1000), d = mm_int_new(rt, 1000);
    TT_ASSERT(!mm_is(a, b));
    TT_ASSERT(!mm_is(c, d));
    TT_ASSERT_EQ(mm_int_value(rt, a), 257);
    TT_ASSERT_EQ(mm_getsizeof(rt, a, &sz), MMO_OK);
    TT_ASSERT_EQ(sz.requested, 12);
    TT_ASSERT_EQ(sz.block, 16);
    TT_ASSERT_EQ(sz.handle, 8);
    mm_decref(rt, a);
    mm_decref(rt, b);
    mm_decref(rt, c);
    mm_decref(rt, d);
    TT_ASSERT_EQ(heap_used(rt), used0);
}

TT_CASE(obj_sizes_slots_list)
{
    mm_rt *rt = rt_open(64);
    TT_ASSERT(rt != NULL);
    uint32_t node = mm_class_register(rt, &Node), plain = mm_class_register(rt, &Plain);
    mm_h n = mm_inst_new(rt, node), p = mm_inst_new(rt, plain);
    mm_sizeof sn, sp;
    mm_getsizeof(rt, n, &sn);
    mm_getsizeof(rt, p, &sp);
    mm_printf("  2-slot instance: %u B requested, %u B block, + %u B handle slot\n",
              (unsigned)sn.requested, (unsigned)sn.block, (unsigned)sn.handle);
    TT_ASSERT(sn.block <= 16);
    TT_ASSERT_EQ(sn.requested, 12);
    TT_ASSERT_EQ(sp.block, 8);
    mm_h l = mm_list_new(rt, 0);
    for (int i = 0; i < 100; i++) {
        TT_ASSERT_EQ(mm_list_append(rt, l, mm_small_int(i)), MMO_OK);
    }
    mm_sizeof sl;
    mm_getsizeof(rt, l, &sl);
    size_t cap = mm_list_capacity(rt, l);
    TT_ASSERT_EQ(sl.requested, 16 + 4 * cap);
    TT_ASSERT(cap <= 100 + 100 / 8 + 6);
    mm_h ext[] = {n, p, l};
    TT_ASSERT(all_ok(rt, ext, 3));
    mm_decref(rt, n);
    mm_decref(rt, p);
    mm_decref(rt, l);
    TT_ASSERT_EQ(mm_rt_live(rt), 0);
}

TT_CASE(obj_dict_and_str)
{
    /* 100 keys; 20 where the whole heap is under 8 KiB (the 8 KiB board,
     * whose 4.3 KiB heap of 256 B pages cannot hold a 32-entry table and
     * its 64-entry successor side by side) */
    mm_stats st;
    mm_get_stats(tt_heap(), &st);
    const int n = st.free_bytes >= 8192u ? 100 : 20;
    mm_rt *rt = rt_open(n >= 100 ? 256 : 96);
    TT_ASSERT(rt != NULL);
    mm_h d = mm_dict_new(rt);
    for (int i = 0; i < n; i++) {
        mm_h k = mm_int_new(rt, 1000 + i);
        TT_ASSERT(k != MM_NULL);
        TT_ASSERT_EQ(mm_dict_set(rt, d, k, mm_small_int(i)), MMO_OK);
        mm_decref(rt, k);
    }
    for (int i = 0; i < n; i += 3) {
        mm_h k = mm_int_new(rt, 1000 + i);
        TT_ASSERT_EQ(mm_dict_del(rt, d, k), MMO_OK);
        mm_decref(rt, k);
    }
    TT_ASSERT_EQ(mm_dict_len(rt, d), n - (n + 2) / 3); /* 66 of 100 */
    TT_ASSERT_EQ(mm_dict_set_str(rt, d, "name", mm_small_int(7)), MMO_OK);
    TT_ASSERT_EQ(mm_dict_get_str(rt, d, "name"), mm_small_int(7));
    mm_h s = mm_str_from(rt, "  line one \n");
    mm_h u = mm_str_strip(rt, s);
    mm_h v = mm_str_upper(rt, u);
    TT_ASSERT(strcmp(mm_str_data(rt, v, NULL), "LINE ONE") == 0);
    mm_h ext[] = {d, s, u, v};
    TT_ASSERT(all_ok(rt, ext, 4));
    mm_decref(rt, d);
    mm_decref(rt, s);
    mm_decref(rt, u);
    mm_decref(rt, v);
    TT_ASSERT_EQ(mm_rt_live(rt), 0);
}

TT_CASE(obj_generator_constant_memory)
{
    mm_rt *rt = rt_open(64);
    TT_ASSERT(rt != NULL);
    mm_h g = mm_generator_squares(rt, 100000);
    size_t used = heap_used(rt);
    uint64_t sum = 0;
    mm_h x;
    while (mm_iter_next(rt, g, &x) == MMO_OK) {
        sum += (uint64_t)mm_int_value(rt, x);
        mm_decref(rt, x);
    }
    TT_ASSERT(sum == 333328333350000ULL);
    TT_ASSERT_EQ(heap_used(rt), used);
    mm_sizeof sz;
    mm_getsizeof(rt, g, &sz);
    mm_printf("  generator: %u B whatever it yields\n", (unsigned)sz.block);
    mm_decref(rt, g);
}

static mm_h fib(mm_rt *rt, mm_h cache, int64_t n)
{
    mm_h key = mm_int_new(rt, n);
    mm_h v = mm_lru_get(rt, cache, key);
    if (v != MM_NULL) {
        mm_incref(rt, v);
        mm_decref(rt, key);
        return v;
    }
    int64_t r = n;
    if (n >= 2) {
        mm_h a = fib(rt, cache, n - 1), b = fib(rt, cache, n - 2);
        r = mm_int_value(rt, a) + mm_int_value(rt, b);
        mm_decref(rt, a);
        mm_decref(rt, b);
    }
    v = mm_int_new(rt, r);
    mm_lru_put(rt, cache, key, v);
    mm_decref(rt, key);
    return v;
}

TT_CASE(obj_lru_fib)
{
    mm_rt *rt = rt_open(128);
    TT_ASSERT(rt != NULL);
    mm_h c = mm_lru_new(rt, 64);
    mm_h r = fib(rt, c, 20); /* depth 20: fits the 2 KiB micro:bit stack */
    TT_ASSERT_EQ(mm_int_value(rt, r), 6765);
    mm_lru_info info;
    mm_lru_cache_info(rt, c, &info);
    TT_ASSERT_EQ(info.hits, 18);
    TT_ASSERT_EQ(info.misses, 21);
    TT_ASSERT_EQ(info.maxsize, 64);
    TT_ASSERT_EQ(info.currsize, 21);
    mm_decref(rt, r);
    mm_decref(rt, c);
    TT_ASSERT_EQ(mm_rt_live(rt), 0);
}

/* As many 2-slot nodes as the RAM holds (at most 100,000), chained, then
 * freed by one decref. */
TT_CASE(obj_long_chain_frees_iteratively)
{
    mm_stats st;
    mm_get_stats(tt_heap(), &st);
    uint32_t n = (uint32_t)(st.free_bytes / 32u);
    if (n > 100000u) {
        n = 100000u;
    }
    mm_rt *rt = rt_open(n + 8u);
    TT_ASSERT(rt != NULL);
    uint32_t node = mm_class_register(rt, &Node);
    size_t used0 = heap_used(rt);
    mm_h head = MM_NULL;
    uint32_t built = 0;
    for (; built < n; built++) {
        mm_h x = mm_inst_new(rt, node);
        if (x == MM_NULL) {
            break;
        }
        mm_inst_set_slot(rt, x, 1, head);
        mm_decref(rt, head);
        head = x;
    }
    mm_printf("  chain of %u nodes\n", (unsigned)built);
    TT_ASSERT(built > 50);
    mm_decref(rt, head);
    TT_ASSERT_EQ(mm_rt_live(rt), 0);
    TT_ASSERT_EQ(heap_used(rt), used0);
    TT_ASSERT(mm_check(rt->heap, NULL));
}

/* Slots: 12/28 of the RAM go to the table and the checker's scratch, so
 * the heap (boxes of 16 B + 4 B in the list) runs out before the table. */
TT_CASE(obj_memory_error_is_clean)
{
    mm_stats st;
    mm_get_stats(tt_heap(), &st);
    uint32_t slots = (uint32_t)(st.free_bytes / 28u);
    slots = slots > 200000u ? 200000u : slots;
    mm_rt *rt = rt_open(slots);
    TT_ASSERT(rt != NULL);
    uint32_t *scratch = (uint32_t *)mm_alloc(rt->heap, slots * sizeof(uint32_t));
    TT_ASSERT(scratch != NULL);
    size_t used0 = heap_used(rt);
    mm_h l = mm_list_new(rt, 0);
    int64_t i = 0;
    mm_status s = MMO_OK;
    for (;; i++) {
        mm_h x = mm_int_new(rt, 100000 + i);
        if (x == MM_NULL) {
            s = mm_rt_error(rt);
            break;
        }
        s = mm_list_append(rt, l, x);
        mm_decref(rt, x);
        if (s != MMO_OK) {
            break;
        }
    }
    mm_printf("  MemoryError (%s) after %ld items\n", mm_status_str(s), (long)i);
    TT_ASSERT_EQ(s, MMO_NOMEM);
    TT_ASSERT_EQ(mm_list_len(rt, l), (size_t)i);
    TT_ASSERT_EQ(mm_int_value(rt, mm_list_get(rt, l, (size_t)i - 1)), 100000 + i - 1);
    TT_ASSERT(mm_check(rt->heap, NULL));
    mm_h ext[] = {l};
    TT_ASSERT_EQ(mm_obj_check(rt, ext, 1, scratch, NULL), MMO_OK);
    mm_decref(rt, l);
    TT_ASSERT_EQ(heap_used(rt), used0);
}

/* create+destroy of a boxed int and of a 2-slot instance against a raw
 * mm_alloc+mm_free pair of the same size, in instructions. */
TT_CASE(obj_create_destroy_cost)
{
    mm_rt *rt = rt_open(64);
    TT_ASSERT(rt != NULL);
    uint32_t node = mm_class_register(rt, &Node);
    const uint32_t reps = 1000;
    uint64_t t0 = mm_port_clock();
    for (uint32_t i = 0; i < reps; i++) {
        mm_free(rt->heap, mm_alloc(rt->heap, 12));
    }
    uint64_t t1 = mm_port_clock();
    for (uint32_t i = 0; i < reps; i++) {
        mm_decref(rt, mm_int_new(rt, 100000));
    }
    uint64_t t2 = mm_port_clock();
    for (uint32_t i = 0; i < reps; i++) {
        mm_decref(rt, mm_inst_new(rt, node));
    }
    uint64_t t3 = mm_port_clock();
    unsigned raw = (unsigned)((t1 - t0) / reps), box = (unsigned)((t2 - t1) / reps);
    unsigned inst = (unsigned)((t3 - t2) / reps);
    mm_printf("RESULT obj_create_destroy raw_pair=%u int=%u inst2=%u instr/op\n", raw, box, inst);
}

/* Misuse ends the firmware with the caller's file:line (run by name). */
TT_CRASH_CASE(obj_double_decref_crashes, "2:double decref: object already freed")
{
    mm_rt *rt = rt_open(16);
    mm_h x = mm_int_new(rt, 5000);
    mm_decref_at(rt, x, MM_HERE);
    mm_decref_at(rt, x, MM_HERE);
}

TT_CRASH_CASE(obj_stale_handle_crashes, "2:slot since reused")
{
    mm_rt *rt = rt_open(16);
    mm_h x = mm_int_new(rt, 5000);
    mm_decref_at(rt, x, MM_HERE);
    mm_h y = mm_int_new(rt, 6000);
    (void)y;
    (void)mm_int_value(rt, x);
}

TT_CRASH_CASE(obj_forged_handle_crashes, "2:forged handle")
{
    mm_rt *rt = rt_open(16);
    mm_h l = mm_list_new(rt, 0); /* for this runtime's tag (mm_obj.h, H2) */
    /* cppcheck cannot see the tag bits of a handle made at run time */
    // cppcheck-suppress badBitmaskCheck
    (void)mm_list_len(rt, mm_h_make(9, 1) | (l & MM_H_TAG_MASK));
}
