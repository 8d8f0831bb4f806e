/*
 * isr_main.c - main() of the interrupt firmware: one heap built with
 * MM_CFG_LOCK=1, shared by the main loop and a timer interrupt, on
 * mps2-an385 under QEMU (tools/test.sh isr; part of the target tests).
 *
 * The CMSDK APB timer TIMER0 (IRQ 8; SysTick stays the instruction
 * counter) fires every TIMER_PERIOD ticks. Each interrupt makes ISR_OPS raw
 * allocator calls: it allocates blocks of 1 B to 4 KiB (mm_alloc or
 * mm_realloc_err), and now and then one too large for the tight arena,
 * keeps up to ISR_SLOTS of them live across interrupts, resizes some
 * (mm_realloc_err) and frees them (mm_free). Meanwhile the main loop
 * allocates, frees and resizes MAIN_SLOTS blocks, small ones and large ones
 * whose owner it registers (mm_set_owner), asks mm_usable_size, and calls
 * mm_trim and mm_compact (each compaction is given a large block to
 * slide: main_arrange_slide), until both sides together made TOTAL_OPS
 * allocator calls. Every block holds a pattern made from its own seed.
 *
 * Checked (a failure prints "isr test: FAIL file:line: what" and the
 * firmware exits non-zero at once, from either side):
 * - mm_check every CHECK_EVERY main-loop calls and at the end (with
 *   interrupts masked: it reads without the lock);
 * - every block's pattern before every free and resize (its kept prefix
 *   after), every main-loop block after every mm_compact, the interrupt's
 *   blocks at every check;
 * - every failed allocation on both sides: NULL, mm_realloc_err's own
 *   status MM_ENOMEM (never mm_last_error, which the other side shares),
 *   the old block intact; mm_realloc_err's status MM_OK on success;
 * - after both sides freed everything and mm_trim: no block in use, no
 *   pool, no large block, every page free;
 * - the interrupt ran at least MIN_ISR_RUNS times, some of its runs came
 *   due while the main loop was inside an allocator call, and both sides
 *   saw failures (the figures are printed).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fmt/mm_fmt.h"
#include "heap/mm_heap.h"
#include "kernel.h"
#include "regs.h"

#define ARENA (48U * 1024U)      /* tight: both sides run out now and then */
#define TOTAL_OPS 1000000U       /* allocator calls, both sides together */
#define MAIN_SLOTS 48U
#define ISR_SLOTS 8U
#define ISR_OPS 3U               /* allocator calls per interrupt */
#define TIMER_PERIOD 400U        /* ticks of 25 MHz: 16,000 instructions under -icount */
#define CHECK_EVERY 20000U       /* main-loop calls between two mm_check */
#define TRIM_EVERY 997U
#define COMPACT_EVERY 4099U
#define SLIDE_BYTES (MM_CFG_MID_MAX + MM_CFG_PAGE_SIZE) /* a large block: pages */
#define MIN_ISR_RUNS 10000U

/* One live block: its owner slot (mm_compact rewrites p of a large one),
 * the bytes requested (all hold the pattern) and the pattern's seed. */
typedef struct {
    void *p;
    size_t size;
    uint32_t seed;
} block;

/* One side's counts. */
typedef struct {
    uint32_t calls;   /* allocator calls made */
    uint32_t failed;  /* allocations that returned NULL (MM_ENOMEM) */
    uint32_t allocs, frees, reallocs, moved;
    uint32_t rng;     /* this side's xorshift state */
} side;

static struct {
    mm_heap *heap;
    block main[MAIN_SLOTS];
    block isr[ISR_SLOTS];
    side m, i;                      /* the main loop, the interrupt */
    volatile uint32_t isr_runs;
    volatile uint32_t isr_in_call;  /* runs that came due inside a main-loop call */
    volatile bool main_in_call;     /* the main loop is inside an allocator call */
    uint32_t trims, compacts, checks, usable;
    uint32_t compact_moved;         /* blocks mm_compact moved (owner rewritten) */
} T;

