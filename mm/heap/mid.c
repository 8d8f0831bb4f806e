/*
 * heap/mid.c - mid-size blocks: requests above the pools' largest class
 * and up to MM_CFG_MID_MAX bytes, cut from page-run areas at 8-byte
 * granularity. Calls only heap/pages.c (for areas) and heap/misuse.c;
 * heap/heap.c calls it.
 *
 * Why: a request of 257..2048 bytes given whole pages wastes up to a page
 * (a 260-byte string took 512 bytes), and pools of such sizes hold one or
 * two blocks each, so every class keeps a mostly empty pool. Here a block
 * costs its size rounded to 8 plus an 8-byte header.
 *
 * Algorithm (a good fit over segregated free lists with boundary tags, as
 * in TLSF; our own code):
 *  1. An area is a page run from heap/pages.c, every page marked MM_C_MID
 *     with its descriptor naming the area's first page. mm_free finds a
 *     mid block by that mark, as it finds a pool block by its class mark.
 *  2. Chunks tile the area; each starts with a header (size, flags, check
 *     word; heap_int.h). A free chunk keeps its size in its last word and
 *     the chunk after it has MM_MID_PREV_FREE set, so a free merges with
 *     both neighbours in O(1); two free chunks are never adjacent. The
 *     area ends with a sentinel header that is never free.
 *  3. Free chunks sit in lists by size: row floor(log2 size) - 4, four
 *     lists per row by the next two bits, a bitmap of rows and one of
 *     lists per row. An allocation looks at the first chunk of its own
 *     list, then takes the first chunk of the next non-empty list up (two
 *     find-first-set), whose chunks are all big enough; a surplus of at
 *     least MM_MID_MIN bytes goes back as a free chunk.
 *  4. With no chunk big enough, a new area of MM_MID_AREA_PAGES (or the
 *     request's own length, if longer) comes from the pages. An area whose
 *     last chunk is freed is given back to the pages at once.
 * Bounds: alloc, free and resize O(1): two bitmap searches, a few list
 * edits, the marks of a new or released area (at most
 * pages_of(MM_CFG_MID_MAX) + 1 or MM_MID_AREA_PAGES pages).
 * Reference: M. Masmano et al., "TLSF: a new dynamic memory allocator for
 * real-time systems", ECRTS 2004.
 */
#include <string.h>

#include "heap/heap_int.h"

typedef struct mid_chunk {
    uint32_t word;                /* size | MM_MID_FREE | MM_MID_PREV_FREE */
    uint32_t key;                 /* mm_mid_key (^ MM_MID_DEAD once freed) */
    struct mid_chunk *next, *prev; /* free chunks only: the list links */
} mid_chunk;

static_assert(offsetof(mid_chunk, next) == MM_MID_HDR, "links right after the header");
static_assert(MM_MID_MIN >= sizeof(mid_chunk) + 4u, "a free chunk holds its links and footer");

static inline uint32_t ck_size(const mid_chunk *c)
{
    return c->word & ~MM_MID_FLAGS;
}

static inline mid_chunk *ck_at(void *p)
{
    return (mid_chunk *)p;
}

static inline mid_chunk *ck_next(mid_chunk *c, uint32_t size)
{
    return ck_at((char *)c + size);
}

static inline void ck_set_foot(mid_chunk *c, uint32_t size)
{
    *(uint32_t *)(void *)((char *)c + size - 4u) = size;
}

/* ---- the index of free chunks ---- */

/* The list of a chunk of size bytes (16 <= size < 2^16). */
static inline void list_of(uint32_t size, uint32_t *f, uint32_t *s)
{
    uint32_t fl = 31u - (uint32_t)__builtin_clz(size);
    *f = fl - 4u;
    *s = (size >> (fl - 2u)) & (MM_MID_SL - 1u);
}

static inline void list_insert(mm_heap *h, mid_chunk *c, uint32_t size)
{
    uint32_t f, s;
    list_of(size, &f, &s);
    mid_chunk *first = h->mid_list[f][s];
    c->next = first;
    c->prev = NULL;
    if (first != NULL) {
        first->prev = c;
    }
    h->mid_list[f][s] = c;
    h->mid_cols[f] = (uint8_t)(h->mid_cols[f] | (1u << s));
    h->mid_rows |= 1u << f;
}

