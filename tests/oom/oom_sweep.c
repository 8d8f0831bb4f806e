/*
 * oom_sweep.c - the out-of-memory sweep: every allocation point of the
 * object script below and of every demo in demos/demo_table.c is made to
 * fail, one run per point, and after each run the heap, the collector and
 * the object graph must be consistent and back at their baseline.
 *
 * Built for the host with MM_CFG_DEBUG=1 (mm_fail_after, heap/mm_heap.h)
 * and ASan+UBSan, with the demos' own sources and a host stand-in for the
 * kernel (tests/oom/host_kernel.c); tools/test.sh oom runs it.
 *
 * For each workload W (the object script, then each demo):
 *  1. a clean run counts W's allocation calls N (mm_alloc_calls) and must
 *     succeed;
 *  2. for k = 1..N: a fresh runtime and collector on the same heap (the
 *     runner's set-up), the k-th call made to fail, W run;
 *       single: only the k-th call fails (the emergency collection and
 *               the retry, or W's own error path, must cope);
 *       sticky: the k-th call and every one after it fail (W must stop
 *               with MemoryError, having lost nothing);
 *     then, whatever W returned: no misuse reported, mm_check,
 *     mm_gc_check and mm_obj_check clean, and no object and no byte left
 *     beyond the baseline taken before W ran.
 * A workload with more than SWEEP_ALL calls is swept at every k up to
 * SWEEP_ALL and then at SWEEP_TAIL points spread evenly over the rest (the
 * figure printed says how many points each workload had). The summary
 * line: "oom sweep: W workloads, R runs, F failures".
 *
 * Command line: the workloads to sweep ("script", demo numbers); none:
 * all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demos.h"
#include "fmt/mm_fmt.h"
#include "gc/mm_gc.h"
#include "port_host.h"

#if !MM_CFG_DEBUG
#error "oom_sweep.c needs MM_CFG_DEBUG=1 (mm_fail_after)"
#endif

#define REGION_BYTES (256u * 1024u)
#define SLOTS 4096u
#define SWEEP_ALL 400u
#define SWEEP_TAIL 100u

static uint64_t region_mem[REGION_BYTES / 8u];
static mm_slot table[SLOTS];
static uint32_t scratch[SLOTS];
static mm_rt rt;
static mm_gc gc;
static demo_env env;

/* ---------------------------------------------------------- the script */

static const char *const point_names[] = {"x", "y"};
static const mm_class point_cls = {"Point", 2, point_names, false};
static const mm_class node_cls = {"Node", 0, NULL, true};

#define HELD 16

/* Every object type and container operation, holding at most HELD
 * references (all dropped on the way out, success or not). Returns 0, or
 * 1 on MemoryError (rt's error is MMO_NOMEM or MMO_NOHANDLE). */
