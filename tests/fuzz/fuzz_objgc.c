/*
 * fuzz_objgc.c - libFuzzer harness for the object layer and the cycle
 * collector.
 *
 * Build and run (tools/test.sh fuzz does this for every tests/fuzz/fuzz_*.c):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Imm -Itests/host \
 *       tests/fuzz/fuzz_objgc.c mm/<every .c file> tests/host/port_host.c -o fuzz_objgc
 *   ./fuzz_objgc -max_total_time=60
 *
 * Each input is a program over a fresh runtime on a small heap (8 KiB,
 * so that MemoryError and the collector's emergency path happen) with a
 * collector attached: one opcode byte and its argument bytes per step.
 * Steps: create a node (list, dict, 2-slot instance, dict instance, str,
 * boxed int), link a container to a node (append, dict set, slot set,
 * setattr or a set through the instance's __dict__, in any name order:
 * shared values, splits and materialized dicts), unlink (delattr or a
 * delete through __dict__), intern a name twice (one object), drop or take a reference of the program's, collect a
 * generation, tune the collector (thresholds, enable, mark-stack limit),
 * churn temporaries, and two misuses (decref of a stale handle, of a
 * forged one) that must be reported once and change nothing.
 * A shadow model keeps every node's kind, edges and the program's
 * references; only nodes the program can reach are ever used (a handle to
 * garbage is one it could not hold: any allocation may collect). After
 * every step:
 * - SAFETY: every node reachable from the program's references is alive;
 * - after a full collection, COMPLETENESS: every other node is dead;
 * - mm_check, mm_obj_check (every refcount re-derived from the graph and
 *   the program's references) and mm_gc_check pass;
 * - no misuse was reported but the two expected ones.
 * An allocation that fails (MemoryError) must leave the model's graph as
 * it was: the same checks find anything lost or added. At the end every
 * reference is dropped, a full collection runs, and no object and no heap
 * byte may be left. Any failure aborts (libFuzzer reports a crash).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host/port_host.h"
#include "fuzz.h"
#include "heap/mm_heap.h"
#include "gc/mm_gc.h"
#include "obj/mm_obj.h"
#include "types/mm_types.h"

#ifndef REGION_KB
#define REGION_KB 8u
#endif
#define REGION (REGION_KB * 1024u)
#define NSLOTS 512u
#define NODES 64
#define DEG 4

enum { K_LIST, K_DICT, K_PAIR, K_NODE, K_STR, K_INT, K_KINDS };

typedef struct node {
    mm_h h;
    int kind;
    bool alive;
    int holds;       /* references the program owns */
    int nedge;       /* lists: items; dicts: keys 0..nedge-1; instances: slots */
    int edge[DEG];   /* target node per edge; -1 = none */
} node;

static const char *const pair_names[] = {"a", "b"};
static const mm_class Pair = {"Pair", 2, pair_names, false};
static const mm_class Node = {"Node", 0, NULL, true};
static const char *const attr_names[DEG] = {"p", "q", "r", "s"};

static _Alignas(8) unsigned char region[REGION];
static mm_slot table[NSLOTS];
static uint32_t scratch[NSLOTS];
static mm_rt rt;
static mm_gc gc;
static uint32_t pair_cls, node_cls;
static node nodes[NODES];
static int count;
static bool reach[NODES];
static int expected_misuses;

typedef struct {
    const uint8_t *p, *end;
} input;

static uint32_t take(input *in)
{
    return in->p < in->end ? *in->p++ : 0u;
}

static bool is_container(int kind) { return kind <= K_NODE; }

static void reach_from_held(void)
{
    static int stack[NODES * (DEG + 1)];
    int sp = 0;
    memset(reach, 0, sizeof reach);
    for (int i = 0; i < count; i++) {
        if (nodes[i].alive && nodes[i].holds > 0) {
            reach[i] = true;
            stack[sp++] = i;
        }
    }
    while (sp > 0) {
        const node *x = &nodes[stack[--sp]];
        for (int k = 0; k < x->nedge; k++) {
            int j = x->edge[k];
            if (j >= 0 && !reach[j]) {
                reach[j] = true;
                stack[sp++] = j;
            }
        }
    }
}

/* Syncs the model with the runtime and checks everything (see above). */
/* Every attribute of reachable dict-class instance x reads back as the
 * model says, through getattr (shared values or its own dict). */
