/*
 * test_obj_fast.c - the object layer's fast paths (targets: see
 * tests/bench/bench_obj.c for their cost): what each shortcut must still
 * guarantee.
 *   - bodies of new containers are zeroed even over a dirty recycled block
 *     (every slot count, so every granule count of the zeroing loop);
 *   - leaf objects (int, str), created without zeroing, carry exactly the
 *     fields written, and are freed at once even inside a drain;
 *   - the checked incref/decref fast paths stop at the same boundaries as
 *     the slow ones (refcount 0, MM_RC_MAX, double decref, null, immortal);
 *   - the collector's track_hook sees every container birth and death and
 *     no leaf; live/freed/live_peak counters agree (live_peak exactly,
 *     though it is only kept when a never-used slot is taken);
 *   - an instance freed with its fields dropped in place (no drain) leaves
 *     every refcount right, whether a child reaches zero or not.
 *   - the inline create and free of 2-slot instances (rt->inst16):
 *     only those classes (3 slots take the general path), null fields over
 *     a reused block, freed at once only with null or immortal fields and
 *     no hook, stale handles caught.
 */
#include "obj_fixture.h"

#define REGION (1u << 20)
#define SLOTS 16384u

static fixture F;

static int setup(void **state)
{
    (void)state;
    fx_open(&F, REGION, SLOTS);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_close(&F);
    return 0;
}

/* Allocates a block of `size`, fills it with 0xAB and frees it, so that the
 * next block of that class (LIFO) comes back dirty in every build. */
static void dirty_class(size_t size)
{
    void *p = mm_alloc(F.heap, size);
    assert_non_null(p);
    memset(p, 0xAB, mm_usable_size(F.heap, p));
    mm_free(F.heap, p);
}

/* ------------------------------------------------ zeroed bodies */

/* Every slot count 1..MM_CFG_MAX_SLOTS, each in a fresh runtime over the
 * same heap (the class table holds only MM_CFG_MAX_CLASSES). */
static void test_container_bodies_zeroed(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    static mm_class cls[MM_CFG_MAX_SLOTS + 1];
    for (uint32_t n = 1; n <= MM_CFG_MAX_SLOTS; n++) {
        mm_rt_fini(rt);
        assert_int_equal(mm_rt_init(rt, F.heap, F.table, F.nslots * sizeof(mm_slot)), MMO_OK);
        cls[n] = (mm_class){"C", n, NULL, false};
        uint32_t id = mm_class_register(rt, &cls[n]);
        assert_int_equal(id, MM_T_CLASS0);
        dirty_class(4u + 4u * n);
        mm_h o = mm_inst_new(rt, id);
        assert_true(o != MM_NULL);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(mm_inst_get_slot(rt, o, i), MM_NULL);
        }
        mm_sizeof s;
        assert_int_equal(mm_getsizeof(rt, o, &s), MMO_OK);
        assert_int_equal(s.requested, 4u + 4u * n);
        fx_check(&F, o);
        mm_decref(rt, o);
        /* again over a dirty block, now with a slot on the free list: the
         * creation fast path (mm__obj_new_fast) zeroes the slots too */
        dirty_class(4u + 4u * n);
        o = mm_inst_new(rt, id);
        assert_true(o != MM_NULL);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(mm_inst_get_slot(rt, o, i), MM_NULL);
        }
        assert_true(mm_gc_is_tracked(mm_deref(rt, o)));
        fx_check(&F, o);
        mm_decref(rt, o);
    }
    dirty_class(64);
    mm_h l = mm_list_new(rt, 0);
    assert_int_equal(mm_list_len(rt, l), 0);
    assert_int_equal(mm_list_capacity(rt, l), 0);
    mm_h d = mm_dict_new(rt);
    assert_int_equal(mm_dict_len(rt, d), 0);
    fx_check(&F, l, d);
    mm_decref(rt, l);
    mm_decref(rt, d);
    assert_int_equal(port_misuse_count(), 0);
    assert_int_equal(mm_rt_live(rt), 0);
}

/* ------------------------------------------------ leaves */

