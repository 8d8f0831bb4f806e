/*
 * test_inst_dict.c - regular (dict) classes with key-sharing values,
 * interned strs, and the emergency collection's own switch:
 * - shared keys: values inline, the class's width and block sizes, a
 *   width growth that moves every instance (values and handles kept);
 * - splitting to a per-instance dict: an attribute the shared keys lack,
 *   a deletion, a different insertion order;
 * - __dict__ made on demand (mm_inst_dict), then set and deleted through
 *   both views, which stay one;
 * - interning: `is` between equal interned strs, names given as C strings
 *   never allocated again, across a collection and a compaction, the
 *   table emptied and freed when the last interned str dies;
 * - the emergency switch on its own, and its counters.
 * After each step: mm_check, mm_obj_check (refcounts re-derived, shared
 * keys included) and mm_gc_check.
 */
#include "obj_fixture.h"

#include "fmt/mm_fmt.h"
#include "gc/mm_gc.h"

static const mm_class Node = {"Node", 0, NULL, true};
static const mm_class User = {"User", 0, NULL, true};

typedef struct tfx {
    fixture fx;
    mm_gc gc;
    uint32_t node, user;
} tfx;

static int setup(void **state)
{
    tfx *t = (tfx *)calloc(1, sizeof *t);
    fx_open(&t->fx, 1u << 20, 1u << 14);
    assert_int_equal(mm_gc_init(&t->gc, &t->fx.rt), MMO_OK);
    t->node = mm_class_register(&t->fx.rt, &Node);
    t->user = mm_class_register(&t->fx.rt, &User);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tfx *t = (tfx *)*state;
    mm_gc_fini(&t->gc);
    fx_close(&t->fx);
    free(t);
    return 0;
}

static void check_all(tfx *t, const mm_h *ext, size_t n)
{
    fx_check_ext(&t->fx, ext, n);
    const char *what = NULL;
    if (mm_gc_check(&t->gc, &what) != MMO_OK) {
        fail_msg("mm_gc_check: %s", what);
    }
    assert_int_equal(port_misuse_count(), 0);
}
#define CHECK(t, ...)                                                          \
    do {                                                                       \
        const mm_h ext_[] = {MM_NULL, __VA_ARGS__};                            \
        check_all((t), ext_, sizeof ext_ / sizeof ext_[0]);                    \
    } while (0)

static size_t block_of(mm_rt *rt, mm_h h)
{
    mm_sizeof s;
    assert_int_equal(mm_getsizeof(rt, h, &s), MMO_OK);
    return s.block;
}

/* Nothing left: objects, blocks (class keys and intern table too). */
static void assert_empty(tfx *t)
{
    assert_int_equal(mm_rt_live(&t->fx.rt), 0);
    assert_int_equal(fx_used(&t->fx), 0);
    assert_int_equal(mm_str_intern_table_bytes(&t->fx.rt), 0);
}

static void test_shared_values(void **state)
{
    tfx *t = (tfx *)*state;
    mm_rt *rt = &t->fx.rt;
    mm_h a = mm_inst_new(rt, t->node), b = mm_inst_new(rt, t->node);
    assert_int_equal(block_of(rt, a), 8); /* header + one value word */
    assert_int_equal(mm_inst_setattr(rt, a, "next", b), MMO_OK);
    assert_int_equal(mm_inst_setattr(rt, b, "next", a), MMO_OK);
    assert_int_equal(block_of(rt, a), 8);
    assert_false(mm_inst_has_dict(rt, a));
    assert_true(mm_inst_getattr(rt, a, "next") == b);
    assert_true(mm_inst_getattr(rt, b, "next") == a);
    assert_int_equal(mm_inst_getattr(rt, a, "prev"), MM_NULL);
    assert_int_equal(mm_rt_error(rt), MMO_KEY);
    port_reset_misuse();
    CHECK(t, a, b);
    /* setattr of a known name: no object made, no block taken */
    uint32_t created = rt->created;
    size_t used = fx_used(&t->fx);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(mm_inst_setattr(rt, a, "next", b), MMO_OK);
    }
    assert_int_equal(rt->created, created);
    assert_int_equal(fx_used(&t->fx), used);
    /* a second name: the class widens to 3 words, both instances move */
    mm_h s = mm_str_from(rt, "x");
    assert_int_equal(mm_inst_setattr(rt, a, "name", s), MMO_OK);
    assert_int_equal(block_of(rt, a), 16);
    assert_int_equal(block_of(rt, b), 16);
    assert_true(mm_inst_getattr(rt, a, "next") == b);
    assert_true(mm_inst_getattr(rt, b, "next") == a);
    assert_true(mm_inst_getattr(rt, a, "name") == s);
    assert_int_equal(mm_inst_setattr(rt, b, "name", s), MMO_OK); /* in order: shared */
    assert_false(mm_inst_has_dict(rt, b));
    CHECK(t, a, b, s);
    mm_decref(rt, s);
    mm_decref(rt, a);
    mm_decref(rt, b);
    mm_gc_result r;
    assert_int_equal(mm_gc_collect(&t->gc, 2, &r), 2);
    assert_int_equal(r.managed_dicts, 0);
    CHECK(t);
    assert_empty(t); /* the class's keys went with its last instance */
}

