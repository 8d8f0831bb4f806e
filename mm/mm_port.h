/*
 * mm_port.h - the only thing the mm library needs from its surroundings.
 *
 * The firmware implements it in kernel/mm_port.c; the host tests implement
 * it in tests/host/port_host.c. Nothing else in mm/ includes a kernel or a
 * libc header beyond <stddef.h>, <stdint.h>, <stdbool.h>, <stdarg.h> and
 * <string.h>.
 */
#ifndef MM_PORT_H
#define MM_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Enter a critical section; returns the state to hand back to unlock.
 * Nests. ISR-safe. O(1). */
uint32_t mm_port_lock(void);
void mm_port_unlock(uint32_t state);

/* Fatal: report "file:line: msg" and never return. The firmware prints it
 * over the console and exits QEMU with a non-zero code. */
__attribute__((noreturn)) void mm_port_panic(const char *file, int line,
                                             const char *msg);

/* A caller misused the library (bad free, double free, stale handle ...).
 * The port reports "file:line: msg". The firmware's port then exits
 * non-zero, like panic. A port may instead return (the host tests record
 * the message); the library then leaves its state untouched and returns its
 * documented error value. */
void mm_port_misuse(const char *file, int line, const char *msg);

/* Monotonic instruction (or cycle) count since boot. */
uint64_t mm_port_clock(void);

/* Console output: n bytes, not NUL-terminated. */
void mm_port_write(const char *s, size_t n);

/* One assert macro for the whole library; a port may override it. */
#ifndef MM_ASSERT
#define MM_ASSERT(cond, msg)                                                  \
    do {                                                                      \
        if (!(cond)) {                                                        \
            mm_port_panic(__FILE__, __LINE__, (msg));                         \
        }                                                                     \
    } while (0)
#endif

#endif /* MM_PORT_H */
