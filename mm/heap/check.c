/*
 * heap/check.c - statistics, the consistency checker and the page map.
 *
 * Statistics read counters kept by the allocator: per class the blocks
 * handed out (kept on the fast paths beside the free list), pools and peak
 * pools; per heap the pages free/pool/large and the peak. A class figure is
 * O(1); mm_get_stats sums the classes, O(classes + runs of the largest
 * length bucket).
 *
 * mm_check (after o1heap's o1heapDoInvariantsHold and TLSF's tlsf_check):
 *  1. the heap state: magic, page counts, top, descriptor address; the
 *     heap's own pages and the wilderness carry their marks;
 *  2. one pass over the runs on both sides of the wilderness, head to
 *     head: every run well formed (marks, lengths, tails, pool pages,
 *     NONE interiors), no two free runs
 *     adjacent and none touching the wilderness; page totals add up;
 *  3. every bucket list: entries are free heads of that bucket's length,
 *     back links right, bitmaps match; as many runs as the pass found;
 *  4. every pool not in its class's window, in the pass: its own list bounded,
 *     each block in the pool on a boundary, debug poison intact, as many as
 *     its count, fewer than a pool's blocks (an all-free one is given
 *     back);
 *  5. every class: its window a ring of pools of the class, as many as
 *     the pass found marked so; its list bounded (no cycle), each block in
 *     a window pool on a boundary, handed out before (below the bump),
 *     poison intact; blocks in use + listed + never used = the window's
 *     blocks; the partial list holds exactly the other pools
 *     with a free block, links right; the in-use count of the other pools
 *     and the pool counts match the pass;
 *  6. with red zones (MM_CFG_REDZONE), every live block's guard and size
 *     word (heap/heap_int.h).
 * It never writes and never aborts; the first failure is reported.
 * Bound: O(pages + free blocks).
 */
#include <string.h>

#include "fmt/mm_fmt.h"
#include "heap/heap_int.h"

/* ---- statistics ---- */

bool mm_get_size_class_stats(const mm_heap *h, size_t cls, mm_size_class_stats *out)
{
    if (cls >= mm_size_class_count()) {
        return false;
    }
    size_t s = mm_class_size(cls);
    size_t per_pool = h->per_pool[cls];
    out->block_size = s;
    out->blocks_per_pool = per_pool;
    out->pool_pages = h->pool_pages[cls];
    out->in_use = h->cls[cls].s.used + h->held[cls];
    out->pools = h->pools[cls];
    out->pools_peak = mm_peak_pools(h, cls);
    out->free_blocks = out->pools * per_pool - out->in_use;
    out->bytes = out->in_use * s;
    return true;
}

size_t mm_high_water(const mm_heap *h)
{
    return sizeof(struct mm_heap) +
           (size_t)mm_peak_pages(h) * (MM_CFG_PAGE_SIZE + 1u + sizeof(mm_pd));
}

size_t mm_largest_free(const mm_heap *h)
{
    return (size_t)mm_pages_largest(h) << MM_PAGE_SHIFT;
}

size_t mm_fragmentation(const mm_heap *h)
{
    size_t free_pages = mm_pages_free(h);
    if (free_pages == 0) {
        return 0;
    }
    return 1000u - ((size_t)mm_pages_largest(h) * 1000u) / free_pages;
}