static void check_attrs(const node *x)
{
    for (int k = 0; k < DEG; k++) {
        int want = k < x->nedge ? x->edge[k] : -1;
        mm_h v = mm_inst_getattr(&rt, x->h, attr_names[k]);
        REQUIRE(want < 0 ? v == MM_NULL : v == nodes[want].h);
    }
}

static void sync(bool full)
{
    reach_from_held();
    static mm_h ext[NODES * 8];
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        node *x = &nodes[i];
        if (!x->alive) {
            continue;
        }
        bool live = mm_handle_status(&rt, x->h) == MMO_OK;
        if (reach[i] && !live) {
            fprintf(stderr, "fuzz_objgc: node %d (kind %d) reachable but freed\n", i, x->kind);
            abort();
        }
        if (full && !reach[i] && live) {
            fprintf(stderr, "fuzz_objgc: node %d (kind %d) unreachable but alive after a full "
                            "collection\n", i, x->kind);
            abort();
        }
        x->alive = live;
        if (live && reach[i] && x->kind == K_NODE) {
            check_attrs(x);
        }
        for (int k = 0; live && k < x->holds && n < sizeof ext / sizeof ext[0]; k++) {
            ext[n++] = x->h;
        }
    }
    mm_report hr;
    if (!mm_check(rt.heap, &hr)) {
        fprintf(stderr, "fuzz_objgc: mm_check: %s\n", hr.msg);
        abort();
    }
    mm_obj_report r;
    if (mm_obj_check(&rt, ext, n, scratch, &r) != MMO_OK) {
        fprintf(stderr, "fuzz_objgc: mm_obj_check: %s (handle 0x%08x stored %u derived %u)\n",
                r.what, (unsigned)r.handle, (unsigned)r.stored, (unsigned)r.derived);
        abort();
    }
    const char *what = NULL;
    if (mm_gc_check(&gc, &what) != MMO_OK) {
        fprintf(stderr, "fuzz_objgc: mm_gc_check: %s\n", what);
        abort();
    }
    REQUIRE(port_misuse_count() == expected_misuses);
}

/* A node the program can reach (held, or reachable from a held node) of
 * any kind, or only a container; -1 if the byte names none. */
static int pick(input *in, bool container)
{
    if (count == 0) {
        return -1;
    }
    int i = (int)(take(in) % (uint32_t)count);
    const node *x = &nodes[i];
    if (!x->alive || !reach[i] || (container && !is_container(x->kind))) {
        return -1;
    }
    return i;
}

static void op_create(input *in)
{
    if (count >= NODES) {
        return;
    }
    node *x = &nodes[count];
    memset(x, 0, sizeof *x);
    x->kind = (int)(take(in) % K_KINDS);
    uint32_t arg = take(in);
    switch (x->kind) {
    case K_LIST:
        /* 1 in 4 with room for 64..319 items: a large, movable body */
        x->h = mm_list_new(&rt, arg % 4u == 3u ? 64u + arg : arg % 8u);
        break;
    case K_DICT:
        x->h = mm_dict_new(&rt);
        break;
    case K_PAIR:
        x->h = mm_inst_new(&rt, pair_cls);
        x->nedge = 2;
        break;
    case K_NODE:
        x->h = mm_inst_new(&rt, node_cls);
        break;
    case K_STR: {
        static const char text[] = "fuzzing the object layer, one string at a time";
        x->h = mm_str_new(&rt, text, arg % sizeof text);
        break;
    }
    default:
        x->h = mm_int_new(&rt, (int64_t)arg * 1000003 - 7);
        break;
    }
    if (x->h == MM_NULL) {
        REQUIRE(mm_rt_error(&rt) == MMO_NOMEM); /* MemoryError: nothing made */
        return;
    }
    for (int k = 0; k < DEG; k++) {
        x->edge[k] = -1;
    }
    x->alive = true;
    x->holds = 1;
    reach[count++] = true;
}