/* Unlinks free chunk c from list (f, s). */
static inline void list_unlink_at(mm_heap *h, mid_chunk *c, uint32_t f, uint32_t s)
{
    mid_chunk *next = c->next, *prev = c->prev;
    if (prev != NULL) {
        prev->next = next;
    } else {
        h->mid_list[f][s] = next;
        if (next == NULL) {
            h->mid_cols[f] = (uint8_t)(h->mid_cols[f] & ~(1u << s));
            if (h->mid_cols[f] == 0) {
                h->mid_rows &= ~(1u << f);
            }
        }
    }
    if (next != NULL) {
        next->prev = prev;
    }
}

static inline void list_unlink(mm_heap *h, mid_chunk *c, uint32_t size)
{
    uint32_t f, s;
    list_of(size, &f, &s);
    list_unlink_at(h, c, f, s);
}

/* Takes a free chunk of at least need bytes off its list; NULL if none. */
static inline __attribute__((always_inline)) mid_chunk *list_take(mm_heap *h, uint32_t need)
{
    uint32_t f, s;
    list_of(need, &f, &s);
    mid_chunk *c = h->mid_list[f][s];
    if (c == NULL || ck_size(c) < need) {
        /* the first chunk of the next non-empty list up: all big enough */
        uint32_t cols = h->mid_cols[f] & (~0u << (s + 1u));
        if (cols == 0) {
            uint32_t rows = h->mid_rows & ~((2u << f) - 1u);
            if (rows == 0) {
                return NULL;
            }
            f = (uint32_t)__builtin_ctz(rows);
            cols = h->mid_cols[f];
        }
        s = (uint32_t)__builtin_ctz(cols);
        c = h->mid_list[f][s];
    }
    list_unlink_at(h, c, f, s);
    return c;
}

/* ---- areas ---- */

/* The first page of the area holding page idx. */
static inline uint32_t area_of(const mm_heap *h, size_t idx)
{
    return mm_desc(h, idx)->head;
}

/* A new area for a chunk of need bytes: its one free chunk (not listed),
 * or NULL if no page run can be had. */
static mid_chunk *area_new(mm_heap *h, uint32_t need)
{
    uint32_t least = mm_pages_of((size_t)need + MM_MID_HDR); /* and the sentinel */
    uint32_t share = (h->npages - h->meta) / 8u;
    uint32_t k = MM_MID_AREA_PAGES < share ? MM_MID_AREA_PAGES : share; /* small heap: less */
    k = k < least ? least : k;
    uint32_t idx = mm_pages_take(h, k);
    if (idx == MM_NIL && k != least) {
        k = least;
        idx = mm_pages_take(h, k);
    }
    if (idx == MM_NIL) {
        return NULL;
    }
    for (uint32_t j = 0; j < k; j++) { /* k <= max(MM_MID_AREA_PAGES, least) */
        h->cmap[idx + j] = MM_C_MID;
        mm_desc(h, idx + j)->head = (uint16_t)idx;
    }
    mm_desc(h, idx)->len = (uint16_t)k;
    h->pages_mid += k; /* peak: see mm_note_pages */
    uint32_t bytes = k << MM_PAGE_SHIFT;
    mid_chunk *c = ck_at(mm_page_addr(h, idx));
    c->word = (bytes - MM_MID_HDR) | MM_MID_FREE;
    c->key = mm_mid_key(c) ^ MM_MID_DEAD;
    mid_chunk *end = ck_next(c, bytes - MM_MID_HDR);
    end->word = MM_MID_PREV_FREE; /* the sentinel: size 0, in use */
    end->key = mm_mid_key(end);
    return c;
}

/* Gives area a (its first page) back to the pages. */
static void area_release(mm_heap *h, uint32_t a)
{
    uint32_t k = mm_desc(h, a)->len;
    for (uint32_t j = 0; j < k; j++) {
        h->cmap[a + j] = MM_C_NONE;
    }
    mm_note_pages(h);
    h->pages_mid -= k;
    mm_pages_give(h, a, k);
}

/* ---- blocks ---- */

