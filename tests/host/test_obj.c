/*
 * test_obj.c - handles, refcounts and the object types.
 *
 * Each test builds a fresh heap + runtime, and ends with mm_check and
 * mm_obj_check (every refcount re-derived from the graph) passing, and
 * with every block given back to the heap.
 */
#include "obj_fixture.h"

#define REGION (1u << 20)
#define SLOTS 4096u

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

/* ------------------------------------------------------------ handles */

static void test_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(mm_obj), 4);
    assert_int_equal(sizeof(mm_h), 4);
    mm_obj o = {0};
    o.hdr = mm_hdr_make(MM_T_LIST, 12345);
    mm_gc_set_gen(&o, 2);
    mm_gc_set_scanned(&o, true);
    mm_gc_set_tracked(&o, true);
    assert_int_equal(mm_hdr_type(&o), MM_T_LIST);
    assert_int_equal(mm_hdr_slot(&o), 12345);
    assert_int_equal(mm_gc_gen(&o), 2);
    assert_true(mm_gc_is_scanned(&o));
    assert_false(mm_gc_is_reached(&o));
    assert_true(mm_gc_is_tracked(&o));
    assert_false(mm_obj_is_immortal(&o));
    mm_gc_set_scanned(&o, false);
    mm_gc_set_gen(&o, 0);
    assert_int_equal(mm_hdr_type(&o), MM_T_LIST);
    assert_int_equal(mm_hdr_slot(&o), 12345);
    assert_false(mm_gc_is_scanned(&o));
}

static void test_refcount_basic(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    size_t used0 = fx_used(&F);
    mm_h x = mm_list_new(rt, 0);
    assert_int_not_equal(x, MM_NULL);
    assert_int_equal(mm_refcount(rt, x), 1);
    mm_h y = x; /* y = x */
    mm_incref(rt, y);
    assert_int_equal(mm_refcount(rt, x), 2);
    assert_int_equal(mm_id(x), mm_id(y));
    fx_check(&F, x, y);
    mm_decref(rt, y); /* del y */
    assert_int_equal(mm_refcount(rt, x), 1);
    fx_check(&F, x);
    assert_int_equal(mm_rt_live(rt), 1);
    mm_decref(rt, x);
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(fx_used(&F), used0);
    assert_int_equal(mm_handle_status(rt, x), MMO_BADHANDLE);
    fx_check(&F);
}

static void test_fast_paths(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h x = mm_int_new(rt, 100000);
    mm_incref_fast(rt, x);
    mm_incref_fast(rt, x);
    assert_int_equal(mm_refcount(rt, x), 3);
    mm_decref_fast(rt, x);
    mm_decref_fast(rt, x);
    assert_int_equal(mm_refcount(rt, x), 1);
    /* null and immortal go to the sink: no write to flash, no free */
    for (int i = 0; i < 1000; i++) {
        mm_incref_fast(rt, MM_NULL);
        mm_decref_fast(rt, mm_small_int(7));
        mm_decref_fast(rt, MM_NULL);
    }
    assert_int_equal(mm_int_value(rt, mm_small_int(7)), 7);
    mm_decref_fast(rt, x);
    assert_int_equal(mm_rt_live(rt), 0);
    fx_check(&F);
}

static void test_rc_large_counts(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h x = mm_str_from(rt, "shared");
    for (uint32_t i = 1; i < 600000; i++) {
        mm_incref_fast(rt, x);
    }
    assert_int_equal(mm_refcount(rt, x), 600000);
    for (uint32_t i = 1; i < 600000; i++) {
        mm_decref_fast(rt, x);
    }
    assert_int_equal(mm_refcount(rt, x), 1);
    assert_int_equal(mm_rt_live(rt), 1);
    mm_rc_set(rt, mm_h_index(x), MM_RC_MAX);
    assert_int_equal(mm_refcount(rt, x), MM_RC_MAX);
    port_reset_misuse();
    assert_false(mm_incref_at(rt, x, MM_HERE));
    assert_misuse("refcount overflow");
    assert_int_equal(mm_refcount(rt, x), MM_RC_MAX);
    mm_rc_set(rt, mm_h_index(x), 1);
    mm_decref(rt, x);
    assert_int_equal(mm_rt_live(rt), 0);
}

