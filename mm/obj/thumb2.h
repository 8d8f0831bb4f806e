/*
 * thumb2.h - the code-generation tricks of the object and collector fast
 * paths, in one place. Nothing else in obj/, types/ or gc/ writes inline
 * asm; what each trick buys is measured in BENCHMARKS.md ("What the
 * tricks buy").
 *
 * 1. Paired words. Two adjacent 32-bit words (a handle slot; the
 *    runtime's counter pairs; an instance's two fields) are loaded or
 *    stored with one ldrd / strd. GCC splits such accesses into two ldr /
 *    str, or fails to pair them across a store; the pair saves one
 *    instruction per access on the create and free paths. Only where
 *    MM_CLS_PAIRED (heap/heap_int.h: Thumb-2, 32-bit pointers, no lock,
 *    no debug); elsewhere plain C.
 * 2. MM__OPAQUE(x): an empty asm that makes x's value unknown to the
 *    optimiser at that point, so that GCC keeps it as computed there
 *    (hoisted out of a loop whole, or a test kept in the order written)
 *    instead of rematerialising or reordering it. Free at run time.
 * 3. mm__insert_low20: a bfi (bit-field insert) of a slot index into a
 *    header's back-link bits; GCC writes it as and/orr with a constant.
 */
#ifndef MM_THUMB2_H
#define MM_THUMB2_H

#include <stdint.h>

#include "heap/heap_int.h" /* MM_CLS_PAIRED */

/* Two adjacent words (a slot; the runtime's counter pairs) loaded or
 * stored with one ldrd / strd on Thumb-2, which GCC otherwise splits (as
 * the allocator's class pairs, heap/heap_int.h). p is 4-aligned. */
static inline void mm__pair_load(const void *p, uint32_t *a, uint32_t *b)
{
#if MM_CLS_PAIRED
    __asm__("ldrd %0, %1, [%2]" : "=r"(*a), "=r"(*b)
            : "r"(p), "m"(*(const uint32_t(*)[2])p));
#else
    const uint32_t *w = (const uint32_t *)p;
    *a = w[0];
    *b = w[1];
#endif
}

static inline void mm__pair_store(void *p, uint32_t a, uint32_t b)
{
#if MM_CLS_PAIRED
    __asm__("strd %1, %2, [%3]" : "=m"(*(uint32_t(*)[2])p) : "r"(a), "r"(b), "r"(p));
#else
    uint32_t *w = (uint32_t *)p;
    w[0] = a;
    w[1] = b;
#endif
}

/* The same at base + off, off a compile-time constant: [base, #off] saves
 * the address arithmetic. */
#if MM_CLS_PAIRED
#define MM__PAIR_LOAD_AT(base, off, a, b)                                        \
    __asm__("ldrd %0, %1, [%2, %3]" : "=r"(a), "=r"(b)                           \
            : "r"(base), "i"(off), "m"(*(const uint32_t(*)[2])(const void *)((const char *)(base) + (off))))
#define MM__PAIR_STORE_AT(base, off, a, b)                                       \
    __asm__("strd %1, %2, [%3, %4]" : "=m"(*(uint32_t(*)[2])(void *)((char *)(base) + (off))) \
            : "r"(a), "r"(b), "r"(base), "i"(off))
#else
#define MM__PAIR_LOAD_AT(base, off, a, b)                                        \
    mm__pair_load((const char *)(base) + (off), &(a), &(b))
#define MM__PAIR_STORE_AT(base, off, a, b) mm__pair_store((char *)(base) + (off), (a), (b))
#endif

#if defined(__GNUC__)
#define MM__OPAQUE(x) __asm__("" : "+r"(x))
#else
#define MM__OPAQUE(x) ((void)0)
#endif

/* word with its bits 0..19 replaced by v's. */
static inline uint32_t mm__insert_low20(uint32_t word, uint32_t v)
{
#if defined(__thumb2__)
    __asm__("bfi %0, %1, #0, #20" : "+r"(word) : "r"(v));
    return word;
#else
    return (word & ~0xFFFFFu) | (v & 0xFFFFFu);
#endif
}

#endif /* MM_THUMB2_H */
