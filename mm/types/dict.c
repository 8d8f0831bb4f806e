/*
 * types/dict.c - dicts: open addressing over a power-of-two table, plus the
 * key equality and hash shared with the LRU cache.
 *
 * Algorithm (after CPython's dictobject.c, without the compact index):
 * 1. Entry = {key, value, hash} (12 B). key MM_NULL = never used, key
 *    MM_DICT_DUMMY = deleted (tombstone: keeps probe chains unbroken).
 * 2. Probe: i = hash & mask, then i = 5i + 1 + perturb with perturb
 *    initialised to the hash and shifted right 5 bits each step; this
 *    visits every slot, and reaches one MM_NULL since fill < cap.
 * 3. Insert when (fill + 1) * 3 > cap * 2 (fill = live + tombstones)
 *    first resizes to the smallest power of two >= 8 holding the live keys
 *    at most 1/2 full; resizing re-inserts live entries only, dropping the
 *    tombstones. The table is a separate body owned by the dict (H6).
 * 4. Keys: ints compare by value (hash = low ^ high word), strs by bytes
 *    (cached FNV-1a), anything else by identity (hash = handle).
 * Bounds: expected O(1) per operation; resize O(cap) + A.
 */
#include "types/mm_types.h"

#include <string.h>

#include "mm_port.h"

typedef struct dict_entry {
    mm_h key;
    mm_h value;
    uint32_t hash;
} dict_entry;

typedef struct dict_obj {
    mm_obj head;
    uint32_t used; /* live keys */
    uint32_t fill; /* live keys + tombstones */
    uint32_t cap;  /* entries in body: 0 or a power of two >= 8 */
    void *body;    /* cap dict_entry; reached only through this field */
} dict_obj;

static_assert(sizeof(dict_entry) == 12, "dict entry is 12 bytes");
#define DICT_MIN_CAP 8u

static inline dict_obj *as_dict(mm_obj *o) { return (dict_obj *)(void *)o; }
static inline dict_entry *ents(const dict_obj *d) { return (dict_entry *)d->body; }
static inline bool key_live(mm_h k) { return k != MM_NULL && k != MM_DICT_DUMMY; }

/* ---------------------------------------------------------- eq and hash */

uint32_t mm_obj_hash(const mm_rt *rt, mm_h h)
{
    const mm_obj *o = mm_obj_ptr(rt, h);
    switch (mm_hdr_type(o)) {
    case MM_T_INT: {
        uint64_t v = (uint64_t)mm__int_get(o);
        return (uint32_t)(v ^ (v >> 32));
    }
    case MM_T_STR: return mm__str_hash(o);
    default: return h;
    }
}

/* Is stored key k equal to the probe key (a handle, or bytes if s)? */
typedef struct key_ref {
    mm_h h;
    const char *s; /* non-NULL: match a str with these n bytes */
    size_t n;
} key_ref;

static bool str_eq_bytes(const mm_obj *o, const char *s, size_t n)
{
    size_t len;
    const char *b = mm__str_bytes(o, &len);
    return len == n && memcmp(b, s, n) == 0;
}

bool mm_obj_eq(const mm_rt *rt, mm_h a, mm_h b)
{
    if (a == b) {
        return true;
    }
    const mm_obj *oa = mm_obj_ptr(rt, a), *ob = mm_obj_ptr(rt, b);
    uint32_t t = mm_hdr_type(oa);
    if (t != mm_hdr_type(ob)) {
        return false;
    }
    if (t == MM_T_INT) {
        return mm__int_get(oa) == mm__int_get(ob);
    }
    if (t == MM_T_STR) {
        size_t n;
        const char *s = mm__str_bytes(ob, &n);
        return mm__str_hash(oa) == mm__str_hash(ob) && str_eq_bytes(oa, s, n);
    }
    return false;
}

static bool key_match(const mm_rt *rt, mm_h k, const key_ref *r)
{
    if (r->s == NULL) {
        return mm_obj_eq(rt, k, r->h);
    }
    const mm_obj *o = mm_obj_ptr(rt, k);
    return mm_hdr_type(o) == MM_T_STR && str_eq_bytes(o, r->s, r->n);
}