/* Makes r (m bytes) a free chunk: header, check word and footer. */
static inline void free_hdr(mid_chunk *r, uint32_t m)
{
    r->word = m | MM_MID_FREE;
    r->key = mm_mid_key(r) ^ MM_MID_DEAD;
    ck_set_foot(r, m);
}

/* Chunk c (m bytes, the chunk after it free or not yet told) is to hold
 * need bytes in use: a surplus of MM_MID_MIN or more becomes a listed free
 * chunk (the chunk after it keeps its MM_MID_PREV_FREE), else the chunk
 * after c learns that c is in use. Returns c's size now. */
static inline uint32_t split(mm_heap *h, mid_chunk *c, uint32_t m, uint32_t need)
{
    if (m - need >= MM_MID_MIN) {
        mid_chunk *r = ck_next(c, need);
        free_hdr(r, m - need);
        list_insert(h, r, m - need);
        return need;
    }
    ck_next(c, m)->word &= ~MM_MID_PREV_FREE;
    return m;
}

/* Hands out free chunk c (m bytes, unlisted) for need bytes, giving a
 * surplus of MM_MID_MIN or more back as a free chunk. */
static inline __attribute__((always_inline)) void *take(mm_heap *h, mid_chunk *c, uint32_t m,
                                                         uint32_t need)
{
    /* c is free, so the chunk before it is in use: no MM_MID_PREV_FREE */
    m = split(h, c, m, need);
    c->word = m;
    c->key = mm_mid_key(c);
    h->mid_blocks++;
    h->mid_bytes += m - MM_MID_HDR;
    return (char *)c + MM_MID_HDR;
}

/* Chunk bytes for a request of size bytes. */
static inline uint32_t chunk_need(size_t size)
{
    uint32_t need = (uint32_t)((size + MM_MID_HDR + 7u) & ~(size_t)7u);
    return need < MM_MID_MIN ? MM_MID_MIN : need;
}

/* A block of size bytes from a listed free chunk, else (open_area) from
 * a new area; NULL if none. */
static inline __attribute__((always_inline)) void *mid_alloc(mm_heap *h, size_t size,
                                                             bool open_area)
{
    uint32_t need = chunk_need(size);
    mid_chunk *c = list_take(h, need);
    if (c == NULL && (!open_area || (c = area_new(h, need)) == NULL)) {
        return NULL;
    }
    return take(h, c, ck_size(c), need);
}

void *mm_mid_alloc(mm_heap *h, size_t size)
{
    return mid_alloc(h, size, true);
}

void *mm_mid_alloc_listed(mm_heap *h, size_t size)
{
    return mid_alloc(h, size, false);
}

/* Frees chunk c (m bytes, in use, counts already taken off): merges it
 * with free neighbours, then lists it or gives its area back. */
static inline __attribute__((always_inline)) void chunk_free(mm_heap *h, mid_chunk *c,
                                                              uint32_t m)
{
    c->key = mm_mid_key(c) ^ MM_MID_DEAD; /* a second free says so */
    if ((c->word & MM_MID_PREV_FREE) != 0) {
        uint32_t pm = *(const uint32_t *)(const void *)((const char *)c - 4u);
        c = ck_at((char *)c - pm);
        list_unlink(h, c, pm);
        m += pm;
    }
    mid_chunk *n = ck_next(c, m);
    if ((n->word & MM_MID_FREE) != 0) {
        uint32_t nm = ck_size(n);
        list_unlink(h, n, nm);
        m += nm;
        n = ck_next(c, m);
    }
    if (ck_size(n) == 0 && (((uintptr_t)c - (uintptr_t)h) & (MM_CFG_PAGE_SIZE - 1u)) == 0) {
        uint32_t a = area_of(h, mm_page_of(h, c));
        if ((char *)c == mm_page_addr(h, a)) {
            area_release(h, a); /* the area's only chunk: n is its sentinel */
            return;
        }
    }
    free_hdr(c, m);
    n->word |= MM_MID_PREV_FREE;
    list_insert(h, c, m);
}

/* Frees live mid block p: its counts, then chunk_free. */
static inline __attribute__((always_inline)) void block_free(mm_heap *h, void *p)
{
    mid_chunk *c = ck_at((char *)p - MM_MID_HDR);
    uint32_t m = ck_size(c);
    h->mid_blocks--;
    h->mid_bytes -= m - MM_MID_HDR;
    chunk_free(h, c, m);
}

