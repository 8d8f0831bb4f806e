/*
 * fuzz_heap.c - libFuzzer harness for the allocator.
 *
 * Build and run:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Imm \
 *       tests/fuzz/fuzz_heap.c <every mm .c file> tests/host/port_host.c \
 *       -o fuzz_heap
 *   ./fuzz_heap -runs=200000
 *
 * Each input is a program: one opcode byte and its argument bytes per
 * operation on 32 slots of a fresh heap of 4, 8, 12 or 16 KiB (chosen by
 * the first byte: small arenas keep the allocator under constant pressure:
 * pools given back, idle pools released, blocks lent by larger classes). Operations: alloc (small,
 * page-sized or large), free, realloc, register/clear owner, compact, and
 * three misuses that every build detects (foreign, misaligned and
 * large-interior pointers). Every block holds a pattern derived from its
 * id. After each operation mm_check() must pass and the touched block must
 * hold its pattern; after a compaction every block is verified; a misuse
 * must be reported once and leave the region byte for byte unchanged. At
 * the end everything is freed and all pages must be free again. Any
 * failure aborts (libFuzzer reports it as a crash).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host/port_host.h"
#include "fuzz.h"
#include "heap/mm_heap.h"

#define SLOTS 32
#define REGION 16384u

typedef struct {
    void *ptr;
    size_t size;
    uint32_t id;
} slot;

static _Alignas(8) unsigned char region[REGION];
static unsigned char snapshot[REGION];
static slot slots[SLOTS];

typedef struct {
    const uint8_t *p, *end;
} input;

static uint32_t take(input *in, int nbytes)
{
    uint32_t v = 0;
    for (int i = 0; i < nbytes && in->p < in->end; i++) {
        v = v << 8 | *in->p++;
    }
    return v;
}

static unsigned char pattern(uint32_t id, size_t k)
{
    return (unsigned char)(id * 167u + k * 13u + (k >> 8));
}

static void fill(const slot *s)
{
    for (size_t k = 0; k < s->size; k++) {
        ((unsigned char *)s->ptr)[k] = pattern(s->id, k);
    }
}

static void verify(const slot *s)
{
    for (size_t k = 0; s->ptr != NULL && k < s->size; k++) {
        REQUIRE(((const unsigned char *)s->ptr)[k] == pattern(s->id, k));
    }
}

static void check(const mm_heap *h)
{
    mm_report r;
    if (!mm_check(h, &r)) {
        fprintf(stderr, "mm_check: %s at %p\n", r.msg, r.addr);
        abort();
    }
}

/* Size classes: small 1..256, around one page, or several pages. */
static size_t size_of(uint32_t sel, uint32_t v)
{
    switch (sel % 4u) {
    case 0: return v % 65u;          /* includes 0: MM_EZERO */
    case 1: return 1u + v % 256u;
    case 2: return 200u + v % 900u;
    default: return 1u + v % 6000u;
    }
}

/* A misuse every build detects: reported once, region unchanged. */
static void misuse(mm_heap *h, void *bad)
{
    port_reset_misuse();
    mm_free(h, bad);
    REQUIRE(port_misuse_count() == 1);
    memcpy(snapshot, region, REGION);
    mm_free(h, bad);
    REQUIRE(port_misuse_count() == 2);
    REQUIRE(memcmp(snapshot, region, REGION) == 0);
    port_reset_misuse();
}

static void op_alloc(mm_heap *h, slot *s, input *in, uint32_t *ids)
{
    uint32_t sel = take(in, 1);
    size_t size = size_of(sel, take(in, 2));
    void *p = mm_alloc(h, size);
    if (p == NULL) {
        mm_err e = mm_last_error(h);
        REQUIRE(size == 0 ? e == MM_EZERO : e == MM_ENOMEM || e == MM_ETOOBIG);
        return;
    }
    REQUIRE(size != 0 && ((uintptr_t)p & 7u) == 0);
    REQUIRE(mm_usable_size(h, p) >= size);
    mm_free(h, s->ptr);
    *s = (slot){p, size, (*ids)++};
    fill(s);
}

static void op_realloc(mm_heap *h, slot *s, input *in)
{
    uint32_t sel = take(in, 1);
    size_t size = size_of(sel, take(in, 2));
    void *q = mm_realloc(h, s->ptr, size);
    if (q == NULL) {
        REQUIRE(size == 0 || mm_last_error(h) == MM_ENOMEM || mm_last_error(h) == MM_ETOOBIG);
        verify(s);
        return;
    }
    s->size = s->size < size ? s->size : size;
    s->ptr = q;
    verify(s);
    s->size = size;
    fill(s);
}

static void op_misuse(mm_heap *h, const slot *s, uint32_t kind)
{
    static int outside;
    if (kind % 3u == 0) {
        misuse(h, &outside);
    } else if (s->ptr != NULL && kind % 3u == 1) {
        misuse(h, (char *)s->ptr + 1 + kind % 7u);
    } else if (s->ptr != NULL && mm_usable_size(h, s->ptr) > 256u * 4u) {
        misuse(h, (char *)s->ptr + 1024u); /* an interior page of a large block */
    }
}

static void step(mm_heap *h, input *in, uint32_t *ids)
{
    uint32_t op = take(in, 1);
    slot *s = &slots[take(in, 1) % SLOTS];
    switch (op % 8u) {
    case 0: case 1: case 2: op_alloc(h, s, in, ids); break;
    case 3: mm_free(h, s->ptr); s->ptr = NULL; s->size = 0; break;
    case 4: op_realloc(h, s, in); break;
    case 5: if (s->ptr != NULL) { mm_set_owner(h, s->ptr, (op & 8u) ? &s->ptr : NULL); } break;
    case 6:
        mm_compact(h);
        for (int i = 0; i < SLOTS; i++) {
            verify(&slots[i]);
        }
        break;
    default: op_misuse(h, s, take(in, 1)); break;
    }
    check(h);
    verify(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    port_set_misuse_quiet(true);
    port_reset_misuse();
    memset(slots, 0, sizeof slots);
    input in = {data, data + size};
    size_t arena = REGION / 4u * (1u + take(&in, 1) % 4u);
    mm_heap *h = mm_init(region, arena);
    REQUIRE(h != NULL);
    uint32_t ids = 1;
    while (in.p < in.end) {
        step(h, &in, &ids);
    }
    for (int i = 0; i < SLOTS; i++) {
        verify(&slots[i]);
        mm_free(h, slots[i].ptr);
    }
    check(h);
    mm_trim(h);
    check(h);
    mm_stats st;
    mm_get_stats(h, &st);
    REQUIRE(st.pages_free == st.pages && port_misuse_count() == 0);
    return 0;
}