__attribute__((noreturn)) static void fail(int line, const char *what, unsigned long a,
                                           unsigned long b) {
    (void)crit_enter();
    mm_printf("isr test: FAIL %s:%d: %s (%lu, %lu)\n", __FILE__, line, what, a, b);
    kernel_exit(MMRT_EXIT_FAILED);
}
#define CHECK(cond, a, b)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fail(__LINE__, #cond, (unsigned long)(a), (unsigned long)(b));    \
        }                                                                     \
    } while (0)

static uint32_t rnd(side *s) {
    uint32_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng = x;
    return x;
}

/* ---- the pattern: word i/4 of a block is seed ^ (i/4 * golden ratio) ---- */

static uint32_t pattern_word(uint32_t seed, size_t i) {
    return seed ^ ((uint32_t)(i >> 2) * 0x9E3779B1U);
}

/* Byte i of the pattern (little-endian, as the words are stored). */
static uint8_t pattern_byte(uint32_t seed, size_t i) {
    return (uint8_t)(pattern_word(seed, i) >> ((i & 3U) * 8U));
}

/* Writes the pattern into bytes [from, b->size) of b. */
static void fill(const block *b, size_t from) {
    uint8_t *p = b->p;
    size_t i = from;
    for (; i < b->size && (i & 3U) != 0U; i++) {
        p[i] = pattern_byte(b->seed, i);
    }
    for (; i + 4U <= b->size; i += 4U) {
        uint32_t w = pattern_word(b->seed, i);
        memcpy(p + i, &w, 4U);
    }
    for (; i < b->size; i++) {
        p[i] = pattern_byte(b->seed, i);
    }
}

/* Fails unless bytes [0, n) of b hold its pattern. */
static void verify(const block *b, size_t n, int line) {
    const uint8_t *p = b->p;
    size_t i = 0;
    for (; i + 4U <= n; i += 4U) {
        uint32_t w;
        memcpy(&w, p + i, 4U);
        if (w != pattern_word(b->seed, i)) {
            break;
        }
    }
    for (; i < n; i++) {
        if (p[i] != pattern_byte(b->seed, i)) {
            fail(line, "block contents changed: byte offset, block size", i, b->size);
        }
    }
}

/* Sizes: mostly small, 1 in `large` from 257 B to large_max, 1 in 256 a
 * request of up to huge_max that the tight arena often cannot serve. */
static size_t pick_size(uint32_t r, uint32_t large, size_t large_max, size_t huge_max) {
    if ((r & 255U) == 0U) {
        return large_max + 1U + (r >> 8) % (huge_max - large_max);
    }
    if ((r >> 6) % large == 0U) {
        return MM_CFG_SMALL_MAX + 1U + (r >> 12) % (large_max - MM_CFG_SMALL_MAX);
    }
    return 1U + (r >> 12) % MM_CFG_SMALL_MAX;
}

/* ---- the interrupt ---- */

/* A new block in an empty slot of the interrupt, through mm_alloc or
 * mm_realloc_err (whose status is checked). */
static void isr_alloc(block *b, uint32_t r) {
    size_t n = pick_size(r, 8U, 2048U, 12288U);
    void *p;
    if ((r & 0x100U) != 0U) {
        mm_err err = MM_ECORRUPT;
        p = mm_realloc_err(T.heap, NULL, n, &err);
        CHECK(p != NULL ? err == MM_OK : err == MM_ENOMEM, err, n);
    } else {
        p = mm_alloc(T.heap, n);
    }
    T.i.calls++;
    if (p == NULL) {
        T.i.failed++;
        return;
    }
    T.i.allocs++;
    *b = (block){p, n, r};
    fill(b, 0);
}

/* Resizes a block of the interrupt; on failure the old one must be intact. */
static void isr_realloc(block *b, uint32_t r) {
    size_t n = pick_size(r, 8U, 2048U, 12288U);
    verify(b, b->size, __LINE__);
    mm_err err = MM_ECORRUPT;
    void *p = mm_realloc_err(T.heap, b->p, n, &err);
    T.i.calls++;
    if (p == NULL) {
        CHECK(err == MM_ENOMEM, err, n);
        T.i.failed++;
        verify(b, b->size, __LINE__);
        return;
    }
    CHECK(err == MM_OK, err, n);
    T.i.reallocs++;
    size_t old = b->size;
    b->p = p;
    b->size = n;
    verify(b, old < n ? old : n, __LINE__);
    fill(b, old < n ? old : n);
}