/* Edge k of container a (appending for a list) becomes b. */
static void op_link(input *in)
{
    int a = pick(in, true), b = pick(in, false);
    uint32_t k = take(in) % DEG;
    if (a < 0 || b < 0) {
        return;
    }
    node *x = &nodes[a];
    mm_h v = nodes[b].h;
    mm_status st;
    switch (x->kind) {
    case K_LIST:
        if (x->nedge == DEG) {
            return;
        }
        st = mm_list_append(&rt, x->h, v);
        k = (uint32_t)x->nedge;
        break;
    case K_DICT:
        st = mm_dict_set(&rt, x->h, mm_small_int((int32_t)k), v);
        break;
    case K_PAIR:
        k %= 2u;
        st = mm_inst_set_slot(&rt, x->h, k, v);
        break;
    default:
        if ((take(in) & 1u) != 0u) { /* through the __dict__ view (made if needed) */
            mm_h d = mm_inst_dict(&rt, x->h);
            if (d == MM_NULL) {
                REQUIRE(mm_rt_error(&rt) == MMO_NOMEM);
                return;
            }
            st = mm_dict_set_str(&rt, d, attr_names[k], v);
        } else {
            st = mm_inst_setattr(&rt, x->h, attr_names[k], v);
        }
        break;
    }
    if (st != MMO_OK) {
        REQUIRE(st == MMO_NOMEM); /* the graph stays as it was */
        return;
    }
    while (x->nedge <= (int)k) {
        x->edge[x->nedge++] = -1;
    }
    x->edge[k] = b;
}

static void op_unlink(input *in)
{
    int a = pick(in, true);
    uint32_t k = take(in);
    if (a < 0 || nodes[a].nedge == 0) {
        return;
    }
    node *x = &nodes[a];
    k %= (uint32_t)x->nedge;
    if (x->kind == K_LIST) {
        REQUIRE(mm_list_del(&rt, x->h, k) == MMO_OK);
        memmove(&x->edge[k], &x->edge[k + 1], (size_t)(x->nedge - (int)k - 1) * sizeof(int));
        x->nedge--;
        return;
    }
    if (x->edge[k] < 0) {
        return;
    }
    if (x->kind == K_PAIR) {
        REQUIRE(mm_inst_set_slot(&rt, x->h, k, MM_NULL) == MMO_OK);
    } else if (x->kind == K_DICT) {
        REQUIRE(mm_dict_del(&rt, x->h, mm_small_int((int32_t)k)) == MMO_OK);
    } else if ((take(in) & 1u) != 0u) { /* delattr (unshares) */
        mm_status st = mm_inst_delattr(&rt, x->h, attr_names[k]);
        if (st != MMO_OK) {
            REQUIRE(st == MMO_NOMEM);
            return; /* no dict could be made: nothing removed */
        }
    } else { /* through the __dict__ view */
        mm_h d = mm_inst_dict(&rt, x->h);
        if (d == MM_NULL) {
            REQUIRE(mm_rt_error(&rt) == MMO_NOMEM);
            return;
        }
        REQUIRE(mm_dict_del_str(&rt, d, attr_names[k]) == MMO_OK);
    }
    x->edge[k] = -1;
}

static void op_hold(input *in, bool drop)
{
    int a = pick(in, false);
    if (a < 0) {
        return;
    }
    node *x = &nodes[a];
    if (drop) {
        if (x->holds > 0) {
            x->holds--;
            mm_decref(&rt, x->h);
        }
    } else if (x->holds < 4) {
        x->holds++;
        mm_incref(&rt, x->h);
    }
}

static void op_collect(input *in)
{
    uint32_t g = take(in) % 3u;
    mm_gc_result r;
    (void)mm_gc_collect(&gc, g, &r);
    REQUIRE(r.status == MM_GC_OK);
    sync(g == 2u);
}

static void op_tune(input *in)
{
    uint32_t a = take(in), b = take(in);
    switch (a % 4u) {
    case 0:
        mm_gc_isenabled(&gc) ? mm_gc_disable(&gc) : mm_gc_enable(&gc);
        break;
    case 1:
        mm_gc_set_threshold(&gc, 1u + b % 32u, b % 5u, b / 32u % 5u);
        break;
    case 2:
        mm_gc_set_stack_limit(&gc, 1u + b % 6u);
        break;
    default:
        mm_gc_set_stack_limit(&gc, MM_CFG_GC_STACK);
        break;
    }
}

/* Temporaries made and dropped at once (the young table's churn path),
 * some of them holding a reachable node for their short life. */
