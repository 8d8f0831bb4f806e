/*
 * fmt/fmt.c - printf-style formatting into a caller's buffer.
 *
 * Algorithm: one pass over the format. Each conversion is parsed into a
 * spec (flags, width, precision, length), its digits are produced backwards
 * into a 24-byte scratch (enough for a 64-bit value in octal-free bases),
 * then emitted with padding through a sink that counts every byte but
 * stores only while room is left. Cost is linear in the output; no state
 * outlives a call, so it is reentrant and ISR-safe.
 */
#include "fmt/mm_fmt.h"

#include <stdbool.h>
#include <stdint.h>

#include "mm_port.h"

/* Output sink: stores while room is left, counts always. */
typedef struct {
    char *buf;  /* destination, may be NULL when cap == 0 */
    size_t cap; /* bytes available including the NUL */
    size_t len; /* bytes the full output has so far */
} sink;

/* One parsed conversion. */
typedef struct {
    bool left;      /* '-': pad on the right */
    bool zero;      /* '0': pad numbers with zeros */
    bool alt;       /* '#': 0x prefix on non-zero hex */
    char sign;      /* '+', ' ' or 0 */
    int width;      /* minimum field width, 0 if none */
    int prec;       /* precision, -1 if none */
    char length;    /* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't', 0 */
} spec;

/* Appends one byte, keeping room for the terminating NUL. */
static void put(sink *s, char c)
{
    if (s->len + 1 < s->cap) {
        s->buf[s->len] = c;
    }
    s->len++;
}

static void put_n(sink *s, char c, int n)
{
    for (int i = 0; i < n; i++) {
        put(s, c);
    }
}

/* Emits body (n bytes) behind an optional prefix, padded to the width. */
static void emit(sink *s, const spec *sp, const char *prefix, const char *body,
                 int n, int zeros) {
    int plen = 0;
    while (prefix[plen] != '\0') {
        plen++;
    }
    int pad = sp->width - plen - zeros - n;
    if (!sp->left && !sp->zero) {
        put_n(s, ' ', pad);
    }
    for (int i = 0; i < plen; i++) {
        put(s, prefix[i]);
    }
    if (!sp->left && sp->zero) {
        put_n(s, '0', pad);
    }
    put_n(s, '0', zeros);
    for (int i = 0; i < n; i++) {
        put(s, body[i]);
    }
    if (sp->left) {
        put_n(s, ' ', pad);
    }
}

/* Formats an unsigned magnitude in base 10 or 16 with its sign prefix. */
static void emit_number(sink *s, const spec *sp, uint64_t mag, bool neg,
                        bool hex, bool upper, const char *alt) {
    const uint64_t base = hex ? 16U : 10U;
    static const char lower_digits[] = "0123456789abcdef";
    static const char upper_digits[] = "0123456789ABCDEF";
    const char *digits = upper ? upper_digits : lower_digits;
    char tmp[24];
    int n = 0;
    while (mag != 0U) {
        uint64_t q = mag / base;
        tmp[sizeof tmp - 1U - (unsigned)n] = digits[mag - q * base];
        mag = q;
        n++;
    }
    if (n == 0 && sp->prec != 0) {
        tmp[sizeof tmp - 1U] = '0';
        n = 1;
    }
    int zeros = (sp->prec > n) ? sp->prec - n : 0;
    char prefix[4] = {0};
    if (neg) {
        prefix[0] = '-';
    } else if (sp->sign != 0) {
        prefix[0] = sp->sign;
    } else if (alt != NULL) {
        prefix[0] = alt[0];
        prefix[1] = alt[1];
    }
    spec local = *sp;
    if (sp->prec >= 0) {
        local.zero = false; /* C: a precision disables the '0' flag */
    }
    emit(s, &local, prefix, &tmp[sizeof tmp - (unsigned)n], n, zeros);
}

/* Reads a decimal field or '*' from the format. */
static int parse_num(const char **fmt, va_list *ap)
{
    if (**fmt == '*') {
        (*fmt)++;
        return va_arg(*ap, int);
    }
    int v = 0;
    while (**fmt >= '0' && **fmt <= '9') {
        if (v < 100000) {
            v = v * 10 + (**fmt - '0');
        }
        (*fmt)++;
    }
    return v;
}

/* Parses flags, width, precision and length after the '%'. */
static void parse_spec(const char **fmt, va_list *ap, spec *sp)
{
    *sp = (spec){false, false, false, 0, 0, -1, 0};
    for (;; (*fmt)++) {
        char c = **fmt;
        if (c == '-') {
            sp->left = true;
        } else if (c == '0') {
            sp->zero = true;
        } else if (c == '#') {
            sp->alt = true;
        } else if (c == '+' || (c == ' ' && sp->sign != '+')) {
            sp->sign = c;
        } else {
            break;
        }
    }
    sp->width = parse_num(fmt, ap);
    if (sp->width < 0) {
        sp->left = true;
        sp->width = -sp->width;
    }
    if (**fmt == '.') {
        (*fmt)++;
        sp->prec = parse_num(fmt, ap);
    }
    char c = **fmt;
    if (c == 'h' || c == 'l') {
        (*fmt)++;
        sp->length = c;
        if (**fmt == c) {
            (*fmt)++;
            sp->length = (c == 'h') ? 'H' : 'L';
        }
    } else if (c == 'z' || c == 'j' || c == 't') {
        (*fmt)++;
        sp->length = c;
    }
}