static int object_script(demo_env *e)
{
    mm_rt *r = e->rt;
    mm_h held[HELD] = {0};
    int n = 0, rc = 1;
#define NEW(expr)                                                             \
    do {                                                                      \
        held[n] = (expr);                                                     \
        if (held[n++] == MM_NULL) {                                           \
            goto out;                                                         \
        }                                                                     \
    } while (0)
#define OK(expr)                                                              \
    do {                                                                      \
        if ((expr) != MMO_OK) {                                               \
            goto out;                                                         \
        }                                                                     \
    } while (0)
    uint32_t point = mm_class_register(r, &point_cls);
    uint32_t node = mm_class_register(r, &node_cls);
    NEW(mm_list_new(r, 0));                       /* 0: a list */
    mm_h l = held[0];
    for (int i = 0; i < 40; i++) {
        mm_h v = mm_int_new(r, 1000 + i);
        if (v == MM_NULL) {
            goto out;
        }
        mm_status s = mm_list_append(r, l, v); /* grows its body */
        mm_decref(r, v);
        OK(s);
    }
    NEW(mm_str_from(r, "  reference counting  "));    /* 1 */
    NEW(mm_str_strip(r, held[1]));                      /* 2 */
    NEW(mm_str_upper(r, held[2]));                      /* 3 */
    NEW(mm_dict_new(r));                                /* 4: a dict */
    for (int i = 0; i < 30; i++) {
        char key[16];
        mm_snprintf(key, sizeof key, "k%d", i);
        OK(mm_dict_set_str(r, held[4], key, l));        /* grows its table */
    }
    OK(mm_dict_set(r, held[4], held[3], held[2]));
    OK(mm_dict_del(r, held[4], held[3]));
    NEW(mm_inst_new(r, point));                         /* 5: slots */
    OK(mm_inst_set_slot(r, held[5], 0, held[1]));
    NEW(mm_inst_new(r, node));                          /* 6, 7: a cycle */
    NEW(mm_inst_new(r, node));
    OK(mm_inst_setattr(r, held[6], "next", held[7]));
    OK(mm_inst_setattr(r, held[7], "next", held[6]));
    OK(mm_inst_setattr(r, held[6], "name", held[3]));
    NEW(mm_generator_squares(r, 50));                   /* 8: a generator */
    mm_h sq;
    mm_status s;
    while ((s = mm_iter_next(r, held[8], &sq)) == MMO_OK) {
        s = mm_list_append(r, l, sq);
        mm_decref(r, sq);
        OK(s);
    }
    if (s != MMO_STOP) {
        goto out;
    }
    NEW(mm_lru_new(r, 8));                              /* 9: an LRU cache */
    for (int i = 0; i < 20; i++) {
        mm_h k = mm_int_new(r, 5000 + i % 11);
        if (k == MM_NULL) {
            goto out;
        }
        s = mm_lru_put(r, held[9], k, l);
        mm_decref(r, k);
        OK(s);
    }
    NEW(mm_list_iter(r, l));                            /* 10: an iterator */
    mm_h it;
    while ((s = mm_iter_next(r, held[10], &it)) == MMO_OK) {
        mm_decref(r, it);
    }
    /* drop the cycle and collect it */
    mm_decref(r, held[6]);
    mm_decref(r, held[7]);
    held[6] = held[7] = MM_NULL;
    (void)mm_gc_collect(e->gc, 2, NULL);
    if (mm_list_len(r, l) != 40u + 50u) {
        fprintf(stderr, "object script: list length %zu\n", mm_list_len(r, l));
        rc = 2;
        goto out_checked;
    }
    rc = 0;
out:
    if (rc != 0 && !mm_is_memory_error(mm_rt_error(r))) {
        fprintf(stderr, "object script: stopped without a MemoryError (%s)\n",
                mm_status_str(mm_rt_error(r)));
        rc = 2;
    }
out_checked:
    for (int i = HELD - 1; i >= 0; i--) {
        if (held[i] != MM_NULL) {
            mm_decref(r, held[i]);
        }
    }
    /* the two nodes may still hold each other: only the collector can
     * free a cycle (it allocates nothing, so it runs under failure too) */
    (void)mm_gc_collect(e->gc, 2, NULL);
    return rc;
#undef NEW
#undef OK
}

/* ---------------------------------------------------------- the driver */

typedef struct workload {
    char name[40];
    int (*run)(demo_env *e);
} workload;

static int failures;
static int workload_failures;

static bool rt_open(void)
{
    mm_trim(env.heap);
    return mm_rt_init(&rt, env.heap, table, sizeof table) == MMO_OK &&
           mm_gc_init(&gc, &rt) == MMO_OK;
}

static void rt_close(void)
{
    mm_gc_fini(&gc);
    mm_rt_fini(&rt);
}

/* The runner's checks after a run: consistent, nothing beyond the
 * baseline. Returns NULL or what failed. */
static const char *check_after(uint32_t live0, size_t used0, char *buf, size_t n)
{
    mm_report hr;
    const char *what = "";
    mm_obj_report orep;
    if (port_misuse_count() != 0) {
        snprintf(buf, n, "misuse: %s", port_last_misuse());
    } else if (!mm_check(env.heap, &hr)) {
        snprintf(buf, n, "mm_check: %s", hr.msg);
    } else if (mm_gc_check(&gc, &what) != MMO_OK) {
        snprintf(buf, n, "mm_gc_check: %s", what);
    } else if (mm_rt_live(&rt) != live0 || demo_used_bytes(&env) != used0) {
        snprintf(buf, n, "leak: %ld objects, %ld bytes beyond the baseline",
                 (long)mm_rt_live(&rt) - (long)live0,
                 (long)demo_used_bytes(&env) - (long)used0);
    } else if (mm_obj_check(&rt, NULL, 0, scratch, &orep) != MMO_OK) {
        snprintf(buf, n, "mm_obj_check: %s", orep.what);
    } else {
        return NULL;
    }
    return buf;
}

/* One run of w with the k-th allocation failing (k = 0: none). Returns
 * w's result; *calls gets the allocation calls it made. */