/* ---------------------------------------------------------------- probe */

#define NO_SLOT UINT32_MAX

/* Index of the entry holding the key (*found) or of the slot to insert it
 * into (the first tombstone passed, else the empty slot that ended the
 * probe). d->cap must be > 0. */
static uint32_t probe(const mm_rt *rt, const dict_obj *d, const key_ref *r,
                      uint32_t hash, bool *found)
{
    uint32_t mask = d->cap - 1u, i = hash & mask, perturb = hash, slot = NO_SLOT;
    const dict_entry *e = ents(d);
    for (;;) {
        if (e[i].key == MM_NULL) {
            *found = false;
            return slot != NO_SLOT ? slot : i;
        }
        if (e[i].key == MM_DICT_DUMMY) {
            slot = slot == NO_SLOT ? i : slot;
        } else if (e[i].hash == hash && key_match(rt, e[i].key, r)) {
            *found = true;
            return i;
        }
        perturb >>= 5;
        i = (i * 5u + 1u + perturb) & mask;
    }
}

/* Entry index of the key, or NO_SLOT. */
static uint32_t find(const mm_rt *rt, const dict_obj *d, const key_ref *r, uint32_t hash)
{
    bool found = false;
    uint32_t i = d->cap != 0 ? probe(rt, d, r, hash, &found) : 0;
    return found ? i : NO_SLOT;
}

/* ---------------------------------------------------------------- resize */

static uint32_t resize_target(uint32_t used)
{
    uint32_t c = DICT_MIN_CAP;
    while (c < 2u * (used + 1u)) {
        c <<= 1;
    }
    return c;
}

/* Moves the live entries of d into a fresh table of ncap entries. */
static void rehash_into(dict_obj *d, dict_entry *nt, uint32_t ncap)
{
    const dict_entry *old = ents(d);
    memset(nt, 0, (size_t)ncap * sizeof(dict_entry));
    for (uint32_t k = 0; k < d->cap; k++) {
        if (!key_live(old[k].key)) {
            continue;
        }
        uint32_t mask = ncap - 1u, i = old[k].hash & mask, perturb = old[k].hash;
        while (nt[i].key != MM_NULL) {
            perturb >>= 5;
            i = (i * 5u + 1u + perturb) & mask;
        }
        nt[i] = old[k];
    }
    d->fill = d->used;
}

/* Grows (or cleans) the table for one more key. Returns the dict (found
 * again after allocating, H1) or NULL on MemoryError (unchanged). */
static dict_obj *make_room(mm_rt *rt, mm_h dh, dict_obj *d)
{
    if ((d->fill + 1u) * 3u <= d->cap * 2u) {
        return d;
    }
    uint32_t ncap = resize_target(d->used);
    dict_entry *nt = (dict_entry *)mm_rt_alloc(rt, NULL, (size_t)ncap * sizeof(dict_entry));
    if (nt == NULL) {
        return NULL;
    }
    d = as_dict(rt->tab[mm_h_index(dh)].obj);
    rehash_into(d, nt, ncap);
    mm_rt_free(rt, d->body);
    d->body = nt;
    d->cap = ncap;
    mm_rt_own(rt, nt, &d->body);
    return d;
}

/* ------------------------------------------------------------------ API */

mm_h(mm_dict_new)(mm_rt *rt)
{
    return mm_obj_new(rt, MM_T_DICT, sizeof(dict_obj), NULL);
}

static dict_obj *get_dict(const mm_rt *rt, mm_h d, const char *file, int line)
{
    return as_dict(mm_deref_type_at(rt, d, MM_T_DICT, file, line));
}

/* Stores key/value (validated) at the probe result; takes references. */
static void put(mm_rt *rt, dict_obj *d, uint32_t i, bool found, mm_h key,
                mm_h value, uint32_t hash)
{
    dict_entry *e = &ents(d)[i];
    mm_incref_fast(rt, value);
    if (found) {
        mm_h old = e->value;
        e->value = value;
        mm_decref_fast(rt, old);
        return;
    }
    mm_incref_fast(rt, key);
    d->fill += e->key == MM_NULL ? 1u : 0u;
    d->used++;
    e->key = key;
    e->value = value;
    e->hash = hash;
}