/* ---------------------------------------------------------------- misuse */

static void test_misuse_stale_forged_double(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h keep = mm_list_new(rt, 0);
    mm_h x = mm_int_new(rt, 5000);
    mm_h l = mm_list_new(rt, 0);
    assert_int_equal(mm_list_append(rt, l, x), MMO_OK);
    mm_decref(rt, x);                  /* the list holds x now */
    mm_decref(rt, l);                  /* frees l, then x */
    port_reset_misuse();
    uint32_t live = mm_rt_live(rt);

    /* double decref (the slot is free, not reused yet) */
    if (MM_CFG_CHECKED_HANDLES) {
        mm_decref(rt, l);
        assert_misuse("double decref");
        mm_incref(rt, x);
        assert_misuse("stale handle");
    }
    assert_false(mm_decref_at(rt, l, MM_HERE));
    assert_misuse("double decref: object already freed");
    assert_null(mm_deref(rt, x));
    assert_misuse("stale handle: object already freed");
    assert_int_equal(mm_list_append(rt, l, keep), MMO_BADHANDLE);
    assert_misuse("stale handle");

    /* stale: slot reused by a new object of the same index */
    mm_h y = mm_int_new(rt, 6000);
    mm_h z = mm_int_new(rt, 7000);
    assert_true(mm_h_index(y) == mm_h_index(x) || mm_h_index(y) == mm_h_index(l));
    assert_true(mm_h_index(z) == mm_h_index(x) || mm_h_index(z) == mm_h_index(l));
    assert_int_not_equal(y, x);
    assert_int_equal(mm_list_len(rt, x), 0);
    assert_misuse("slot since reused");
    assert_int_equal(mm_int_value(rt, x), 0);
    assert_misuse("slot since reused");
    assert_false(mm_decref_at(rt, x, MM_HERE));
    assert_misuse("stale handle: object freed, slot since reused");
    assert_int_equal(mm_int_value(rt, y), 6000); /* untouched */
    assert_int_equal(mm_refcount(rt, y), 1);

    /* forged: index never used, epoch never issued, index 0, bad
     * immortal, and the dict tombstone value */
    const mm_h tag = y & MM_H_TAG_MASK; /* this runtime's (mm_obj.h, H2) */
    const mm_h forged[] = {
        mm_h_make(SLOTS - 1, 1) | tag, mm_h_make(mm_h_index(y), mm_h_epoch(y) + 1) | tag,
        mm_h_make(0, 3), MM_H_IMMORTAL | (300u << MM_H_INDEX_BITS),
        MM_H_IMMORTAL | 5u, MM_DICT_DUMMY, mm_h_make(mm_h_index(y), 0) | tag,
    };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        assert_null(mm_deref(rt, forged[i]));
        assert_misuse("forged handle");
        assert_false(mm_decref_at(rt, forged[i], MM_HERE));
        assert_misuse("forged handle");
        assert_false(mm_incref_at(rt, forged[i], MM_HERE));
        assert_misuse("forged handle");
    }
    /* null */
    assert_null(mm_deref(rt, MM_NULL));
    assert_misuse("null handle");
    assert_true(mm_decref_at(rt, MM_NULL, MM_HERE)); /* Py_XDECREF */
    assert_int_equal(port_misuse_count(), 0);

    /* wrong type, index out of range */
    assert_int_equal(mm_list_len(rt, y), 0);
    assert_misuse("wrong type: expected list, got int");
    assert_int_equal(mm_list_get(rt, keep, 0), MM_NULL);
    assert_misuse("list index out of range");
    assert_int_equal(mm_list_pop(rt, keep), MM_NULL);
    assert_misuse("pop from empty list");

    assert_int_equal(mm_rt_live(rt), live + 2);
    fx_check(&F, keep, y, z);
    mm_decref(rt, y);
    mm_decref(rt, z);
    mm_decref(rt, keep);
    fx_check(&F);
}

