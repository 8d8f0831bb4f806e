/*
 * types/list.c - lists: a small fixed object plus a separate array of handles.
 *
 * Layout: [header][len][cap][body -> cap handles of 4 B]. The body is a
 * separate block owned (mm_set_owner) by the list's `body` field, so a
 * large item array can be moved by compaction; the list object itself is
 * small and never moves.
 * Growth (CPython 3.9+ list_resize): to hold n items the new capacity is
 * (n + n/8 + 6) & ~3, or (n + 3) & ~3 if that is not enough; shrinking
 * never happens except by clear. So slack <= n/8 + 6 handles.
 * Bounds: append amortised O(1) + A; get/set/pop O(1); del O(len).
 */
#include "types/mm_types.h"

#include <stddef.h>
#include <string.h>

#include "mm_port.h"

typedef struct list_obj {
    mm_obj head;
    uint32_t len;
    uint32_t cap;
    void *body; /* cap mm_h; reached only through this field (H6) */
} list_obj;

static_assert(sizeof(mm_h) == 4, "a list holds 4-byte handles");
static_assert(sizeof(list_obj) == 12 + sizeof(void *) ||
                  sizeof(list_obj) == 16 + sizeof(void *),
              "list object: header, len, cap, body pointer");

static_assert(sizeof(list_obj) == sizeof(mm__list) &&
                  offsetof(list_obj, len) == offsetof(mm__list, len) &&
                  offsetof(list_obj, body) == offsetof(mm__list, body),
              "mm__list (mm_types.h) is the collector's view of list_obj");

static inline list_obj *as_list(mm_obj *o) { return (list_obj *)(void *)o; }
static inline const list_obj *as_clist(const mm_obj *o)
{
    return (const list_obj *)(const void *)o;
}
static inline mm_h *items(const list_obj *l) { return (mm_h *)l->body; }

/* CPython's over-allocation for n items. */
static uint32_t grow_target(uint32_t n)
{
    uint32_t c = (n + (n >> 3) + 6u) & ~3u;
    return c >= n ? c : ((n + 3u) & ~3u);
}

/* Makes room for n items; re-finds the list after allocating (H1).
 * Returns the list or NULL (MemoryError; the list is unchanged). */
static list_obj *reserve(mm_rt *rt, mm_h lh, list_obj *l, uint32_t n)
{
    if (n <= l->cap) {
        return l;
    }
    if (n > (UINT32_MAX >> 3)) {
        rt->err = MMO_NOMEM;
        return NULL;
    }
    uint32_t c = grow_target(n);
    if (mm_rt_alloc(rt, &l->body, (size_t)c * sizeof(mm_h)) == NULL) {
        return NULL;
    }
    l = as_list(rt->tab[mm_h_index(lh)].obj);
    l->cap = c;
    return l;
}

mm_h(mm_list_new)(mm_rt *rt, size_t hint)
{
    mm_obj *o;
    mm_h h = mm_obj_new(rt, MM_T_LIST, sizeof(list_obj), &o);
    if (h == MM_NULL || hint == 0) {
        return h;
    }
    if (hint > UINT32_MAX || reserve(rt, h, as_list(o), (uint32_t)hint) == NULL) {
        mm_decref_fast(rt, h);
        rt->err = MMO_NOMEM;
        return MM_NULL;
    }
    return h;
}

static list_obj *get_list(const mm_rt *rt, mm_h l, const char *file, int line)
{
    return as_list(mm_deref_type_at(rt, l, MM_T_LIST, file, line));
}

