/*
 * demos.h - the demos the runner knows (kernel/runner.c) and what they
 * share.
 *
 * Each demo re-creates one example of the tutorial (../shared/seed, see
 * docs/DEMOS.md) in C over the mm object API. It runs on the runner's
 * heap, handle table and collector (demo_env), prints the article's labels
 * (or English ones in English mode) with every figure read from the
 * runtime, and returns 0 on success, non-zero when a check it makes fails.
 * After it returns, the runner checks the heap and that every object and
 * byte it made has come back (the baseline, kernel/runner.c).
 *
 * Adding a demo: one file demos/demo_<n>_<name>.c with
 * `int demo_<name>(demo_env *env)`, one line in demos/demo_table.c, and
 * the golden files regenerated with `tools/golden.sh update`.
 */
#ifndef MMRT_DEMOS_H
#define MMRT_DEMOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gc/mm_gc.h"
#include "heap/mm_heap.h"
#include "obj/mm_obj.h"
#include "types/mm_types.h"

/* What the runner gives every demo: one heap over the whole mm region,
 * one object runtime on it and its collector. */
typedef struct demo_env {
    mm_heap *heap;
    mm_rt *rt;
    mm_gc *gc;
    size_t region_size; /* bytes of the board's mm region (all free RAM) */
} demo_env;

typedef struct demo {
    int number;              /* as in docs/DEMOS.md, used on the command line */
    const char *name;        /* short name, also accepted on the command line */
    const char *section_zh;  /* the article's section, in its own words */
    const char *section_en;  /* the same in English */
    int (*run)(demo_env *env);
} demo;

/* The most object lives one demo makes (demo 6's generator: 1,000,000 ints
 * one after the other), and the handle slots they need: a slot serves
 * MM_H_EPOCH_MAX lives and is then retired (mm_obj.h, H2); 64 more for the
 * objects alive at once. */
#define DEMO_MAX_LIVES 1000000u
#define DEMO_MIN_SLOTS (DEMO_MAX_LIVES / MM_H_EPOCH_MAX + 64u)

extern const demo demo_table[];
extern const size_t demo_count;

/* ---- shared by the demos (demos/demo_lib.c) ---- */

/* English mode, set by the runner from the command line ("en", "--en"). */
extern bool demo_lang_en;
/* The label in the current language. */
#define L(zh, en) (demo_lang_en ? (en) : (zh))

/* "True" / "False", as Python prints a bool. */
const char *demo_bool(bool b);

/* Bytes in live blocks of env's heap now (mm_stats.used_bytes). */
size_t demo_used_bytes(const demo_env *env);
/* The unit of counter_instructions() in the demo's language: instructions
 * under QEMU (-icount), CPU cycles on silicon where DWT CYCCNT runs. */
const char *demo_unit(void);

/* 1 on boards whose RAM cannot hold the diagnostics' static tables
 * beside the other demos (set in boards/): demos 7 and 8 then say so and skip. */
#ifndef MMRT_NO_DIAG_DEMOS
#define MMRT_NO_DIAG_DEMOS 0
#endif

/* Opens a line saying where the device differs from CPython 3.11. */
#define DEMO_MCU L("  (单片机) ", "  (MCU) ")

/* Reports "demo: <file>:<line>: <what>" and returns 1 (a failed check). */
int demo_fail_at(const char *file, int line, const char *what);
#define DEMO_FAIL(what) demo_fail_at(__FILE__, __LINE__, (what))
/* Fails the demo (returns 1 from it) unless cond holds. */
#define DEMO_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            return DEMO_FAIL("check failed: " #cond);                         \
        }                                                                     \
    } while (0)

#endif /* MMRT_DEMOS_H */