void mm_get_stats(const mm_heap *h, mm_stats *out)
{
    size_t used = 0, pool_free = 0, pool_waste = 0;
    for (size_t c = 0; c < mm_size_class_count(); c++) {
        mm_size_class_stats cs;
        if (!mm_get_size_class_stats(h, c, &cs)) {
            break;
        }
        used += cs.bytes;
        pool_free += cs.free_blocks * cs.block_size;
        pool_waste +=
            cs.pools * (cs.pool_pages * MM_CFG_PAGE_SIZE - cs.blocks_per_pool * cs.block_size);
    }
    size_t pages = h->npages - h->meta;
    out->region_size = h->region_size;
    out->page_size = MM_CFG_PAGE_SIZE;
    out->pages = pages;
    out->meta_bytes = h->region_size - (pages << MM_PAGE_SHIFT);
    out->pages_free = mm_pages_free(h);
    out->pages_pool = h->pages_pool;
    out->pages_large = h->pages_large;
    out->large_blocks = h->large_blocks;
    out->pages_mid = h->pages_mid;
    out->mid_blocks = h->mid_blocks;
    out->used_bytes = used + h->mid_bytes + ((size_t)h->pages_large << MM_PAGE_SHIFT);
    out->pool_free_bytes = pool_free;
    out->pool_waste_bytes = pool_waste;
    out->mid_used_bytes = h->mid_bytes;
    out->mid_header_bytes =
        (size_t)MM_MID_HDR * (h->mid_blocks + h->mid_areas) + (size_t)MM_MID_PAD * h->mid_areas;
    out->mid_free_bytes =
        ((size_t)h->pages_mid << MM_PAGE_SHIFT) - h->mid_bytes - out->mid_header_bytes;
    out->mid_largest_free = MM_CFG_MID_MAX != 0 ? mm_mid_largest(h) : 0u;
    out->free_bytes = (size_t)out->pages_free << MM_PAGE_SHIFT;
    out->largest_free = mm_largest_free(h);
    out->frag_permille = mm_fragmentation(h);
    out->peak_bytes = (size_t)mm_peak_pages(h) << MM_PAGE_SHIFT;
    out->high_water = mm_high_water(h);
}

/* ---- checker ---- */

/* What the run pass counts, for the list passes to compare against. */
typedef struct {
    uint32_t free_runs, pages_runs, pages_pool, pages_large, large_blocks, pages_mid;
    uint32_t pools[MM_NCLASS];
    uint32_t partials[MM_NCLASS]; /* pools, not in the window, with a free block */
    uint32_t held[MM_NCLASS];     /* blocks in use in those and the full ones */
    uint32_t window[MM_NCLASS];   /* pools that say they are in the window */
} tally;

static bool report(mm_report *r, const char *msg, const void *addr)
{
    if (r != NULL) {
        r->code = MM_ECORRUPT;
        r->msg = msg;
        r->addr = addr;
    }
    return false;
}

/* Every page in (first, last) must be marked NONE. */
static const char *check_inner(const mm_heap *h, uint32_t first, uint32_t last,
                               const void **addr)
{
    for (uint32_t k = first + 1u; k < last; k++) {
        if (h->cmap[k] != MM_C_NONE) {
            *addr = &h->cmap[k];
            return "page inside a run is not marked NONE";
        }
    }
    return NULL;
}

static const char *check_free_run(const mm_heap *h, uint32_t i, bool after_free,
                                  const void **addr)
{
    const mm_pd *d = mm_desc(h, i);
    uint32_t n = d->len;
    *addr = d;
    if (!mm_run_in(h, i, n)) {
        return "free run head: bad length";
    }
    if (after_free) {
        return "two free runs adjacent (not coalesced)";
    }
    if (i + n == h->top || i == h->end) {
        return "free run touches the wilderness (not merged into it)";
    }
    if (n > 1 && (h->cmap[i + n - 1u] != MM_C_TAIL || mm_desc(h, i + n - 1u)->head != i)) {
        *addr = mm_desc(h, i + n - 1u);
        return "free run tail: bad mark or head";
    }
    return check_inner(h, i, n > 1 ? i + n - 1u : i, addr);
}

static const char *check_pool(const mm_heap *h, uint32_t i, uint8_t c, const void **addr)
{
    uint32_t k = h->pool_pages[c];
    *addr = mm_desc(h, i);
    if ((mm_desc(h, i)->len & MM_POOL_TAIL) != 0 || !mm_run_in(h, i, k)) {
        return "pool head: bad distance or length";
    }
    for (uint32_t j = 1; j < k; j++) {
        if (h->cmap[i + j] != c || mm_desc(h, i + j)->len != (MM_POOL_TAIL | j)) {
            *addr = mm_desc(h, i + j);
            return "pool page: bad class or distance";
        }
    }
    return NULL;
}