/* A slot whose epoch reaches the maximum is retired, never reused. */
static void test_epoch_retire(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h first = mm_int_new(rt, 1000);
    uint32_t idx = mm_h_index(first);
    mm_decref(rt, first);
    mm_h h = MM_NULL;
    for (uint32_t g = 2; g <= MM_H_EPOCH_MAX; g++) {
        h = mm_int_new(rt, 1000);
        assert_int_equal(mm_h_index(h), idx);
        assert_int_equal(mm_h_epoch(h), g);
        mm_decref(rt, h);
    }
    assert_int_equal(rt->retired, 1);
    mm_h next = mm_int_new(rt, 1000);
    assert_int_not_equal(mm_h_index(next), idx);
    assert_null(mm_deref(rt, h));
    assert_misuse("stale handle: object already freed");
    assert_null(mm_deref(rt, first));
    assert_misuse("slot since reused");
    fx_check(&F, next);
    mm_decref(rt, next);
}

/* ------------------------------------------------------------------ int */

static void test_int_identity(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    size_t used0 = fx_used(&F);
    mm_h a = mm_int_new(rt, 10), b = mm_int_new(rt, 10);
    assert_true(mm_is(a, b));
    assert_true(mm_is(mm_int_new(rt, 256), mm_int_new(rt, 256)));
    assert_true(mm_is(mm_int_new(rt, -5), mm_small_int(-5)));
    assert_int_equal(fx_used(&F), used0); /* cached ints cost no RAM */
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(mm_refcount(rt, a), MM_RC_IMMORTAL);
    mm_h c = mm_int_new(rt, 257), d = mm_int_new(rt, 257);
    mm_h e = mm_int_new(rt, 1000), f = mm_int_new(rt, 1000);
    mm_h g = mm_int_new(rt, -6);
    assert_false(mm_is(c, d));
    assert_false(mm_is(e, f));
    assert_true(mm_obj_eq(rt, c, d));
    assert_int_equal(mm_int_value(rt, c), 257);
    assert_int_equal(mm_int_value(rt, g), -6);
    assert_int_equal(mm_int_value(rt, mm_small_int(-5)), -5);
    assert_int_equal(mm_int_value(rt, mm_small_int(256)), 256);
    mm_h big = mm_int_new(rt, INT64_MIN), big2 = mm_int_new(rt, INT64_MAX);
    assert_true(mm_int_value(rt, big) == INT64_MIN);
    assert_true(mm_int_value(rt, big2) == INT64_MAX);
    mm_sizeof sz;
    assert_int_equal(mm_getsizeof(rt, c, &sz), MMO_OK);
    assert_int_equal(sz.requested, 12);
    assert_int_equal(sz.block, 16);
    assert_int_equal(sz.handle, sizeof(mm_slot));
    assert_int_equal(mm_getsizeof(rt, a, &sz), MMO_OK);
    assert_int_equal(sz.requested, 12);
    assert_int_equal(sz.block, 0);  /* flash */
    assert_int_equal(sz.handle, 0);
    assert_true(mm_int_check(rt, c));
    assert_false(mm_int_check(rt, MM_NULL));
    fx_check(&F, c, d, e, f, g, big, big2);
    mm_decref(rt, a); /* immortal: no-op */
    const mm_h all[] = {c, d, e, f, g, big, big2};
    for (size_t i = 0; i < 7; i++) {
        mm_decref(rt, all[i]);
    }
    assert_int_equal(fx_used(&F), used0);
    assert_int_equal(mm_int_value(rt, a), 10);
}

/* ------------------------------------------------------------------ str */

