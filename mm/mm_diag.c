/*
 * mm_diag.c - statistics, the consistency checker and the page map.
 *
 * Statistics read counters kept by the allocator (per class: pools, full
 * pools, peak pools; per pool: blocks in use; per heap: pages
 * free/pool/large, peak pages). A class's blocks in use are its full pools
 * times blocks per pool plus the counts of its listed pools, so the fast
 * paths update no class counter; a class figure is O(non-full pools of the
 * class) and the whole mm_stats O(classes + non-full pools).
 *
 * mm_check (after o1heap's o1heapDoInvariantsHold and TLSF's tlsf_check):
 *  1. the heap state: magic, page count, base address;
 *  2. one pass over the runs, head to head: every run well formed (kinds,
 *     lengths, tails, INNER interiors), no two free runs adjacent, every
 *     pool's free list bounded, on block boundaries, acyclic, below the
 *     carve mark, and its count consistent; page totals add up;
 *  3. every bucket list: entries are free heads of that bucket's length,
 *     back links right, bitmaps match; as many runs as the pass found;
 *  4. every class list: non-full pools of that class, back links right,
 *     as many as the pass found; per-class counters match the pools.
 * It never writes and never aborts; the first failure is reported.
 * Bound: O(pages + blocks).
 */
#include <string.h>

#include "mm_fmt.h"
#include "mm_heap_int.h"

/* ---- statistics ---- */

/* Blocks in use in class c: full pools hold all theirs; the listed pools
 * are summed (the walk is bounded by the class's pool count, so a corrupt
 * list cannot hang it). O(non-full pools of c). */
static size_t class_in_use(const mm_heap *h, size_t c, size_t per_pool)
{
    size_t n = (size_t)h->full[c] * per_pool;
    const mm_page *p = h->avail[c];
    for (size_t k = 0; p != NULL && k < h->pools[c]; k++) {
        n += mm_pool_live(h, p);
        p = p->u.p.next == MM_NIL ? NULL : mm_desc(h, p->u.p.next);
    }
    return n;
}

bool mm_get_class_stats(const mm_heap *h, size_t cls, mm_class_stats *out)
{
    if (cls >= MM_NCLASS) {
        return false;
    }
    size_t s = mm_class_size(cls);
    size_t per_pool = h->limit[cls] / s;
    out->block_size = s;
    out->blocks_per_pool = per_pool;
    out->pool_pages = h->pool_pages[cls];
    out->in_use = class_in_use(h, cls, per_pool);
    out->pools = h->pools[cls];
    out->pools_peak = h->pools_peak[cls];
    out->free_blocks = out->pools * per_pool - out->in_use;
    out->bytes = out->in_use * s;
    return true;
}

size_t mm_high_water(const mm_heap *h)
{
    return MM_STATE_SIZE + (size_t)h->pages_peak * (MM_PAGE_SIZE + sizeof(mm_page));
}

size_t mm_largest_free(const mm_heap *h)
{
    return (size_t)mm_pages_largest(h) << MM_PAGE_SHIFT;
}

size_t mm_fragmentation(const mm_heap *h)
{
    size_t largest = mm_pages_largest(h);
    if (h->pages_free == 0) {
        return 0;
    }
    return 1000u - (largest * 1000u) / h->pages_free;
}

void mm_get_stats(const mm_heap *h, mm_stats *out)
{
    size_t used = 0, pool_free = 0;
    for (size_t c = 0; c < MM_NCLASS; c++) {
        mm_class_stats cs;
        mm_get_class_stats(h, c, &cs);
        used += cs.bytes;
        pool_free += cs.free_blocks * cs.block_size;
    }
    out->region_size = h->region_size;
    out->page_size = MM_PAGE_SIZE;
    out->pages = h->npages;
    out->meta_bytes = h->region_size - ((size_t)h->npages << MM_PAGE_SHIFT);
    out->pages_free = h->pages_free;
    out->pages_pool = h->pages_pool;
    out->pages_large = h->pages_large;
    out->large_blocks = h->large_blocks;
    out->used_bytes = used + ((size_t)h->pages_large << MM_PAGE_SHIFT);
    out->pool_free_bytes = pool_free;
    out->free_bytes = (size_t)h->pages_free << MM_PAGE_SHIFT;
    out->largest_free = mm_largest_free(h);
    out->frag_permille = mm_fragmentation(h);
    out->peak_bytes = (size_t)h->pages_peak << MM_PAGE_SHIFT;
    out->high_water = mm_high_water(h);
}