static void isr_op(void) {
    uint32_t r = rnd(&T.i);
    block *b = &T.isr[r % ISR_SLOTS];
    r >>= 4;
    if (b->p == NULL) {
        isr_alloc(b, r);
    } else if ((r & 3U) == 0U) {
        isr_realloc(b, r >> 2);
    } else {
        verify(b, b->size, __LINE__);
        mm_free(T.heap, b->p);
        b->p = NULL;
        T.i.calls++;
        T.i.frees++;
    }
}

void IRQ8_Handler(void);
void IRQ8_Handler(void) {
    CMSDK_TIMER_INTCLEAR = 1U;
    T.isr_runs++;
    if (T.main_in_call) {
        T.isr_in_call++;
    }
    for (uint32_t k = 0; k < ISR_OPS; k++) {
        isr_op();
    }
}

static void timer_start(void) {
    CMSDK_TIMER_CTRL = 0U;
    CMSDK_TIMER_RELOAD = TIMER_PERIOD;
    CMSDK_TIMER_VALUE = TIMER_PERIOD;
    CMSDK_TIMER_INTCLEAR = 1U;
    NVIC_ICPR0 = NVIC_BIT(CMSDK_TIMER0_IRQ);
    NVIC_ISER0 = NVIC_BIT(CMSDK_TIMER0_IRQ);
    CMSDK_TIMER_CTRL = CMSDK_TIMER_CTRL_EN | CMSDK_TIMER_CTRL_IRQEN;
}

static void timer_stop(void) {
    CMSDK_TIMER_CTRL = 0U;
    NVIC_ICER0 = NVIC_BIT(CMSDK_TIMER0_IRQ);
    CMSDK_TIMER_INTCLEAR = 1U;
    NVIC_ICPR0 = NVIC_BIT(CMSDK_TIMER0_IRQ);
}

/* ---- the main loop ---- */

/* Registers the owner of a large block, so that mm_compact may move it. */
static void own(block *b) {
    if (b->size > MM_CFG_SMALL_MAX) {
        T.main_in_call = true;
        mm_set_owner(T.heap, b->p, &b->p);
        T.main_in_call = false;
        T.m.calls++;
    }
}

static void main_alloc_n(block *b, size_t n, uint32_t r) {
    mm_err err = MM_ECORRUPT;
    T.main_in_call = true;
    void *p = mm_realloc_err(T.heap, NULL, n, &err);
    T.main_in_call = false;
    T.m.calls++;
    if (p == NULL) {
        CHECK(err == MM_ENOMEM, err, n);
        T.m.failed++;
        return;
    }
    CHECK(err == MM_OK, err, n);
    T.m.allocs++;
    *b = (block){p, n, r};
    fill(b, 0);
    own(b);
}

static void main_alloc(block *b, uint32_t r) {
    main_alloc_n(b, pick_size(r, 16U, 6144U, 20480U), r);
}

static void main_realloc(block *b, uint32_t r) {
    size_t n = pick_size(r, 16U, 6144U, 20480U);
    verify(b, b->size, __LINE__);
    void *old_p = b->p;
    mm_err err = MM_ECORRUPT;
    T.main_in_call = true;
    void *p = mm_realloc_err(T.heap, b->p, n, &err);
    T.main_in_call = false;
    T.m.calls++;
    if (p == NULL) {
        CHECK(err == MM_ENOMEM, err, n);
        T.m.failed++;
        verify(b, b->size, __LINE__);
        return;
    }
    CHECK(err == MM_OK, err, n);
    T.m.reallocs++;
    T.m.moved += p != old_p;
    size_t old = b->size;
    b->p = p;
    b->size = n;
    verify(b, old < n ? old : n, __LINE__);
    fill(b, old < n ? old : n);
    own(b); /* a moved block has no owner any more */
}

