/*
 * semihost.c - ARM semihosting calls.
 *
 * r0 holds the operation number, r1 a pointer to an argument block (or a
 * single argument); BKPT 0xAB traps to the host, which answers in r0.
 * Reference: ARM "Semihosting for AArch32 and AArch64", release 2.0.
 *
 * Without a host behind it the BKPT faults (on silicon with no debugger it
 * escalates to HardFault). sh_probe() tries one harmless call with a trap
 * armed: boot/fault_entry.S sees mmrt_sh_probe == SH_PROBE_ARMED, a BKPT
 * 0xAB at the stacked PC, steps over it and sets SH_PROBE_TRAPPED. Once
 * semihosting is known to be absent, every call fails at once.
 */
#include "semihost.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_FLEN = 0x0C,
    SYS_REMOVE = 0x0E,
    SYS_ERRNO = 0x13,
    SYS_GET_CMDLINE = 0x15,
    SYS_EXIT = 0x18,
    SYS_EXIT_EXTENDED = 0x20,
};

#define ADP_STOPPED_APPLICATION_EXIT 0x20026U

/* Read by boot/fault_entry.S (a word: Thumb-1 loads it with one ldr). */
volatile uint32_t mmrt_sh_probe = SH_PROBE_IDLE;

static bool available = true;

/* One semihosting trap; (uintptr_t)-1, an error for every call, when no
 * host serves them. */
static uintptr_t sh_call(uint32_t op, const void *arg) {
    if (!available) {
        return (uintptr_t)-1;
    }
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

bool sh_probe(void) {
    mmrt_sh_probe = SH_PROBE_ARMED;
    (void)sh_call(SYS_ERRNO, NULL);
    bool served = mmrt_sh_probe != SH_PROBE_TRAPPED;
    mmrt_sh_probe = SH_PROBE_IDLE;
    return served;
}

void sh_set_available(bool yes) { available = yes; }

static int console_fd = -1;

int sh_console_write(const char *s, size_t n) {
    if (console_fd < 0) {
        console_fd = sh_open(":tt", SH_MODE_W);
        if (console_fd < 0) {
            return -1;
        }
    }
    return sh_write(console_fd, s, n);
}

int sh_open(const char *path, int mode) {
    uintptr_t args[3] = {(uintptr_t)path, (uintptr_t)mode, strlen(path)};
    return (int)sh_call(SYS_OPEN, args);
}

int sh_close(int fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    return (int)sh_call(SYS_CLOSE, args);
}

long sh_read(int fd, void *buf, size_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    uintptr_t not_read = sh_call(SYS_READ, args);
    if (not_read > n) {
        return -1;
    }
    return (long)(n - not_read);
}

int sh_write(int fd, const void *buf, size_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    return (sh_call(SYS_WRITE, args) == 0U) ? 0 : -1;
}

long sh_flen(int fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    return (long)(intptr_t)sh_call(SYS_FLEN, args);
}

int sh_remove(const char *path) {
    uintptr_t args[2] = {(uintptr_t)path, strlen(path)};
    return (sh_call(SYS_REMOVE, args) == 0U) ? 0 : -1;
}

int sh_errno(void) { return (int)sh_call(SYS_ERRNO, NULL); }

int sh_cmdline(char *buf, size_t n) {
    uintptr_t args[2] = {(uintptr_t)buf, n};
    if (n == 0U || sh_call(SYS_GET_CMDLINE, args) != 0U) {
        return -1;
    }
    buf[(args[1] < n) ? args[1] : n - 1U] = '\0';
    return (int)args[1];
}

void sh_exit(int code) {
    uintptr_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)code};
    (void)sh_call(SYS_EXIT_EXTENDED, args);
    /* A host without SYS_EXIT_EXTENDED: plain exit, success or failure. */
    (void)sh_call(SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20023U));
    for (;;) {
    }
}
