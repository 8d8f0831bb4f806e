/*
 * heap/misuse.c - error texts and misuse reports, the leaf every other
 * allocator file may call (it calls none of them).
 *
 * A report is "fn: what 0x<ptr>", built here without a formatter (the
 * allocator must not depend on mm/fmt) in a 96-byte stack buffer, and
 * handed to mm_port_misuse with the caller's file:line. O(length of the
 * text): at most 96 characters.
 */
#include "heap/heap_int.h"

const char *mm_strerror(mm_err e)
{
    switch (e) {
    case MM_OK: return "no error";
    case MM_ENOMEM: return "out of memory";
    case MM_EZERO: return "size 0 requested";
    case MM_ETOOBIG: return "size larger than the region";
    case MM_EFOREIGN: return "pointer not from this heap";
    case MM_EALIGN: return "pointer not on a block boundary";
    case MM_EDOUBLE: return "block already free";
    case MM_ECORRUPT: return "heap corrupt";
    }
    return "unknown error";
}

/* Appends text to buf (capacity n, kept NUL-terminated); returns the new
 * length. */
static size_t put_text(char *buf, size_t len, size_t n, const char *text)
{
    while (*text != '\0' && len + 1u < n) {
        buf[len++] = *text++;
    }
    buf[len] = '\0';
    return len;
}

/* Appends p as 0x and lower-case hex digits without leading zeros (the
 * host's %p). */
static size_t put_ptr(char *buf, size_t len, size_t n, const void *p)
{
    static const char hex[] = "0123456789abcdef";
    char digits[2u * sizeof(uintptr_t) + 3u];
    size_t k = sizeof digits - 1u;
    uintptr_t v = (uintptr_t)p;
    digits[k] = '\0';
    do {
        digits[--k] = hex[v & 15u];
        v >>= 4;
    } while (v != 0);
    digits[--k] = 'x';
    digits[--k] = '0';
    return put_text(buf, len, n, &digits[k]);
}

void mm_misuse(mm_heap *h, const char *file, int line, mm_err err,
               const char *fn, const char *what, const void *p)
{
    char msg[96];
    size_t len = put_text(msg, 0, sizeof msg, fn);
    len = put_text(msg, len, sizeof msg, ": ");
    len = put_text(msg, len, sizeof msg, what);
    len = put_text(msg, len, sizeof msg, " ");
    put_ptr(msg, len, sizeof msg, p);
    if (h != NULL) {
        h->err = err;
    }
    mm_port_misuse(file, line, msg);
}