static void test_leaf_fields_written(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    static const int64_t vals[] = {257, -6, 1000, INT64_MAX, INT64_MIN, 0x100000000LL,
                                   -0x100000001LL};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        dirty_class(12);
        mm_h h = mm_int_new(rt, vals[i]);
        assert_false(mm_h_is_immortal(h));
        assert_true(mm_int_value(rt, h) == vals[i]);
        assert_int_equal(mm_refcount(rt, h), 1);
        mm_decref(rt, h);
    }
    assert_int_equal(mm_int_new(rt, 256), mm_small_int(256)); /* cached */
    assert_int_equal(mm_int_new(rt, -5), mm_small_int(-5));
    /* strs of every length around the small/large boundary */
    static char text[600];
    for (size_t i = 0; i < sizeof text; i++) {
        text[i] = (char)('a' + i % 26u);
    }
    for (size_t n = 0; n < sizeof text; n += 37) {
        dirty_class(n + 13u > MM_CFG_SMALL_MAX ? 8 : n + 13u);
        mm_h s = mm_str_new(rt, text, n);
        size_t len = 99;
        const char *b = mm_str_data(rt, s, &len);
        assert_int_equal(len, n);
        assert_memory_equal(b, text, n);
        assert_int_equal(b[n], '\0');
        mm_h u = mm_str_upper(rt, s);
        b = mm_str_data(rt, u, &len);
        assert_int_equal(len, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(b[i], text[i] - 'a' + 'A');
        }
        assert_true(mm_obj_eq(rt, s, s) && (n == 0 || !mm_obj_eq(rt, s, u)));
        assert_int_equal(mm_obj_hash(rt, s), mm_fnv1a(text, n));
        fx_check(&F, s, u);
        mm_decref(rt, u);
        mm_decref(rt, s);
    }
    assert_int_equal(port_misuse_count(), 0);
    assert_int_equal(mm_rt_live(rt), 0);
}

/* A chain of 5,000 lists, each holding boxed ints and a str, and the next
 * list: one decref frees it all (the leaves while the drain runs). */
static void test_leaves_freed_inside_drain(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    size_t used0 = fx_used(&F);
    uint32_t freed0 = rt->freed;
    mm_h head = mm_list_new(rt, 0), cur = head;
    mm_incref(rt, head);
    for (int i = 0; i < 5000; i++) {
        mm_h a = mm_int_new(rt, 1000 + i), b = mm_str_from(rt, "leaf");
        mm_h next = mm_list_new(rt, 0);
        assert_true(a != MM_NULL && b != MM_NULL && next != MM_NULL);
        assert_int_equal(mm_list_append(rt, cur, a), MMO_OK);
        assert_int_equal(mm_list_append(rt, cur, b), MMO_OK);
        assert_int_equal(mm_list_append(rt, cur, next), MMO_OK);
        mm_decref(rt, a);
        mm_decref(rt, b);
        mm_decref(rt, cur);
        cur = next;
    }
    mm_decref(rt, cur);
    assert_int_equal(mm_rt_live(rt), 1u + 3u * 5000u);
    fx_check(&F, head);
    mm_decref(rt, head);
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(rt->freed - freed0, 1u + 3u * 5000u);
    assert_int_equal(rt->pending, 0);
    assert_false(rt->draining);
    assert_int_equal(fx_used(&F), used0);
    fx_check(&F, MM_NULL);
}

/* ------------------------------------------------ checked boundaries */

static void test_checked_boundaries(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h x = mm_int_new(rt, 5000);
    uint32_t idx = mm_h_index(x);
    /* up to MM_RC_MAX through the fast path, then overflow is refused */
    mm_rc_set(rt, idx, MM_RC_MAX - 1u);
    assert_true(mm_incref_at(rt, x, MM_HERE));
    assert_int_equal(mm_refcount(rt, x), MM_RC_MAX);
    assert_false(mm_incref_at(rt, x, MM_HERE));
    assert_misuse("refcount overflow");
    assert_int_equal(mm_refcount(rt, x), MM_RC_MAX);
    assert_true(mm_decref_at(rt, x, MM_HERE));
    assert_int_equal(mm_refcount(rt, x), MM_RC_MAX - 1u);
    /* refcount 0 (the collector at work): incref restores, decref refuses */
    mm_rc_set(rt, idx, 0);
    assert_false(mm_decref_at(rt, x, MM_HERE));
    assert_misuse("refcount already 0");
    assert_true(mm_incref_at(rt, x, MM_HERE));
    assert_int_equal(mm_refcount(rt, x), 1);
    /* 2 -> 1 -> freed -> double decref reported, nothing changed */
    assert_true(mm_incref_at(rt, x, MM_HERE));
    assert_true(mm_decref_at(rt, x, MM_HERE));
    assert_int_equal(mm_refcount(rt, x), 1);
    uint32_t live = mm_rt_live(rt);
    assert_true(mm_decref_at(rt, x, MM_HERE));
    assert_int_equal(mm_rt_live(rt), live - 1u);
    assert_int_equal(port_misuse_count(), 0);
    assert_false(mm_decref_at(rt, x, MM_HERE));
    assert_misuse("double decref");
    assert_false(mm_incref_at(rt, x, MM_HERE));
    assert_misuse("stale handle");
    /* null and immortal handles: accepted no-ops */
    assert_true(mm_incref_at(rt, MM_NULL, MM_HERE));
    assert_true(mm_decref_at(rt, MM_NULL, MM_HERE));
    assert_true(mm_incref_at(rt, mm_small_int(7), MM_HERE));
    assert_true(mm_decref_at(rt, mm_small_int(7), MM_HERE));
    /* a forged handle (never issued index) */
    assert_false(mm_decref_at(rt, mm_h_make(SLOTS - 2u, 1) | (x & MM_H_TAG_MASK), MM_HERE));
    assert_misuse("forged");
    assert_int_equal(port_misuse_count(), 0);
    fx_check(&F, MM_NULL);
}