void mm_mid_free(mm_heap *h, void *p)
{
    block_free(h, p);
}

bool mm_mid_resize(mm_heap *h, void *p, size_t size)
{
    if (size > MM_CFG_MID_MAX) {
        return false;
    }
    mid_chunk *c = ck_at((char *)p - MM_MID_HDR);
    uint32_t m = ck_size(c), need = chunk_need(size);
    uint32_t prev_free = c->word & MM_MID_PREV_FREE;
    if (need <= m) {
        if (m - need >= MM_MID_MIN) {
            /* [ c ........ ] => [ c ][ tail ], the tail freed (merged) */
            mid_chunk *r = ck_next(c, need);
            r->word = m - need;
            c->word = need | prev_free;
            h->mid_bytes -= m - need;
            chunk_free(h, r, m - need);
        }
        return true;
    }
    mid_chunk *n = ck_next(c, m);
    uint32_t nm = ck_size(n);
    if ((n->word & MM_MID_FREE) == 0 || m + nm < need) {
        return false;
    }
    /* [ c ][ free n ] => [ c ....... ][ rest ] */
    list_unlink(h, n, nm);
    uint32_t total = split(h, c, m + nm, need);
    c->word = total | prev_free;
    h->mid_bytes += total - m;
    return true;
}

static inline mm_err mid_live(const mm_heap *h, const void *p)
{
    const mid_chunk *c = (const mid_chunk *)(const void *)((const char *)p - MM_MID_HDR);
    size_t idx = mm_page_of(h, p), cidx = mm_page_of(h, c);
    if (cidx != idx && (h->cmap[cidx] != MM_C_MID || area_of(h, cidx) != area_of(h, idx))) {
        return MM_EFOREIGN; /* the header would lie outside p's area */
    }
    if (c->key == mm_mid_key(c) && (c->word & MM_MID_FREE) == 0 && ck_size(c) >= MM_MID_MIN) {
        return MM_OK;
    }
    return c->key == (mm_mid_key(c) ^ MM_MID_DEAD) ? MM_EDOUBLE : MM_EFOREIGN;
}

mm_err mm_mid_live(const mm_heap *h, const void *p)
{
    return mid_live(h, p);
}

bool mm_mid_free_live(mm_heap *h, void *p)
{
    if (mid_live(h, p) != MM_OK) {
        return false;
    }
    block_free(h, p);
    return true;
}

bool mm_mid_ok(const mm_heap *h, const void *p, const char *fn, bool writable)
{
    mm_err e = mm_mid_live(h, p);
    if (e == MM_OK) {
        return true;
    }
    bool is_free = fn[3] == 'f'; /* "mm_free": a freed block is a double free */
    mm_misuse(writable ? (mm_heap *)(uintptr_t)h : NULL, __FILE__, __LINE__, e, fn,
              e == MM_EFOREIGN ? "pointer to no live block"
              : is_free        ? "double free"
                               : "freed block",
              p);
    return false;
}

size_t mm_mid_largest(const mm_heap *h)
{
    if (h->mid_rows == 0) {
        return 0;
    }
    uint32_t f = 31u - (uint32_t)__builtin_clz(h->mid_rows);
    uint32_t s = 31u - (uint32_t)__builtin_clz(h->mid_cols[f]);
    uint32_t best = 0;
    for (const mid_chunk *c = h->mid_list[f][s]; c != NULL; c = c->next) {
        best = ck_size(c) > best ? ck_size(c) : best;
    }
    return best - MM_MID_HDR;
}

/* ---- mm_check ---- */

/* What the area walk counts, for the list walk to compare against. */
typedef struct {
    uint32_t free_chunks, blocks, pages;
    size_t bytes;
} mid_tally;