static const char *check_list(const mm_heap *h, size_t c, size_t pool, const void *first,
                              size_t bound, size_t *listed, const void **addr);

/* A pool not in its class's window: its own list and count. */
static const char *check_other_pool(const mm_heap *h, uint32_t i, uint8_t c, tally *t,
                                    const void **addr)
{
    if (mm_desc(h, i)->head == MM_WIN) {
        t->window[c]++;
        return NULL; /* checked with its class */
    }
    size_t nfree = mm_desc(h, i)->head, per = h->per_pool[c], listed = 0;
    *addr = mm_desc(h, i);
    if (nfree >= per) {
        return "pool not in the window with every block free (not given back)";
    }
    const char *msg = check_list(h, c, i, mm_pool_list(h, i), nfree, &listed, addr);
    if (msg == NULL && listed != nfree) {
        *addr = mm_desc(h, i);
        msg = "pool free count disagrees with its list";
    }
    t->held[c] += (uint32_t)(per - nfree);
    t->partials[c] += nfree != 0 ? 1u : 0u;
    return msg;
}

/* Pass 2: the runs, head to head. */
static bool check_runs(const mm_heap *h, tally *t, mm_report *r)
{
    const void *addr = NULL;
    bool after_free = false;
    for (uint32_t i = mm_walk(h, h->meta); i < h->npages;) {
        uint8_t mark = h->cmap[i];
        const mm_pd *d = mm_desc(h, i);
        const char *msg = "run head has a non-head mark";
        uint32_t n = 0;
        addr = d;
        if (mark == MM_C_FREE) {
            msg = check_free_run(h, i, after_free, &addr);
            n = d->len;
            t->free_runs++;
            t->pages_runs += n;
        } else if (mark == MM_C_LARGE) {
            n = d->len;
            msg = !mm_run_in(h, i, n) ? "large block head: bad length"
                                      : check_inner(h, i, i + n, &addr);
            t->pages_large += n;
            t->large_blocks++;
        } else if (mark == MM_C_MID) {
            n = d->len; /* mm_mid_check looks inside */
            msg = !mm_run_in(h, i, n) ? "mid area head: bad length" : NULL;
            t->pages_mid += n;
        } else if (mm_is_pool(mark)) {
            msg = check_pool(h, i, mark, &addr);
            if (msg == NULL) {
                msg = check_other_pool(h, i, mark, t, &addr);
            }
            n = h->pool_pages[mark];
            t->pages_pool += n;
            t->pools[mark]++;
        }
        if (msg != NULL) {
            return report(r, msg, addr);
        }
        after_free = mark == MM_C_FREE;
        i = mm_walk(h, i + n);
    }
    if (t->pages_runs != mm_pages_runs(h) || t->pages_pool != h->pages_pool ||
        t->pages_large != h->pages_large || t->large_blocks != h->large_blocks ||
        t->pages_mid != h->pages_mid) {
        return report(r, "page totals disagree with the runs", h);
    }
    return true;
}

/* Pass 3: bucket lists and the bitmaps, on each side of the wilderness. */
static bool check_buckets(const mm_heap *h, const tally *t, mm_report *r)
{
    uint32_t runs = 0;
    for (uint32_t k = 0; k < 2; k++) {
        const mm_zone *z = &h->zone[k];
        if ((z->bmap >> MM_NBUCKET) != 0) {
            return report(r, "bucket bitmap has bits past the last bucket", z);
        }
        for (uint32_t f = 0; f < MM_NBUCKET; f++) {
            uint32_t prev = MM_NIL;
            uint32_t first = mm_pages_first(z, f);
            bool bit = ((z->bmap >> f) & 1u) != 0;
            if (bit != (first != MM_NIL)) {
                return report(r, "bucket bitmap disagrees with bucket", z);
            }
            for (uint32_t i = first; i != MM_NIL; i = mm_desc(h, i)->u.l.next) {
                if (!mm_run_in(h, i, 1) || h->cmap[i] != MM_C_FREE ||
                    mm_desc(h, i)->u.l.prev != prev || ++runs > t->free_runs) {
                    return report(r, "bucket list entry broken",
                                  i < h->npages ? (const void *)mm_desc(h, i) : h);
                }
                if (mm_pages_bucket(mm_desc(h, i)->len) != f || (i >= h->end) != (k == 1)) {
                    return report(r, "free run in the wrong bucket", mm_desc(h, i));
                }
                prev = i;
            }
        }
    }
    if (runs != t->free_runs) {
        return report(r, "free runs missing from the buckets", h);
    }
    return true;
}