static void test_str(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    assert_int_equal(mm_fnv1a("", 0), 2166136261u);
    assert_int_equal(mm_fnv1a("a", 1), 0xe40c292cu);
    assert_int_equal(mm_fnv1a("foobar", 6), 0xbf9cf968u);
    mm_h s = mm_str_from(rt, "  hello, 世界 \n");
    size_t n;
    const char *p = mm_str_data(rt, s, &n);
    assert_int_equal(n, strlen("  hello, 世界 \n"));
    assert_string_equal(p, "  hello, 世界 \n");
    assert_int_equal(mm_obj_hash(rt, s), mm_fnv1a(p, n));
    mm_h t = mm_str_strip(rt, s);
    mm_h u = mm_str_upper(rt, t);
    assert_string_equal(mm_str_data(rt, t, NULL), "hello, 世界");
    assert_string_equal(mm_str_data(rt, u, NULL), "HELLO, 世界");
    mm_sizeof sz;
    mm_getsizeof(rt, u, &sz);
    assert_int_equal(sz.requested, 12 + strlen("HELLO, 世界") + 1);
    assert_int_equal(sz.block, (sz.requested + 7) & ~(size_t)7);
    /* invalid UTF-8: overlong, lone continuation, surrogate, truncated */
    const char *bad[] = {"\xc0\xaf", "\x80", "\xed\xa0\x80", "\xe4\xb8", "\xf5\x80\x80\x80"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(mm_str_from(rt, bad[i]), MM_NULL);
        assert_int_equal(mm_rt_error(rt), MMO_TYPE);
    }
    /* a large str (above MM_CFG_SMALL_MAX) */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mm_h b = mm_str_from(rt, big);
    assert_string_equal(mm_str_data(rt, b, NULL), big);
    mm_h b2 = mm_str_upper(rt, b);
    assert_int_equal(mm_str_data(rt, b2, NULL)[1998], 'X');
    assert_true(mm_obj_eq(rt, s, s));
    assert_false(mm_obj_eq(rt, s, t));
    fx_check(&F, s, t, u, b, b2);
    mm_decref(rt, s);
    mm_decref(rt, t);
    mm_decref(rt, u);
    mm_decref(rt, b);
    mm_decref(rt, b2);
    assert_int_equal(mm_rt_live(rt), 0);
}

/* ----------------------------------------------------------------- list */

static void test_list_growth(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    size_t used0 = fx_used(&F);
    mm_h l = mm_list_new(rt, 0);
    const size_t caps[] = {4, 4, 4, 4, 8, 8, 8, 8, 16};
    const size_t seq[] = {0, 4, 8, 16, 24, 32, 40, 52, 64, 76, 92, 108, 128};
    size_t k = 0, last = 0;
    for (int i = 0; i < 9; i++) {
        assert_int_equal(mm_list_append(rt, l, mm_small_int(i)), MMO_OK);
        assert_int_equal(mm_list_capacity(rt, l), caps[i]);
    }
    for (int i = 9; i < 120; i++) {
        mm_h x = mm_int_new(rt, 1000 + i);
        assert_int_equal(mm_list_append(rt, l, x), MMO_OK);
        mm_decref(rt, x);
    }
    /* the capacities met follow CPython's sequence */
    mm_h l2 = mm_list_new(rt, 0);
    for (int i = 0; i < 120; i++) {
        mm_list_append(rt, l2, mm_small_int(1));
        size_t c = mm_list_capacity(rt, l2);
        if (c != last) {
            assert_int_equal(c, seq[++k]);
            last = c;
        }
        /* slack bound: cap <= n + n/8 + 6 */
        size_t n = (size_t)i + 1;
        assert_true(c <= n + n / 8 + 6);
    }
    mm_sizeof sz;
    mm_getsizeof(rt, l2, &sz);
    size_t cap = mm_list_capacity(rt, l2);
    assert_int_equal(sz.requested, (sizeof(void *) == 8 ? 24u : 16u) + 4 * cap);
    assert_int_equal(mm_list_len(rt, l), 120);
    assert_int_equal(mm_int_value(rt, mm_list_get(rt, l, 3)), 3);
    assert_int_equal(mm_int_value(rt, mm_list_get(rt, l, 119)), 1119);
    fx_check(&F, l, l2);
    mm_decref(rt, l);
    mm_decref(rt, l2);
    assert_int_equal(fx_used(&F), used0);
}

static void test_list_ops(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h l = mm_list_new(rt, 10);
    assert_int_equal(mm_list_capacity(rt, l), 16);
    mm_h a = mm_str_from(rt, "a"), b = mm_int_new(rt, 999);
    mm_list_append(rt, l, a);
    mm_list_append(rt, l, b);
    mm_list_append(rt, l, a);
    assert_int_equal(mm_refcount(rt, a), 3);
    mm_list_set(rt, l, 2, b);
    assert_int_equal(mm_refcount(rt, a), 2);
    assert_int_equal(mm_refcount(rt, b), 3);
    mm_list_del(rt, l, 0);
    assert_int_equal(mm_refcount(rt, a), 1);
    assert_int_equal(mm_list_len(rt, l), 2);
    mm_h p = mm_list_pop(rt, l); /* NEW */
    assert_true(mm_is(p, b));
    assert_int_equal(mm_refcount(rt, b), 3);
    fx_check(&F, l, a, b, p);
    mm_decref(rt, p);
    assert_int_equal(mm_list_set(rt, l, 5, a), MMO_BADHANDLE);
    assert_misuse("list index out of range");
    /* a list containing itself: refcounting alone cannot free it */
    mm_list_append(rt, l, l);
    fx_check(&F, l, a, b);
    mm_list_del(rt, l, 1);
    mm_decref(rt, l);
    mm_decref(rt, a);
    mm_decref(rt, b);
    assert_int_equal(mm_rt_live(rt), 0);
    fx_check(&F);
}

