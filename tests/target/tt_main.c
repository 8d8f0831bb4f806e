/*
 * tt_main.c - main() of the on-target test firmware.
 *
 * With no argument it runs every ordinary case of the "tt_cases" section,
 * each on a fresh mm heap over the whole static region, checks the stack
 * guard after each, and ends with "N passed, N failed". Named arguments run
 * just those cases, crash cases included (a crash case must end the
 * firmware: if it returns, it failed). "--list" prints every case with its
 * expected crash text, for tools/test.sh.
 */
#include <stdbool.h>
#include <string.h>

#include "kernel.h"
#include "heap/mm_heap.h"
#include "fmt/mm_fmt.h"
#include "tt.h"

extern const tt_case __start_tt_cases[], __stop_tt_cases[];

/* The cases the linker gathered (compared as addresses: the two symbols
 * bound one section, which C cannot express as one object). */
static size_t case_count(void) {
    return ((uintptr_t)__stop_tt_cases - (uintptr_t)__start_tt_cases) / sizeof(tt_case);
}

static bool case_failed;
static mm_heap *heap;

bool tt_fail(const char *file, int line, const char *what) {
    mm_printf("%s:%d: %s failed\n", file, line, what);
    case_failed = true;
    return false;
}

bool tt_fail_eq(const char *file, int line, const char *what, long long a,
                long long b) {
    mm_printf("%s:%d: %s failed: %lld != %lld\n", file, line, what, a, b);
    case_failed = true;
    return false;
}

struct mm_heap *tt_heap(void) {
    if (heap == NULL) {
        void *start;
        size_t size;
        kernel_mm_region(&start, &size);
        heap = mm_init(start, size);
        if (heap == NULL) {
            PANIC("tt_heap: mm_init refused the static region");
        }
    }
    return heap;
}

/* Runs one case; returns true if it passed. */
static bool run_case(const tt_case *c) {
    case_failed = false;
    heap = NULL; /* the next tt_heap() lays a fresh heap */
    mm_printf("[ RUN  ] %s\n", c->name);
    c->fn();
    kernel_stack_check(__FILE__, __LINE__);
    if (c->expect_crash != NULL) {
        mm_printf("%s: expected the firmware to end (%s), but the case returned\n",
                  c->name, c->expect_crash);
        case_failed = true;
    }
    mm_printf("[ %s ] %s\n", case_failed ? "FAIL" : " OK ", c->name);
    return !case_failed;
}

static const tt_case *find_case(const char *name) {
    for (size_t i = 0; i < case_count(); i++) {
        if (strcmp(__start_tt_cases[i].name, name) == 0) {
            return &__start_tt_cases[i];
        }
    }
    return NULL;
}

int main(void) {
    static char line[256];
    char *argv[16];
    int passed = 0, failed = 0;
    int argc = kernel_args(line, sizeof line, argv, 16);
    if (argc < 0) {
        return MMRT_EXIT_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        if (strcmp(word, "--list") == 0) {
            for (size_t k = 0; k < case_count(); k++) {
                const tt_case *c = &__start_tt_cases[k];
                mm_printf("case %s%s%s\n", c->name, c->expect_crash ? " crash " : "",
                          c->expect_crash ? c->expect_crash : "");
            }
            return MMRT_EXIT_OK;
        }
        const tt_case *c = find_case(word);
        if (c == NULL) {
            mm_printf("tt: no test case named '%s' (try --list)\n", word);
            return MMRT_EXIT_USAGE;
        }
        *(run_case(c) ? &passed : &failed) += 1;
    }
    if (argc == 0) {
        for (size_t k = 0; k < case_count(); k++) {
            const tt_case *c = &__start_tt_cases[k];
            if (c->expect_crash == NULL) {
                *(run_case(c) ? &passed : &failed) += 1;
            }
        }
    }
    mm_printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? MMRT_EXIT_OK : MMRT_EXIT_FAILED;
}