static void main_free(block *b) {
    verify(b, b->size, __LINE__);
    T.main_in_call = true;
    mm_free(T.heap, b->p);
    T.main_in_call = false;
    b->p = NULL;
    T.m.calls++;
    T.m.frees++;
}

/* Before a compaction, a block for it to move: a large block X, then an
 * owned one in a free main slot (most often cut right after X from the
 * same free pages), then X freed. The free run before the owned block is
 * what mm_compact slides it into, while the interrupt allocates and frees
 * around it; without this, the random main loop leaves such a layout at
 * a compaction now and then only. */
static void main_arrange_slide(uint32_t r) {
    block *y = NULL;
    for (uint32_t k = 0; k < MAIN_SLOTS && y == NULL; k++) {
        y = T.main[k].p == NULL ? &T.main[k] : NULL;
    }
    if (y == NULL) {
        return;
    }
    block x = {NULL, 0, 0};
    main_alloc_n(&x, SLIDE_BYTES, r);
    if (x.p == NULL) {
        return;
    }
    main_alloc_n(y, SLIDE_BYTES, r ^ 0x5A5A5A5AU);
    main_free(&x);
}

static void main_usable(const block *b) {
    T.main_in_call = true;
    size_t u = mm_usable_size(T.heap, b->p);
    T.main_in_call = false;
    T.m.calls++;
    T.usable++;
    CHECK(u >= b->size, u, b->size);
}

/* mm_check and every block of both sides, with the interrupt masked. */
static void check_all(void) {
    uint32_t s = crit_enter();
    mm_report rep;
    if (!mm_check(T.heap, &rep)) {
        mm_printf("isr test: mm_check: %s at %p\n", rep.msg, rep.addr);
        fail(__LINE__, "mm_check", T.m.calls, T.i.calls);
    }
    for (uint32_t k = 0; k < ISR_SLOTS; k++) {
        if (T.isr[k].p != NULL) {
            verify(&T.isr[k], T.isr[k].size, __LINE__);
        }
    }
    crit_exit(s);
    for (uint32_t k = 0; k < MAIN_SLOTS; k++) {
        if (T.main[k].p != NULL) {
            verify(&T.main[k], T.main[k].size, __LINE__);
        }
    }
    T.checks++;
}

static void main_op(void) {
    uint32_t r = rnd(&T.m);
    block *b = &T.main[r % MAIN_SLOTS];
    r >>= 6;
    if (b->p == NULL) {
        main_alloc(b, r >> 3);
    } else if ((r & 7U) < 4U) {
        main_free(b);
    } else if ((r & 7U) < 7U) {
        main_realloc(b, r >> 3);
    } else {
        main_usable(b);
    }
    if (T.m.calls / TRIM_EVERY != T.trims) {
        T.main_in_call = true;
        mm_trim(T.heap);
        T.main_in_call = false;
        T.m.calls++;
        T.trims++;
    }
    if (T.m.calls / COMPACT_EVERY != T.compacts) {
        main_arrange_slide(r);
        void *before[MAIN_SLOTS];
        for (uint32_t k = 0; k < MAIN_SLOTS; k++) {
            before[k] = T.main[k].p;
        }
        T.main_in_call = true;
        (void)mm_compact(T.heap);
        T.main_in_call = false;
        T.m.calls++;
        T.compacts++;
        for (uint32_t k = 0; k < MAIN_SLOTS; k++) {
            if (T.main[k].p != NULL) {
                T.compact_moved += T.main[k].p != before[k];
                verify(&T.main[k], T.main[k].size, __LINE__);
            }
        }
    }
    if (T.m.calls / CHECK_EVERY != T.checks) {
        check_all();
    }
}