/* Where p lies in a pool of class c: false if not on a pool page of c,
 * else the pool's first page in *head and p's byte offset from it in *in. */
static bool pool_place(const mm_heap *h, size_t c, const void *p, size_t *head, size_t *in)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h;
    if (!mm_in_pages(h, off) || h->cmap[off >> MM_PAGE_SHIFT] != c) {
        return false;
    }
    *head = mm_pool_head(h, off >> MM_PAGE_SHIFT);
    *in = off - (*head << MM_PAGE_SHIFT);
    return true;
}

/* Where free block b of class c sits: NULL if fine, else what is wrong.
 * The block must lie in pool `pool` (head page; MM_NIL: any pool of the
 * class's window), on a block boundary, and below the bump if the pool is
 * the newest of the window. */
static const char *check_block(const mm_heap *h, size_t c, size_t pool, const void *b)
{
    size_t head, in, s = mm_class_size(c);
    if (!pool_place(h, c, b, &head, &in) ||
        (pool != MM_NIL ? head != pool : mm_desc(h, head)->head != MM_WIN)) {
        return "free list block not in its pool";
    }
    if (in % s != 0 || in >= (size_t)h->per_pool[c] * s) {
        return "free list block off a block boundary";
    }
    const char *bump = mm_pool_bump(h, c);
    if (bump != NULL && mm_pool_head(h, mm_page_of(h, bump)) == head &&
        (const char *)b >= bump) {
        return "free list block never handed out (at or above the bump)";
    }
    return NULL;
}

/* Walks a free list of pool `pool` of class c: at most bound blocks, each
 * placed right, poison intact (debug). Counts them into *listed. */
static const char *check_list(const mm_heap *h, size_t c, size_t pool, const void *first,
                              size_t bound, size_t *listed, const void **addr)
{
    size_t s = MM_CFG_DEBUG ? mm_class_size(c) : 0u; /* bytes whose poison is checked */
    for (const unsigned char *b = first; b != NULL;
         b = *(const unsigned char *const *)(const void *)b) {
        *addr = b;
        if (++*listed > bound) {
            return "free list too long (cycle?)";
        }
        const char *msg = check_block(h, c, pool, b);
        if (msg != NULL) {
            return msg;
        }
        for (size_t k = sizeof(void *); MM_CFG_DEBUG && k < s; k++) {
            if (b[k] != MM_CFG_POISON_FREE) {
                return "freed block modified (write after free)";
            }
        }
    }
    return NULL;
}

/* The class's never-used blocks: none without a window, at most a
 * pool's blocks. */
static bool check_bump(const mm_heap *h, size_t c)
{
    return h->left[c] <= h->per_pool[c] && (h->left[c] == 0 || h->cur[c] != MM_NIL);
}

/* Class c's partial list: pools of the class, not in the window, with a free
 * block, back links right, as many as the pass found. */
static const char *check_partial(const mm_heap *h, size_t c, const tally *t, const void **addr)
{
    uint32_t prev = MM_NIL, n = 0;
    for (uint32_t i = h->partial[c]; i != MM_NIL; i = mm_desc(h, i)->u.l.next) {
        *addr = &h->partial[c];
        if (!mm_run_in(h, i, 1) || h->cmap[i] != c ||
            mm_desc(h, i)->len == 0 || /* its own list is empty */
            mm_desc(h, i)->head == 0 || mm_desc(h, i)->head >= h->per_pool[c] ||
            mm_desc(h, i)->u.l.prev != prev ||
            ++n > t->partials[c]) {
            return "partial pool list broken";
        }
        prev = i;
    }
    return n == t->partials[c] ? NULL : "partial pool list misses a pool";
}

