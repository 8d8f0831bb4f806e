/*
 * types/str.c - immutable UTF-8 strings with a cached FNV-1a hash.
 *
 * Layout: [header][len][hash][bytes...][NUL], one block (12 + len + 1 B).
 * The hash is 32-bit FNV-1a (Fowler, Noll, Vo; offset basis 2166136261,
 * prime 16777619), computed once at creation, since the bytes never change.
 * Creation validates UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). A str above MM_CFG_SMALL_MAX is a large block owned
 * by its handle slot, so compaction may move it: code re-derefs the source
 * after allocating (H1). All operations O(len) + one allocation.
 */
#include "types/mm_types.h"

#include <string.h>

typedef struct str_obj {
    mm_obj head;
    uint32_t len;  /* bytes, without the NUL */
    uint32_t hash; /* FNV-1a of the bytes */
    char data[];   /* len bytes + NUL */
} str_obj;

static_assert(sizeof(str_obj) == 12, "str header is 12 bytes");

static inline str_obj *as_str(mm_obj *o) { return (str_obj *)(void *)o; }
static inline const str_obj *as_cstr(const mm_obj *o)
{
    return (const str_obj *)(const void *)o;
}

uint32_t mm_fnv1a(const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 16777619u;
    }
    return h;
}

const char *mm__str_bytes(const mm_obj *o, size_t *n)
{
    if (n != NULL) {
        *n = as_cstr(o)->len;
    }
    return as_cstr(o)->data;
}

uint32_t mm__str_hash(const mm_obj *o) { return as_cstr(o)->hash; }

/* Length of the UTF-8 sequence at s[0..n) (1..4), or 0 if malformed. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len = c < 0x80 ? 1u : c < 0xC2 ? 0u : c < 0xE0 ? 2u : c < 0xF0 ? 3u : c < 0xF5 ? 4u : 0u;
    if (len == 0 || len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
        (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) {
        return 0; /* overlong, surrogate, or above U+10FFFF */
    }
    return len;
}

static bool utf8_valid(const char *s, size_t n)
{
    const uint8_t *b = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(b + i, n - i);
        if (k == 0) {
            return false;
        }
        i += k;
    }
    return true;
}

/* A new str object with room for n bytes (contents to be filled). */
static mm_h str_alloc(mm_rt *rt, size_t n, str_obj **out)
{
    if (n > UINT32_MAX - sizeof(str_obj) - 1u) {
        rt->err = MMO_NOMEM;
        return MM_NULL;
    }
    mm_obj *o;
    mm_h h = mm__obj_new_leaf(rt, MM_T_STR, sizeof(str_obj) + n + 1u, &o);
    if (h != MM_NULL) {
        *out = as_str(o);
        (*out)->len = (uint32_t)n;
    }
    return h;
}

static void str_seal(str_obj *s)
{
    s->data[s->len] = '\0';
    s->hash = mm_fnv1a(s->data, s->len);
}

mm_h mm_str_new(mm_rt *rt, const char *s, size_t n)
{
    if (!utf8_valid(s, n)) {
        rt->err = MMO_TYPE;
        return MM_NULL;
    }
    str_obj *o;
    mm_h h = str_alloc(rt, n, &o);
    if (h != MM_NULL) {
        memcpy(o->data, s, n);
        str_seal(o);
    }
    return h;
}

mm_h mm_str_from(mm_rt *rt, const char *cstr)
{
    return mm_str_new(rt, cstr, strlen(cstr));
}

const char *mm_str_data_at(const mm_rt *rt, mm_h h, size_t *n,
                           const char *file, int line)
{
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_STR, file, line);
    if (o == NULL) {
        if (n != NULL) {
            *n = 0;
        }
        return NULL;
    }
    return mm__str_bytes(o, n);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Copies bytes [from, from+n) of str h into a new str, upper-casing ASCII
 * if `upper`. The source is re-found after the allocation (H1). */
static mm_h str_derive(mm_rt *rt, mm_h h, size_t from, size_t n, bool upper)
{
    str_obj *d;
    mm_h nh = str_alloc(rt, n, &d);
    if (nh == MM_NULL) {
        return MM_NULL;
    }
    const str_obj *s = as_cstr(rt->tab[mm_h_index(h)].obj);
    for (size_t i = 0; i < n; i++) {
        char c = s->data[from + i];
        d->data[i] = (upper && c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    str_seal(d);
    return nh;
}

mm_h mm_str_upper_at(mm_rt *rt, mm_h h, const char *file, int line)
{
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_STR, file, line);
    if (o == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    return str_derive(rt, h, 0, as_cstr(o)->len, true);
}

mm_h mm_str_strip_at(mm_rt *rt, mm_h h, const char *file, int line)
{
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_STR, file, line);
    if (o == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    const str_obj *s = as_cstr(o);
    size_t a = 0, b = s->len;
    while (a < b && is_space(s->data[a])) {
        a++;
    }
    while (b > a && is_space(s->data[b - 1])) {
        b--;
    }
    return str_derive(rt, h, a, b - a, false);
}

/* ------------------------------------------------------------- the type */

static size_t str_size(const mm_rt *rt, const mm_obj *o)
{
    (void)rt;
    return sizeof(str_obj) + as_cstr(o)->len + 1u;
}

const mm_type mm_type_str = {"str", NULL, NULL, NULL, str_size, NULL, NULL};