static int64_t signed_arg(const spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'l': return (int64_t)va_arg(*ap, long);
    case 'L': return (int64_t)va_arg(*ap, long long);
    case 'z': return (int64_t)va_arg(*ap, ptrdiff_t); /* signed size_t */
    case 'j': return (int64_t)va_arg(*ap, intmax_t);
    case 't': return (int64_t)va_arg(*ap, ptrdiff_t);
    case 'H': return (int64_t)(signed char)va_arg(*ap, int);
    case 'h': return (int64_t)(short)va_arg(*ap, int);
    default: return (int64_t)va_arg(*ap, int);
    }
}

static uint64_t unsigned_arg(const spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'l': return (uint64_t)va_arg(*ap, unsigned long);
    case 'L': return (uint64_t)va_arg(*ap, unsigned long long);
    case 'z': return (uint64_t)va_arg(*ap, size_t);
    case 'j': return (uint64_t)va_arg(*ap, uintmax_t);
    case 't': return (uint64_t)va_arg(*ap, ptrdiff_t);
    case 'H': return (uint64_t)(unsigned char)va_arg(*ap, unsigned);
    case 'h': return (uint64_t)(unsigned short)va_arg(*ap, unsigned);
    default: return (uint64_t)va_arg(*ap, unsigned);
    }
}

static void emit_string(sink *s, const spec *sp, const char *str)
{
    if (str == NULL) {
        str = "(null)";
    }
    int n = 0;
    while (str[n] != '\0' && (sp->prec < 0 || n < sp->prec)) {
        n++;
    }
    spec local = *sp;
    local.zero = false;
    emit(s, &local, "", str, n, 0);
}

/* Handles one conversion character; returns false on an unknown one. */
static bool convert(sink *s, char c, const spec *sp, va_list *ap)
{
    switch (c) {
    case 'd':
    case 'i': {
        int64_t v = signed_arg(sp, ap);
        uint64_t mag = (v < 0) ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        emit_number(s, sp, mag, v < 0, false, false, NULL);
        return true;
    }
    case 'u': emit_number(s, sp, unsigned_arg(sp, ap), false, false, false, NULL); return true;
    case 'x':
    case 'X': {
        uint64_t v = unsigned_arg(sp, ap);
        const char *alt = (sp->alt && v != 0U) ? ((c == 'x') ? "0x" : "0X") : NULL;
        emit_number(s, sp, v, false, true, c == 'X', alt);
        return true;
    }
    case 'p': {
        spec local = *sp;
        local.length = 'j';
        uintptr_t v = (uintptr_t)va_arg(*ap, void *);
        emit_number(s, &local, (uint64_t)v, false, true, false, "0x");
        return true;
    }
    case 'c': {
        char ch = (char)va_arg(*ap, int);
        emit(s, sp, "", &ch, 1, 0);
        return true;
    }
    case 's': emit_string(s, sp, va_arg(*ap, const char *)); return true;
    case '%': put(s, '%'); return true;
    default: return false;
    }
}

size_t mm_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    sink s = {buf, n, 0};
    va_list args;
    va_copy(args, ap);
    while (*fmt != '\0') {
        if (*fmt != '%') {
            put(&s, *fmt++);
            continue;
        }
        const char *start = fmt++;
        spec sp;
        parse_spec(&fmt, &args, &sp);
        if (*fmt == '\0' || !convert(&s, *fmt, &sp, &args)) {
            /* Unknown conversion: copy it out verbatim so it shows. */
            while (start != fmt && *start != '\0') {
                put(&s, *start++);
            }
            if (*fmt == '\0') {
                break;
            }
            put(&s, *fmt);
        }
        fmt++;
    }
    va_end(args);
    if (n != 0U) {
        buf[(s.len < n) ? s.len : n - 1U] = '\0';
    }
    return s.len;
}

size_t mm_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t r = mm_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

size_t mm_printf(const char *fmt, ...)
{
    char line[256];
    static const char cut[] = "...\n";
    va_list ap;
    va_start(ap, fmt);
    size_t r = mm_vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = r;
    if (r >= sizeof line) {
        /* Truncated: overwrite the tail so the cut is visible. */
        n = sizeof line - 1U;
        for (size_t i = 0; i < sizeof cut - 1U; i++) {
            line[n - (sizeof cut - 1U) + i] = cut[i];
        }
    }
    mm_port_write(line, n);
    return r;
}