/* Class c's window: none with an empty pair, or a ring of pool heads of
 * c that say so, as many as the class counts and the run pass found,
 * whose listed, in-use and never-used blocks add up. */
static const char *check_window(const mm_heap *h, size_t c, const tally *t, const void **addr)
{
    uint32_t newest = h->cur[c], n = 0;
    uint32_t several = (h->multimap[c / 32u] >> (c % 32u)) & 1u; /* says nwin > 1 */
    *addr = &h->cls[c];
    if (newest == MM_NIL) {
        if (several != 0) {
            return "class window's several-pools mark disagrees with its count";
        }
        return h->cls[c].s.head != NULL || h->cls[c].s.used != 0 || h->left[c] != 0 ||
                       h->nwin[c] != 0 || t->window[c] != 0
                   ? "class without a window has blocks"
                   : NULL;
    }
    for (uint32_t i = newest;;) {
        const mm_pd *d = mm_desc(h, i);
        uint32_t next = d->u.l.next;
        if (!mm_run_in(h, i, 1) || h->cmap[i] != c ||
            d->len != 0 || d->head != MM_WIN ||
            !mm_run_in(h, next, 1) || mm_desc(h, next)->u.l.prev != i || ++n > h->nwin[c]) {
            *addr = d;
            return "class window is no ring of the class's pools";
        }
        i = next;
        if (i == newest) {
            break;
        }
    }
    if (n != h->nwin[c] || n != t->window[c] || n > mm_window_max(h, c)) {
        return "class window count disagrees with its pools";
    }
    if (several != (n > 1u ? 1u : 0u)) {
        return "class window's several-pools mark disagrees with its count";
    }
    size_t listed = 0, blocks = (size_t)h->per_pool[c] * n;
    const char *msg = check_list(h, c, MM_NIL, h->cls[c].s.head, blocks, &listed, addr);
    if (msg == NULL && h->cls[c].s.used + listed + h->left[c] != blocks) {
        *addr = &h->cls[c];
        msg = "class counts disagree (in use + free + never used != window blocks)";
    }
    return msg;
}

/* Pass 5: classes, their windows, partial lists and counters. */
static bool check_classes(const mm_heap *h, const tally *t, mm_report *r)
{
    for (size_t c = 0; c < MM_NCLASS; c++) {
        const void *addr = NULL;
        if (t->pools[c] != h->pools[c] || t->held[c] != h->held[c]) {
            return report(r, "class pool or in-use counters disagree with the pools",
                          &h->pools[c]);
        }
        if (!check_bump(h, c)) {
            return report(r, "class count of never-used blocks broken", &h->left[c]);
        }
        const char *msg = check_window(h, c, t, &addr);
        if (msg == NULL) {
            msg = check_partial(h, c, t, &addr);
        }
        if (msg != NULL) {
            return report(r, msg, addr);
        }
    }
    return true;
}

/* Pass 1: the heap state and the marks of the heap's own pages and of the
 * wilderness. */
static bool check_state(const mm_heap *h, mm_report *r)
{
    if (h->npages > MM_MAX_PAGES || h->meta == 0 || h->meta >= h->npages ||
        h->top < h->meta || h->end < h->top || h->end > h->npages ||
        h->span8 != ((uintptr_t)h->npages << (MM_PAGE_SHIFT - 3u)) ||
        (const char *)h->desc < (const char *)h->cmap + h->npages + 1u ||
        (const char *)(h->desc + h->npages) > mm_page_addr(h, h->meta)) {
        return report(r, "heap state: bad page counts, top or descriptors", h);
    }
    for (uint32_t i = 0; i <= h->npages; i++) { /* cmap[npages]: NONE too */
        uint8_t want = i < h->meta ? MM_C_META : MM_C_NONE;
        if ((i < h->meta || (i >= h->top && i < h->end) || i == h->npages) &&
            h->cmap[i] != want) {
            return report(r, "heap page or wilderness page has a wrong mark", &h->cmap[i]);
        }
    }
    return true;
}