/* A container at refcount 1 freed by the checked decref: the children go. */
static void test_checked_frees_container(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h l = mm_list_new(rt, 4), x = mm_int_new(rt, 4242);
    mm_list_append(rt, l, x);
    assert_int_equal(mm_refcount(rt, x), 2);
    assert_true(mm_decref_at(rt, l, MM_HERE));
    assert_int_equal(mm_refcount(rt, x), 1);
    assert_int_equal(mm_rt_live(rt), 1);
    assert_false(mm_decref_at(rt, l, MM_HERE));
    assert_misuse("double decref");
    mm_decref(rt, x);
    assert_int_equal(mm_rt_live(rt), 0);
}

/* ------------------------------------------------ hooks and counters */

static int born_seen, died_seen;

static void count_hook(mm_rt *rt, mm_obj *o, bool born)
{
    (void)rt;
    assert_true(mm_gc_is_tracked(o));
    if (born) {
        born_seen++;
    } else {
        died_seen++;
    }
}

static void test_track_hook_and_counters(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    static const mm_class Pair = {"Pair", 2, NULL, false};
    uint32_t pair = mm_class_register(rt, &Pair);
    born_seen = died_seen = 0;
    mm__rt_set_track_hook(rt, count_hook);
    uint32_t live0 = mm_rt_live(rt), freed0 = rt->freed, peak0 = rt->live_peak;
    mm_h i = mm_int_new(rt, 99999), s = mm_str_from(rt, "x");
    assert_int_equal(born_seen, 0); /* leaves are not tracked */
    mm_h l = mm_list_new(rt, 0), p = mm_inst_new(rt, pair), d = mm_dict_new(rt);
    assert_int_equal(born_seen, 3);
    assert_int_equal(mm_rt_live(rt), live0 + 5u);
    assert_true(rt->live_peak >= live0 + 5u && rt->live_peak >= peak0);
    mm_inst_set_slot(rt, p, 0, l);
    mm_decref(rt, i);
    mm_decref(rt, s);
    assert_int_equal(died_seen, 0);
    mm_decref(rt, l);
    assert_int_equal(died_seen, 0); /* p still holds l */
    mm_decref(rt, p);
    assert_int_equal(died_seen, 2);
    mm_decref(rt, d);
    assert_int_equal(died_seen, 3);
    mm__rt_set_track_hook(rt, NULL);
    assert_int_equal(mm_rt_live(rt), live0);
    assert_int_equal(rt->freed - freed0, 5);
    assert_true(rt->live_peak >= live0 + 5u);
}

/* An instance reaching zero with no collector hook drops its fields in
 * place while no child reaches zero, and is then freed at once (also
 * inside a drain); a child that would reach zero sends it to the general
 * path, which must not drop the fields already dropped a second time. */
