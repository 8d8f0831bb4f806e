/*
 * bench.h - benchmark cases beside the allocator workloads of bench_main.c.
 *
 *     BENCH_CASE(obj_int) { ...; mm_printf("RESULT obj_int mm instr_per_op %lu\n", n); return 0; }
 *
 * A case lands in the linker section "bench_cases"; tools/bench.sh runs
 * each in a fresh QEMU (`-append <name>`) and keeps its RESULT lines. A case
 * returns 0 on success. It may use bench_region() for memory: the whole mm
 * region of the board (the bench firmware's newlib heap is not touched).
 * Figures must be measured (counter_instructions(), mm statistics), never
 * typed in.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>

typedef struct {
    const char *name;
    int (*fn)(void);
} bench_case;

#define BENCH_CASE(name)                                                      \
    static int bench_fn_##name(void);                                         \
    __attribute__((used, section("bench_cases"), aligned(4)))                 \
    static const bench_case bench_case_##name = {#name, bench_fn_##name};     \
    static int bench_fn_##name(void)

/* The board's whole mm region. */
void bench_region(void **start, size_t *size);

#endif /* BENCH_H */
