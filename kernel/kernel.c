/*
 * kernel.c - boot-time set-up, the stack guard, panic and exit, and the
 * mm port (mm/mm_port.h) for the firmware.
 *
 * Stack guard: the GUARD_SIZE bytes below the stack (linker/cortex-m.ld).
 * On a core with an MPU (PMSAv7, ARMv7-M) region 0 makes them no-access,
 * so the first push past the stack limit faults and boot/fault.c reports a
 * stack overflow. Everywhere the guard is also filled with a canary, which
 * kernel_stack_check() verifies (from SysTick, between demos and test
 * cases, and at exit): on the Cortex-M0, which has no MPU, that check is
 * the guard.
 */
#include "kernel.h"

#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "fmt/mm_fmt.h"
#include "mm_port.h"
#include "regs.h"
#include "semihost.h"

extern uint32_t __stack_limit[], __stack_top[], __guard_start[];
extern uint8_t __mm_region_start[], __mm_region_end[];

#define CANARY 0xDEADC0DEUL
#define PAINT 0xA5A5A5A5UL

static bool guard_is_mpu;

/* Ends the firmware. With semihosting the exit code goes to the host (QEMU's
 * exit status). Without it the code is printed on one line that
 * tools/qemu.sh reads, SysTick is stopped and the core sleeps: with every
 * interrupt source off, WFI does not wake. */
__attribute__((noreturn)) static void halt(int code) {
    if (kernel_has_semihosting()) {
        sh_exit(code);
    }
    mm_printf("mmrt: halted, exit code %d\n", code);
    SYST_CSR = 0;
    (void)crit_enter();
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* The guard as words. The linker symbols bound regions, not C objects, so
 * lengths come from their addresses. */
static size_t guard_words(void) {
    return ((uintptr_t)__stack_limit - (uintptr_t)__guard_start) / 4U;
}

static uint32_t log2_u32(uint32_t v) {
    uint32_t r = 0;
    while (v > 1U) {
        v >>= 1;
        r++;
    }
    return r;
}

/* MPU region 0: no access, never execute, over the guard. A board whose
 * part has no MPU (MMRT_NO_MPU) keeps the canary even where QEMU models
 * one, so that QEMU runs what the silicon runs. */
#ifdef MMRT_NO_MPU
#define BOARD_HAS_MPU false
#else
#define BOARD_HAS_MPU true
#endif
static bool mpu_guard_arm(void) {
    if (!BOARD_HAS_MPU || CPUID_PARTNO(SCB_CPUID) == 0xC20UL || MPU_TYPE_DREGION(MPU_TYPE) == 0U) {
        return false;
    }
    uint32_t size = (uint32_t)((uintptr_t)__stack_limit - (uintptr_t)__guard_start);
    MPU_RNR = 0;
    MPU_RBAR = (uint32_t)(uintptr_t)__guard_start;
    MPU_RASR = MPU_RASR_XN | MPU_RASR_AP_NONE | MPU_RASR_SIZE(log2_u32(size)) |
               MPU_RASR_ENABLE;
    MPU_CTRL = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    return true;
}

static void paint_stack(void) {
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    size_t words = (sp - 64U - (uintptr_t)__stack_limit) / 4U; /* keep 64 B of live frame */
    for (size_t i = 0; i < words; i++) {
        __stack_limit[i] = PAINT;
    }
}

void kernel_init(void) {
    for (size_t i = 0; i < guard_words(); i++) {
        __guard_start[i] = CANARY;
    }
    paint_stack();
    if (CPUID_PARTNO(SCB_CPUID) != 0xC20UL) {
        SCB_SHCSR |= SCB_SHCSR_MEMFAULTENA | SCB_SHCSR_BUSFAULTENA | SCB_SHCSR_USGFAULTENA;
        SCB_CCR |= SCB_CCR_DIV_0_TRP;
    }
    guard_is_mpu = mpu_guard_arm();
#ifdef MMRT_LM3S_RCC
    LM3S_SYSCTL_RCC = LM3S_SYSCTL_RCC; /* QEMU computes the clock on write */
#endif
    console_init();
    counter_start();
}

int kernel_stack_guard_is_mpu(void) { return guard_is_mpu ? 1 : 0; }

void kernel_stack_check(const char *file, int line) {
    if (guard_is_mpu) {
        return; /* the guard is no-access: a canary there cannot be read */
    }
    const volatile uint32_t *guard = __guard_start;
    for (size_t i = 0; i < guard_words(); i++) {
        if (guard[i] != CANARY) {
            mm_printf("\n*** stack overflow: canary at %p overwritten (0x%08lx), "
                      "seen at %s:%d ***\n",
                      (const void *)&guard[i], (unsigned long)guard[i], file, line);
            halt(MMRT_EXIT_STACK);
        }
    }
}

size_t kernel_stack_size(void) {
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
}

size_t kernel_stack_used(void) {
    size_t words = kernel_stack_size() / 4U, i = 0;
    while (i < words && __stack_limit[i] == PAINT) {
        i++;
    }
    return (words - i) * 4U;
}

void kernel_mm_region(void **start, size_t *size) {
    *start = __mm_region_start;
    *size = (size_t)((uintptr_t)__mm_region_end - (uintptr_t)__mm_region_start);
}

int kernel_args(char *buf, size_t n, char **argv, int max) {
    if (!kernel_has_semihosting()) {
        return 0; /* no host, no command line: the defaults */
    }
    if (sh_cmdline(buf, n) < 0) {
        mm_printf("kernel: no command line from the host, or longer than %lu bytes\n",
                  (unsigned long)(n - 1U));
        return -1;
    }
    int argc = 0;
    bool program_name = true;
    for (char *p = buf; *p != '\0';) {
        while (*p == ' ') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        if (!program_name) {
            if (argc == max) {
                mm_printf("kernel: more than %d words on the command line\n", max);
                return -1;
            }
            argv[argc++] = p;
        }
        program_name = false;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
    }
    return argc;
}

void kernel_exit(int code) {
    kernel_stack_check(__FILE__, __LINE__);
    halt(code);
}

void kernel_panic(const char *file, int line, const char *msg, int code) {
    (void)crit_enter();
    mm_printf("\n*** PANIC %s:%d: %s ***\n", file, line, msg);
    halt(code);
}

/* ---- mm/mm_port.h for the firmware ---- */

/* Weak: a firmware that measures its critical sections (the bench's lock
 * variant, tests/bench/bench_lock.c) links its own pair. */
__attribute__((weak)) uint32_t mm_port_lock(void) { return crit_enter(); }
__attribute__((weak)) void mm_port_unlock(uint32_t state) { crit_exit(state); }

void mm_port_panic(const char *file, int line, const char *msg) {
    kernel_panic(file, line, msg, MMRT_EXIT_PANIC);
}

void mm_port_misuse(const char *file, int line, const char *msg) {
    (void)crit_enter();
    mm_printf("\n*** MISUSE %s:%d: %s ***\n", file, line, msg);
    halt(MMRT_EXIT_PANIC);
}

uint64_t mm_port_clock(void) { return counter_instructions(); }

void mm_port_write(const char *s, size_t n) { console_write(s, n); }
