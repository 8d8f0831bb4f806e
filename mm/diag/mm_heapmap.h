/*
 * diag/mm_heapmap.h - the heap's page map as a file that a plot tool draws
 * (tools/heapmap.py: one cell per page, coloured by what holds it).
 *
 * THIS HEADER IS THE CONTRACT.
 *
 * mm_heapmap_dump writes, through write(ctx, s, n):
 *     mmheapmap 1
 *     title <title>
 *     page_size <bytes>
 *     pages <pages of the region, the heap's own included>
 *     class <index> <block bytes> <pools> <pools peak> <in use> <free blocks>
 *                   (one per class holding pools; its pages carry the
 *                   class glyph of mm_dump_map: index 0 '1' ... 8 '9',
 *                   9 'a' ... 34 'z', 35 'A' ...)
 *     largest_free <bytes>
 *     map <one glyph per page, as mm_dump_map draws them: M heap state,
 *         - never used, . free run, L large block head, = large block
 *         continued, + mid-size area, a class glyph for a pool>
 *     end
 * The map line is written in pieces of 64 glyphs (formatted on the stack);
 * nothing is allocated. Returns false if a write failed (write returns
 * non-zero). O(pages^2 / 64) (mm_map_read walks the runs from the first
 * page for each piece). Not ISR-safe; read-only.
 */
#ifndef MM_HEAPMAP_H
#define MM_HEAPMAP_H

#include <stdbool.h>

#include "diag/mm_trace.h" /* mm_diag_write_fn */
#include "heap/mm_heap.h"

bool mm_heapmap_dump(const mm_heap *h, const char *title, mm_diag_write_fn write, void *ctx);

#endif /* MM_HEAPMAP_H */
