/*
 * heap/mid.c - mid-size blocks: requests above the pools' largest class
 * and up to MM_CFG_MID_MAX bytes, cut from page-run areas at 8-byte
 * granularity. Calls only heap/pages.c (for areas) and heap/misuse.c;
 * heap/heap.c calls it.
 *
 * Why: a request of 257..2048 bytes given whole pages wastes up to a page
 * (a 260-byte string took 512 bytes), and pools of such sizes hold one or
 * two blocks each, so every class keeps a mostly empty pool. Here a block
 * costs its size plus its header (8 bytes; 4 in the frugal build), rounded
 * to 8.
 *
 * Algorithm (a good fit over segregated free lists with boundary tags, as
 * in TLSF; our own code):
 *  1. An area is a page run from heap/pages.c, every page marked MM_C_MID;
 *     its first page's descriptor holds its length, its last page's names
 *     its first. mm_free finds a mid block by the mark, as it finds a pool
 *     block by its class mark.
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
 *     least MM_MID_MIN bytes goes back as a free chunk. A request that
 *     finds none and no page (item 4; or a small request's last resort,
 *     mm_mid_alloc_last) looks at the next MM_MID_SCAN chunks of its own
 *     list before it fails (list_scan).
 *  4. With no chunk big enough, the area that ends at the wilderness
 *     (heap/pages.c: areas are cut from its start) grows into it by the
 *     pages the request lacks beyond the area's free tail, or by
 *     MM_MID_AREA_PAGES if that is more and the wilderness has them (a
 *     run of requests grows it in a few steps); else a new run
 *     of MM_MID_AREA_PAGES (or the request's own length, if longer) comes
 *     from the pages, and joins the area that ends right before it, if
 *     any. An area is one space up to MM_MID_AREA_MAX bytes, so a request
 *     fits across what were two areas. A free that leaves whole pages at
 *     an area's end gives them back at once (all of the area, if it holds
 *     no block).
 *  5. A frugal heap (R10) takes and gives back no page in an alloc or a
 *     free: its one area takes every page at mm_init (mm_mid_init), a
 *     free gives nothing back, and an area grows (by all the wilderness
 *     it may take) only after mm_trim or past MM_MID_AREA_MAX. mm_trim
 *     gives back every area's free tail (mm_mid_trim); a large block that
 *     finds no page takes the free tail of the area at the wilderness
 *     (mm_mid_give_tail).
 * Bounds: alloc, free and resize O(1): two bitmap searches (and, before
 * a request fails, MM_MID_SCAN + 1 list steps), a few list edits, and
 * the page marks (one byte each) of the pages taken or given
 * back: at most pages_of(MM_CFG_MID_MAX) + 1 or MM_MID_AREA_PAGES.
 * Reference: M. Masmano et al., "TLSF: a new dynamic memory allocator for
 * real-time systems", ECRTS 2004.
 */
#include <string.h>

#include "heap/heap_int.h"

/* A chunk's header (heap_int.h): its first word holds the size and
 * flags (and, in the frugal build's 4-byte header, the check bits above
 * them); the 8-byte header's second word is the check word. */
typedef struct mid_chunk {
    uint32_t word; /* size | MM_MID_FREE | MM_MID_PREV_FREE (| check bits) */
#if !MM_CFG_FRUGAL
    uint32_t key; /* mm_mid_tag: mm_mid_key (^ MM_MID_DEAD once freed) */
#endif
} mid_chunk;

/* A free chunk's list links, right after its header (8-aligned, as the
 * block would be). */
typedef struct mid_links {
    mid_chunk *next, *prev;
} mid_links;

static_assert(sizeof(mid_chunk) == MM_MID_HDR, "the header is the struct");
static_assert(MM_MID_MIN >= MM_MID_HDR + sizeof(mid_links) + 4u,
              "a free chunk holds its links and footer");

static inline uint32_t ck_size(const mid_chunk *c)
{
    return c->word & MM_MID_SIZE_MASK;
}

static inline mid_links *ck_links(mid_chunk *c)
{
    return (mid_links *)(void *)((char *)c + MM_MID_HDR);
}

static inline const mid_links *ck_links_of(const mid_chunk *c)
{
    return (const mid_links *)(const void *)((const char *)c + MM_MID_HDR);
}

/* Writes c's header: word (size and flags) and the check bits of a live
 * chunk or (dead) of a free one. */