/* ---- red zones (MM_REDZONE builds) ---- */

#if MM_REDZONE
/* Blocks one pool may hold with red zones on (its smallest class is then
 * 16 B: a request and the zone's 8). */
#define RZ_POOL_BLOCKS (MM_CFG_POOL_MAX_PAGES * MM_CFG_PAGE_SIZE / 16u)

/* The red zones of the live blocks of pool i (class c): the blocks handed
 * out (all of a full pool, below the bump of the newest window pool) that
 * are on no free list. The lists were checked before (bounded, in the pool, on
 * block boundaries). */
static const void *rz_pool(const mm_heap *h, uint32_t i, uint8_t c)
{
    uint32_t free_bits[(RZ_POOL_BLOCKS + 31u) / 32u] = {0};
    size_t s = mm_class_size(c), n = h->per_pool[c];
    const char *base = mm_page_addr(h, i);
    const void *list = mm_pool_list(h, i);
    if (mm__in_window(h, i)) {
        list = h->cls[c].s.head; /* the window's: only pool i's blocks count */
        const char *bump = mm_pool_bump(h, c);
        if (bump != NULL && i == h->cur[c]) {
            n = (size_t)(bump - base) / s;
        }
    }
    for (const void *b = list; b != NULL; b = *(void *const *)b) {
        size_t k = (size_t)((const char *)b - base) / s;
        if ((const char *)b >= base && k < n) {
            free_bits[k / 32u] |= 1u << (k % 32u);
        }
    }
    for (size_t k = 0; k < n && k < RZ_POOL_BLOCKS; k++) {
        if ((free_bits[k / 32u] >> (k % 32u) & 1u) == 0 && !mm_rz_ok(base + k * s, s)) {
            return base + k * s;
        }
    }
    return NULL;
}

/* Every live block's red zone is whole (pools and large blocks in one
 * pass over the runs; mid-size blocks in mm_mid_check's walk of their
 * areas). O(pages + live blocks + guard bytes). */
static bool check_redzones(const mm_heap *h, mm_report *r)
{
    for (uint32_t i = mm_walk(h, h->meta); i < h->npages;) {
        uint8_t mark = h->cmap[i];
        uint32_t n = 1;
        const void *bad = NULL;
        if (mm_is_pool(mark)) {
            n = h->pool_pages[mark];
            bad = rz_pool(h, i, mark);
        } else if (mark == MM_C_LARGE || mark == MM_C_FREE) {
            n = mm_desc(h, i)->len;
            size_t bytes = (size_t)n << MM_PAGE_SHIFT;
            if (mark == MM_C_LARGE && !mm_rz_ok(mm_page_addr(h, i), bytes)) {
                bad = mm_page_addr(h, i);
            }
        }
        if (bad != NULL) {
            return report(r, "live block red zone overwritten", bad);
        }
        i = mm_walk(h, i + n);
    }
    return true;
}
#else
static bool check_redzones(const mm_heap *h, mm_report *r)
{
    (void)h;
    (void)r;
    return true;
}
#endif

bool mm_check(const mm_heap *h, mm_report *r)
{
    if (r != NULL) {
        r->code = MM_OK;
        r->msg = "ok";
        r->addr = NULL;
    }
    if (h == NULL || h->magic != MM_MAGIC) {
        return report(r, "heap state: bad magic", h);
    }
    tally t;
    memset(&t, 0, sizeof t);
    if (!(check_state(h, r) && check_runs(h, &t, r) && check_buckets(h, &t, r) &&
          check_classes(h, &t, r))) {
        return false;
    }
    const void *addr = NULL;
    const char *msg = mm_mid_check(h, &addr);
    if (msg != NULL) {
        return report(r, msg, addr);
    }
    return check_redzones(h, r);
}