/* ---- checker ---- */

/* What the run pass counts, for the list passes to compare against. */
typedef struct {
    uint32_t free_runs, pages_free, pages_pool, pages_large, large_blocks;
    uint32_t pools[MM_NCLASS];     /* pools per class */
    uint32_t avail[MM_NCLASS];     /* non-full pools per class */
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

/* Every page in (first, last) must be INNER. */
static const char *check_inner(const mm_heap *h, uint32_t first, uint32_t last,
                               const void **addr)
{
    for (uint32_t k = first + 1u; k < last; k++) {
        if (mm_desc(h, k)->kind != MM_K_INNER) {
            *addr = mm_desc(h, k);
            return "page inside a run is not INNER";
        }
    }
    return NULL;
}

static const char *check_free_run(const mm_heap *h, uint32_t i, const void **addr)
{
    const mm_page *d = mm_desc(h, i);
    uint32_t n = d->count;
    *addr = d;
    if (n == 0 || i + n > h->npages || d->head != i) {
        return "free run head: bad length or head";
    }
    if (i > 0 && mm_is_free_kind(mm_desc(h, i - 1u)->kind)) {
        return "two free runs adjacent (not coalesced)";
    }
    if (n > 1) {
        const mm_page *t = mm_desc(h, i + n - 1u);
        if (t->kind != MM_K_FREE_TAIL || t->head != i) {
            *addr = t;
            return "free run tail: bad kind or head";
        }
    }
    return check_inner(h, i, n > 1 ? i + n - 1u : i, addr);
}

static const char *check_large(const mm_heap *h, uint32_t i, const void **addr)
{
    const mm_page *d = mm_desc(h, i);
    uint32_t n = d->count;
    *addr = d;
    if (n == 0 || i + n > h->npages || d->head != i) {
        return "large block head: bad length or head";
    }
    return check_inner(h, i, i + n, addr);
}

/* Blocks on the free list of pool i; SIZE_MAX (with msg) if broken. A bad
 * link is reported at the block (or descriptor) that holds it. */
static size_t pool_free_list(const mm_heap *h, uint32_t i, const char **msg,
                             const void **addr)
{
    const mm_page *d = mm_desc(h, i);
    size_t s = mm_class_size(d->cls), cap = h->limit[d->cls] / s;
    uint32_t lo = mm_ptr_link(h, mm_page_addr(h, i));
    size_t count = 0;
    *addr = d;
    for (uint32_t link = d->u.p.link; link != 0; count++) {
        if (count >= cap) {
            *msg = "pool free list too long (cycle?)";
            return SIZE_MAX;
        }
        if (link < lo || link - lo >= d->count || (link - lo) % s != 0) {
            *msg = "pool free list link out of pool or off a block boundary";
            return SIZE_MAX;
        }
        const unsigned char *b = mm_link_ptr(h, link);
        *addr = b;
        for (size_t k = 4; MM_CFG_DEBUG && k < s; k++) {
            if (b[k] != MM_POISON_FREE) {
                *msg = "freed block modified (write after free)";
                return SIZE_MAX;
            }
        }
        link = *(const uint32_t *)(const void *)b;
    }
    return count;
}

static const char *check_pool(const mm_heap *h, uint32_t i, tally *t,
                              const void **addr)
{
    const mm_page *d = mm_desc(h, i);
    *addr = d;
    if (d->cls >= MM_NCLASS || d->head != 0) {
        return "pool head: bad class or head";
    }
    uint32_t k = h->pool_pages[d->cls];
    size_t s = mm_class_size(d->cls), cap = h->limit[d->cls] / s;
    if (i + k > h->npages) {
        return "pool runs past the last page";
    }
    for (uint32_t j = 1; j < k; j++) {
        const mm_page *p = mm_desc(h, i + j);
        if (p->kind != MM_K_POOL || p->cls != d->cls || p->head != j) {
            *addr = p;
            return "pool page: bad kind, class or head";
        }
    }
    if (d->count < s || d->count > h->limit[d->cls] || d->count % s != 0) {
        return "pool carve mark out of range";
    }
    const char *msg = NULL;
    size_t nfree = pool_free_list(h, i, &msg, addr);
    if (msg != NULL) {
        return msg;
    }
    *addr = d;
    bool carved_all = d->count >= h->limit[d->cls];
    uint32_t live = mm_pool_live(h, d);
    if (d->u.p.nused == 0 || nfree + live != d->count / s ||
        (live == 0 && d != h->spare[d->cls]) ||
        (d->u.p.link == 0) != (carved_all && live == cap)) {
        return "pool counts disagree (nused, free list, carve mark)";
    }
    t->pools[d->cls]++;
    t->avail[d->cls] += d->u.p.link != 0;
    return NULL;
}

/* Pass 2: the runs, head to head. */
static bool check_runs(const mm_heap *h, tally *t, mm_report *r)
{
    const void *addr = NULL;
    for (uint32_t i = 0; i < h->npages;) {
        const mm_page *d = mm_desc(h, i);
        const char *msg = "run head has a non-head kind";
        uint32_t n = 0;
        if (d->kind == MM_K_FREE) {
            msg = check_free_run(h, i, &addr);
            n = d->count;
            t->free_runs++;
            t->pages_free += n;
        } else if (d->kind == MM_K_LARGE) {
            msg = check_large(h, i, &addr);
            n = d->count;
            t->pages_large += n;
            t->large_blocks++;
        } else if (d->kind == MM_K_POOL) {
            msg = check_pool(h, i, t, &addr);
            n = d->cls < MM_NCLASS ? h->pool_pages[d->cls] : 1u;
            t->pages_pool += n;
        } else {
            addr = d;
        }
        if (msg != NULL) {
            return report(r, msg, addr);
        }
        i += n;
    }
    if (t->pages_free != h->pages_free || t->pages_pool != h->pages_pool ||
        t->pages_large != h->pages_large || t->large_blocks != h->large_blocks) {
        return report(r, "page totals disagree with the runs", h);
    }
    return true;
}

/* Pass 3: bucket lists and bitmaps. */
static bool check_buckets(const mm_heap *h, const tally *t, mm_report *r)
{
    uint32_t runs = 0;
    for (uint32_t f = 0; f < MM_FL_COUNT; f++) {
        for (uint32_t s = 0; s < MM_SL_COUNT; s++) {
            uint32_t prev = MM_NIL, fl, sl;
            uint16_t first = h->bucket[f][s];
            bool bit = ((h->sl_map[f] >> s) & 1u) != 0;
            if (bit != (first != MM_NIL)) {
                return report(r, "second-level bitmap disagrees with bucket", h);
            }
            for (uint32_t i = first; i != MM_NIL; i = mm_desc(h, i)->u.p.next) {
                const mm_page *d = mm_desc(h, i);
                if (i >= h->npages || d->kind != MM_K_FREE || d->prev != prev ||
                    ++runs > t->free_runs) {
                    return report(r, "bucket list entry broken", d);
                }
                mm_pages_bucket(d->count, &fl, &sl);
                if (fl != f || sl != s) {
                    return report(r, "free run in the wrong bucket", d);
                }
                prev = i;
            }
        }
        if (((h->fl_map >> f) & 1u) != (h->sl_map[f] != 0)) {
            return report(r, "first-level bitmap disagrees", h);
        }
    }
    if (runs != t->free_runs) {
        return report(r, "free runs missing from the buckets", h);
    }
    return true;
}

/* Pass 4: class lists and counters. */
static bool check_classes(const mm_heap *h, const tally *t, mm_report *r)
{
    for (uint32_t c = 0; c < MM_NCLASS; c++) {
        uint32_t n = 0, prev = MM_NIL;
        const mm_page *p = h->avail[c];
        while (p != NULL) {
            uint32_t i = (uint32_t)mm_desc_index(h, p);
            if (i >= h->npages || p->kind != MM_K_POOL || p->head != 0 ||
                p->cls != c || p->u.p.link == 0 || p->prev != prev ||
                ++n > t->avail[c]) {
                return report(r, "class list entry broken", p);
            }
            prev = i;
            p = p->u.p.next == MM_NIL ? NULL : mm_desc(h, p->u.p.next);
        }
        if (n != t->avail[c] || t->pools[c] != h->pools[c] ||
            t->pools[c] - t->avail[c] != h->full[c] ||
            h->pools_peak[c] < h->pools[c]) {
            return report(r, "class counters disagree with its pools", &h->full[c]);
        }
    }
    return true;
}

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
    if (h->npages < MM_POOL_MAX_PAGES || h->npages > MM_MAX_PAGES ||
        h->base != (const char *)mm_desc(h, h->npages) ||
        h->span8 != ((uintptr_t)h->npages << (MM_PAGE_SHIFT - 3u)) ||
        h->pages_peak < h->pages_pool + h->pages_large) {
        return report(r, "heap state: bad page count, base or peak", h);
    }
    for (size_t c = 0; c < MM_NCLASS; c++) {
        const mm_page *sp = h->spare[c];
        if (sp != NULL &&
            (sp < mm_desc(h, 0) || sp >= mm_desc(h, h->npages) ||
             sp->kind != MM_K_POOL || sp->head != 0 || sp->cls != c)) {
            return report(r, "heap state: spare is not a pool of its class", sp);
        }
    }
    tally t;
    memset(&t, 0, sizeof t);
    return check_runs(h, &t, r) && check_buckets(h, &t, r) &&
           check_classes(h, &t, r);
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
        mm_printf("%06lx: %s\n", (unsigned long)((size_t)(i & ~63u) << MM_PAGE_SHIFT),
                  line);
    }
}