/* ----------------------------------------------------------------- dict */

static void test_dict(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h d = mm_dict_new(rt);
    assert_int_equal(mm_dict_capacity(rt, d), 0);
    /* int keys: small and boxed; boxes compare by value */
    for (int i = 0; i < 1000; i++) {
        mm_h k = mm_int_new(rt, i * 7), v = mm_int_new(rt, i);
        assert_int_equal(mm_dict_set(rt, d, k, v), MMO_OK);
        mm_decref(rt, k);
        mm_decref(rt, v);
        size_t cap = mm_dict_capacity(rt, d);
        assert_true(cap >= 8 && (cap & (cap - 1)) == 0);
        assert_true(mm_dict_len(rt, d) * 3 <= cap * 2);
    }
    assert_int_equal(mm_dict_len(rt, d), 1000);
    fx_check(&F, d);
    for (int i = 0; i < 1000; i += 2) {
        mm_h k = mm_int_new(rt, i * 7);
        assert_int_equal(mm_dict_del(rt, d, k), MMO_OK);
        assert_int_equal(mm_dict_del(rt, d, k), MMO_KEY);
        mm_decref(rt, k);
    }
    assert_int_equal(mm_dict_len(rt, d), 500);
    for (int i = 0; i < 1000; i++) {
        mm_h k = mm_int_new(rt, i * 7);
        mm_h v = mm_dict_get(rt, d, k);
        if (i % 2 == 0) {
            assert_int_equal(v, MM_NULL);
            assert_int_equal(mm_rt_error(rt), MMO_KEY);
        } else {
            assert_int_equal(mm_int_value(rt, v), i);
        }
        mm_decref(rt, k);
    }
    fx_check(&F, d);
    /* str keys, replace, C-string lookup */
    mm_h name = mm_str_from(rt, "name");
    mm_h v1 = mm_str_from(rt, "v1");
    mm_dict_set(rt, d, name, v1);
    mm_dict_set_str(rt, d, "name", mm_small_int(3)); /* replaces */
    assert_int_equal(mm_refcount(rt, v1), 1);
    assert_int_equal(mm_dict_get_str(rt, d, "name"), mm_small_int(3));
    assert_int_equal(mm_dict_get(rt, d, name), mm_small_int(3));
    assert_int_equal(mm_dict_get_str(rt, d, "nam"), MM_NULL);
    assert_int_equal(mm_refcount(rt, name), 2);
    /* iteration sees each live entry once */
    size_t pos = 0, n = 0;
    mm_h k, v;
    while (mm_dict_next(rt, d, &pos, &k, &v)) {
        n++;
    }
    assert_int_equal(n, 501);
    /* tombstones are reused and a resize drops them */
    for (int round = 0; round < 50; round++) {
        mm_h t = mm_int_new(rt, 100000 + round);
        mm_dict_set(rt, d, t, t);
        mm_dict_del(rt, d, t);
        mm_decref(rt, t);
    }
    assert_int_equal(mm_dict_len(rt, d), 501);
    fx_check(&F, d, name, v1);
    mm_decref(rt, name);
    mm_decref(rt, v1);
    mm_decref(rt, d);
    assert_int_equal(mm_rt_live(rt), 0);
}

/* ------------------------------------------------------------ instances */

static const char *const node_slots[] = {"value", "next"};
static const mm_class Node = {"Node", 2, node_slots, false};
static const mm_class Plain = {"Plain", 0, NULL, true};

