/*
 * runner.c - the demo runner: main() of the demo firmware.
 *
 * Command line ("<elf> [word ...]"): each word is a demo number or name,
 * "all", or a language: "en" / "--en" (English labels), "zh" / "--zh"
 * (the article's Chinese labels, the default). No demo word runs every
 * demo. The language is chosen here, never from the host's LANG.
 *
 * The runner puts the handle table (sized from the region) at the start of
 * the mm region and one heap on the rest. Each demo gets a fresh object
 * runtime and collector on them, after mm_trim (so a demo starts from the
 * same heap whether it runs alone or after others), and the runner records
 * its BASELINE: live objects and bytes in live blocks. After the demo:
 * mm_check, mm_gc_check, mm_obj_check, and no object and no byte beyond
 * the baseline. A failed check or a leak fails the demo with a message naming
 * it. Exit code 0 only if every demo passed; MMRT_EXIT_FAILED otherwise;
 * an unknown word lists the demos and exits MMRT_EXIT_USAGE.
 */
#include <stdbool.h>
#include <string.h>

#include "demos.h"
#include "kernel.h"
#include "fmt/mm_fmt.h"

#define CMDLINE_MAX 256
#define MAX_WORDS 16
/* Handle-table slots: one per 48 B of region (no object with its slot
 * takes less than 24 B, most take more), and at least enough for the most
 * object lives one demo uses: a slot serves MM_H_EPOCH_MAX lives and is
 * then retired (mm_obj.h, H2), and demo 6's generator makes 1,000,000
 * ints one after the other; 64 more for the objects alive at once. That
 * minimum is kept only while it leaves half the region to the heap: on the
 * 8 KiB board (a 3.5 KiB region) the table would not fit, so it gets one
 * slot per 48 B and demo 6's generator says in one line why it cannot run. */
#define REGION_BYTES_PER_SLOT 48u
#define MIN_SLOTS DEMO_MIN_SLOTS

static mm_rt rt;
static mm_gc gc; /* static: a heap block would round it up to whole pages */
static demo_env env;
static void *table;
static size_t table_bytes;

/* What a demo must give back: live objects and bytes in live heap blocks
 * when it started (its runtime fresh). */
typedef struct baseline {
    uint32_t live;
    size_t used_bytes;
} baseline;

static const demo *find_demo(const char *word) {
    for (size_t i = 0; i < demo_count; i++) {
        const demo *d = &demo_table[i];
        char num[12];
        mm_snprintf(num, sizeof num, "%d", d->number);
        if (strcmp(word, num) == 0 || strcmp(word, d->name) == 0) {
            return d;
        }
    }
    return NULL;
}

static void list_demos(void) {
    mm_printf("demos:");
    for (size_t i = 0; i < demo_count; i++) {
        mm_printf(" %d=%s", demo_table[i].number, demo_table[i].name);
    }
    mm_printf(" all; languages: en (--en), zh (--zh, default)\n");
}

/* The handle table at the start of the mm region (8-aligned), the heap on
 * the rest; false (with a message) if the region cannot hold them. */
static bool setup(void) {
    void *start;
    size_t size;
    kernel_mm_region(&start, &size);
    uint32_t slots = (uint32_t)(size / REGION_BYTES_PER_SLOT);
    if (slots < MIN_SLOTS && (size_t)MIN_SLOTS * sizeof(mm_slot) <= size / 2u) {
        slots = MIN_SLOTS;
    }
    slots = slots > MM_MAX_SLOTS ? MM_MAX_SLOTS : slots;
    uintptr_t t = ((uintptr_t)start + 7u) & ~(uintptr_t)7u;
    table = (void *)t;
    table_bytes = slots * sizeof(mm_slot);
    size_t skip = (size_t)(t - (uintptr_t)start) + table_bytes;
    env.heap = skip < size ? mm_init((char *)start + skip, size - skip) : NULL;
    if (env.heap == NULL) {
        mm_printf("runner: the %lu-byte mm region cannot hold %lu handle slots and a heap\n",
                  (unsigned long)size, (unsigned long)slots);
        return false;
    }
    env.rt = &rt;
    env.gc = &gc;
    env.region_size = size;
    mm_printf("mmrt on %s: mm region %lu bytes at %p: %lu handle slots (%lu B), heap %lu B; "
              "collector %lu B, stack %lu B (%s guard)\n",
              MMRT_BOARD, (unsigned long)size, start, (unsigned long)slots,
              (unsigned long)table_bytes, (unsigned long)(size - skip),
              (unsigned long)sizeof(mm_gc), (unsigned long)kernel_stack_size(),
              kernel_stack_guard_is_mpu() ? "MPU" : "canary");
    return true;
}

/* A fresh runtime and collector for the next demo (every handle of the
 * last one is dead, so its table starts over); false with a message if
 * they cannot be set up. */
static bool rt_open(void) {
    mm_trim(env.heap);
    if (mm_rt_init(&rt, env.heap, table, table_bytes) != MMO_OK ||
        mm_gc_init(&gc, &rt) != MMO_OK) {
        mm_printf("runner: mm_rt_init or mm_gc_init failed\n");
        return false;
    }
    return true;
}