static void op_churn(input *in)
{
    uint32_t n = take(in) % 24u;
    int b = pick(in, false);
    for (uint32_t i = 0; i < n; i++) {
        mm_h t = (i & 1u) ? mm_list_new(&rt, 0) : mm_inst_new(&rt, pair_cls);
        if (t == MM_NULL) {
            REQUIRE(mm_rt_error(&rt) == MMO_NOMEM);
            continue;
        }
        if (b >= 0 && (i % 3u) == 0u) {
            mm_status st = (i & 1u) ? mm_list_append(&rt, t, nodes[b].h)
                                    : mm_inst_set_slot(&rt, t, 1, nodes[b].h);
            REQUIRE(st == MMO_OK || st == MMO_NOMEM);
        }
        mm_decref(&rt, t);
    }
}

/* Interning an attribute name twice gives one object (the name may be
 * a class's shared key already, or new). */
static void op_intern(input *in)
{
    const char *name = attr_names[take(in) % DEG];
    mm_h a = mm_str_intern_from(&rt, name);
    if (a == MM_NULL) {
        REQUIRE(mm_rt_error(&rt) == MMO_NOMEM);
        return;
    }
    mm_h b = mm_str_intern_from(&rt, name);
    REQUIRE(mm_is(a, b) && mm_str_is_interned(&rt, a));
    mm_decref(&rt, b);
    mm_decref(&rt, a);
}

/* Misuses: a stale handle (a node that died) or a forged one. Reported
 * once, nothing changed (the sync after the step checks it all). */
static void op_misuse(input *in)
{
    uint32_t a = take(in), b = take(in), c = take(in);
    mm_h h;
    if ((a & 1u) == 0u) {
        if (count == 0) {
            return;
        }
        const node *x = &nodes[b % (uint32_t)count];
        if (x->alive) {
            return;
        }
        h = x->h;
    } else {
        h = (mm_h)(b << 24 | c << 12 | a << 4 | (b & 15u)); /* index | gen bits */
        mm_status st = mm_handle_status(&rt, h);
        if (st == MMO_OK) {
            return; /* by chance a live or immortal handle: not a misuse */
        }
    }
    if (h == MM_NULL || mm_handle_status(&rt, h) == MMO_OK) {
        return; /* a decref of null is no misuse */
    }
    mm_decref(&rt, h);
    expected_misuses++;
    REQUIRE(port_misuse_count() == expected_misuses);
}

static void open_world(void)
{
    memset(nodes, 0, sizeof nodes);
    count = 0;
    expected_misuses = 0;
    port_reset_misuse();
    port_set_misuse_quiet(true);
    mm_heap *heap = mm_init(region, REGION);
    REQUIRE(heap != NULL);
    memset(&rt, 0, sizeof rt);
    REQUIRE(mm_rt_init(&rt, heap, table, sizeof table) == MMO_OK);
    REQUIRE(mm_gc_init(&gc, &rt) == MMO_OK);
    pair_cls = mm_class_register(&rt, &Pair);
    node_cls = mm_class_register(&rt, &Node);
    REQUIRE(pair_cls != 0u && node_cls != 0u);
}

static void close_world(void)
{
    for (int i = 0; i < count; i++) {
        node *x = &nodes[i];
        for (; x->alive && x->holds > 0; x->holds--) {
            mm_decref(&rt, x->h);
        }
    }
    mm_gc_enable(&gc);
    mm_gc_result r;
    (void)mm_gc_collect(&gc, 2, &r);
    REQUIRE(r.status == MM_GC_OK);
    sync(true);
    REQUIRE(mm_rt_live(&rt) == 0u);
    mm_stats st;
    mm_get_stats(rt.heap, &st);
    REQUIRE(st.used_bytes == 0u);
    mm_gc_fini(&gc);
    mm_rt_fini(&rt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = {data, data + size};
    open_world();
    while (in.p < in.end) {
        uint32_t op = take(&in) % 13u;
        switch (op) {
        case 0:
        case 1:
            op_create(&in);
            break;
        case 2:
        case 3:
            op_link(&in);
            break;
        case 4:
            op_unlink(&in);
            break;
        case 5:
            op_hold(&in, true);
            break;
        case 6:
            op_hold(&in, false);
            break;
        case 7:
            op_collect(&in);
            continue; /* synced, with completeness for a full collection */
        case 8:
            op_tune(&in);
            break;
        case 9:
            op_churn(&in);
            break;
        case 10:
            op_intern(&in);
            break;
        default:
            op_misuse(&in);
            break;
        }
        sync(false);
    }
    close_world();
    return 0;
}
