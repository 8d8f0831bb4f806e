/*
 * heap_fixture.h - shared helpers for the allocator's white-box tests
 * (test_heap*.c): a heap over a caller's static region, and mm_check
 * asserted with its report printed when it fails.
 */
#ifndef HEAP_FIXTURE_H
#define HEAP_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heap/heap_int.h"
#include "port_host.h"

/* A heap over region (size bytes), filled with garbage first so that
 * nothing relies on zeroed memory; the misuse count reset. */
static inline mm_heap *heap_fresh(unsigned char *region, size_t size)
{
    port_reset_misuse();
    memset(region, 0x5A, size);
    mm_heap *h = mm_init(region, size);
    assert_non_null(h);
    return h;
}

/* The heap's statistics (mm_get_stats). */
static inline mm_stats heap_stats(const mm_heap *h)
{
    mm_stats s;
    mm_get_stats(h, &s);
    return s;
}

/* mm_check passes (its report says so) and no lock is held. */
static inline void assert_heap_ok(const mm_heap *h)
{
    mm_report r;
    bool ok = mm_check(h, &r);
    if (!ok) {
        print_error("mm_check: %s at %p\n", r.msg, r.addr);
    }
    assert_true(ok);
    assert_int_equal(r.code, MM_OK);
    assert_int_equal(port_lock_depth(), 0);
}

#endif /* HEAP_FIXTURE_H */