static void test_split(void **state)
{
    tfx *t = (tfx *)*state;
    mm_rt *rt = &t->fx.rt;
    mm_h v1 = mm_int_new(rt, 1000), v2 = mm_int_new(rt, 2000);
    mm_h a = mm_inst_new(rt, t->user), b = mm_inst_new(rt, t->user);
    mm_h c = mm_inst_new(rt, t->user), d = mm_inst_new(rt, t->user);
    assert_int_equal(mm_inst_setattr(rt, a, "name", v1), MMO_OK);
    assert_int_equal(mm_inst_setattr(rt, a, "age", v2), MMO_OK);
    /* other order: b unshares */
    assert_int_equal(mm_inst_setattr(rt, b, "age", v2), MMO_OK);
    assert_true(mm_inst_has_dict(rt, b));
    assert_int_equal(mm_inst_setattr(rt, b, "name", v1), MMO_OK);
    assert_true(mm_inst_getattr(rt, b, "name") == v1 && mm_inst_getattr(rt, b, "age") == v2);
    /* a name the keys lack while c lacks "age": c unshares */
    assert_int_equal(mm_inst_setattr(rt, c, "name", v1), MMO_OK);
    assert_false(mm_inst_has_dict(rt, c));
    assert_int_equal(mm_inst_setattr(rt, c, "email", v2), MMO_OK);
    assert_true(mm_inst_has_dict(rt, c));
    assert_true(mm_inst_getattr(rt, c, "name") == v1 && mm_inst_getattr(rt, c, "email") == v2);
    assert_int_equal(mm_inst_getattr(rt, c, "age"), MM_NULL);
    /* a deletion: d unshares, the rest stays */
    assert_int_equal(mm_inst_setattr(rt, d, "name", v1), MMO_OK);
    assert_int_equal(mm_inst_setattr(rt, d, "age", v2), MMO_OK);
    assert_int_equal(mm_inst_delattr(rt, d, "zip"), MMO_KEY);
    assert_false(mm_inst_has_dict(rt, d));
    assert_int_equal(mm_inst_delattr(rt, d, "name"), MMO_OK);
    assert_true(mm_inst_has_dict(rt, d));
    assert_int_equal(mm_inst_getattr(rt, d, "name"), MM_NULL);
    assert_true(mm_inst_getattr(rt, d, "age") == v2);
    assert_int_equal(mm_inst_delattr(rt, d, "name"), MMO_KEY);
    /* a stays shared; all agree with the checker */
    assert_false(mm_inst_has_dict(rt, a));
    assert_true(mm_inst_getattr(rt, a, "age") == v2);
    CHECK(t, v1, v2, a, b, c, d);
    mm_h all[] = {v1, v2, a, b, c, d};
    for (size_t i = 0; i < 6; i++) {
        mm_decref(rt, all[i]);
    }
    CHECK(t);
    assert_empty(t);
}

