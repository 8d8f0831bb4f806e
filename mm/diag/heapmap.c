/*
 * diag/heapmap.c - the page map as a file (contract: diag/mm_heapmap.h).
 * Everything is read through the heap's public statistics and
 * mm_map_read; the glyphs are mm_dump_map's.
 */
#include "diag/mm_heapmap.h"
#include "fmt/mm_fmt.h"

bool mm_heapmap_dump(const mm_heap *h, const char *title, mm_diag_write_fn write, void *ctx)
{
    char line[128];
    mm_stats st;
    mm_get_stats(h, &st);
    size_t len = mm_snprintf(line, sizeof line, "mmheapmap 1\ntitle %s\npage_size %lu\npages %lu\n",
                             title, (unsigned long)st.page_size,
                             (unsigned long)mm_map_pages(h));
    bool ok = len < sizeof line && write(ctx, line, len) == 0;
    for (size_t c = 0; c < mm_size_class_count() && ok; c++) {
        mm_size_class_stats cs;
        mm_get_size_class_stats(h, c, &cs);
        if (cs.pools != 0) {
            len = mm_snprintf(line, sizeof line, "class %lu %lu %lu %lu %lu %lu\n",
                              (unsigned long)c, (unsigned long)cs.block_size,
                              (unsigned long)cs.pools, (unsigned long)cs.pools_peak,
                              (unsigned long)cs.in_use, (unsigned long)cs.free_blocks);
            ok = write(ctx, line, len) == 0;
        }
    }
    len = mm_snprintf(line, sizeof line, "largest_free %lu\nmap ", (unsigned long)st.largest_free);
    ok = ok && write(ctx, line, len) == 0;
    for (size_t first = 0; ok; first += 64u) {
        size_t n = mm_map_read(h, first, line, 64u);
        if (n == 0) {
            break;
        }
        ok = write(ctx, line, n) == 0;
    }
    return ok && write(ctx, "\nend\n", 5u) == 0;
}
