/*
 * mm_fmt.h - a small printf-style formatter into a caller's buffer.
 *
 * newlib's printf family pulls in its FILE machinery and, for floating
 * point, malloc; mmrt uses none of it. This formatter is the one the whole
 * firmware uses (the kernel console printf is built on it).
 *
 * Supported: %d %i %u %x %X %c %s %p %%, flags '-' '0' '+' ' ' '#',
 * a width and a precision (digits or '*'), and the length modifiers
 * hh h l ll z j t. No floating point.
 *
 * Contract: like C99 vsnprintf. Writes at most n bytes including the
 * terminating NUL (nothing when n == 0) and returns the length the whole
 * output would have had, so that ret >= n means "truncated". Never fails.
 * Time: linear in the output. ISR-safe (no state). Uses < 100 B of stack.
 */
#ifndef MM_FMT_H
#define MM_FMT_H

#include <stdarg.h>
#include <stddef.h>

size_t mm_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
size_t mm_snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats into a 256-byte stack buffer and writes through mm_port_write.
 * Output longer than that is cut and ends with "...\n" so that the cut is
 * visible. Returns the untruncated length. */
size_t mm_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* MM_FMT_H */