/* Both sides' blocks freed and the idle pools given back: nothing is left. */
static void check_empty(void) {
    for (uint32_t k = 0; k < ISR_SLOTS; k++) {
        if (T.isr[k].p != NULL) {
            verify(&T.isr[k], T.isr[k].size, __LINE__);
            mm_free(T.heap, T.isr[k].p);
            T.isr[k].p = NULL;
        }
    }
    for (uint32_t k = 0; k < MAIN_SLOTS; k++) {
        if (T.main[k].p != NULL) {
            main_free(&T.main[k]);
        }
    }
    mm_trim(T.heap);
    check_all();
    mm_stats st;
    mm_get_stats(T.heap, &st);
    CHECK(st.used_bytes == 0U, st.used_bytes, 0);
    CHECK(st.large_blocks == 0U, st.large_blocks, 0);
    CHECK(st.pages_pool == 0U && st.pages_large == 0U, st.pages_pool, st.pages_large);
    CHECK(st.pages_free == st.pages, st.pages_free, st.pages);
    for (size_t c = 0; c < mm_size_class_count(); c++) {
        mm_size_class_stats cs;
        CHECK(mm_get_size_class_stats(T.heap, c, &cs), c, 0);
        CHECK(cs.in_use == 0U && cs.pools == 0U, cs.in_use, cs.pools);
    }
    mm_printf("heap at the end: %lu bytes in use, %lu of %lu pages free, %lu large blocks\n",
              (unsigned long)st.used_bytes, (unsigned long)st.pages_free,
              (unsigned long)st.pages, (unsigned long)st.large_blocks);
}

int main(void) {
    if (!MM_CFG_LOCK) {
        mm_printf("isr test: FAIL: built without MM_CFG_LOCK=1\n");
        return MMRT_EXIT_FAILED;
    }
    void *start;
    size_t size;
    kernel_mm_region(&start, &size);
    CHECK(size >= ARENA, size, ARENA);
    T.heap = mm_init(start, ARENA);
    CHECK(T.heap != NULL, 0, ARENA);
    T.m.rng = 0x2545F491U;
    T.i.rng = 0x9E3779B9U;
    mm_printf("isr test: %u allocator calls, main loop and TIMER0 interrupt "
              "(every %u ticks), %u-byte arena\n",
              TOTAL_OPS, TIMER_PERIOD, ARENA);
    uint64_t t0 = counter_instructions();
    timer_start();
    while (T.m.calls + T.i.calls < TOTAL_OPS) {
        main_op();
    }
    timer_stop();
    uint64_t t1 = counter_instructions();
    mm_printf("main loop: %lu calls: %lu allocs, %lu frees, %lu reallocs (%lu moved), "
              "%lu usable_size, %lu trims, %lu compacts (%lu blocks moved); "
              "%lu allocations failed (MM_ENOMEM)\n",
              (unsigned long)T.m.calls, (unsigned long)T.m.allocs, (unsigned long)T.m.frees,
              (unsigned long)T.m.reallocs, (unsigned long)T.m.moved, (unsigned long)T.usable,
              (unsigned long)T.trims, (unsigned long)T.compacts, (unsigned long)T.compact_moved,
              (unsigned long)T.m.failed);
    mm_printf("interrupt: %lu runs (%lu came due inside a main-loop call): %lu calls: "
              "%lu allocs, %lu frees, %lu reallocs; %lu allocations failed (MM_ENOMEM)\n",
              (unsigned long)T.isr_runs, (unsigned long)T.isr_in_call,
              (unsigned long)T.i.calls, (unsigned long)T.i.allocs, (unsigned long)T.i.frees,
              (unsigned long)T.i.reallocs, (unsigned long)T.i.failed);
    mm_printf("%lu allocator calls in %llu %s; mm_check passed %lu times\n",
              (unsigned long)T.m.calls + (unsigned long)T.i.calls, (unsigned long long)(t1 - t0),
              counter_unit(), (unsigned long)T.checks);
    CHECK(T.isr_runs >= MIN_ISR_RUNS, T.isr_runs, MIN_ISR_RUNS);
    CHECK(T.isr_in_call > 0U, T.isr_in_call, 0);
    CHECK(T.m.failed > 0U && T.i.failed > 0U, T.m.failed, T.i.failed);
    CHECK(T.compact_moved > 0U && T.m.moved > 0U, T.compact_moved, T.m.moved);
    check_empty();
    mm_printf("isr test: PASS\n");
    return MMRT_EXIT_OK;
}
