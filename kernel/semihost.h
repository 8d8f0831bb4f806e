/*
 * semihost.h - ARM semihosting (ARM "Semihosting for AArch32 and AArch64",
 * v2): the console, host files, the command line and the exit code.
 *
 * Every call traps with BKPT 0xAB; QEMU (-semihosting-config enable=on)
 * services it. Without a debugger or QEMU behind it the BKPT faults, so
 * these calls are for QEMU and debug probes only; kernel/console.h says
 * whether they are served (kernel_has_semihosting()). All calls block; none
 * is ISR-safe beyond the console write.
 */
#ifndef MMRT_SEMIHOST_H
#define MMRT_SEMIHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* States of mmrt_sh_probe (shared with boot/fault_entry.S: keep in step). */
#define SH_PROBE_IDLE 0U
#define SH_PROBE_ARMED 1U
#define SH_PROBE_TRAPPED 2U

/* Tries one harmless call (SYS_ERRNO) with the fault trap armed. Returns
 * true if a host answered it, false if the BKPT faulted. Call once, from
 * console_init(), with no other fault expected. */
bool sh_probe(void);
/* false: no host serves semihosting; every call below then returns -1 (or
 * fails) at once instead of trapping. Set by console_init(). */
void sh_set_available(bool yes);

/* Modes for sh_open, as semihosting numbers them (ISO C fopen modes). */
enum {
    SH_MODE_R = 0,  /* "r"  */
    SH_MODE_RB = 1, /* "rb" */
    SH_MODE_W = 4,  /* "w"  */
    SH_MODE_WB = 5, /* "wb" */
    SH_MODE_A = 8,  /* "a"  */
};

/* Writes n bytes to the console. Returns 0, or -1 if the host refused. */
int sh_console_write(const char *s, size_t n);

/* Opens a host file. Returns a handle >= 0, or -1 (see sh_errno()). */
int sh_open(const char *path, int mode);
/* Returns 0, or -1. */
int sh_close(int fd);
/* Reads up to n bytes. Returns the number read (0 at end of file), or -1. */
long sh_read(int fd, void *buf, size_t n);
/* Writes n bytes. Returns 0 when all were written, or -1. */
int sh_write(int fd, const void *buf, size_t n);
/* Length of an open file in bytes, or -1. */
long sh_flen(int fd);
/* Deletes a host file. Returns 0, or -1. */
int sh_remove(const char *path);
/* The host's errno after the last failed call. */
int sh_errno(void);

/* Copies the command line (program name first) into buf, NUL-terminated.
 * Returns its length, or -1 if it does not fit or the host has none. */
int sh_cmdline(char *buf, size_t n);

/* Ends the QEMU session with this exit code. */
__attribute__((noreturn)) void sh_exit(int code);

#endif /* MMRT_SEMIHOST_H */