/* Walks the chunks of area a (k pages). */
static const char *check_area(const mm_heap *h, uint32_t a, uint32_t k, mid_tally *t,
                              const void **addr)
{
    char *end = mm_page_addr(h, a + k) - MM_MID_HDR;
    mid_chunk *c = ck_at(mm_page_addr(h, a));
    uint32_t prev_free = 0, used = 0;
    for (;;) {
        *addr = c;
        uint32_t m = ck_size(c);
        if ((c->word & MM_MID_PREV_FREE) != prev_free) {
            return "mid chunk: MM_MID_PREV_FREE disagrees with the chunk before";
        }
        if ((char *)c == end) {
            return m != 0 || (c->word & MM_MID_FREE) != 0 || c->key != mm_mid_key(c)
                       ? "mid area: bad sentinel"
                   : used == 0 ? "mid area with no block in use (not given back)"
                               : NULL;
        }
        if (m < MM_MID_MIN || (char *)c + m > end) {
            return "mid chunk: bad size";
        }
        if ((c->word & MM_MID_FREE) != 0) {
            if (prev_free != 0) {
                return "two free mid chunks adjacent (not merged)";
            }
            if (c->key != (mm_mid_key(c) ^ MM_MID_DEAD) ||
                *(const uint32_t *)(const void *)((char *)c + m - 4u) != m) {
                return "free mid chunk: bad check word or footer";
            }
            t->free_chunks++;
            prev_free = MM_MID_PREV_FREE;
        } else {
            if (c->key != mm_mid_key(c)) {
                return "mid block: bad check word";
            }
            if (MM_REDZONE && !mm_rz_ok((char *)c + MM_MID_HDR, m - MM_MID_HDR)) {
                *addr = (char *)c + MM_MID_HDR;
                return "live block red zone overwritten";
            }
            used++;
            t->blocks++;
            t->bytes += m - MM_MID_HDR;
            prev_free = 0;
        }
        c = ck_next(c, m);
    }
}

/* Every list: its chunks free, on mid pages, in the right list, links
 * right; bitmaps match; as many as the walk found. */
static const char *check_lists(const mm_heap *h, const mid_tally *t, const void **addr)
{
    uint32_t listed = 0;
    *addr = h;
    for (uint32_t f = 0; f < MM_MID_NFL; f++) {
        if (((h->mid_rows >> f) & 1u) != (h->mid_cols[f] != 0 ? 1u : 0u) ||
            (h->mid_cols[f] >> MM_MID_SL) != 0) {
            return "mid index bitmaps disagree";
        }
        for (uint32_t s = 0; s < MM_MID_SL; s++) {
            const mid_chunk *prev = NULL;
            const mid_chunk *c = h->mid_list[f][s];
            if (((h->mid_cols[f] >> s) & 1u) != (c != NULL ? 1u : 0u)) {
                return "mid index bitmap disagrees with its list";
            }
            for (; c != NULL; prev = c, c = c->next) {
                uint32_t cf, cs;
                uintptr_t off = (uintptr_t)c - (uintptr_t)h;
                *addr = c;
                if (!mm_in_pages(h, off) || h->cmap[off >> MM_PAGE_SHIFT] != MM_C_MID ||
                    (c->word & MM_MID_FREE) == 0 || c->prev != prev || ++listed > t->free_chunks) {
                    return "mid free list entry broken";
                }
                list_of(ck_size(c), &cf, &cs);
                if (cf != f || cs != s) {
                    return "free mid chunk in the wrong list";
                }
            }
        }
    }
    return listed == t->free_chunks ? NULL : "free mid chunks missing from the lists";
}

const char *mm_mid_check(const mm_heap *h, const void **addr)
{
    mid_tally t;
    memset(&t, 0, sizeof t);
    for (uint32_t i = h->meta; i < h->top; i++) {
        if (h->cmap[i] != MM_C_MID || area_of(h, i) != i) {
            continue;
        }
        uint32_t k = mm_desc(h, i)->len;
        *addr = mm_desc(h, i);
        if (k == 0 || i + k > h->top) {
            return "mid area: bad length";
        }
        for (uint32_t j = 1; j < k; j++) {
            if (h->cmap[i + j] != MM_C_MID || area_of(h, i + j) != i) {
                return "mid area page: bad mark or area";
            }
        }
        const char *msg = check_area(h, i, k, &t, addr);
        if (msg != NULL) {
            return msg;
        }
        t.pages += k;
        i += k - 1u;
    }
    *addr = h;
    if (t.pages != h->pages_mid || t.bytes != h->mid_bytes || t.blocks != h->mid_blocks) {
        return "mid totals disagree with the areas";
    }
    return check_lists(h, &t, addr);
}
