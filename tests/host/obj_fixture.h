/*
 * obj_fixture.h - shared set-up for the object tests (test_obj*.c): a heap
 * over a static region, a runtime with a caller-provided handle table, and
 * helpers that assert the whole state is consistent.
 */
#ifndef OBJ_FIXTURE_H
#define OBJ_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heap/mm_heap.h"
#include "obj/mm_obj.h"
#include "types/mm_types.h"
#include "port_host.h"

typedef struct fixture {
    mm_heap *heap;
    mm_rt rt;
    void *region;
    mm_slot *table;
    uint32_t *scratch;
    size_t nslots;
} fixture;

/* A heap of region_bytes and a runtime of nslots handle slots. */
static inline void fx_open(fixture *fx, size_t region_bytes, size_t nslots)
{
    memset(fx, 0, sizeof *fx);
    fx->region = malloc(region_bytes);
    fx->table = (mm_slot *)malloc(nslots * sizeof(mm_slot));
    fx->scratch = (uint32_t *)malloc(nslots * sizeof(uint32_t));
    fx->nslots = nslots;
    assert_non_null(fx->region);
    fx->heap = mm_init(fx->region, region_bytes);
    assert_non_null(fx->heap);
    assert_int_equal(mm_rt_init(&fx->rt, fx->heap, fx->table, nslots * sizeof(mm_slot)),
                     MMO_OK);
    port_reset_misuse();
    port_set_misuse_quiet(true);
}

static inline void fx_close(fixture *fx)
{
    mm_rt_fini(&fx->rt);
    free(fx->region);
    free(fx->table);
    free(fx->scratch);
}

/* mm_check and mm_obj_check (with ext as the test's own references). */
static inline void fx_check_ext(fixture *fx, const mm_h *ext, size_t n)
{
    mm_report hr;
    bool ok = mm_check(fx->heap, &hr);
    if (!ok) {
        fail_msg("mm_check: %s at %p", hr.msg, hr.addr);
    }
    mm_obj_report r;
    if (mm_obj_check(&fx->rt, ext, n, fx->scratch, &r) != MMO_OK) {
        fail_msg("mm_obj_check: %s (handle 0x%08x stored %u derived %u)", r.what,
                 (unsigned)r.handle, (unsigned)r.stored, (unsigned)r.derived);
    }
}
#define fx_check(fx, ...)                                                      \
    do {                                                                       \
        const mm_h ext_[] = {MM_NULL, __VA_ARGS__};                            \
        fx_check_ext((fx), ext_, sizeof ext_ / sizeof ext_[0]);                \
    } while (0)

/* Bytes of blocks in use in the heap now. */
static inline size_t fx_used(const fixture *fx)
{
    mm_stats st;
    mm_get_stats(fx->heap, &st);
    return st.used_bytes;
}

/* The last misuse message mentions `needle` and this file. */
#define assert_misuse(needle)                                                  \
    do {                                                                       \
        assert_true(port_misuse_count() > 0);                                  \
        const char *m_ = port_last_misuse();                                   \
        if (strstr(m_, (needle)) == NULL || strstr(m_, __FILE__) == NULL) {    \
            fail_msg("misuse message '%s' lacks '%s' or '%s'", m_, (needle),   \
                     __FILE__);                                                \
        }                                                                      \
        port_reset_misuse();                                                   \
    } while (0)

#endif /* OBJ_FIXTURE_H */