mm_status mm_dict_set_at(mm_rt *rt, mm_h dh, mm_h key, mm_h value,
                         const char *file, int line)
{
    MM__SITE(rt, file, line);
    dict_obj *d = get_dict(rt, dh, file, line);
    if (d == NULL || mm_deref_at(rt, key, file, line) == NULL ||
        mm_deref_at(rt, value, file, line) == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    key_ref r = {key, NULL, 0};
    uint32_t hash = mm_obj_hash(rt, key);
    bool found = false;
    uint32_t i = d->cap != 0 ? probe(rt, d, &r, hash, &found) : 0;
    if (!found) {
        d = make_room(rt, dh, d);
        if (d == NULL) {
            return MMO_NOMEM;
        }
        i = probe(rt, d, &r, hash, &found);
    }
    put(rt, d, i, found, key, value, hash);
    return rt->err = MMO_OK;
}

/* Looks r up in dict dh; BORROWED value or MM_NULL (rt->err = MMO_KEY). */
static mm_h lookup(mm_rt *rt, const dict_obj *d, const key_ref *r, uint32_t hash)
{
    uint32_t i = find(rt, d, r, hash);
    if (i == NO_SLOT) {
        rt->err = MMO_KEY;
        return MM_NULL;
    }
    rt->err = MMO_OK;
    return ents(d)[i].value;
}

mm_h mm_dict_get_at(mm_rt *rt, mm_h dh, mm_h key, const char *file, int line)
{
    const dict_obj *d = get_dict(rt, dh, file, line);
    if (d == NULL || mm_deref_at(rt, key, file, line) == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    key_ref r = {key, NULL, 0};
    return lookup(rt, d, &r, mm_obj_hash(rt, key));
}

mm_h mm_dict_get_str_at(mm_rt *rt, mm_h dh, const char *key, const char *file, int line)
{
    const dict_obj *d = get_dict(rt, dh, file, line);
    if (d == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    key_ref r = {MM_NULL, key, strlen(key)};
    return lookup(rt, d, &r, mm_fnv1a(key, r.n));
}

mm_status mm_dict_set_str_at(mm_rt *rt, mm_h dh, const char *key, mm_h value,
                             const char *file, int line)
{
    MM__SITE(rt, file, line);
    if (get_dict(rt, dh, file, line) == NULL || mm_deref_at(rt, value, file, line) == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    mm_h k = mm_str_intern_from(rt, key);
    if (k == MM_NULL) {
        return rt->err;
    }
    mm_status s = mm_dict_set_at(rt, dh, k, value, file, line);
    mm_decref_fast(rt, k);
    return rt->err = s;
}

/* Removes the entry of r (leaves a tombstone); MMO_KEY if absent. */
static mm_status del_key(mm_rt *rt, dict_obj *d, const key_ref *r, uint32_t hash)
{
    uint32_t i = find(rt, d, r, hash);
    if (i == NO_SLOT) {
        return rt->err = MMO_KEY;
    }
    dict_entry *e = &ents(d)[i];
    mm_h k = e->key, v = e->value;
    e->key = MM_DICT_DUMMY;
    e->value = MM_NULL;
    d->used--;
    mm_decref_fast(rt, k);
    mm_decref_fast(rt, v);
    return rt->err = MMO_OK;
}

mm_status mm_dict_del_at(mm_rt *rt, mm_h dh, mm_h key, const char *file, int line)
{
    dict_obj *d = get_dict(rt, dh, file, line);
    if (d == NULL || mm_deref_at(rt, key, file, line) == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    key_ref r = {key, NULL, 0};
    return del_key(rt, d, &r, mm_obj_hash(rt, key));
}

mm_status mm_dict_del_str_at(mm_rt *rt, mm_h dh, const char *key, const char *file, int line)
{
    dict_obj *d = get_dict(rt, dh, file, line);
    if (d == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    key_ref r = {MM_NULL, key, strlen(key)};
    return del_key(rt, d, &r, mm_fnv1a(key, r.n));
}

size_t mm_dict_len_at(const mm_rt *rt, mm_h dh, const char *file, int line)
{
    const dict_obj *d = get_dict(rt, dh, file, line);
    return d != NULL ? d->used : 0u;
}

size_t mm_dict_capacity_at(const mm_rt *rt, mm_h dh, const char *file, int line)
{
    const dict_obj *d = get_dict(rt, dh, file, line);
    return d != NULL ? d->cap : 0u;
}

/* The iteration cursor: the index of the entry after the last one
 * returned in the low DICT_POS_BITS bits (the whole cursor is 0: not
 * started), and above them a stamp of the dict's size at that call. A table has fewer than
 * 2^DICT_POS_BITS entries (12 B each: more than any target's RAM). */
#define DICT_POS_BITS 20u
#define DICT_POS_MASK ((1u << DICT_POS_BITS) - 1u)
#define DICT_STAMP_MASK ((size_t)UINT32_MAX >> DICT_POS_BITS)

/* The dict's size folded into the stamp's bits: every insert and every
 * delete moves it by one (a resize happens only inside an insert). */
static size_t dict_stamp(const dict_obj *d)
{
    return (size_t)d->used & DICT_STAMP_MASK;
}

bool mm_dict_next_at(const mm_rt *rt, mm_h dh, size_t *pos, mm_h *key, mm_h *value,
                     const char *file, int line)
{
    const dict_obj *d = get_dict(rt, dh, file, line);
    if (d == NULL) {
        return false;
    }
    size_t stamp = dict_stamp(d);
    size_t i = *pos & DICT_POS_MASK; /* the next entry to look at */
    if (*pos != 0) {
        if (*pos >> DICT_POS_BITS != stamp) {
            mm_port_misuse(file, line, "dict_next: dictionary changed size during iteration");
            return false;
        }
    }
    for (; i < d->cap; i++) {
        if (key_live(ents(d)[i].key)) {
            *key = ents(d)[i].key;
            *value = ents(d)[i].value;
            *pos = (i + 1u) | stamp << DICT_POS_BITS;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------- the type */

static void dict_traverse(mm_rt *rt, mm_obj *o, mm_visit_fn visit, void *arg)
{
    const dict_obj *d = as_dict(o);
    for (uint32_t i = 0; i < d->cap; i++) {
        if (key_live(ents(d)[i].key)) {
            visit(rt, ents(d)[i].key, arg);
            visit(rt, ents(d)[i].value, arg);
        }
    }
}

/* Turns each live entry into a tombstone before dropping its references,
 * so the dict is consistent at every decref. */
static void dict_clear(mm_rt *rt, mm_obj *o)
{
    dict_obj *d = as_dict(o);
    for (uint32_t i = 0; i < d->cap; i++) {
        dict_entry *e = &ents(d)[i];
        if (key_live(e->key)) {
            mm_h k = e->key, v = e->value;
            e->key = MM_DICT_DUMMY;
            e->value = MM_NULL;
            d->used--;
            mm_decref_fast(rt, k);
            mm_decref_fast(rt, v);
        }
    }
}

static void dict_destroy(mm_rt *rt, mm_obj *o)
{
    dict_obj *d = as_dict(o);
    mm_rt_free(rt, d->body);
    d->body = NULL;
    d->cap = d->used = d->fill = 0;
}

static size_t dict_size(const mm_rt *rt, const mm_obj *o)
{
    (void)rt;
    const dict_obj *d = (const dict_obj *)(const void *)o;
    return sizeof(dict_obj) + d->cap * sizeof(dict_entry);
}

static size_t dict_bodies(const mm_rt *rt, const mm_obj *o, const void *body[2])
{
    (void)rt;
    body[0] = ((const dict_obj *)(const void *)o)->body;
    return 1;
}

const mm_type mm_type_dict = {"dict", dict_traverse, dict_clear, dict_destroy,
                              dict_size, dict_bodies, NULL};
