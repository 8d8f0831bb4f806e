/*
 * counter.c - a 64-bit instruction counter from the 24-bit SysTick.
 *
 * SysTick counts down from SYST_RELOAD_MAX on the processor clock; its
 * interrupt adds one period to a 32-bit wrap count. A read takes the wrap
 * count, the current value and the wrap count again, and retries if a wrap
 * slipped in between. With interrupts masked a wrap cannot be counted by the
 * handler, so a pending SysTick with a freshly reloaded value adds one
 * period by hand. Under QEMU -icount shift=0 one ns of virtual time is one
 * instruction, so instructions = ticks * 1e9 / MMRT_SYSTICK_HZ.
 */
#include <stdint.h>

#include "kernel.h"
#include "regs.h"

#ifndef MMRT_SYSTICK_HZ
#error "MMRT_SYSTICK_HZ must come from the board fragment (boards/*.mk)"
#endif

static volatile uint32_t wraps;
static uint32_t reload = SYST_RELOAD_MAX; /* ticks per wrap, minus one */

void SysTick_Handler(void);
void SysTick_Handler(void) {
    wraps++;
    kernel_stack_check(__FILE__, __LINE__);
}

void counter_start(void) {
    SYST_CSR = 0;
    wraps = 0;
    SYST_RVR = reload;
    SYST_CVR = 0; /* any write clears it and reloads on the next tick */
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
    /* The cleared counter reads 0 until the first tick reloads it; a read
     * before then would look like the end of a period. Wait that tick out
     * (bounded: a tick is under 100 instructions). */
    for (uint32_t i = 0; i < 100000U && SYST_CVR == 0U; i++) {
    }
}

uint64_t counter_ticks(void) {
    uint32_t w1, w2, value;
    do {
        w1 = wraps;
        value = SYST_CVR;
        w2 = wraps;
    } while (w1 != w2);
    if ((SCB_ICSR & SCB_ICSR_PENDSTSET) != 0U && value > reload / 2U) {
        w1++; /* wrapped while interrupts were masked */
    }
    return (uint64_t)w1 * (reload + 1U) + (reload - value);
}

void counter_restart(uint32_t ticks_per_wrap) {
    reload = ticks_per_wrap - 1U;
    counter_start();
}

uint64_t counter_instructions(void) {
    uint64_t t = counter_ticks();
    /* split so that t * 1e9 cannot overflow */
    return (t / MMRT_SYSTICK_HZ) * 1000000000ULL +
           (t % MMRT_SYSTICK_HZ) * 1000000000ULL / MMRT_SYSTICK_HZ;
}
