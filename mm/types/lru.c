/*
 * types/lru.c - a bounded LRU cache (functools.lru_cache's store).
 *
 * Layout: a 32 B object and one body holding `maxsize` entries
 * {key, value, hash, prev, next, chain} (20 B) then `nb` bucket heads
 * (u16, nb = the power of two >= maxsize). Entries are used densely
 * (0..currsize-1); once full, a new key reuses the least recently used
 * entry. Lookup: hash chain through `chain` (expected length <= 1).
 * Recency: doubly linked list through prev/next, most recent at head.
 * Both keys and values are referenced (traverse visits them).
 * Bounds: get/put expected O(1); new O(maxsize) (bucket init) + A.
 */
#include "types/mm_types.h"

#include <string.h>

#include "mm_port.h"

#define NONE 0xFFFFu

typedef struct lru_entry {
    mm_h key;
    mm_h value;
    uint32_t hash;
    uint16_t prev, next; /* recency list (head = most recent) */
    uint16_t chain;      /* next entry in the same bucket */
    uint16_t pad;
} lru_entry;

typedef struct lru_obj {
    mm_obj head;
    uint32_t maxsize, currsize, hits, misses;
    uint16_t mru, lru; /* head and tail of the recency list */
    uint32_t nb;       /* buckets */
    void *body;        /* entries then buckets; reached through this field */
} lru_obj;

static_assert(sizeof(lru_entry) == 20, "LRU entry is 20 bytes");
static_assert(MM_LRU_MAXSIZE < NONE, "indices fit u16 with NONE spare");

static inline lru_obj *as_lru(mm_obj *o) { return (lru_obj *)(void *)o; }
static inline lru_entry *ent(const lru_obj *c) { return (lru_entry *)c->body; }
static inline uint16_t *buckets(const lru_obj *c)
{
    return (uint16_t *)(void *)(ent(c) + c->maxsize);
}

mm_h(mm_lru_new)(mm_rt *rt, uint32_t maxsize)
{
    if (maxsize == 0 || maxsize > MM_LRU_MAXSIZE) {
        rt->err = MMO_INDEX;
        return MM_NULL;
    }
    uint32_t nb = 1;
    while (nb < maxsize) {
        nb <<= 1;
    }
    mm_obj *o;
    mm_h h = mm_obj_new(rt, MM_T_LRU, sizeof(lru_obj), &o);
    if (h == MM_NULL) {
        return MM_NULL;
    }
    lru_obj *c = as_lru(o);
    c->mru = c->lru = NONE;
    if (mm_rt_alloc(rt, &c->body, maxsize * sizeof(lru_entry) + nb * sizeof(uint16_t)) == NULL) {
        mm_decref_fast(rt, h);
        rt->err = MMO_NOMEM;
        return MM_NULL;
    }
    c = as_lru(rt->tab[mm_h_index(h)].obj);
    c->maxsize = maxsize;
    c->nb = nb;
    memset(buckets(c), 0xFF, nb * sizeof(uint16_t));
    return h;
}

static lru_obj *get_lru(const mm_rt *rt, mm_h c, const char *file, int line)
{
    return as_lru(mm_deref_type_at(rt, c, MM_T_LRU, file, line));
}

/* ------------------------------------------------------------- lists */

static void unlink_recency(lru_obj *c, uint16_t i)
{
    lru_entry *e = ent(c);
    if (e[i].prev != NONE) {
        e[e[i].prev].next = e[i].next;
    } else {
        c->mru = e[i].next;
    }
    if (e[i].next != NONE) {
        e[e[i].next].prev = e[i].prev;
    } else {
        c->lru = e[i].prev;
    }
}

static void push_front(lru_obj *c, uint16_t i)
{
    lru_entry *e = ent(c);
    e[i].prev = NONE;
    e[i].next = c->mru;
    if (c->mru != NONE) {
        e[c->mru].prev = i;
    } else {
        c->lru = i;
    }
    c->mru = i;
}

static void unlink_chain(lru_obj *c, uint16_t i)
{
    uint16_t *p = &buckets(c)[ent(c)[i].hash & (c->nb - 1u)];
    while (*p != i) {
        p = &ent(c)[*p].chain;
    }
    *p = ent(c)[i].chain;
}

/* Entry index holding key, or NONE. */
static uint16_t find(const mm_rt *rt, const lru_obj *c, mm_h key, uint32_t hash)
{
    uint16_t i = buckets(c)[hash & (c->nb - 1u)];
    while (i != NONE && !(ent(c)[i].hash == hash && mm_obj_eq(rt, ent(c)[i].key, key))) {
        i = ent(c)[i].chain;
    }
    return i;
}

/* ---------------------------------------------------------------- API */

