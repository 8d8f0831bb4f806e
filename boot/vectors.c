/*
 * vectors.c - the Cortex-M vector table.
 *
 * A const table placed first in flash (section .vectors). Every handler is
 * a weak alias of Default_Handler, so a board or a test may override any
 * one of them by defining a function of the same name.
 */
#include <stdint.h>

#include "kernel.h"

typedef void (*vector_fn)(void);

extern uint32_t __stack_top[];

void Reset_Handler(void);
void Default_Handler(void);
void fault_entry(void); /* boot/fault_entry.S */

/* Any exception nobody installed a handler for: report it, exit non-zero. */
void Default_Handler(void) {
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    (void)ipsr;
    kernel_panic(__FILE__, __LINE__, "unexpected exception (no handler installed)",
                 MMRT_EXIT_FAULT);
}

#define WEAK_ALIAS(name) void name(void) __attribute__((weak, alias("Default_Handler")))
WEAK_ALIAS(NMI_Handler);
WEAK_ALIAS(SVC_Handler);
WEAK_ALIAS(DebugMon_Handler);
WEAK_ALIAS(PendSV_Handler);
WEAK_ALIAS(SysTick_Handler);
/* External interrupts by number (the board's manual maps them): a test
 * that enables one defines IRQ<n>_Handler. */
WEAK_ALIAS(IRQ0_Handler);  WEAK_ALIAS(IRQ1_Handler);  WEAK_ALIAS(IRQ2_Handler);
WEAK_ALIAS(IRQ3_Handler);  WEAK_ALIAS(IRQ4_Handler);  WEAK_ALIAS(IRQ5_Handler);
WEAK_ALIAS(IRQ6_Handler);  WEAK_ALIAS(IRQ7_Handler);  WEAK_ALIAS(IRQ8_Handler);
WEAK_ALIAS(IRQ9_Handler);  WEAK_ALIAS(IRQ10_Handler); WEAK_ALIAS(IRQ11_Handler);

/* The number of external interrupt slots reserved; none is enabled unless
 * a test enables one (the first 12 have their own weak names). */
#define IRQ_SLOTS 32

__attribute__((section(".vectors"), used))
const vector_fn vector_table[16 + IRQ_SLOTS] = {
    (vector_fn)(uintptr_t)__stack_top, /*  0: initial main stack pointer */
    Reset_Handler,                     /*  1: reset */
    NMI_Handler,                       /*  2: NMI */
    /* Faults all enter fault_entry, which finds the stacked frame and moves
     * to a stack of its own before boot/fault.c decodes them. */
    fault_entry,                       /*  3: HardFault */
    fault_entry,                       /*  4: MemManage (v7-M) */
    fault_entry,                       /*  5: BusFault (v7-M) */
    fault_entry,                       /*  6: UsageFault (v7-M) */
    0, 0, 0, 0,                        /*  7-10: reserved */
    SVC_Handler,                       /* 11: SVCall */
    DebugMon_Handler,                  /* 12: debug monitor (v7-M) */
    0,                                 /* 13: reserved */
    PendSV_Handler,                    /* 14: PendSV */
    SysTick_Handler,                   /* 15: SysTick */
    IRQ0_Handler, IRQ1_Handler, IRQ2_Handler, IRQ3_Handler, /* 16-19: IRQ 0-3 */
    IRQ4_Handler, IRQ5_Handler, IRQ6_Handler, IRQ7_Handler, /* 20-23: IRQ 4-7 */
    IRQ8_Handler, IRQ9_Handler, IRQ10_Handler, IRQ11_Handler, /* 24-27: IRQ 8-11 */
    [16 + 12 ... 16 + IRQ_SLOTS - 1] = Default_Handler, /* 28+: IRQ 12+ */
};
