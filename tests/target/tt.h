/*
 * tt.h - the on-target test harness.
 *
 * A test file writes
 *     TT_CASE(list_grows) { ... TT_ASSERT(x == 3); TT_ASSERT_EQ(a, b); }
 * Each case lands in the linker section "tt_cases"; tests/target/tt_main.c
 * runs them all (or the ones named on the semihosting command line), prints
 * one line per case and ends with "N passed, N failed"; the exit code is the
 * number of failed cases (capped at 255).
 *
 * A failed assertion prints "file:line: TT_ASSERT(expr) failed" and ends
 * the case at once (it returns from the case function).
 *
 * TT_CRASH_CASE(name, "expected text") declares a case that must END THE
 * FIRMWARE with a non-zero exit and print the expected text (a fault, a
 * stack overflow, a misuse panic). Such cases run only when named on the
 * command line; `make test` runs each in its own QEMU and checks both.
 */
#ifndef TT_H
#define TT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *name;
    void (*fn)(void);
    const char *expect_crash; /* NULL for an ordinary case */
} tt_case;

/* Records a failure of the running case; returns false. */
bool tt_fail(const char *file, int line, const char *what);
bool tt_fail_eq(const char *file, int line, const char *what, long long a,
                long long b);

#define TT_REGISTER(name, crash)                                              \
    static void tt_fn_##name(void);                                           \
    __attribute__((used, section("tt_cases"), aligned(4)))                    \
    static const tt_case tt_case_##name = {#name, tt_fn_##name, crash};       \
    static void tt_fn_##name(void)

#define TT_CASE(name) TT_REGISTER(name, 0)
#define TT_CRASH_CASE(name, expect) TT_REGISTER(name, expect)

#define TT_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond)) {                                                        \
            (void)tt_fail(__FILE__, __LINE__, "TT_ASSERT(" #cond ")");        \
            return;                                                           \
        }                                                                     \
    } while (0)

#define TT_ASSERT_EQ(a, b)                                                    \
    do {                                                                      \
        long long tt_a_ = (long long)(a), tt_b_ = (long long)(b);             \
        if (tt_a_ != tt_b_) {                                                 \
            (void)tt_fail_eq(__FILE__, __LINE__, #a " == " #b, tt_a_, tt_b_); \
            return;                                                           \
        }                                                                     \
    } while (0)

/* The mm heap that target tests may use: the whole static region, set up
 * fresh before every case. */
struct mm_heap;
struct mm_heap *tt_heap(void);

#endif /* TT_H */