static void test_instances(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    uint32_t node = mm_class_register(rt, &Node);
    uint32_t plain = mm_class_register(rt, &Plain);
    assert_int_equal(node, MM_T_CLASS0);
    assert_int_equal(plain, MM_T_CLASS0 + 1);
    assert_int_equal(mm_class_register(rt, &Node), node);
    mm_h a = mm_inst_new(rt, node);
    mm_h p = mm_inst_new(rt, plain);
    mm_sizeof sa, sp, sd;
    mm_getsizeof(rt, a, &sa);
    mm_getsizeof(rt, p, &sp);
    mm_getsizeof(rt, mm_inst_dict(rt, p), &sd);
    assert_int_equal(sa.requested, 12);
    assert_int_equal(sa.block, 16); /* a 2-slot instance: <= 16 B */
    assert_int_equal(sp.requested, 8);
    assert_int_equal(sp.block, 8);
    assert_true(sd.requested > 0);
    /* slots */
    mm_h v = mm_int_new(rt, 4242);
    assert_int_equal(mm_inst_setattr(rt, a, "value", v), MMO_OK);
    assert_int_equal(mm_inst_get_slot(rt, a, 0), v);
    assert_int_equal(mm_inst_getattr(rt, a, "next"), MM_NULL);
    assert_int_equal(mm_rt_error(rt), MMO_KEY);
    assert_int_equal(mm_inst_setattr(rt, a, "other", v), MMO_KEY);
    assert_misuse("no slot of that name");
    assert_int_equal(mm_inst_set_slot(rt, a, 2, v), MMO_INDEX);
    assert_misuse("slot index out of range");
    /* dict instance */
    assert_int_equal(mm_inst_setattr(rt, p, "x", v), MMO_OK);
    assert_int_equal(mm_inst_setattr(rt, p, "y", a), MMO_OK);
    assert_int_equal(mm_inst_getattr(rt, p, "x"), v);
    assert_int_equal(mm_dict_len(rt, mm_inst_dict(rt, p)), 2);
    assert_int_equal(mm_refcount(rt, v), 3);
    /* a cycle through a slot: a.next = p, p.y = a */
    mm_inst_set_slot(rt, a, 1, p);
    fx_check(&F, a, p, v);
    mm_inst_set_slot(rt, a, 1, MM_NULL); /* break it */
    mm_decref(rt, a);
    mm_decref(rt, p);
    mm_decref(rt, v);
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(mm_inst_new(rt, 40), MM_NULL);
    assert_misuse("not a registered class");
    fx_check(&F);
}

/* ----------------------------------------------------------- generators */

static void test_generators(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h g = mm_generator_squares(rt, 100000);
    size_t used = fx_used(&F);
    uint32_t live = mm_rt_live(rt);
    mm_sizeof sz;
    mm_getsizeof(rt, g, &sz);
    int64_t sum = 0;
    mm_h x;
    mm_status s;
    while ((s = mm_iter_next(rt, g, &x)) == MMO_OK) {
        sum += mm_int_value(rt, x);
        mm_decref(rt, x);
        assert_int_equal(mm_rt_live(rt), live); /* constant memory */
    }
    assert_int_equal(s, MMO_STOP);
    assert_int_equal(x, MM_NULL);
    assert_true(sum == 333328333350000LL);
    assert_int_equal(fx_used(&F), used);
    assert_int_equal(mm_iter_next(rt, g, &x), MMO_STOP);
    mm_decref(rt, g);
    /* list iterator holds the list */
    mm_h l = mm_list_new(rt, 0);
    for (int i = 0; i < 10; i++) {
        mm_list_append(rt, l, mm_small_int(i));
    }
    mm_h it = mm_list_iter(rt, l);
    assert_int_equal(mm_refcount(rt, l), 2);
    fx_check(&F, l, it);
    mm_decref(rt, l); /* the iterator keeps it alive */
    int n = 0;
    while (mm_iter_next(rt, it, &x) == MMO_OK) {
        assert_int_equal(mm_int_value(rt, x), n++);
        mm_decref(rt, x);
    }
    assert_int_equal(n, 10);
    assert_int_equal(mm_rt_live(rt), 1); /* the list went with the stop */
    mm_decref(rt, it);
    assert_int_equal(mm_rt_live(rt), 0);
}

/* ------------------------------------------------------------------ lru */

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