/* ---- page map ---- */

static const char glyphs[] =
    "123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Appends one page's glyph to the 64-page line, printing full lines. */
static void map_put(const mm_heap *h, char *line, uint32_t i, char g)
{
    line[i % 64u] = g;
    if (i % 64u == 63u || i + 1u == h->npages) {
        line[i % 64u + 1u] = '\0';
        mm_printf("%06lx: %s\n", (unsigned long)(i & ~63u) << MM_PAGE_SHIFT, line);
    }
}

/* The glyph of the run whose head is page i, and its length. */
static char run_glyph(const mm_heap *h, uint32_t i, uint32_t *n)
{
    uint8_t mark = h->cmap[i];
    *n = 1;
    if (i < h->meta) {
        return 'M';
    }
    if (i >= h->top && i < h->end) {
        return '-';
    }
    if (mm_is_pool(mark)) {
        *n = h->pool_pages[mark];
        return mark < sizeof glyphs - 1u ? glyphs[mark] : '#';
    }
    *n = mm_desc(h, i)->len == 0 ? 1u : mm_desc(h, i)->len;
    return mark == MM_C_FREE ? '.' : mark == MM_C_LARGE ? 'L' : mark == MM_C_MID ? '+' : '?';
}

size_t mm_map_pages(const mm_heap *h)
{
    return h->npages;
}

size_t mm_map_read(const mm_heap *h, size_t first, char *out, size_t n)
{
    size_t k = 0;
    for (uint32_t i = 0; i < h->npages && k < n;) {
        uint32_t len;
        char g = run_glyph(h, i, &len);
        for (uint32_t r = 0; r < len && i < h->npages && k < n; r++, i++) {
            if (i >= first) {
                out[k++] = (g == 'L' && r > 0) ? '=' : g;
            }
        }
    }
    return k;
}

void mm_dump_map(const mm_heap *h)
{
    mm_printf("heap map: %u pages of %u B; M heap state  . free  - never used  "
              "L large  = large cont.  + mid-size area  1-9a-zA-Z pool of class (1 = 8 B, 2 = 16 B, ...)\n",
              (unsigned)h->npages, (unsigned)MM_CFG_PAGE_SIZE);
    char line[65];
    for (uint32_t i = 0; i < h->npages;) {
        uint32_t n;
        char g = run_glyph(h, i, &n);
        for (uint32_t k = 0; k < n && i < h->npages; k++, i++) {
            map_put(h, line, i, (g == 'L' && k > 0) ? '=' : g);
        }
    }
    for (size_t c = 0; c < mm_size_class_count(); c++) {
        mm_size_class_stats cs;
        if (!mm_get_size_class_stats(h, c, &cs)) {
            break;
        }
        if (cs.pools != 0) {
            size_t cap = cs.pools * cs.blocks_per_pool;
            mm_printf("  %c %3u B: %u pools (peak %u), %u in use, %u free, occupancy %u%%\n",
                      c < sizeof glyphs - 1u ? glyphs[c] : '#', (unsigned)cs.block_size,
                      (unsigned)cs.pools, (unsigned)cs.pools_peak, (unsigned)cs.in_use,
                      (unsigned)cs.free_blocks, (unsigned)(cs.in_use * 100u / cap));
        }
    }
    mm_stats st;
    mm_get_stats(h, &st);
    if (st.pages_mid != 0) {
        mm_printf("  + mid-size areas: %u pages, %u blocks (%u B), %u B free in chunks "
                  "(largest %u B), %u B of headers\n",
                  (unsigned)st.pages_mid, (unsigned)st.mid_blocks, (unsigned)st.mid_used_bytes,
                  (unsigned)st.mid_free_bytes, (unsigned)st.mid_largest_free,
                  (unsigned)st.mid_header_bytes);
    }
    mm_printf("  largest free run: %u B (%u pages)\n", (unsigned)st.largest_free,
              (unsigned)(st.largest_free >> MM_PAGE_SHIFT));
}