mm_h mm_lru_get_at(mm_rt *rt, mm_h ch, mm_h key, const char *file, int line)
{
    lru_obj *c = get_lru(rt, ch, file, line);
    if (c == NULL || mm_deref_at(rt, key, file, line) == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    uint16_t i = find(rt, c, key, mm_obj_hash(rt, key));
    if (i == NONE) {
        c->misses++;
        rt->err = MMO_KEY;
        return MM_NULL;
    }
    c->hits++;
    unlink_recency(c, i);
    push_front(c, i);
    rt->err = MMO_OK;
    return ent(c)[i].value;
}

/* Takes an entry for a new key: a fresh one, or the evicted LRU one whose
 * old key/value are returned in *ok and *ov for the caller to drop last. */
static uint16_t take_entry(lru_obj *c, mm_h *ok, mm_h *ov)
{
    *ok = *ov = MM_NULL;
    if (c->currsize < c->maxsize) {
        return (uint16_t)c->currsize++;
    }
    uint16_t i = c->lru;
    unlink_recency(c, i);
    unlink_chain(c, i);
    *ok = ent(c)[i].key;
    *ov = ent(c)[i].value;
    return i;
}

mm_status mm_lru_put_at(mm_rt *rt, mm_h ch, mm_h key, mm_h value,
                        const char *file, int line)
{
    MM__SITE(rt, file, line);
    lru_obj *c = get_lru(rt, ch, file, line);
    if (c == NULL || mm_deref_at(rt, key, file, line) == NULL ||
        mm_deref_at(rt, value, file, line) == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    uint32_t hash = mm_obj_hash(rt, key);
    uint16_t i = find(rt, c, key, hash);
    mm_h ok, ov;
    if (i != NONE) {
        unlink_recency(c, i);
        ok = MM_NULL;
        ov = ent(c)[i].value;
    } else {
        i = take_entry(c, &ok, &ov);
        uint16_t *b = &buckets(c)[hash & (c->nb - 1u)];
        ent(c)[i].chain = *b;
        *b = i;
        mm_incref_fast(rt, key);
        ent(c)[i].key = key;
        ent(c)[i].hash = hash;
    }
    mm_incref_fast(rt, value);
    ent(c)[i].value = value;
    push_front(c, i);
    mm_decref_fast(rt, ok); /* last: may free objects (H5) */
    mm_decref_fast(rt, ov);
    return rt->err = MMO_OK;
}

mm_status mm_lru_cache_info_at(const mm_rt *rt, mm_h ch, mm_lru_info *info,
                               const char *file, int line)
{
    const lru_obj *c = get_lru(rt, ch, file, line);
    if (c == NULL) {
        memset(info, 0, sizeof *info);
        return MMO_BADHANDLE;
    }
    info->hits = c->hits;
    info->misses = c->misses;
    info->maxsize = c->maxsize;
    info->currsize = c->currsize;
    return MMO_OK;
}

/* ------------------------------------------------------------- the type */

static void lru_traverse(mm_rt *rt, mm_obj *o, mm_visit_fn visit, void *arg)
{
    const lru_obj *c = as_lru(o);
    for (uint32_t i = 0; i < c->currsize; i++) {
        visit(rt, ent(c)[i].key, arg);
        visit(rt, ent(c)[i].value, arg);
    }
}

/* Empties the cache first (so it is consistent), then drops the
 * references the entries held. */
static void lru_clear(mm_rt *rt, mm_obj *o)
{
    lru_obj *c = as_lru(o);
    uint32_t n = c->currsize;
    c->currsize = 0;
    c->mru = c->lru = NONE;
    if (c->body == NULL) {
        return;
    }
    memset(buckets(c), 0xFF, c->nb * sizeof(uint16_t));
    for (uint32_t i = 0; i < n; i++) {
        mm_h k = ent(c)[i].key, v = ent(c)[i].value;
        ent(c)[i].key = ent(c)[i].value = MM_NULL;
        mm_decref_fast(rt, k);
        mm_decref_fast(rt, v);
    }
}

static void lru_destroy(mm_rt *rt, mm_obj *o)
{
    lru_obj *c = as_lru(o);
    mm_rt_free(rt, c->body);
    c->body = NULL;
}

static size_t lru_size(const mm_rt *rt, const mm_obj *o)
{
    (void)rt;
    const lru_obj *c = (const lru_obj *)(const void *)o;
    size_t body = c->body != NULL ? c->maxsize * sizeof(lru_entry) + c->nb * sizeof(uint16_t) : 0u;
    return sizeof(lru_obj) + body;
}

static size_t lru_bodies(const mm_rt *rt, const mm_obj *o, const void *body[2])
{
    (void)rt;
    body[0] = ((const lru_obj *)(const void *)o)->body;
    return 1;
}

const mm_type mm_type_lru = {"lru_cache", lru_traverse, lru_clear, lru_destroy,
                             lru_size, lru_bodies, NULL};
