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
 *
 * Interning (sys.intern): the runtime's intern table is a set of str
 * handles, open addressing with linear probing over a power-of-two table
 * (MM_NULL empty, MM_DICT_DUMMY deleted; grown to the smallest power of
 * two >= 4 holding the live entries at most half full when live + deleted
 * would pass 2/3). It holds no reference: an interned str is mortal, and
 * marks itself interned (bit 31 of its len) so that its death (the leaf
 * path of obj/obj.c, mm__str_dying) takes its entry out; the table block
 * is freed when it empties. Lookups are expected O(1) + O(len).
 */
#include "types/mm_types.h"

#include <string.h>

typedef struct str_obj {
    mm_obj head;
    uint32_t len;  /* bytes, without the NUL; bit 31: interned */
    uint32_t hash; /* FNV-1a of the bytes */
    char data[];   /* len bytes + NUL */
} str_obj;

static_assert(sizeof(str_obj) == 12, "str header is 12 bytes");

#define STR_INTERNED 0x80000000u
#define STR_LEN_MAX (STR_INTERNED - 1u)

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

static inline uint32_t str_len(const str_obj *s) { return s->len & STR_LEN_MAX; }

const char *mm__str_bytes(const mm_obj *o, size_t *n)
{
    if (n != NULL) {
        *n = str_len(as_cstr(o));
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
    if (n > STR_LEN_MAX - sizeof(str_obj) - 1u) {
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

mm_h(mm_str_new)(mm_rt *rt, const char *s, size_t n)
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

mm_h(mm_str_from)(mm_rt *rt, const char *cstr)
{
    return (mm_str_new)(rt, cstr, strlen(cstr));
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
    MM__SITE(rt, file, line);
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_STR, file, line);
    if (o == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    return str_derive(rt, h, 0, str_len(as_cstr(o)), true);
}

mm_h mm_str_strip_at(mm_rt *rt, mm_h h, const char *file, int line)
{
    MM__SITE(rt, file, line);
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_STR, file, line);
    if (o == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    const str_obj *s = as_cstr(o);
    size_t a = 0, b = str_len(s);
    while (a < b && is_space(s->data[a])) {
        a++;
    }
    while (b > a && is_space(s->data[b - 1])) {
        b--;
    }
    return str_derive(rt, h, a, b - a, false);
}

/* ------------------------------------------------------------ interning */

#define INTERN_MIN_CAP 4u

/* The slot of rt's intern table holding h (want_free: the first empty
 * or deleted slot met while probing for bytes s[0..n) with hash, if they
 * are not there). Returns the index of the match, or UINT32_MAX with
 * *free set. The table must exist. */
static uint32_t intern_probe(const mm_rt *rt, const char *s, size_t n, uint32_t hash,
                             uint32_t *free_at)
{
    uint32_t mask = rt->intern_cap - 1u, i = hash & mask, first = UINT32_MAX;
    for (;;) {
        mm_h e = rt->intern[i];
        if (e == MM_NULL) {
            *free_at = first != UINT32_MAX ? first : i;
            return UINT32_MAX;
        }
        if (e == MM_DICT_DUMMY) {
            first = first != UINT32_MAX ? first : i;
        } else {
            const str_obj *o = as_cstr(rt->tab[mm_h_index(e)].obj);
            if (o->hash == hash && str_len(o) == n && memcmp(o->data, s, n) == 0) {
                return i;
            }
        }
        i = (i + 1u) & mask;
    }
}

mm_h mm__str_intern_find(const mm_rt *rt, const char *s, size_t n, uint32_t hash)
{
    if (rt->intern == NULL) {
        return MM_NULL;
    }
    uint32_t free_at;
    uint32_t i = intern_probe(rt, s, n, hash, &free_at);
    return i != UINT32_MAX ? rt->intern[i] : MM_NULL;
}

/* Room for one more entry: grows (or cleans) the table. False on
 * MemoryError (the table unchanged). The allocation may run the
 * collector, which may take entries out (mm__str_dying): the old table
 * is read only after it. */
static bool intern_room(mm_rt *rt)
{
    if (rt->intern != NULL && (rt->intern_fill + 1u) * 3u <= rt->intern_cap * 2u) {
        return true;
    }
    uint32_t ncap = INTERN_MIN_CAP;
    while (ncap < 2u * (rt->intern_used + 1u)) {
        ncap <<= 1;
    }
    mm_h *nt = (mm_h *)mm_rt_alloc(rt, NULL, (size_t)ncap * sizeof(mm_h));
    if (nt == NULL) {
        return false;
    }
    memset(nt, 0, (size_t)ncap * sizeof(mm_h));
    for (uint32_t k = 0; rt->intern != NULL && k < rt->intern_cap; k++) {
        mm_h e = rt->intern[k];
        if (e != MM_NULL && e != MM_DICT_DUMMY) {
            uint32_t i = as_cstr(rt->tab[mm_h_index(e)].obj)->hash & (ncap - 1u);
            while (nt[i] != MM_NULL) {
                i = (i + 1u) & (ncap - 1u);
            }
            nt[i] = e;
        }
    }
    mm_rt_free(rt, rt->intern);
    rt->intern = nt;
    rt->intern_cap = ncap;
    rt->intern_fill = rt->intern_used;
    mm_rt_own(rt, nt, (void **)&rt->intern);
    return true;
}

/* Enters live str h (not interned yet, no equal str interned) in the
 * table; false on MemoryError (h left as it was). */
static bool intern_add(mm_rt *rt, mm_h h)
{
    if (!intern_room(rt)) {
        return false;
    }
    str_obj *o = as_str(rt->tab[mm_h_index(h)].obj);
    uint32_t free_at = 0;
    (void)intern_probe(rt, o->data, str_len(o), o->hash, &free_at);
    rt->intern_fill += rt->intern[free_at] == MM_NULL ? 1u : 0u;
    rt->intern_used++;
    rt->intern[free_at] = h;
    o->len |= STR_INTERNED;
    return true;
}

void mm__str_dying(mm_rt *rt, mm_obj *o)
{
    str_obj *s = as_str(o);
    if ((s->len & STR_INTERNED) == 0u) {
        return;
    }
    mm_h h = mm_obj_handle(rt, o);
    uint32_t mask = rt->intern_cap - 1u, i = s->hash & mask;
    while (rt->intern[i] != h) { /* it is there: probe until found */
        i = (i + 1u) & mask;
    }
    rt->intern[i] = MM_DICT_DUMMY;
    s->len &= STR_LEN_MAX;
    if (--rt->intern_used == 0u) { /* empty: the block goes back */
        mm_rt_free(rt, rt->intern);
        rt->intern = NULL;
        rt->intern_cap = rt->intern_fill = 0;
    }
}

mm_h mm_str_intern_at(mm_rt *rt, mm_h h, const char *file, int line)
{
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_STR, file, line);
    if (o == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    const str_obj *s = as_cstr(o);
    mm_h e = (s->len & STR_INTERNED) != 0u
                 ? h : mm__str_intern_find(rt, s->data, str_len(s), s->hash);
    if (e == MM_NULL) {
        if (!intern_add(rt, h)) {
            return MM_NULL; /* rt->err: MemoryError */
        }
        e = h;
    }
    mm_incref_fast(rt, e);
    rt->err = MMO_OK;
    return e;
}

mm_h mm__str_intern_bytes(mm_rt *rt, const char *s, size_t n, uint32_t hash)
{
    mm_h e = mm__str_intern_find(rt, s, n, hash);
    if (e != MM_NULL) {
        mm_incref_fast(rt, e);
        rt->err = MMO_OK;
        return e;
    }
    e = (mm_str_new)(rt, s, n);
    if (e != MM_NULL && !intern_add(rt, e)) {
        mm_decref_fast(rt, e);
        return MM_NULL;
    }
    return e;
}

mm_h mm_str_intern_from(mm_rt *rt, const char *cstr)
{
    size_t n = strlen(cstr);
    return mm__str_intern_bytes(rt, cstr, n, mm_fnv1a(cstr, n));
}

bool mm_str_is_interned_at(const mm_rt *rt, mm_h h, const char *file, int line)
{
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_STR, file, line);
    return o != NULL && (as_cstr(o)->len & STR_INTERNED) != 0u;
}

size_t mm_str_intern_table_bytes(const mm_rt *rt)
{
    return rt->intern != NULL ? mm_usable_size(rt->heap, rt->intern) : 0u;
}

/* ------------------------------------------------------------- the type */

static size_t str_size(const mm_rt *rt, const mm_obj *o)
{
    (void)rt;
    return sizeof(str_obj) + str_len(as_cstr(o)) + 1u;
}

const mm_type mm_type_str = {"str", NULL, NULL, NULL, str_size, NULL, NULL};
