/*
 * kernel.h - the firmware's small kernel: instruction counter, critical
 * sections, panic and the static RAM layout. Console output is mm_printf()
 * (mm/fmt/mm_fmt.h) written through semihosting (kernel/semihost.h).
 */
#ifndef MMRT_KERNEL_H
#define MMRT_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes of the firmware (QEMU's exit status). */
enum {
    MMRT_EXIT_OK = 0,
    MMRT_EXIT_FAILED = 1,   /* a test or demo reported failure */
    MMRT_EXIT_PANIC = 2,    /* MM_ASSERT, panic or a misuse of the runtime */
    MMRT_EXIT_FAULT = 3,    /* a CPU fault (HardFault, MemManage, ...) */
    MMRT_EXIT_STACK = 4,    /* stack overflow caught by the guard */
    MMRT_EXIT_USAGE = 5,    /* bad command line */
};

/* ---- instruction counter ----
 * Instructions since boot, extended to 64 bits. Under QEMU -icount shift=0
 * SysTick counts virtual time, one ns per instruction, so the count is
 * exact to one SysTick tick (1e9 / MMRT_SYSTICK_HZ instructions: 40 on
 * the MPS2 boards, 80 on lm3s6965evb, 62.5 on microbit, 41.7 on
 * stm32vldiscovery, 6 on netduinoplus2). On silicon with a running DWT
 * CYCCNT (Cortex-M3/M4/M7) it counts core clock cycles instead; on a
 * Cortex-M0 (no CYCCNT) SysTick clock ticks times 1e9 / MMRT_SYSTICK_HZ.
 * counter_unit() says which. O(1), ISR-safe. */
uint64_t counter_instructions(void);
/* "instructions" (SysTick under QEMU) or "cycles" (DWT CYCCNT). */
const char *counter_unit(void);
/* Raw SysTick ticks since boot (64 bits). */
uint64_t counter_ticks(void);
void counter_start(void);
/* Restarts the count from zero with a shorter SysTick period (2..2^24
 * ticks), so that tests can make the 24-bit counter wrap often. */
void counter_restart(uint32_t ticks_per_wrap);

/* ---- critical sections: nest; ISR-safe; O(1) ---- */
static inline uint32_t crit_enter(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}
static inline void crit_exit(uint32_t primask) {
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

/* ---- panic: prints "PANIC file:line: msg" and exits with code ---- */
__attribute__((noreturn)) void kernel_panic(const char *file, int line,
                                            const char *msg, int code);
#define PANIC(msg) kernel_panic(__FILE__, __LINE__, (msg), MMRT_EXIT_PANIC)

/* Ends the firmware: checks the stack guard, then exits QEMU with code. */
__attribute__((noreturn)) void kernel_exit(int code);

/* ---- static RAM layout (from the linker script) ---- */
void kernel_mm_region(void **start, size_t *size);
/* Lowest stack address reached so far (painted at boot), and its bounds. */
size_t kernel_stack_used(void);
size_t kernel_stack_size(void);
/* Checks the stack canary; on damage reports and exits MMRT_EXIT_STACK. */
void kernel_stack_check(const char *file, int line);
/* 1 if the stack guard is an MPU region, 0 if it is a canary only. */
int kernel_stack_guard_is_mpu(void);

/* Reads the semihosting command line into buf and splits it at spaces,
 * skipping the program name. Returns the number of words stored in argv,
 * or -1 when the host has no command line or it does not fit in buf, or
 * when it has more than max words (a message says which). */
int kernel_args(char *buf, size_t n, char **argv, int max);

/* Called by Reset_Handler once RAM is set up. */
void kernel_init(void);

#endif /* MMRT_KERNEL_H */