static int run_once(const workload *w, uint32_t k, bool sticky, uint32_t *calls)
{
    if (!rt_open()) {
        fprintf(stderr, "oom sweep: runtime set-up failed\n");
        exit(1);
    }
    uint32_t live0 = mm_rt_live(&rt);
    size_t used0 = demo_used_bytes(&env);
    port_reset_misuse();
    port_capture_begin(); /* the demos' output is not the point here */
    uint32_t c0 = mm_alloc_calls(env.heap);
    mm_fail_after(env.heap, k, sticky);
    int rc = w->run(&env);
    mm_fail_after(env.heap, 0, false);
    *calls = mm_alloc_calls(env.heap) - c0;
    (void)port_capture_end();
    char buf[256];
    const char *bad = check_after(live0, used0, buf, sizeof buf);
    if (bad == NULL && k == 0 && rc != 0) {
        bad = "fails without any injected failure";
    }
    if (bad == NULL && rc == 2) {
        bad = "stopped without a MemoryError";
    }
    if (bad != NULL) {
        failures++;
        if (workload_failures++ < 3) {
            printf("FAIL %s: allocation %u%s: %s\n", w->name, (unsigned)k,
                   sticky ? " on (sticky)" : " (single)", bad);
        }
    }
    rt_close();
    return rc;
}

/* The sweep points of a workload of n calls: every k up to SWEEP_ALL, then
 * SWEEP_TAIL spread over the rest (and n itself). */
static uint32_t point(uint32_t i, uint32_t n)
{
    if (n <= SWEEP_ALL + SWEEP_TAIL || i < SWEEP_ALL) {
        return i + 1u;
    }
    uint32_t j = i - SWEEP_ALL + 1u; /* 1..SWEEP_TAIL */
    return SWEEP_ALL + (uint32_t)((uint64_t)(n - SWEEP_ALL) * j / SWEEP_TAIL);
}

static uint32_t points_of(uint32_t n)
{
    return n <= SWEEP_ALL + SWEEP_TAIL ? n : SWEEP_ALL + SWEEP_TAIL;
}

/* Is workload i (0: the script, else demo number d) on the command line?
 * No arguments: every workload. */
static bool selected(int argc, char **argv, int d)
{
    if (argc < 2) {
        return true;
    }
    for (int i = 1; i < argc; i++) {
        if (d == 0 ? strcmp(argv[i], "script") == 0 : atoi(argv[i]) == d) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    port_set_misuse_quiet(true);
    env.heap = mm_init(region_mem, sizeof region_mem);
    env.rt = &rt;
    env.gc = &gc;
    env.region_size = sizeof region_mem;
    if (env.heap == NULL) {
        return 1;
    }
    /* demo 9's input, small: a few lines, one long */
    FILE *f = fopen("large_input.txt", "w");
    if (f == NULL) {
        perror("large_input.txt");
        return 1;
    }
    for (int i = 0; i < 12; i++) {
        fprintf(f, "  line %d of the input, to be stripped and upper-cased  \n", i);
    }
    fclose(f);

    static workload ws[32];
    size_t nw = 0;
    if (selected(argc, argv, 0)) {
        snprintf(ws[nw].name, sizeof ws[nw].name, "object script");
        ws[nw++].run = object_script;
    }
    for (size_t i = 0; i < demo_count && nw < 32; i++) {
        if (!selected(argc, argv, demo_table[i].number)) {
            continue;
        }
        snprintf(ws[nw].name, sizeof ws[nw].name, "demo %d (%s)", demo_table[i].number,
                 demo_table[i].name);
        ws[nw++].run = demo_table[i].run;
    }
    unsigned long total = 0;
    for (size_t i = 0; i < nw; i++) {
        uint32_t n = 0, c;
        int before = failures;
        workload_failures = 0;
        if (run_once(&ws[i], 0, false, &n) != 0) {
            printf("FAIL %s: a clean run fails\n", ws[i].name);
            failures++;
            continue;
        }
        uint32_t pts = points_of(n), stopped = 0;
        for (int mode = 0; mode < 2; mode++) {
            for (uint32_t p = 0; p < pts; p++) {
                int rc = run_once(&ws[i], point(p, n), mode == 1, &c);
                stopped += rc != 0;
            }
        }
        total += 2ul * pts;
        printf("%s %s: %u allocation calls, %u points x (single, sticky), "
               "%u runs stopped with MemoryError\n",
               failures == before ? "ok  " : "FAIL", ws[i].name, (unsigned)n,
               (unsigned)pts, (unsigned)stopped);
        fflush(stdout);
    }
    printf("oom sweep: %zu workloads, %lu runs, %d failures\n", nw, total, failures);
    return failures == 0 ? 0 : 1;
}
