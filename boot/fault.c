/*
 * fault.c - decode a CPU fault, print it, exit QEMU non-zero.
 *
 * Entered from fault_entry.S on a private stack with the stacked exception
 * frame {r0, r1, r2, r3, r12, lr, pc, xpsr}. On ARMv7-M it prints the
 * fault kind, CFSR (with its bits named), HFSR, MMFAR and BFAR; ARMv6-M has
 * none of these registers and only reports a HardFault. A fault whose frame
 * lies below the stack limit, or that failed while stacking, is a stack
 * overflow caught by the guard: exit code 4 instead of 3.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "fmt/mm_fmt.h"
#include "regs.h"
#include "semihost.h"

#define FAULT_STACK_BYTES 1024U
__attribute__((aligned(8))) static uint8_t fault_stack[FAULT_STACK_BYTES];
uint8_t *const mmrt_fault_stack_top = &fault_stack[FAULT_STACK_BYTES];

extern uint32_t __stack_limit[], __stack_top[], __guard_start[];

__attribute__((noreturn)) void fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr);
void fault_probe_trap(uint32_t *frame, uint32_t exc_return, uint32_t ipsr);

extern volatile uint32_t mmrt_sh_probe;

#define THUMB_BKPT_SEMIHOSTING 0xBEABU /* BKPT 0xAB */

static const char *fault_name(uint32_t exception) {
    switch (exception) {
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    default: return "unexpected exception";
    }
}

static bool is_v7m(void) { return CPUID_PARTNO(SCB_CPUID) != 0xC20UL; }

/* Names the CFSR bits that are set. */
static void print_cfsr_bits(uint32_t cfsr) {
    static const struct {
        uint32_t bit;
        const char *name;
    } bits[] = {
        {CFSR_IACCVIOL, "IACCVIOL"}, {CFSR_DACCVIOL, "DACCVIOL"},
        {CFSR_MUNSTKERR, "MUNSTKERR"}, {CFSR_MSTKERR, "MSTKERR"},
        {CFSR_MMARVALID, "MMARVALID"}, {CFSR_IBUSERR, "IBUSERR"},
        {CFSR_PRECISERR, "PRECISERR"}, {CFSR_IMPRECISERR, "IMPRECISERR"},
        {CFSR_UNSTKERR, "UNSTKERR"}, {CFSR_STKERR, "STKERR"},
        {CFSR_BFARVALID, "BFARVALID"}, {CFSR_UNDEFINSTR, "UNDEFINSTR"},
        {CFSR_INVSTATE, "INVSTATE"}, {CFSR_INVPC, "INVPC"},
        {CFSR_NOCP, "NOCP"}, {CFSR_UNALIGNED, "UNALIGNED"},
        {CFSR_DIVBYZERO, "DIVBYZERO"},
    };
    mm_printf("  CFSR  = 0x%08lx [", (unsigned long)cfsr);
    for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        if ((cfsr & bits[i].bit) != 0U) {
            mm_printf(" %s", bits[i].name);
        }
    }
    mm_printf(" ]\n");
}

/* The semihosting probe's BKPT faulted (no host): step over it (Thumb,
 * 2 bytes), answer -1 in r0, mark the probe trapped and return from the
 * exception. Any other fault while probing is reported as usual. */
void fault_probe_trap(uint32_t *frame, uint32_t exc_return, uint32_t ipsr) {
    const uint16_t *pc = (const uint16_t *)(uintptr_t)frame[6];
    if (*pc != THUMB_BKPT_SEMIHOSTING) {
        mmrt_sh_probe = SH_PROBE_IDLE;
        fault_report(frame, exc_return, ipsr);
    }
    frame[6] += 2U;
    frame[0] = UINT32_MAX;
    mmrt_sh_probe = SH_PROBE_TRAPPED;
    if (is_v7m()) {
        SCB_HFSR = HFSR_DEBUGEVT; /* write 1 to clear */
    }
}

/* True when the frame or the faulting address lies in the guard. */
static bool in_guard(uintptr_t addr) {
    return addr >= (uintptr_t)__guard_start && addr < (uintptr_t)__stack_limit;
}

void fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr) {
    uint32_t exception = ipsr & 0x1FFUL;
    bool overflow = (uintptr_t)frame < (uintptr_t)__stack_limit;
    uint32_t cfsr = 0;
    if (is_v7m()) {
        MPU_CTRL = 0; /* the report must be free to read the guard area */
        __asm__ volatile("dsb\n\tisb" ::: "memory");
        cfsr = SCB_CFSR;
        uint32_t mmfar = SCB_MMFAR;
        overflow = overflow || (cfsr & (CFSR_MSTKERR | CFSR_STKERR)) != 0U ||
                   ((cfsr & CFSR_MMARVALID) != 0U && in_guard(mmfar));
        mm_printf("\n*** %s%s ***\n", fault_name(exception),
                  overflow ? " (stack overflow: the stack guard was hit)" : "");
        print_cfsr_bits(cfsr);
        mm_printf("  HFSR  = 0x%08lx%s%s\n  MMFAR = 0x%08lx%s\n  BFAR  = 0x%08lx%s\n",
                  (unsigned long)SCB_HFSR,
                  (SCB_HFSR & HFSR_FORCED) != 0U ? " [FORCED]" : "",
                  (SCB_HFSR & HFSR_VECTTBL) != 0U ? " [VECTTBL]" : "",
                  (unsigned long)mmfar, (cfsr & CFSR_MMARVALID) != 0U ? "" : " (not valid)",
                  (unsigned long)SCB_BFAR, (cfsr & CFSR_BFARVALID) != 0U ? "" : " (not valid)");
    } else {
        mm_printf("\n*** %s%s ***\n  (ARMv6-M: no fault status registers)\n",
                  fault_name(exception), overflow ? " (stack overflow)" : "");
    }
    mm_printf("  EXC_RETURN = 0x%08lx, frame at %p (stack %p..%p)\n",
              (unsigned long)exc_return, (const void *)frame,
              (void *)__stack_limit, (void *)__stack_top);
    if ((cfsr & (CFSR_MSTKERR | CFSR_STKERR)) != 0U) {
        mm_printf("  (stacking failed: the core could not write the exception frame)\n");
    } else if (!overflow || (uintptr_t)frame >= (uintptr_t)__guard_start) {
        mm_printf("  stacked PC = 0x%08lx  LR = 0x%08lx  xPSR = 0x%08lx\n",
                  (unsigned long)frame[6], (unsigned long)frame[5], (unsigned long)frame[7]);
        mm_printf("  r0-r3 = 0x%08lx 0x%08lx 0x%08lx 0x%08lx  r12 = 0x%08lx\n",
                  (unsigned long)frame[0], (unsigned long)frame[1],
                  (unsigned long)frame[2], (unsigned long)frame[3], (unsigned long)frame[4]);
    } else {
        mm_printf("  (frame lies outside RAM the stack owns: not read)\n");
    }
    kernel_exit(overflow ? MMRT_EXIT_STACK : MMRT_EXIT_FAULT);
}