static void test_dict_views(void **state)
{
    tfx *t = (tfx *)*state;
    mm_rt *rt = &t->fx.rt;
    mm_h a = mm_inst_new(rt, t->user), v = mm_int_new(rt, 5000), w = mm_int_new(rt, 6000);
    assert_int_equal(mm_inst_setattr(rt, a, "name", v), MMO_OK);
    mm_h d = mm_inst_dict(rt, a);
    assert_true(d != MM_NULL);
    assert_true(mm_inst_dict(rt, a) == d); /* made once */
    assert_true(mm_inst_has_dict(rt, a));
    assert_int_equal(mm_dict_len(rt, d), 1);
    assert_true(mm_dict_get_str(rt, d, "name") == v);
    /* set through the dict, read through the instance, and back */
    assert_int_equal(mm_dict_set_str(rt, d, "age", w), MMO_OK);
    assert_true(mm_inst_getattr(rt, a, "age") == w);
    assert_int_equal(mm_inst_setattr(rt, a, "city", v), MMO_OK);
    assert_true(mm_dict_get_str(rt, d, "city") == v);
    /* delete through each */
    assert_int_equal(mm_dict_del_str(rt, d, "name"), MMO_OK);
    assert_int_equal(mm_inst_getattr(rt, a, "name"), MM_NULL);
    assert_int_equal(mm_inst_delattr(rt, a, "age"), MMO_OK);
    assert_int_equal(mm_dict_get_str(rt, d, "age"), MM_NULL);
    assert_int_equal(mm_dict_len(rt, d), 1);
    /* keys in the dict are the interned names */
    mm_h key = mm_str_intern_from(rt, "city");
    size_t pos = 0;
    mm_h k, val;
    assert_true(mm_dict_next(rt, d, &pos, &k, &val));
    assert_true(mm_is(k, key));
    mm_decref(rt, key);
    CHECK(t, a, v, w);
    mm_decref(rt, v);
    mm_decref(rt, w);
    mm_decref(rt, a);
    CHECK(t);
    assert_empty(t);
}

/* Three instances share one name, then one of them takes a second: every
 * instance moves to the wider block, whatever its form. A dict view made
 * before stays the same object. */
static void test_growth_moves_all(void **state)
{
    tfx *t = (tfx *)*state;
    mm_rt *rt = &t->fx.rt;
    mm_h n[3], v = mm_int_new(rt, 7777);
    for (int i = 0; i < 3; i++) {
        n[i] = mm_inst_new(rt, t->node);
        assert_int_equal(mm_inst_setattr(rt, n[i], "a", v), MMO_OK);
    }
    mm_h d = mm_inst_dict(rt, n[2]);
    char name[8];
    for (int k = 0; k < (int)MM_INST_KEYS_MAX + 3; k++) { /* past the most shared */
        mm_snprintf(name, sizeof name, "k%d", k);
        assert_int_equal(mm_inst_setattr(rt, n[0], name, v), MMO_OK);
        CHECK(t, n[0], n[1], n[2], v);
    }
    assert_true(mm_inst_has_dict(rt, n[0])); /* over the limit: its own dict */
    assert_int_equal(block_of(rt, n[1]), 8 + 4 * (MM_INST_KEYS_MAX - 1));
    assert_true(mm_inst_getattr(rt, n[1], "a") == v);
    assert_true(mm_inst_dict(rt, n[2]) == d);
    assert_true(mm_dict_get_str(rt, d, "a") == v);
    for (int i = 0; i < 3; i++) {
        mm_decref(rt, n[i]);
    }
    mm_decref(rt, v);
    CHECK(t);
    assert_empty(t);
}

static void test_intern(void **state)
{
    tfx *t = (tfx *)*state;
    mm_rt *rt = &t->fx.rt;
    mm_h a = mm_str_from(rt, "hello"), b = mm_str_from(rt, "hello");
    assert_false(mm_is(a, b));
    mm_h ia = mm_str_intern(rt, a), ib = mm_str_intern(rt, b);
    assert_true(mm_is(ia, ib) && mm_is(ia, a)); /* the first one interned */
    assert_true(mm_str_is_interned(rt, a));
    assert_false(mm_str_is_interned(rt, b));
    mm_h ic = mm_str_intern_from(rt, "hello");
    assert_true(mm_is(ic, a));
    assert_true(mm_str_intern_table_bytes(rt) > 0);
    /* a large interned str (a relocatable block) across a compaction, and
     * everything across a full collection */
    char big[600];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mm_h hole = mm_str_from(rt, big), large = mm_str_intern_from(rt, big + 1);
    mm_decref(rt, hole);
    mm_gc_result r;
    mm_gc_collect(&t->gc, 2, &r);
    (void)mm_compact(t->fx.heap);
    mm_h again = mm_str_intern_from(rt, big + 1);
    assert_true(mm_is(again, large));
    size_t n;
    assert_int_equal(strlen(mm_str_data(rt, large, &n)), sizeof big - 2);
    mm_h ie = mm_str_intern_from(rt, "hello");
    assert_true(mm_is(ie, a));
    CHECK(t, a, b, ia, ib, ic, large, again, ie);
    mm_h all[] = {ia, ib, ic, ie, b, large, again};
    for (size_t i = 0; i < 7; i++) {
        mm_decref(rt, all[i]);
    }
    assert_true(mm_str_intern_table_bytes(rt) > 0); /* a is still alive */
    mm_decref(rt, a);
    /* a new "hello" is a new object, interned afresh */
    mm_h fresh = mm_str_intern_from(rt, "hello");
    assert_true(mm_str_is_interned(rt, fresh));
    mm_decref(rt, fresh);
    CHECK(t);
    assert_empty(t);
}

