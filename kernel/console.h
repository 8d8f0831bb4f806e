/*
 * console.h - where mm_printf() output goes: semihosting or the board's UART.
 *
 * Chosen at build time by CONSOLE (Makefile) as MMRT_CONSOLE_SEMIHOST,
 * MMRT_CONSOLE_UART, or neither (auto). Auto decides once, in
 * console_init():
 *   1. ARMv7-M with DHCSR.C_DEBUGEN set: a debugger is attached, so
 *      semihosting (the debugger must serve it, e.g. openocd's
 *      "arm semihosting enable");
 *   2. otherwise one semihosting call is tried with a trap armed
 *      (sh_probe()): under QEMU -semihosting it is answered; on silicon with
 *      no debugger the BKPT escalates to HardFault, which boot/fault_entry.S
 *      steps over, and the console is the UART.
 * Without semihosting there is no command line (every demo or case runs), no
 * host files and no exit code: kernel_exit() prints "mmrt: halted, exit code
 * N" and sleeps in WFI; tools/qemu.sh reads that line.
 */
#ifndef MMRT_CONSOLE_H
#define MMRT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Picks and sets up the console (once, from kernel_init()). O(1). */
void console_init(void);
/* Writes n bytes to the console chosen. Blocks until handed over. */
void console_write(const char *s, size_t n);
/* "semihosting" or "uart". */
const char *console_name(void);

/* True when semihosting calls are served (QEMU, or a debugger that serves
 * them): host files (sh_open...), the command line and the exit code exist.
 * False on a board running alone, where every sh_ call fails at once
 * (returns -1) instead of trapping. O(1), ISR-safe. */
bool kernel_has_semihosting(void);

/* True when DHCSR.C_DEBUGEN is set: a debugger has enabled halting debug.
 * ARMv7-M only; on ARMv6-M software access to DHCSR is implementation
 * defined, so this returns false there. O(1), ISR-safe. */
bool kernel_debugger_attached(void);

#endif /* MMRT_CONSOLE_H */