static void rt_close(void) {
    mm_gc_fini(&gc);
    mm_rt_fini(&rt);
}

/* The checks after demo d: heap, collector and object graph consistent,
 * nothing left beyond the baseline. Returns 0, or 1 after a message. */
static int check_after(const demo *d, const baseline *base) {
    uint32_t live = mm_rt_live(&rt);
    size_t used = demo_used_bytes(&env);
    mm_report hr;
    if (!mm_check(env.heap, &hr)) {
        mm_printf("runner: demo %d: mm_check: %s at %p\n", d->number, hr.msg, hr.addr);
        return 1;
    }
    const char *what = "";
    if (mm_gc_check(&gc, &what) != MMO_OK) {
        mm_printf("runner: demo %d: mm_gc_check: %s\n", d->number, what);
        return 1;
    }
    /* A leak first: mm_obj_check would see the leaked objects as refcounts
     * no reference explains, a less direct message. */
    if (live != base->live || used != base->used_bytes) {
        mm_printf("runner: demo %d LEAKS: %ld objects and %ld bytes beyond the baseline "
                  "(%lu objects, %lu bytes)\n",
                  d->number, (long)live - (long)base->live,
                  (long)used - (long)base->used_bytes, (unsigned long)base->live,
                  (unsigned long)base->used_bytes);
        return 1;
    }
    /* The checker's scratch is taken now and given back: it is not part of
     * any demo's figures. */
    uint32_t *scratch = (uint32_t *)mm_alloc(env.heap, mm_rt_slots(&rt) * sizeof(uint32_t));
    if (scratch == NULL) {
        mm_printf("runner: demo %d: no room for mm_obj_check's scratch (%lu objects left)\n",
                  d->number, (unsigned long)live);
        return 1;
    }
    mm_obj_report orep;
    mm_status os = mm_obj_check(&rt, NULL, 0, scratch, &orep);
    mm_free(env.heap, scratch);
    if (os != MMO_OK) {
        mm_printf("runner: demo %d: mm_obj_check: %s (handle %lu, refcount %lu, derived %lu)\n",
                  d->number, orep.what, (unsigned long)orep.handle,
                  (unsigned long)orep.stored, (unsigned long)orep.derived);
        return 1;
    }
    return 0;
}

static int run_one(const demo *d) {
    if (!rt_open()) {
        return 1;
    }
    baseline base = {mm_rt_live(&rt), demo_used_bytes(&env)};
    mm_printf("\n=== demo %d: %s (%s) ===\n", d->number, d->name,
              L(d->section_zh, d->section_en));
    uint64_t t0 = counter_instructions();
    int rc = d->run(&env);
    uint64_t t1 = counter_instructions();
    kernel_stack_check(__FILE__, __LINE__);
    if (rc != 0) {
        mm_printf("runner: demo %d returned %d\n", d->number, rc);
    }
    rc |= check_after(d, &base);
    rt_close();
    mm_printf("--- demo %d %s: %llu %s, stack high-water %lu of %lu bytes\n",
              d->number, rc == 0 ? "ok" : "FAILED", (unsigned long long)(t1 - t0), counter_unit(),
              (unsigned long)kernel_stack_used(), (unsigned long)kernel_stack_size());
    return rc;
}

/* Takes the language words out of argv; returns the words left. */
static int take_language(char **argv, int argc) {
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "en") == 0 || strcmp(argv[i], "--en") == 0) {
            demo_lang_en = true;
        } else if (strcmp(argv[i], "zh") == 0 || strcmp(argv[i], "--zh") == 0) {
            demo_lang_en = false;
        } else {
            argv[n++] = argv[i];
        }
    }
    return n;
}

int main(void) {
    static char line[CMDLINE_MAX];
    char *argv[MAX_WORDS];
    int argc = kernel_args(line, sizeof line, argv, MAX_WORDS);
    if (argc < 0) {
        return MMRT_EXIT_USAGE;
    }
    argc = take_language(argv, argc);
    bool all = argc == 0 || (argc == 1 && strcmp(argv[0], "all") == 0);
    for (int i = 0; !all && i < argc; i++) {
        if (find_demo(argv[i]) == NULL) {
            mm_printf("runner: no demo named '%s'\n", argv[i]);
            list_demos();
            return MMRT_EXIT_USAGE;
        }
    }
    if (!setup()) {
        return MMRT_EXIT_FAILED;
    }
    int failed = 0, ran = 0;
    for (int i = 0; i < (all ? (int)demo_count : argc); i++) {
        const demo *d = all ? &demo_table[i] : find_demo(argv[i]);
        failed += (run_one(d) != 0) ? 1 : 0;
        ran++;
    }
    mm_printf("\n%d demos run, %d failed\n", ran, failed);
    return failed == 0 ? MMRT_EXIT_OK : MMRT_EXIT_FAILED;
}
