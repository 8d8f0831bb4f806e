/*
 * port_host.h - the host (Linux, gcc/clang) implementation of mm_port.h,
 * with hooks that let the cmocka tests and the fuzzers observe it.
 *
 * Behaviour of the port itself:
 * - mm_port_lock/unlock: a nesting counter. Unlocking more than was locked,
 *   or with a state that is not the depth handed out by the matching lock,
 *   is a panic (an unbalanced critical section is a library bug). When the
 *   outermost section ends, an unlock hook (if set) runs: a simulated
 *   interrupt that was held off by the lock.
 * - mm_port_panic: prints "file:line: msg" to stderr and abort()s.
 * - mm_port_misuse: prints "misuse: file:line: msg" to stderr and records
 *   the message (count + copy of the last one). If misuse has been made
 *   fatal (port_set_misuse_fatal(true)) it then abort()s like a panic.
 *   Default: not fatal, so a test can assert on the recorded message.
 * - mm_port_clock: a counter that grows by one on each call.
 * - mm_port_write: writes to stdout, or while a capture is open appends to
 *   a capture buffer instead (PORT_CAPTURE_MAX bytes, the rest is dropped
 *   and counted).
 * None of this is thread-safe; the host tests are single-threaded.
 */
#ifndef PORT_HOST_H
#define PORT_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "mm_port.h"

/* ---- misuse recording ---- */
int port_misuse_count(void);          /* misuse reports since last reset */
const char *port_last_misuse(void);   /* last "file:line: msg", "" if none */
void port_reset_misuse(void);         /* count = 0, last message = "" */
void port_set_misuse_fatal(bool fatal); /* true: misuse abort()s */
void port_set_misuse_quiet(bool quiet); /* true: do not echo to stderr */

/* ---- output capture ---- */
#define PORT_CAPTURE_MAX 65536
void port_capture_begin(void);       /* start (or restart) an empty capture */
const char *port_capture_end(void);  /* stop; returns the NUL-terminated text,
                                        valid until the next capture_begin */
size_t port_capture_dropped(void);   /* bytes dropped by the last capture */

/* ---- lock observation ---- */
int port_lock_depth(void);           /* current nesting depth (0 = unlocked) */
/* fn(arg) runs each time the outermost critical section ends, as a
 * pending interrupt would (not from inside itself); NULL: none. */
void port_set_unlock_hook(void (*fn)(void *arg), void *arg);

#endif /* PORT_HOST_H */