/* Attribute names given as C strings stay interned while the class has an
 * instance, across a collection and a compaction: no allocation per call. */
static void test_names_interned_once(void **state)
{
    tfx *t = (tfx *)*state;
    mm_rt *rt = &t->fx.rt;
    mm_h a = mm_inst_new(rt, t->node);
    assert_int_equal(mm_inst_setattr(rt, a, "next", a), MMO_OK);
    mm_h name = mm_str_intern_from(rt, "next"); /* the class's own key */
    assert_int_equal(mm_refcount(rt, name), 2);
    mm_gc_result r;
    mm_gc_collect(&t->gc, 2, &r);
    (void)mm_compact(t->fx.heap);
    uint32_t created = rt->created;
    mm_h b = mm_inst_new(rt, t->node);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(mm_inst_setattr(rt, b, "next", a), MMO_OK);
        assert_true(mm_inst_getattr(rt, b, "next") == a);
    }
    assert_int_equal(rt->created, created + 1u); /* b alone */
    assert_int_equal(mm_refcount(rt, name), 2);
    CHECK(t, a, b, name);
    mm_decref(rt, name);
    mm_decref(rt, b);
    mm_decref(rt, a);
    mm_gc_collect(&t->gc, 2, &r);
    CHECK(t);
    assert_empty(t);
}

/* The emergency collection is its own switch: with automatic collection
 * disabled it still runs; switched off, an allocation that garbage alone
 * blocks gets MemoryError; the counters say which ran. */
static void test_emergency_switch(void **state)
{
    (void)state;
    fixture fx;
    mm_gc gc;
    fx_open(&fx, 64u << 10, 4096);
    mm_rt *rt = &fx.rt;
    assert_int_equal(mm_gc_init(&gc, rt), MMO_OK);
    assert_true(mm_gc_emergency_enabled(&gc));
    mm_gc_disable(&gc);
    mm_gc_set_emergency(&gc, false);
    assert_false(mm_gc_emergency_enabled(&gc));
    uint32_t rings = 0;
    for (;;) { /* garbage rings until the heap is full */
        mm_h a = mm_list_new(rt, 8);
        if (a == MM_NULL) {
            break;
        }
        mm_list_append(rt, a, a);
        mm_decref(rt, a);
        rings++;
    }
    assert_true(mm_is_memory_error(mm_rt_error(rt)));
    mm_gc_counters c = mm_gc_get_counters(&gc);
    assert_int_equal(c.emergency, 0);
    assert_true(c.emergency_off > 0);
    assert_int_equal(c.automatic, 0);
    assert_int_equal(mm_gc_get_stats(&gc, 2).collections, 0);
    assert_int_equal(mm_rt_live(rt), rings); /* nothing was collected */
    mm_gc_set_emergency(&gc, true); /* on again: the same allocation succeeds */
    mm_h l = mm_list_new(rt, 8);
    assert_true(l != MM_NULL);
    c = mm_gc_get_counters(&gc);
    assert_int_equal(c.emergency, 1);
    assert_int_equal(mm_gc_get_stats(&gc, 2).collections, 1);
    assert_int_equal(mm_rt_live(rt), 1);
    mm_decref(rt, l);
    mm_gc_enable(&gc); /* automatic collections are counted apart */
    mm_gc_set_threshold(&gc, 10, 10, 10);
    for (int i = 0; i < 50; i++) {
        mm_h x = mm_list_new(rt, 0);
        mm_list_append(rt, x, x);
        mm_decref(rt, x);
    }
    c = mm_gc_get_counters(&gc);
    assert_true(c.automatic > 0);
    assert_int_equal(c.emergency, 1);
    fx_check(&fx);
    mm_gc_fini(&gc);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shared_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dict_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_growth_moves_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_interned_once, setup, teardown),
        cmocka_unit_test(test_emergency_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
