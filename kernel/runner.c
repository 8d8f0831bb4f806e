/*
 * runner.c - the demo runner: main() of the demo firmware.
 *
 * Reads the semihosting command line ("<elf> [demo ...]"). Each argument is
 * a demo number or name; "all", or no argument, runs every demo. Prints a
 * banner per demo and a closing summary; the exit code is 0 only if every
 * demo returned 0. An unknown name lists the demos and exits
 * MMRT_EXIT_USAGE.
 */
#include <stdbool.h>
#include <string.h>

#include "demos.h"
#include "kernel.h"
#include "fmt/mm_fmt.h"

#define CMDLINE_MAX 256

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

static int run_one(const demo *d) {
    mm_printf("\n=== demo %d: %s (%s) ===\n", d->number, d->name, d->title);
    uint64_t t0 = counter_instructions();
    int rc = d->run();
    uint64_t t1 = counter_instructions();
    kernel_stack_check(__FILE__, __LINE__);
    mm_printf("--- demo %d %s: %llu instructions, stack high-water %lu of %lu bytes\n",
              d->number, rc == 0 ? "ok" : "FAILED", (unsigned long long)(t1 - t0),
              (unsigned long)kernel_stack_used(), (unsigned long)kernel_stack_size());
    return rc;
}

static void list_demos(void) {
    mm_printf("demos:");
    for (size_t i = 0; i < demo_count; i++) {
        mm_printf(" %d=%s", demo_table[i].number, demo_table[i].name);
    }
    mm_printf(" all\n");
}

int main(void) {
    static char line[CMDLINE_MAX];
    char *argv[16];
    int argc = kernel_args(line, sizeof line, argv, 16);
    if (argc < 0) {
        return MMRT_EXIT_USAGE;
    }
    int failed = 0, ran = 0;
    bool all = argc == 0 || (argc == 1 && strcmp(argv[0], "all") == 0);
    for (int i = 0; i < (all ? (int)demo_count : argc); i++) {
        const demo *d = all ? &demo_table[i] : find_demo(argv[i]);
        if (d == NULL) {
            mm_printf("runner: no demo named '%s'\n", argv[i]);
            list_demos();
            return MMRT_EXIT_USAGE;
        }
        failed += (run_one(d) != 0) ? 1 : 0;
        ran++;
    }
    mm_printf("\n%d demos run, %d failed\n", ran, failed);
    return failed == 0 ? MMRT_EXIT_OK : MMRT_EXIT_FAILED;
}