static void test_inst_fields_dropped_inline(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    static const mm_class Trio = {"Trio", 3, NULL, false};
    uint32_t trio = mm_class_register(rt, &Trio);
    uint32_t freed0 = rt->freed;
    mm_h a = mm_int_new(rt, 4242); /* shared: ours plus the instances' */
    /* fields: shared a, an immortal, unset -> freed at once */
    mm_h p = mm_inst_new(rt, trio);
    assert_int_equal(mm_inst_set_slot(rt, p, 0, a), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, p, 1, mm_small_int(7)), MMO_OK);
    assert_int_equal(mm_refcount(rt, a), 2);
    mm_decref(rt, p);
    assert_int_equal(mm_refcount(rt, a), 1);
    assert_int_equal(rt->freed - freed0, 1);
    assert_int_equal(rt->pending, 0);
    fx_check(&F, a);
    /* fields: shared a (dropped inline), then x held only here (reaches
     * zero: general path), then an immortal */
    mm_h q = mm_inst_new(rt, trio), x = mm_str_from(rt, "only here");
    assert_int_equal(mm_inst_set_slot(rt, q, 0, a), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, q, 1, x), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, q, 2, mm_small_int(-1)), MMO_OK);
    mm_decref(rt, x);
    mm_decref(rt, q);
    assert_int_equal(mm_refcount(rt, a), 1);
    assert_int_equal(rt->freed - freed0, 3);
    fx_check(&F, a);
    /* inside a drain: a list holds the only reference to an instance that
     * holds a; freeing the list frees the instance from the drain */
    mm_h l = mm_list_new(rt, 0), r = mm_inst_new(rt, trio);
    assert_int_equal(mm_inst_set_slot(rt, r, 2, a), MMO_OK);
    assert_int_equal(mm_list_append(rt, l, r), MMO_OK);
    mm_decref(rt, r);
    assert_int_equal(mm_refcount(rt, a), 2);
    mm_decref(rt, l);
    assert_int_equal(mm_refcount(rt, a), 1);
    assert_int_equal(rt->freed - freed0, 5);
    assert_int_equal(rt->pending, 0);
    assert_false(rt->draining);
    fx_check(&F, a);
    mm_decref(rt, a);
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(port_misuse_count(), 0);
    fx_check(&F, MM_NULL);
}

/* The inline create and free of instances of rt->inst16 classes (2
 * slots, no dict): only those classes are in the mask; their fields (and
 * a 3-slot instance's, made by the general path) start null, also in a
 * reused block; an instance whose fields are null or immortal is freed at
 * once, one with a live child, or any while a collector hook is attached,
 * takes the general path; a stale handle of a freed one is still caught. */
static void test_inst16_fast_paths(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    static const mm_class One = {"One", 1, NULL, false};
    static const mm_class Pair2 = {"Pair2", 2, NULL, false};
    static const mm_class Trio3 = {"Trio3", 3, NULL, false};
    static const mm_class Quad = {"Quad", 4, NULL, false};
    static const mm_class Dicty = {"Dicty", 0, NULL, true};
    uint32_t one = mm_class_register(rt, &One), pair = mm_class_register(rt, &Pair2);
    uint32_t trio = mm_class_register(rt, &Trio3), quad = mm_class_register(rt, &Quad);
    uint32_t dicty = mm_class_register(rt, &Dicty);
    const uint32_t ids[5] = {one, pair, trio, quad, dicty};
    const bool in16[5] = {false, true, false, false, false};
    for (size_t k = 0; k < 5; k++) {
        assert_true(ids[k] >= MM_T_CLASS0 && ids[k] < 32u);
        assert_int_equal((rt->inst16 << ids[k]) >> 31, in16[k] ? 1u : 0u);
    }
    assert_int_equal(rt->inst16 >> 16, 0u); /* builtin ids never */
    /* fields set to immortals, the block freed, then reused: all null */
    for (uint32_t c = pair; c <= trio; c++) {
        uint32_t n = c == pair ? 2u : 3u, freed0 = rt->freed;
        mm_h p = mm_inst_new(rt, c);
        assert_int_not_equal(p, MM_NULL);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(mm_inst_set_slot(rt, p, i, mm_small_int((int32_t)i)), MMO_OK);
        }
        mm_sizeof sz;
        assert_int_equal(mm_getsizeof(rt, p, &sz), MMO_OK);
        assert_int_equal(sz.block, 16);
        assert_int_equal(sz.requested, 4u + 4u * n);
        mm_decref(rt, p); /* immortal fields: freed at once */
        assert_int_equal(rt->freed - freed0, 1);
        assert_int_equal(rt->pending, 0);
        mm_h q = mm_inst_new(rt, c);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(mm_inst_get_slot(rt, q, i), MM_NULL);
        }
        mm_decref(rt, q);
        fx_check(&F, MM_NULL);
    }
    /* a field set to a live child then unset: freed at once */
    mm_h a = mm_int_new(rt, 777777);
    mm_h p = mm_inst_new(rt, pair);
    assert_int_equal(mm_inst_set_slot(rt, p, 1, a), MMO_OK);
    assert_int_equal(mm_inst_set_slot(rt, p, 1, MM_NULL), MMO_OK);
    assert_int_equal(mm_refcount(rt, a), 1);
    mm_decref(rt, p);
    assert_int_equal(mm_refcount(rt, a), 1);
    /* a live child: the general path drops it once (and frees it when
     * that was the last reference) */
    p = mm_inst_new(rt, pair);
    assert_int_equal(mm_inst_set_slot(rt, p, 0, a), MMO_OK);
    mm_decref(rt, p);
    assert_int_equal(mm_refcount(rt, a), 1);
    p = mm_inst_new(rt, trio);
    assert_int_equal(mm_inst_set_slot(rt, p, 2, a), MMO_OK);
    mm_decref(rt, a); /* p holds the only reference */
    uint32_t live1 = mm_rt_live(rt);
    mm_decref(rt, p);
    assert_int_equal(mm_rt_live(rt), live1 - 2u);
    fx_check(&F, MM_NULL);
    /* a hook attached after the birth still hears of the death; births
     * while it is attached are heard too */
    born_seen = died_seen = 0;
    p = mm_inst_new(rt, pair);
    mm__rt_set_track_hook(rt, count_hook);
    assert_int_equal(rt->inst16, 0u); /* no inline path while hooked */
    mm_h q = mm_inst_new(rt, trio), q2 = mm_inst_new(rt, pair);
    assert_int_equal(born_seen, 2);
    mm_decref(rt, p);
    mm_decref(rt, q);
    mm_decref(rt, q2);
    assert_int_equal(died_seen, 3);
    /* a 2-slot class registered while hooked: in the mask once unhooked */
    static const mm_class Pair3 = {"Pair3", 2, NULL, false};
    uint32_t pair3 = mm_class_register(rt, &Pair3);
    assert_int_equal(rt->inst16, 0u);
    mm__rt_set_track_hook(rt, NULL);
    assert_int_equal((rt->inst16 << pair3) >> 31, 1u);
    assert_int_equal((rt->inst16 << pair) >> 31, 1u);
    p = mm_inst_new(rt, pair3); /* inline, unheard */
    mm_decref(rt, p);
    assert_int_equal(born_seen, 2);
    assert_int_equal(died_seen, 3);
    /* a stale handle of an instance freed inline: caught, nothing changed */
    p = mm_inst_new(rt, pair);
    mm_decref(rt, p);
    assert_int_equal(port_misuse_count(), 0);
    uint32_t live2 = mm_rt_live(rt);
    assert_false(mm_decref_at(rt, p, MM_HERE)); /* double decref */
    assert_int_equal(mm_rt_live(rt), live2);
    assert_misuse("double decref");
    assert_int_equal(mm_rt_live(rt), 0);
    fx_check(&F, MM_NULL);
}