mm_status mm_list_append_at(mm_rt *rt, mm_h lh, mm_h item, const char *file, int line)
{
    MM__SITE(rt, file, line);
    list_obj *l = get_list(rt, lh, file, line);
    if (l == NULL || mm_deref_at(rt, item, file, line) == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    l = reserve(rt, lh, l, l->len + 1u);
    if (l == NULL) {
        return MMO_NOMEM;
    }
    mm_incref_fast(rt, item);
    items(l)[l->len++] = item;
    return rt->err = MMO_OK;
}

/* Validates l and index i < len; reports misuse otherwise. */
static list_obj *get_at_index(const mm_rt *rt, mm_h lh, size_t i,
                              const char *file, int line)
{
    list_obj *l = get_list(rt, lh, file, line);
    if (l != NULL && i >= l->len) {
        mm_port_misuse(file, line, "list index out of range");
        return NULL;
    }
    return l;
}

mm_h mm_list_get_at(const mm_rt *rt, mm_h lh, size_t i, const char *file, int line)
{
    const list_obj *l = get_at_index(rt, lh, i, file, line);
    return l != NULL ? items(l)[i] : MM_NULL;
}

mm_status mm_list_set_at(mm_rt *rt, mm_h lh, size_t i, mm_h item,
                         const char *file, int line)
{
    list_obj *l = get_at_index(rt, lh, i, file, line);
    if (l == NULL || mm_deref_at(rt, item, file, line) == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    mm_h old = items(l)[i];
    mm_incref_fast(rt, item);
    items(l)[i] = item;
    mm_decref_fast(rt, old); /* last: it may free objects (H5) */
    return rt->err = MMO_OK;
}

mm_status mm_list_del_at(mm_rt *rt, mm_h lh, size_t i, const char *file, int line)
{
    list_obj *l = get_at_index(rt, lh, i, file, line);
    if (l == NULL) {
        return rt->err = MMO_INDEX;
    }
    mm_h *it = items(l);
    mm_h old = it[i];
    memmove(&it[i], &it[i + 1u], (l->len - i - 1u) * sizeof(mm_h));
    l->len--;
    mm_decref_fast(rt, old);
    return rt->err = MMO_OK;
}

mm_h mm_list_pop_at(mm_rt *rt, mm_h lh, const char *file, int line)
{
    list_obj *l = get_list(rt, lh, file, line);
    if (l != NULL && l->len == 0) {
        mm_port_misuse(file, line, "pop from empty list");
        l = NULL;
    }
    if (l == NULL) {
        rt->err = MMO_INDEX;
        return MM_NULL;
    }
    rt->err = MMO_OK;
    return items(l)[--l->len]; /* the list's reference passes to the caller */
}

size_t mm_list_len_at(const mm_rt *rt, mm_h lh, const char *file, int line)
{
    const list_obj *l = get_list(rt, lh, file, line);
    return l != NULL ? l->len : 0u;
}

size_t mm_list_capacity_at(const mm_rt *rt, mm_h lh, const char *file, int line)
{
    const list_obj *l = get_list(rt, lh, file, line);
    return l != NULL ? l->cap : 0u;
}

/* ------------------------------------------------------------- the type */

static void list_traverse(mm_rt *rt, mm_obj *o, mm_visit_fn visit, void *arg)
{
    const list_obj *l = as_clist(o);
    for (uint32_t i = 0; i < l->len; i++) {
        visit(rt, items(l)[i], arg);
    }
}

/* The items are one array of handles: the collector reads it directly. */
static uint32_t list_refs(const mm_rt *rt, const mm_obj *o, const mm_h **out)
{
    (void)rt;
    const list_obj *l = as_clist(o);
    *out = items(l);
    return l->len;
}

/* Drops items from the end; len is updated before each decref, so a
 * re-entrant look at the list (collector) sees a consistent list. */
static void list_clear(mm_rt *rt, mm_obj *o)
{
    list_obj *l = as_list(o);
    while (l->len > 0) {
        mm_h x = items(l)[--l->len];
        mm_decref_fast(rt, x);
    }
}

static void list_destroy(mm_rt *rt, mm_obj *o)
{
    list_obj *l = as_list(o);
    mm_rt_free(rt, l->body);
    l->body = NULL;
    l->cap = 0;
}

static size_t list_size(const mm_rt *rt, const mm_obj *o)
{
    (void)rt;
    return sizeof(list_obj) + as_clist(o)->cap * sizeof(mm_h);
}

static size_t list_bodies(const mm_rt *rt, const mm_obj *o, const void *body[2])
{
    (void)rt;
    body[0] = as_clist(o)->body;
    return 1;
}

const mm_type mm_type_list = {"list", list_traverse, list_clear, list_destroy,
                              list_size, list_bodies, list_refs};