static inline void ck_set(mid_chunk *c, uint32_t word, bool dead)
{
#if MM_CFG_FRUGAL
    c->word = word | mm_mid_tag(c, dead);
#else
    c->word = word;
    c->key = mm_mid_tag(c, dead);
#endif
}

/* Marks c's header dead (freed or merged away), its size and flags kept:
 * a second free of it says so. */
static inline void ck_kill(mid_chunk *c)
{
#if MM_CFG_FRUGAL
    c->word = (c->word & ~MM_MID_CHECK_MASK) | mm_mid_tag(c, true);
#else
    c->key = mm_mid_tag(c, true);
#endif
}

/* Whether c's header holds the check bits of a live (or, dead, a free)
 * chunk at its address. */
static inline bool ck_checks(const mid_chunk *c, bool dead)
{
    return mm_mid_tag_at(c) == mm_mid_tag(c, dead);
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

/* The list of a chunk of size bytes (16 <= size <= MM_MID_AREA_MAX). */
static inline void list_of(uint32_t size, uint32_t *f, uint32_t *s)
{
    uint32_t fl = 31u - (uint32_t)__builtin_clz(size);
    *f = fl - 4u;
    *s = (size >> (fl - 2u)) & (MM_MID_SL - 1u);
}

/* Lists free chunk c first on list (f, s). */
static inline void list_insert_at(mm_heap *h, mid_chunk *c, uint32_t f, uint32_t s)
{
    mid_chunk *first = h->mid_list[f][s];
    ck_links(c)->next = first;
    ck_links(c)->prev = NULL;
    if (first != NULL) {
        ck_links(first)->prev = c;
    }
    h->mid_list[f][s] = c;
    h->mid_cols[f] = (uint8_t)(h->mid_cols[f] | (1u << s));
    h->mid_rows |= 1u << f;
}

static inline void list_insert(mm_heap *h, mid_chunk *c, uint32_t size)
{
    uint32_t f, s;
    list_of(size, &f, &s);
    list_insert_at(h, c, f, s);
}

/* Unlinks free chunk c from list (f, s). */
static inline void list_unlink_at(mm_heap *h, mid_chunk *c, uint32_t f, uint32_t s)
{
    mid_chunk *next = ck_links(c)->next, *prev = ck_links(c)->prev;
    if (prev != NULL) {
        ck_links(prev)->next = next;
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
        ck_links(next)->prev = prev;
    }
}

static inline void list_unlink(mm_heap *h, mid_chunk *c, uint32_t size)
{
    uint32_t f, s;
    list_of(size, &f, &s);
    list_unlink_at(h, c, f, s);
}

/* Free chunk r takes the place of c, the head of list (f, s): what
 * unlinking c and listing r would do when r belongs on that list too,
 * without the bitmap updates. What is left of a large free chunk after a
 * block is cut from its front mostly stays on the chunk's list. */
static inline void list_replace_head(mm_heap *h, mid_chunk *c, mid_chunk *r, uint32_t f,
                                     uint32_t s)
{
    mid_chunk *next = ck_links(c)->next;
    ck_links(r)->next = next;
    ck_links(r)->prev = NULL;
    if (next != NULL) {
        ck_links(next)->prev = r;
    }
    h->mid_list[f][s] = r;
}

/* The head of the list a chunk of at least need bytes is taken from, its
 * list in *f and *s; NULL if none. */
static inline __attribute__((always_inline)) mid_chunk *list_find(const mm_heap *h,
                                                                 uint32_t need, uint32_t *f,
                                                                 uint32_t *s)
{
    list_of(need, f, s);
    mid_chunk *c = h->mid_list[*f][*s];
    if (c == NULL || ck_size(c) < need) {
        /* the first chunk of the next non-empty list up: all big enough */
        uint32_t cols = h->mid_cols[*f] & (~0u << (*s + 1u));
        if (cols == 0) {
            uint32_t rows = h->mid_rows & ~((2u << *f) - 1u);
            if (rows == 0) {
                return NULL;
            }
            *f = (uint32_t)__builtin_ctz(rows);
            cols = h->mid_cols[*f];
        }
        *s = (uint32_t)__builtin_ctz(cols);
        c = h->mid_list[*f][*s];
    }
    return c;
}

/* The last resort before a request fails: the first chunk big enough
 * among the first MM_MID_SCAN + 1 of need's own list (list_find looked at
 * the first only), taken off; NULL if none. A list's chunks differ by up
 * to a quarter of a power of two, so a chunk that fits may sit further
 * on. Only a request that finds no other chunk and no page comes here
 * (scan_take, out of line). */
static mid_chunk *list_scan(mm_heap *h, uint32_t need)
{
    uint32_t f, s;
    list_of(need, &f, &s);
    mid_chunk *c = h->mid_list[f][s];
    for (uint32_t i = 0; c != NULL && i <= MM_MID_SCAN; i++, c = ck_links(c)->next) {
        if (ck_size(c) >= need) {
            list_unlink_at(h, c, f, s);
            return c;
        }
    }
    return NULL;
}

/* ---- areas ---- */

/* The first page of the area whose last page is last: an area's first
 * page knows its length, its last page knows its first (the others'
 * descriptors mean nothing), so that joining and shrinking write no
 * descriptor but those two. */
static inline uint32_t area_of_last(const mm_heap *h, size_t last)
{
    return mm_desc(h, last)->head;
}

/* Marks pages [idx, idx+k) as the last pages of area a. */
static void area_mark(mm_heap *h, uint32_t a, uint32_t idx, uint32_t k)
{
    memset(h->cmap + idx, MM_C_MID, k);
    mm_desc(h, idx + k - 1u)->head = (uint16_t)a;
    h->pages_mid += k; /* peak: see mm_note_pages */
}

/* Makes c (m bytes) a free chunk that ends its area: header, check word,
 * footer, and the area's sentinel right after it. */
static void area_tail(mid_chunk *c, uint32_t m)
{
    ck_set(c, m | MM_MID_FREE, true);
    ck_set_foot(c, m);
    ck_set(ck_next(c, m), MM_MID_PREV_FREE, false); /* the sentinel: size 0, in use */
}

/* The size of the free chunk that ends the area whose sentinel is end
 * (its footer), 0 if the last chunk is in use. */
static uint32_t area_tail_free(const mid_chunk *end)
{
    return (end->word & MM_MID_PREV_FREE) != 0
               ? *(const uint32_t *)(const void *)((const char *)end - 4u)
               : 0u;
}

/* The free chunk that ends the area whose sentinel is end (taken off its
 * list), with its size in *m; else end itself, *m = 0. */
static mid_chunk *area_last_free(mm_heap *h, mid_chunk *end, uint32_t *m)
{
    *m = area_tail_free(end);
    if (*m == 0) {
        return end;
    }
    mid_chunk *c = ck_at((char *)end - *m);
    list_unlink(h, c, *m);
    return c;
}

/* Pages [idx, idx+k), just taken, join area a, which ends right before
 * them: a's sentinel, and a's last chunk if it is free, become one free
 * chunk with them (returned, not listed), ended by a new sentinel. */
static mid_chunk *area_join(mm_heap *h, uint32_t a, uint32_t idx, uint32_t k)
{
    area_mark(h, a, idx, k);
    mm_desc(h, a)->len = (uint16_t)(mm_desc(h, a)->len + k);
    uint32_t m;
    mid_chunk *c = area_last_free(h, ck_at(mm_page_addr(h, idx) - MM_MID_HDR), &m);
    area_tail(c, m + (k << MM_PAGE_SHIFT));
    return c;
}

/* True iff pages [idx, idx+k) may join the area that ends right before
 * them (if any): it stays within MM_MID_AREA_MAX. */
static bool may_join(const mm_heap *h, uint32_t idx, uint32_t k)
{
    return h->cmap[idx - 1u] == MM_C_MID && /* page meta-1 is the heap's own */
           (mm_desc(h, area_of_last(h, idx - 1u))->len + k) * MM_CFG_PAGE_SIZE <= MM_MID_AREA_MAX;
}

/* Pages [idx, idx+k), just taken, become an area: returns its one free
 * chunk (not listed). */
static mid_chunk *area_open(mm_heap *h, uint32_t idx, uint32_t k)
{
    area_mark(h, idx, idx, k);
    mm_desc(h, idx)->len = (uint16_t)k;
    h->mid_areas++;
    mid_chunk *c = ck_at(mm_page_addr(h, idx) + MM_MID_PAD);
    area_tail(c, (k << MM_PAGE_SHIFT) - MM_MID_PAD - MM_MID_HDR);
    return c;
}

/* A free chunk of at least need bytes from new pages (not listed), or NULL
 * if no page run can be had. The area that ends at the wilderness grows
 * (item 4 above); else a new run of MM_MID_AREA_PAGES (or the request's
 * own length, if longer) becomes an area, or joins the area right before
 * it. Out of line: mm_mid_alloc's path through a listed chunk, which every
 * mid-size request takes, then saves fewer registers. */
static __attribute__((noinline)) mid_chunk *area_new(mm_heap *h, uint32_t need)
{
    uint32_t share = (h->npages - h->meta) / 8u;
    uint32_t step = MM_MID_AREA_PAGES < share ? MM_MID_AREA_PAGES : share; /* small heap: less */
    if (MM_CFG_FRUGAL) {
        step = MM_MID_AREA_MAX / MM_CFG_PAGE_SIZE; /* the frugal heap's one space: all it can */
    }
    uint32_t top = h->top, wild = h->end - top;
    if (may_join(h, top, 1u)) {
        /* the pages the request lacks, but a step at least (as many as
         * the wilderness has, and, in the frugal build, as the area may
         * still take), so that a run of requests grows the area in a few
         * steps */
        uint32_t tail = area_tail_free(ck_at(mm_page_addr(h, top) - MM_MID_HDR));
        uint32_t k = tail >= need ? 1u : mm_pages_of(need - tail);
        uint32_t least = step < wild ? step : wild;
        if (MM_CFG_FRUGAL) {
            uint32_t room = step - mm_desc(h, area_of_last(h, top - 1u))->len;
            least = least < room ? least : room;
        }
        k = k < least ? least : k;
        if (may_join(h, top, k) && mm_pages_take_top(h, k) != MM_NIL) {
            return area_join(h, area_of_last(h, top - 1u), top, k);
        }
    }
    /* a frugal area that ends at the wilderness gives its free tail back
     * first (all of it if it holds no block), so that a new area may
     * start there and join what is left of it */
    if (MM_CFG_FRUGAL) {
        mm_mid_give_tail(h);
    }
    /* and the sentinel, and the pad before a new area's first chunk */
    uint32_t least = mm_pages_of((size_t)need + MM_MID_HDR + MM_MID_PAD);
    uint32_t k = step < least ? least : step;
    if (MM_CFG_FRUGAL && k > wild && wild >= least) {
        k = wild; /* as much as the wilderness has */
    }
    uint32_t idx = mm_pages_take(h, k);
    if (idx == MM_NIL && k != least) {
        k = least;
        idx = mm_pages_take(h, k);
    }
    if (idx == MM_NIL) {
        return NULL;
    }
    if (may_join(h, idx, k)) {
        return area_join(h, area_of_last(h, idx - 1u), idx, k);
    }
    return area_open(h, idx, k);
}

void mm_mid_init(mm_heap *h)
{
    if (!MM_CFG_FRUGAL) {
        return;
    }
    uint32_t k = h->end - h->top, most = MM_MID_AREA_MAX / MM_CFG_PAGE_SIZE;
    k = k < most ? k : most;
    uint32_t idx;
    if (k == 0 || (idx = mm_pages_take_top(h, k)) == MM_NIL) {
        return;
    }
    mid_chunk *c = area_open(h, idx, k);
    list_insert(h, c, ck_size(c));
}

/* Gives area a (its first page) back to the pages. */
static void area_release(mm_heap *h, uint32_t a)
{
    uint32_t k = mm_desc(h, a)->len;
    memset(h->cmap + a, MM_C_NONE, k);
    mm_note_pages(h);
    h->pages_mid -= k;
    h->mid_areas--;
    mm_pages_give(h, a, k);
}

/* Free chunk c (merged, unlisted) ends its area, before the sentinel
 * end: the area gives back every whole page after c (all of it if c is
 * its first chunk), and c shrinks to end at the new sentinel (or becomes
 * it). Returns false, with nothing changed, if no page can go. O(pages
 * given back), in marks only. */
static bool area_shrink(mm_heap *h, mid_chunk *c, const mid_chunk *sentinel)
{
    uint32_t last = (uint32_t)mm_page_of(h, sentinel);
    uint32_t a = area_of_last(h, last), end = last + 1u;
    uintptr_t off = (uintptr_t)c - (uintptr_t)h;
    uint32_t p;
    if ((char *)c == mm_page_addr(h, a) + MM_MID_PAD) {
        /* the area's only chunk: the area goes back */
        ck_kill(c); /* its pages keep the tag (heap.c, freed_here) */
        area_release(h, a);
        return true;
    }
    /* the first page p that can be the new end: the chunk left before its
     * sentinel is empty or a whole free chunk */
    p = (uint32_t)((off + MM_MID_HDR + MM_CFG_PAGE_SIZE - 1u) >> MM_PAGE_SHIFT);
    uint32_t rest = (uint32_t)(((uintptr_t)p << MM_PAGE_SHIFT) - MM_MID_HDR - off);
    if (rest != 0 && rest < MM_MID_MIN) {
        p++;
        rest += MM_CFG_PAGE_SIZE;
    }
    if (p >= end) {
        return false;
    }
    memset(h->cmap + p, MM_C_NONE, end - p);
    mm_note_pages(h);
    h->pages_mid -= end - p;
    mm_desc(h, a)->len = (uint16_t)(p - a);
    mm_desc(h, p - 1u)->head = (uint16_t)a;
    mm_pages_give(h, p, end - p);
    if (rest == 0) {
        ck_set(c, 0, false); /* the sentinel: the chunk before c is in use */
    } else {
        area_tail(c, rest);
        list_insert(h, c, rest);
    }
    return true;
}

/* ---- blocks ---- */

/* Makes r (m bytes) a free chunk: header, check word and footer. */
static inline void free_hdr(mid_chunk *r, uint32_t m)
{
    ck_set(r, m | MM_MID_FREE, true);
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

/* Chunk c (m bytes, its surplus already split off) in use: its header
 * and the counts; the block. */
static inline void *hand_out(mm_heap *h, mid_chunk *c, uint32_t m)
{
    /* c was free, so the chunk before it is in use: no MM_MID_PREV_FREE */
    ck_set(c, m, false);
    h->mid_blocks++;
    h->mid_bytes += m - MM_MID_HDR;
    return (char *)c + MM_MID_HDR;
}

/* Hands out free chunk c (m bytes, unlisted) for need bytes, giving a
 * surplus of MM_MID_MIN or more back as a free chunk. */
static inline __attribute__((always_inline)) void *take(mm_heap *h, mid_chunk *c, uint32_t m,
                                                         uint32_t need)
{
    return hand_out(h, c, split(h, c, m, need));
}

/* Hands out c, the head of list (f, s), for need bytes: as take, but a
 * surplus that belongs on the same list takes c's place there. */
static inline __attribute__((always_inline)) void *take_head(mm_heap *h, mid_chunk *c, uint32_t f,
                                                              uint32_t s, uint32_t need)
{
    uint32_t m = ck_size(c);
    if (m - need < MM_MID_MIN) {
        list_unlink_at(h, c, f, s);
        ck_next(c, m)->word &= ~MM_MID_PREV_FREE;
        return hand_out(h, c, m);
    }
    mid_chunk *r = ck_next(c, need);
    uint32_t rf, rs;
    list_of(m - need, &rf, &rs);
    if (rf == f && rs == s) {
        list_replace_head(h, c, r, f, s);
    } else {
        list_unlink_at(h, c, f, s);
        list_insert_at(h, r, rf, rs);
    }
    free_hdr(r, m - need);
    return hand_out(h, c, need);
}

/* Chunk bytes for a request of size bytes. */
static inline uint32_t chunk_need(size_t size)
{
    uint32_t need = (uint32_t)((size + MM_MID_HDR + 7u) & ~(size_t)7u);
    return need < MM_MID_MIN ? MM_MID_MIN : need;
}

/* The last resort of a request for need bytes that found no other chunk
 * and no page: a chunk further along its own list; NULL if none. */
static __attribute__((noinline)) void *scan_take(mm_heap *h, uint32_t need)
{
    mid_chunk *c = list_scan(h, need);
    return c != NULL ? take(h, c, ck_size(c), need) : NULL;
}

/* A block of size bytes from a listed free chunk, else (open_area) from
 * a new area, and then from further along its own list; NULL if none. */
static inline __attribute__((always_inline)) void *mid_alloc(mm_heap *h, size_t size,
                                                             bool open_area)
{
    uint32_t need = chunk_need(size), f, s;
    mid_chunk *c = list_find(h, need, &f, &s);
    if (c != NULL) {
        return take_head(h, c, f, s, need);
    }
    if (!open_area) {
        return NULL;
    }
    c = area_new(h, need);
    if (c == NULL) {
        return scan_take(h, need);
    }
    return take(h, c, ck_size(c), need);
}

void *mm_mid_alloc(mm_heap *h, size_t size)
{
    return mid_alloc(h, size, true);
}

void *mm_mid_alloc_or_retry(mm_heap *h, size_t size)
{
    void *b = mid_alloc(h, size, true);
    return b != NULL ? b : mm__alloc_retry(h, size);
}

void *mm_mid_alloc_listed(mm_heap *h, size_t size)
{
    return mid_alloc(h, size, false);
}

void *mm_mid_alloc_last(mm_heap *h, size_t size)
{
    void *b = mm_mid_alloc_listed(h, size);
    return b != NULL ? b : scan_take(h, chunk_need(size));
}

/* Frees chunk c (m bytes, in use, counts already taken off): merges it
 * with free neighbours, then lists it or gives its area back. */
static inline __attribute__((always_inline)) void chunk_free(mm_heap *h, mid_chunk *c,
                                                              uint32_t m)
{
    /* c's header ends dead, so that a second free says so: merged away
     * here, or written by free_hdr, area_tail or area_shrink below */
    if ((c->word & MM_MID_PREV_FREE) != 0) {
        ck_kill(c);
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
    /* a frugal heap's areas give no page back here (item 5 above) */
    if (!MM_CFG_FRUGAL && ck_size(n) == 0 && area_shrink(h, c, n)) {
        return;
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

/* The first page of the first area at or after page i, or h->npages if
 * none: the pages from i up to it hold no area's first page (i is never
 * inside an area). mm_mid_trim and mm_mid_check walk the areas with it;
 * out of line, so that the two share one copy. O(pages walked). */
static __attribute__((noinline)) uint32_t area_from(const mm_heap *h, uint32_t i)
{
    for (i = mm_walk(h, i); i < h->npages && h->cmap[i] != MM_C_MID; i = mm_walk(h, i + 1u)) {
    }
    return i;
}

/* Area a gives back the whole pages of its free tail, all of it if it
 * holds no block. Returns false, with nothing changed, if none can go.
 * O(pages given back), in marks only. */
static bool area_give_tail(mm_heap *h, uint32_t a)
{
    mid_chunk *end = ck_at(mm_page_addr(h, a + mm_desc(h, a)->len) - MM_MID_HDR);
    uint32_t m = area_tail_free(end);
    if (m == 0) {
        return false;
    }
    mid_chunk *c = ck_at((char *)end - m);
    list_unlink(h, c, m);
    if (!area_shrink(h, c, end)) {
        list_insert(h, c, m); /* unchanged: listed again */
        return false;
    }
    return true;
}

bool mm_mid_give_tail(mm_heap *h)
{
    if (!MM_CFG_FRUGAL) {
        return false;
    }
    uint32_t last = h->top - 1u; /* page meta-1 is the heap's own */
    return h->cmap[last] == MM_C_MID && area_give_tail(h, area_of_last(h, last));
}

void mm_mid_trim(mm_heap *h)
{
    if (!MM_CFG_FRUGAL) {
        return; /* the default build's areas give their pages back at once */
    }
    for (uint32_t a = area_from(h, h->meta); a < h->npages;) {
        uint32_t k = mm_desc(h, a)->len; /* before the tail goes */
        area_give_tail(h, a);
        a = area_from(h, a + k);
    }
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
            r->word = m - need; /* chunk_free writes its check bits */
            ck_set(c, need | prev_free, false);
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
    ck_set(c, total | prev_free, false);
    h->mid_bytes += total - m;
    return true;
}

static inline mm_err mid_live(const mm_heap *h, const void *p)
{
    const mid_chunk *c = (const mid_chunk *)(const void *)((const char *)p - MM_MID_HDR);
    size_t idx = mm_page_of(h, p), cidx = mm_page_of(h, c);
    if (cidx != idx && h->cmap[cidx] != MM_C_MID) {
        return MM_EFOREIGN; /* the header would lie outside the areas */
    }
    /* (p at the first page of an area right after another: c would be
     * that one's sentinel, whose size 0 fails the test below) */
    if (ck_checks(c, false) && (c->word & MM_MID_FREE) == 0 && ck_size(c) >= MM_MID_MIN) {
        return MM_OK;
    }
    return ck_checks(c, true) ? MM_EDOUBLE : MM_EFOREIGN;
}

mm_err mm_mid_live(const mm_heap *h, const void *p)
{
    return mid_live(h, p);
}

void mm_mid_free_or_slow(mm_heap *h, void *p)
{
    if (mid_live(h, p) != MM_OK) {
        mm__free_slow(h, p);
        return;
    }
    block_free(h, p);
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
    for (const mid_chunk *c = h->mid_list[f][s]; c != NULL; c = ck_links_of(c)->next) {
        best = ck_size(c) > best ? ck_size(c) : best;
    }
    return best - MM_MID_HDR;
}

/* ---- mm_check ---- */

/* What the area walk counts, for the list walk to compare against. */
typedef struct {
    uint32_t free_chunks, blocks, pages, areas;
    size_t bytes;
} mid_tally;

/* Walks the chunks of area a (k pages). */
static const char *check_area(const mm_heap *h, uint32_t a, uint32_t k, mid_tally *t,
                              const void **addr)
{
    char *end = mm_page_addr(h, a + k) - MM_MID_HDR;
    mid_chunk *c = ck_at(mm_page_addr(h, a) + MM_MID_PAD);
    uint32_t prev_free = 0, used = 0;
    for (;;) {
        *addr = c;
        uint32_t m = ck_size(c);
        if ((c->word & MM_MID_PREV_FREE) != prev_free) {
            return "mid chunk: MM_MID_PREV_FREE disagrees with the chunk before";
        }
        if ((char *)c == end) {
            if (m != 0 || (c->word & MM_MID_FREE) != 0 || !ck_checks(c, false)) {
                return "mid area: bad sentinel";
            }
            /* a frugal heap's areas stay when empty (item 5 above) */
            return used != 0 || MM_CFG_FRUGAL ? NULL
                                              : "mid area with no block in use (not given back)";
        }
        if (m < MM_MID_MIN || (char *)c + m > end) {
            return "mid chunk: bad size";
        }
        if ((c->word & MM_MID_FREE) != 0) {
            if (prev_free != 0) {
                return "two free mid chunks adjacent (not merged)";
            }
            if (!ck_checks(c, true) ||
                *(const uint32_t *)(const void *)((char *)c + m - 4u) != m) {
                return "free mid chunk: bad check word or footer";
            }
            t->free_chunks++;
            prev_free = MM_MID_PREV_FREE;
        } else {
            if (!ck_checks(c, false)) {
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
            for (; c != NULL; prev = c, c = ck_links_of(c)->next) {
                uint32_t cf, cs;
                uintptr_t off = (uintptr_t)c - (uintptr_t)h;
                *addr = c;
                /* a chunk is 8-aligned less its pad (its block is 8-aligned) */
                if (!mm_in_pages(h, off + MM_MID_PAD) || h->cmap[off >> MM_PAGE_SHIFT] != MM_C_MID ||
                    (c->word & MM_MID_FREE) == 0 || ck_links_of(c)->prev != prev ||
                    ++listed > t->free_chunks) {
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
    /* an area's length leads to the page after it, which may start
     * another area */
    for (uint32_t i = area_from(h, h->meta); i < h->npages;) {
        uint32_t k = mm_desc(h, i)->len;
        *addr = mm_desc(h, i);
        if (!mm_run_in(h, i, k)) {
            return "mid area: bad length";
        }
        for (uint32_t j = 1; j < k; j++) {
            if (h->cmap[i + j] != MM_C_MID) {
                return "mid area page: bad mark";
            }
        }
        if (area_of_last(h, i + k - 1u) != i) {
            *addr = mm_desc(h, i + k - 1u);
            return "mid area: its last page names another first";
        }
        const char *msg = check_area(h, i, k, &t, addr);
        if (msg != NULL) {
            return msg;
        }
        t.pages += k;
        t.areas++;
        i = area_from(h, i + k);
    }
    *addr = h;
    if (t.pages != h->pages_mid || t.bytes != h->mid_bytes || t.blocks != h->mid_blocks ||
        t.areas != h->mid_areas) {
        return "mid totals disagree with the areas";
    }
    return check_lists(h, &t, addr);
}