static void test_lru(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h c = mm_lru_new(rt, 128);
    mm_h r = fib(rt, c, 35);
    assert_int_equal(mm_int_value(rt, r), 9227465);
    mm_lru_info info;
    mm_lru_cache_info(rt, c, &info);
    assert_int_equal(info.misses, 36);
    assert_int_equal(info.hits, 33);
    assert_int_equal(info.maxsize, 128);
    assert_int_equal(info.currsize, 36);
    fx_check(&F, c, r);
    mm_decref(rt, r);
    /* eviction order: maxsize 3 */
    mm_h s = mm_lru_new(rt, 3);
    for (int i = 0; i < 3; i++) {
        mm_lru_put(rt, s, mm_small_int(i), mm_small_int(i * 10));
    }
    assert_int_equal(mm_lru_get(rt, s, mm_small_int(0)), mm_small_int(0)); /* 0 is MRU */
    mm_h big = mm_int_new(rt, 5000);
    mm_lru_put(rt, s, mm_small_int(3), big); /* evicts 1 */
    assert_int_equal(mm_refcount(rt, big), 2);
    assert_int_equal(mm_lru_get(rt, s, mm_small_int(1)), MM_NULL);
    assert_int_equal(mm_lru_get(rt, s, mm_small_int(2)), mm_small_int(20));
    mm_lru_put(rt, s, mm_small_int(4), mm_small_int(40)); /* evicts 0 */
    assert_int_equal(mm_lru_get(rt, s, mm_small_int(0)), MM_NULL);
    mm_lru_put(rt, s, mm_small_int(5), mm_small_int(50)); /* evicts 3 */
    assert_int_equal(mm_refcount(rt, big), 1);
    mm_lru_cache_info(rt, s, &info);
    assert_int_equal(info.currsize, 3);
    assert_int_equal(info.hits, 2);
    assert_int_equal(info.misses, 2);
    fx_check(&F, c, s, big);
    mm_decref(rt, big);
    mm_decref(rt, s);
    mm_decref(rt, c);
    assert_int_equal(mm_rt_live(rt), 0);
    assert_int_equal(mm_lru_new(rt, 0), MM_NULL);
}

/* ------------------------------------------------------- the checker */

static void test_check_detects(void **state)
{
    (void)state;
    mm_rt *rt = &F.rt;
    mm_h l = mm_list_new(rt, 0);
    mm_h x = mm_int_new(rt, 777);
    mm_list_append(rt, l, x);
    mm_obj_report r;
    assert_int_equal(mm_obj_check(rt, (mm_h[]){l, x}, 2, F.scratch, &r), MMO_OK);
    /* forgetting an external reference is found */
    assert_int_equal(mm_obj_check(rt, (mm_h[]){l}, 1, F.scratch, &r), MMO_CORRUPT);
    assert_int_equal(r.handle, x);
    assert_int_equal(r.stored, 2);
    assert_int_equal(r.derived, 1);
    /* a corrupted refcount is found */
    mm_rc_set(rt, mm_h_index(l), 5);
    assert_int_equal(mm_obj_check(rt, (mm_h[]){l, x}, 2, F.scratch, &r), MMO_CORRUPT);
    assert_int_equal(r.handle, l);
    assert_int_equal(r.stored, 5);
    assert_int_equal(r.derived, 1);
    mm_rc_set(rt, mm_h_index(l), 1);
    /* a container holding a dead handle is found */
    mm_h y = mm_int_new(rt, 778);
    mm_list_append(rt, l, y);
    mm_rc_set(rt, mm_h_index(y), 1); /* lose the list's reference */
    mm_decref(rt, y);                /* y dies, the list still names it */
    assert_int_equal(mm_obj_check(rt, (mm_h[]){l, x}, 2, F.scratch, &r), MMO_CORRUPT);
    assert_int_equal(r.handle, l);
    assert_non_null(strstr(r.what, "dead or forged"));
    mm_list_del(rt, l, 1); /* decref of the dead handle: unchecked path, ignored */
    fx_check(&F, l, x);
    mm_decref(rt, x);
    mm_decref(rt, l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test_setup_teardown(test_refcount_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rc_large_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misuse_stale_forged_double, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_retire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_str, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lru, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_detects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