/* live_peak is kept only when a never-used slot is taken: it must still be
 * the exact high-water mark of live objects. */
static void test_live_peak_exact(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(rt->live_peak, 0);
    static const mm_class Empty = {"Empty", 0, NULL, false};
    uint32_t empty = mm_class_register(rt, &Empty);
    mm_h h[5];
    for (int i = 0; i < 3; i++) {
        h[i] = mm_int_new(rt, 1000 + i);
    }
    assert_int_equal(rt->live_peak, 3);
    for (int i = 0; i < 3; i++) {
        mm_decref(rt, h[i]);
    }
    h[0] = mm_int_new(rt, 1); /* immortal: not live */
    h[1] = mm_int_new(rt, 1000); /* from the free list: no new peak */
    h[2] = mm_inst_new(rt, empty);
    assert_int_equal(mm_rt_live(rt), 2);
    assert_int_equal(rt->live_peak, 3);
    h[3] = mm_str_from(rt, "three");
    h[4] = mm_list_new(rt, 0); /* live 4: a fresh slot, a new peak */
    assert_int_equal(mm_rt_live(rt), 4);
    assert_int_equal(rt->live_peak, 4);
    for (int i = 1; i < 5; i++) {
        mm_decref(rt, h[i]);
    }
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(rt->live_peak, 4);
    assert_int_equal(rt->created - rt->freed, 0);
    fx_check(&F, MM_NULL);
}

static void test_class_of_id(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    static const mm_class K = {"K", 1, NULL, false};
    assert_null(mm_class_of_id(rt, 0));
    assert_null(mm_class_of_id(rt, MM_T_INT));
    assert_null(mm_class_of_id(rt, MM_T_CLASS0 - 1u));
    assert_null(mm_class_of_id(rt, MM_T_CLASS0)); /* none registered yet */
    uint32_t id = mm_class_register(rt, &K);
    assert_int_equal(id, MM_T_CLASS0);
    assert_ptr_equal(mm_class_of_id(rt, id), &K);
    assert_null(mm_class_of_id(rt, id + 1u));
    assert_null(mm_class_of_id(rt, UINT32_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_container_bodies_zeroed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_fields_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaves_freed_inside_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checked_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checked_frees_container, setup, teardown),
        cmocka_unit_test_setup_teardown(test_track_hook_and_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inst_fields_dropped_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inst16_fast_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_peak_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_class_of_id, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
