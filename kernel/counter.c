/*
 * counter.c - a 64-bit instruction counter from the 24-bit SysTick, or a
 * cycle counter from DWT CYCCNT on silicon.
 *
 * SysTick counts down from SYST_RELOAD_MAX on the processor clock; its
 * interrupt adds one period to a 32-bit wrap count. A read takes the wrap
 * count, the current value and the wrap count again, and retries if a wrap
 * slipped in between. With interrupts masked a wrap cannot be counted by the
 * handler, so a pending SysTick with a freshly reloaded value adds one
 * period by hand. Under QEMU -icount shift=0 one ns of virtual time is one
 * instruction, so instructions = ticks * 1e9 / MMRT_SYSTICK_HZ.
 *
 * On ARMv7-M parts with a cycle counter (DWT_CTRL.NOCYCCNT = 0) the firmware
 * enables it (DEMCR.TRCENA, DWT_CTRL.CYCCNTENA) and uses it when it runs:
 * then counter_instructions() counts core clock cycles, extended to 64 bits
 * by a high word bumped whenever a read sees the 32-bit count go down. The
 * SysTick interrupt reads it once per period (at most 2^24 cycles), so no
 * wrap is missed. QEMU models no DWT: its CYCCNT reads 0, never runs, and
 * the SysTick count stays in charge (exact instructions under -icount).
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "regs.h"

#ifndef MMRT_SYSTICK_HZ
#error "MMRT_SYSTICK_HZ must come from the board fragment (boards/*.mk)"
#endif

static volatile uint32_t wraps;
static uint32_t reload = SYST_RELOAD_MAX; /* ticks per wrap, minus one */

static bool use_cyccnt;
static uint32_t cyc_high, cyc_last; /* the extension of CYCCNT to 64 bits */

/* Enables DWT CYCCNT and keeps it if it is seen to run. ARMv7-M only. */
static bool cyccnt_start(void) {
    if (CPUID_PARTNO(SCB_CPUID) == 0xC20UL || (DWT_CTRL & DWT_CTRL_NOCYCCNT) != 0U) {
        return false;
    }
    DCB_DEMCR |= DEMCR_TRCENA;
    DWT_LAR = DWT_LAR_KEY; /* Cortex-M7: unlocks DWT writes; ignored elsewhere */
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
    uint32_t first = DWT_CYCCNT;
    for (volatile uint32_t i = 0; i < 8U; i++) {
    }
    return DWT_CYCCNT != first;
}

/* CYCCNT extended to 64 bits; interrupts masked for the read-compare-bump. */
static uint64_t cycles(void) {
    uint32_t s = crit_enter();
    uint32_t now = DWT_CYCCNT;
    if (now < cyc_last) {
        cyc_high++;
    }
    cyc_last = now;
    uint64_t c = ((uint64_t)cyc_high << 32) | now;
    crit_exit(s);
    return c;
}

void SysTick_Handler(void);
void SysTick_Handler(void) {
    wraps++;
    if (use_cyccnt) {
        (void)cycles();
    }
    kernel_stack_check(__FILE__, __LINE__);
}

void counter_start(void) {
    if (!use_cyccnt) {
        use_cyccnt = cyccnt_start();
    }
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

const char *counter_unit(void) { return use_cyccnt ? "cycles" : "instructions"; }

uint64_t counter_instructions(void) {
    if (use_cyccnt) {
        return cycles();
    }
    uint64_t t = counter_ticks();
    /* split so that t * 1e9 cannot overflow */
    return (t / MMRT_SYSTICK_HZ) * 1000000000ULL +
           (t % MMRT_SYSTICK_HZ) * 1000000000ULL / MMRT_SYSTICK_HZ;
}
