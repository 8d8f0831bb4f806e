/*
 * fault_entry.S - common entry of every fault handler.
 *
 * Finds the exception frame (MSP or PSP, from EXC_RETURN bit 2), moves to
 * a private fault stack (the main stack may be the thing that overflowed),
 * and calls fault_report(frame, exc_return, ipsr) in boot/fault.c, which
 * never returns. Thumb-1 only, so the same code runs on ARMv6-M.
 *
 * One fault is expected: the semihosting probe (kernel/semihost.c,
 * sh_probe). While mmrt_sh_probe is SH_PROBE_ARMED (1) the fault goes to
 * fault_probe_trap(frame, exc_return, ipsr) in boot/fault.c on the current
 * stack (the probe runs at boot, far from the stack limit), with lr still
 * EXC_RETURN, so its return is the exception return.
 */
    .syntax unified
    .thumb
    .text

    .global fault_entry
    .type fault_entry, %function
    .thumb_func
fault_entry:
    movs    r0, #4
    mov     r1, lr
    tst     r0, r1
    beq     1f
    mrs     r0, psp
    b       2f
1:  mrs     r0, msp
2:  mrs     r2, ipsr
    ldr     r3, =mmrt_sh_probe
    ldr     r3, [r3]
    cmp     r3, #1                  /* SH_PROBE_ARMED */
    bne     3f
    ldr     r3, =fault_probe_trap
    bx      r3
3:
    ldr     r3, =mmrt_fault_stack_top
    ldr     r3, [r3]
    mov     sp, r3
    ldr     r3, =fault_report
    bx      r3
    .size fault_entry, . - fault_entry
    .pool