/* The glyph of the run whose head is d, and its length. */
static char run_glyph(const mm_heap *h, const mm_page *d, uint32_t *n)
{
    if (d->kind == MM_K_POOL && d->cls < MM_NCLASS) {
        *n = h->pool_pages[d->cls];
        return d->cls < sizeof glyphs - 1u ? glyphs[d->cls] : '#';
    }
    *n = d->count == 0 ? 1u : d->count;
    return d->kind == MM_K_FREE ? '.' : d->kind == MM_K_LARGE ? 'L' : '?';
}

void mm_dump_map(const mm_heap *h)
{
    mm_printf("heap map: %u pages of %u B; . free  L large  = large cont.  "
              "1-9a-zA-Z pool of class (1 = 8 B, 2 = 16 B, ...)\n",
              (unsigned)h->npages, (unsigned)MM_PAGE_SIZE);
    char line[65];
    for (uint32_t i = 0; i < h->npages;) {
        uint32_t n;
        char g = run_glyph(h, mm_desc(h, i), &n);
        for (uint32_t k = 0; k < n && i < h->npages; k++, i++) {
            map_put(h, line, i, (g == 'L' && k > 0) ? '=' : g);
        }
    }
    for (size_t c = 0; c < MM_NCLASS; c++) {
        mm_class_stats cs;
        mm_get_class_stats(h, c, &cs);
        if (cs.pools != 0) {
            mm_printf("  %c %3u B: %u pools, %u in use, %u free\n",
                      c < sizeof glyphs - 1u ? glyphs[c] : '#',
                      (unsigned)cs.block_size, (unsigned)cs.pools,
                      (unsigned)cs.in_use, (unsigned)cs.free_blocks);
        }
    }
}
