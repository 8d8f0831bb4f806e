/*
 * test_platform.c - on-target tests of boot/ and kernel/: the instruction
 * counter, semihosting files, the formatter on the target's ABI, and the
 * crash cases (fault decode, stack guard, panic) that tools/test.sh runs
 * one per QEMU.
 */
#include <stdint.h>
#include <string.h>

#include "console.h"
#include "kernel.h"
#include "fmt/mm_fmt.h"
#include "mm_port.h"
#include "semihost.h"
#include "tt.h"

/* Exactly 2 instructions per iteration (subs, bne): Thumb-1, all cores. */
static void spin(uint32_t iterations) {
    __asm__ volatile(".syntax unified\n1: subs %0, %0, #1\n\tbne 1b" : "+l"(iterations)::"cc");
}

/* Measures 2*n instructions; returns the count minus the expected one. */
static int64_t spin_error(uint32_t n) {
    uint64_t t0 = counter_instructions();
    spin(n);
    uint64_t t1 = counter_instructions();
    return (int64_t)(t1 - t0) - (int64_t)(2ULL * n);
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

TT_CASE(counter_loop_within_1_percent) {
    const uint32_t n = 500000; /* 1,000,000 instructions */
    int64_t err = spin_error(n);
    mm_printf("  1000000-instruction loop measured with error %lld\n", (long long)err);
    TT_ASSERT(abs64(err) <= 2LL * n / 100); /* within 1%: <= 10,000 */
}

TT_CASE(counter_extends_past_24_bits) {
    /* A 1024-tick SysTick period makes the 24-bit counter wrap every
    * 1024 ticks; 3,000,000 instructions cross it dozens of times. */
    counter_restart(1024U);
    const uint32_t n = 1500000;
    uint64_t before = counter_ticks();
    int64_t err = spin_error(n);
    uint64_t ticks = counter_ticks() - before;
    counter_restart(1U << 24);
    mm_printf("  %llu ticks (%llu wraps), error %lld instructions\n",
              (unsigned long long)ticks, (unsigned long long)(ticks / 1024U), (long long)err);
    TT_ASSERT(ticks / 1024U >= 10U);
    TT_ASSERT(abs64(err) <= 2LL * n / 100);
}

TT_CASE(counter_is_monotonic) {
    uint64_t last = counter_instructions();
    for (int i = 0; i < 2000; i++) {
        uint64_t now = counter_instructions();
        TT_ASSERT(now >= last);
        last = now;
    }
}

TT_CASE(semihosting_file_round_trip) {
    if (!kernel_has_semihosting()) {
        mm_printf("  skipped: no semihosting host (UART console)\n");
        return;
    }
    static const char path[] = "build/tt_roundtrip.txt";
    static const char text[] = "mmrt semihosting line 1\nline 2\n";
    int fd = sh_open(path, SH_MODE_W);
    TT_ASSERT(fd >= 0);
    TT_ASSERT_EQ(sh_write(fd, text, sizeof text - 1U), 0);
    TT_ASSERT_EQ(sh_close(fd), 0);
    fd = sh_open(path, SH_MODE_R);
    TT_ASSERT(fd >= 0);
    TT_ASSERT_EQ(sh_flen(fd), (long)(sizeof text - 1U));
    char back[64] = {0};
    TT_ASSERT_EQ(sh_read(fd, back, sizeof back), (long)(sizeof text - 1U));
    TT_ASSERT_EQ(sh_read(fd, back, sizeof back), 0); /* end of file */
    TT_ASSERT_EQ(sh_close(fd), 0);
    TT_ASSERT(memcmp(back, text, sizeof text - 1U) == 0);
    TT_ASSERT_EQ(sh_remove(path), 0);
    TT_ASSERT(sh_open(path, SH_MODE_R) < 0);
}

TT_CASE(semihosting_missing_file_sets_errno) {
    if (!kernel_has_semihosting()) {
        TT_ASSERT(sh_open("build/no/such/file.txt", SH_MODE_R) < 0); /* fails, no trap */
        return;
    }
    TT_ASSERT(sh_open("build/no/such/file.txt", SH_MODE_R) < 0);
    TT_ASSERT_EQ(sh_errno(), 2); /* ENOENT */
}

TT_CASE(formatter_on_target_abi) {
    char buf[80];
    mm_snprintf(buf, sizeof buf, "%llu|%lld|%08lx|%zu|%-4s|%5.2s", 18446744073709551615ULL,
                -9223372036854775807LL - 1, 0xbeefUL, (size_t)42, "ab", "xyz");
    TT_ASSERT(strcmp(buf, "18446744073709551615|-9223372036854775808|0000beef|42|ab  |   xy") == 0);
}

TT_CASE(stack_is_painted_and_measured) {
    size_t used = kernel_stack_used();
    TT_ASSERT(used > 0U);
    TT_ASSERT(used < kernel_stack_size());
}

/* ---- crash cases: each must end the firmware (tools/test.sh checks the
 * exit code before the colon and the text after it) ---- */

TT_CRASH_CASE(crash_undefined_instruction, "3:stacked PC") {
    __asm__ volatile(".short 0xde00"); /* UDF #0 */
}

/* QEMU's Stellaris model reads unmapped addresses as zero, so a bus error
 * can only be provoked on the other boards (boards/lm3s6965evb.mk). */
#ifndef MMRT_NO_BUS_ERRORS
TT_CRASH_CASE(crash_bus_error, "3:stacked PC") {
    volatile uint32_t *bad = (volatile uint32_t *)(uintptr_t)0x30000000UL;
    (void)*bad;
}
#endif

/* ARMv7-M traps division by zero once CCR.DIV_0_TRP is set (kernel_init);
 * ARMv6-M has no divide instruction. */
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
TT_CRASH_CASE(crash_divide_by_zero, "3:DIVBYZERO") {
    volatile uint32_t zero = 0;
    volatile uint32_t q = 100U / zero; // NOLINT(clang-analyzer-core.DivideZero): the trap under test
    (void)q;
}
#endif

/* Recurses with a 64-byte frame until the guard stops it (the limit is
 * there only so that the compiler accepts the recursion). */
static uint32_t deep(uint32_t n) {
    if (n == UINT32_MAX) {
        return 0;
    }
    volatile uint32_t frame[16];
    for (uint32_t i = 0; i < 16U; i++) {
        frame[i] = n + i;
    }
    kernel_stack_check(__FILE__, __LINE__); /* the M0's guard is a checked canary */
    return deep(n + 1U) + frame[n % 16U];
}

TT_CRASH_CASE(crash_stack_overflow, "4:stack overflow") {
    (void)deep(0);
}

TT_CRASH_CASE(crash_assert, "2:PANIC") {
    volatile int x = 1;
    MM_ASSERT(x == 2, "deliberate MM_ASSERT failure");
}
