/*
 * test_misuse.c - the misuse catalogue: one case per misuse that
 * DESIGN.md ("Errors and bad input") and the headers list, for the
 * allocator, the handles, the containers and the collector.
 *
 * Each case sets up a small heap and runtime, arms the checker (a snapshot
 * of the heap and the runtime, the misuse count reset), commits exactly one
 * misuse, and says what it expects. The driver then asserts, in the build
 * it is compiled for (tools/test.sh builds it release and debug):
 *   - exactly one report, with the exact message text;
 *   - the report's file (the library's file for the allocator, which names
 *     the function in the text; the caller's file and line for everything
 *     taking a handle, whose text names the operation);
 *   - mm_last_error for the allocator cases;
 *   - the heap and the runtime exactly as armed (bytes in use, free pool
 *     bytes, free pages, large blocks, live objects), and mm_check and
 *     mm_obj_check clean (the case lists the handles it still holds).
 * A case whose misuse is caught only with MM_CFG_DEBUG says so; in a
 * release build it is skipped, and the header says it is not caught there.
 * A case marked PENDING expects a fix that is not in yet: the driver runs
 * it and asserts that it FAILS (so that it cannot pass unnoticed); when
 * the fix lands, the case is unmarked.
 */
#include "obj_fixture.h"

#include "gc/mm_gc.h"

#define REGION (64u * 1024u)
#define SLOTS 64u
#define EXT_MAX 4

typedef struct expect {
    const char *file;  /* the report's file, or the folder it is in */
    int line;          /* the report's line, or 0: not checked */
    char msg[200];     /* the exact text after "file:line: " */
    int err;           /* mm_last_error after, or -1: not an allocator case */
    bool none;         /* no report expected (a defined error return) */
    mm_h ext[EXT_MAX]; /* handles the case still holds (for mm_obj_check) */
    size_t next;
    void *blocks[64];  /* raw blocks the case still holds */
    size_t nblocks;
    bool ret_bad;      /* the misused call returned something else than
                          its documented error value */
    char *repair;      /* a byte the case broke on purpose (an overrun)... */
    char repair_to;    /* ...and its value before, put back after the
                          report is checked */
    /* the snapshot taken by arm() */
    mm_stats st;
    uint32_t live;
} expect;

typedef struct mcase {
    const char *name;
    void (*run)(fixture *fx, expect *e);
    int debug_only; /* caught only with MM_CFG_DEBUG (true), or only with
                       its red zones, MM_CFG_REDZONE too (REDZONE) */
    const char *pending; /* NULL, or the fix this case waits for */
} mcase;

#define REDZONE 2

static const char HEAP_C[] = "mm/heap/"; /* heap.c, pools.c, pages.c ... */

/* Snapshot and reset: called right before the misuse. */
static void arm(fixture *fx, expect *e)
{
    mm_get_stats(fx->heap, &e->st);
    e->live = mm_rt_live(&fx->rt);
    port_reset_misuse();
}

/* A raw block the driver frees after the verdict. */
static void keep(expect *e, void *p)
{
    assert_true(e->nblocks < 64);
    e->blocks[e->nblocks++] = p;
}

/* The misused call's result against its documented error value. */
#define RET(e, got, want) ((e)->ret_bad |= (got) != (want))

static void hold(expect *e, mm_h h)
{
    assert_true(e->next < EXT_MAX);
    e->ext[e->next++] = h;
}

/* "0x" and lower-case hex without leading zeros, as the allocator prints. */
static void expect_heap(expect *e, const char *fn, const char *what,
                        const void *p, mm_err err)
{
    e->file = HEAP_C;
    e->err = (int)err;
    snprintf(e->msg, sizeof e->msg, "%s: %s 0x%lx", fn, what,
             (unsigned long)(uintptr_t)p);
}

static void expect_handle(expect *e, int line, const char *op, const char *what,
                          mm_h h)
{
    e->file = __FILE__;
    e->line = line;
    snprintf(e->msg, sizeof e->msg, "%s: %s (handle 0x%08lx)", op, what,
             (unsigned long)h);
}

static void expect_text(expect *e, const char *file, int line, const char *text)
{
    e->file = file;
    e->line = line;
    snprintf(e->msg, sizeof e->msg, "%s", text);
}

/* ============================================================ allocator */

static void c_free_foreign(fixture *fx, expect *e)
{
    static uint64_t outside;
    arm(fx, e);
    mm_free(fx->heap, &outside);
    expect_heap(e, "mm_free", "foreign pointer", &outside, MM_EFOREIGN);
}

static void c_free_misaligned(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 24);
    arm(fx, e);
    mm_free(fx->heap, p + 1);
    expect_heap(e, "mm_free", "misaligned pointer", p + 1, MM_EALIGN);
    keep(e, p);
}

/* The class has no other block in use: caught in every build. */
static void c_free_double_small(fixture *fx, expect *e)
{
    void *p = mm_alloc(fx->heap, 40);
    mm_free(fx->heap, p);
    arm(fx, e);
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "double free", p, MM_EDOUBLE);
}

/* Another block of the class is in use: the free-list walk (debug). */
static void c_free_double_small_busy(fixture *fx, expect *e)
{
    void *busy = mm_alloc(fx->heap, 40);
    void *p = mm_alloc(fx->heap, 40);
    mm_free(fx->heap, p);
    arm(fx, e);
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "double free", p, MM_EDOUBLE);
    keep(e, busy);
}

static void c_free_interior_small(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 48);
    arm(fx, e);
    mm_free(fx->heap, p + 8);
    expect_heap(e, "mm_free", "misaligned pointer", p + 8, MM_EALIGN);
    keep(e, p);
}

/* A small block the bump pointer has not handed out yet (debug). */
static void c_free_never_handed_out(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 16);
    mm_size_class_stats cs; /* the class that serves 16 B (24 B with red zones) */
    assert_true(mm_get_size_class_stats(fx->heap, mm_size_class(16u + MM_CFG_REDZONE * 8u), &cs));
    arm(fx, e);
    mm_free(fx->heap, p + cs.block_size);
    expect_heap(e, "mm_free", "pointer to no live block", p + cs.block_size, MM_EFOREIGN);
    keep(e, p);
}

/* Sizes served as a mid-size block (an 8-byte header in an area) and as
 * a large block (whole pages). */
#define MID_SZ 600u
#define LARGE_SZ (MM_CFG_MID_MAX + 1000u)

static void c_free_interior_large(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, LARGE_SZ);
    arm(fx, e);
    mm_free(fx->heap, p + 8);
    expect_heap(e, "mm_free", "misaligned pointer", p + 8, MM_EALIGN);
    keep(e, p);
}

/* A block of size bytes between two live ones, freed twice. */
static void double_free_between(fixture *fx, expect *e, size_t size)
{
    void *a = mm_alloc(fx->heap, size);
    void *p = mm_alloc(fx->heap, size);
    void *b = mm_alloc(fx->heap, size);
    mm_free(fx->heap, p);
    arm(fx, e);
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "double free", p, MM_EDOUBLE);
    keep(e, a);
    keep(e, b);
}

/* A large block between two live ones: its pages become a free run. */
static void c_free_double_large(fixture *fx, expect *e)
{
    double_free_between(fx, e, LARGE_SZ);
}

/* The topmost large block: its pages join the wilderness. */
static void c_free_double_large_top(fixture *fx, expect *e)
{
    void *a = mm_alloc(fx->heap, LARGE_SZ);
    void *p = mm_alloc(fx->heap, LARGE_SZ);
    mm_free(fx->heap, p);
    arm(fx, e);
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "double free", p, MM_EDOUBLE);
    keep(e, a);
}

static void c_free_interior_mid(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, MID_SZ);
    arm(fx, e);
    mm_free(fx->heap, p + 16);
    expect_heap(e, "mm_free", "pointer to no live block", p + 16, MM_EFOREIGN);
    keep(e, p);
}

/* A mid block between two live ones: its chunk stays in its area. */
static void c_free_double_mid(fixture *fx, expect *e)
{
    double_free_between(fx, e, MID_SZ);
}

/* The only block of its area: the area's pages went back to the heap. */
static void c_free_double_mid_area_gone(fixture *fx, expect *e)
{
    void *p = mm_alloc(fx->heap, MID_SZ);
    mm_free(fx->heap, p);
    arm(fx, e);
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "double free", p, MM_EDOUBLE);
}

static void c_realloc_freed_mid(fixture *fx, expect *e)
{
    void *a = mm_alloc(fx->heap, MID_SZ);
    void *p = mm_alloc(fx->heap, MID_SZ);
    mm_free(fx->heap, p);
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, p, MID_SZ * 2u), NULL);
    expect_heap(e, "mm_realloc", "freed block", p, MM_EDOUBLE);
    keep(e, a);
}

static void c_usable_interior_mid(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, MID_SZ);
    arm(fx, e);
    RET(e, mm_usable_size(fx->heap, p + 64), 0u);
    expect_heap(e, "mm_usable_size", "pointer to no live block", p + 64, MM_OK);
    keep(e, p);
}

static void c_realloc_foreign(fixture *fx, expect *e)
{
    static uint64_t outside;
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, &outside, 16), NULL);
    expect_heap(e, "mm_realloc", "foreign pointer", &outside, MM_EFOREIGN);
}

static void c_realloc_misaligned(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 24);
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, p + 4, 16), NULL);
    expect_heap(e, "mm_realloc", "misaligned pointer", p + 4, MM_EALIGN);
    keep(e, p);
}

/* A freed small block whose class has no other block in use: caught in
 * every build (as mm_free's double free). */
static void c_realloc_freed_class_empty(fixture *fx, expect *e)
{
    void *p = mm_alloc(fx->heap, 32);
    mm_free(fx->heap, p);
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, p, 100), NULL);
    expect_heap(e, "mm_realloc", "freed block", p, MM_EDOUBLE);
}

static void c_usable_freed_class_empty(fixture *fx, expect *e)
{
    void *p = mm_alloc(fx->heap, 32);
    mm_free(fx->heap, p);
    arm(fx, e);
    RET(e, mm_usable_size(fx->heap, p), 0u);
    expect_heap(e, "mm_usable_size", "freed block", p, MM_OK);
}

/* A freed small block, resized within its class. */
static void c_realloc_freed_same_class(fixture *fx, expect *e)
{
    void *busy = mm_alloc(fx->heap, 32);
    void *p = mm_alloc(fx->heap, 32);
    mm_free(fx->heap, p);
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, p, 30), NULL);
    expect_heap(e, "mm_realloc", "freed block", p, MM_EDOUBLE);
    keep(e, busy);
}

/* A freed small block, resized into another class. */
static void c_realloc_freed_other_class(fixture *fx, expect *e)
{
    void *busy = mm_alloc(fx->heap, 32);
    void *p = mm_alloc(fx->heap, 32);
    mm_free(fx->heap, p);
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, p, 100), NULL);
    expect_heap(e, "mm_realloc", "freed block", p, MM_EDOUBLE);
    keep(e, busy);
}

static void c_realloc_interior_small(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 48);
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, p + 8, 40), NULL);
    expect_heap(e, "mm_realloc", "misaligned pointer", p + 8, MM_EALIGN);
    keep(e, p);
}

static void c_realloc_freed_large(fixture *fx, expect *e)
{
    void *a = mm_alloc(fx->heap, LARGE_SZ);
    void *p = mm_alloc(fx->heap, LARGE_SZ);
    void *b = mm_alloc(fx->heap, LARGE_SZ);
    mm_free(fx->heap, p);
    arm(fx, e);
    RET(e, mm_realloc(fx->heap, p, LARGE_SZ + 1000u), NULL);
    expect_heap(e, "mm_realloc", "freed block", p, MM_EDOUBLE);
    keep(e, a);
    keep(e, b);
}

static void c_usable_foreign(fixture *fx, expect *e)
{
    static uint64_t outside;
    arm(fx, e);
    RET(e, mm_usable_size(fx->heap, &outside), 0u);
    expect_heap(e, "mm_usable_size", "foreign pointer", &outside, MM_OK);
}

static void c_usable_freed_small(fixture *fx, expect *e)
{
    void *busy = mm_alloc(fx->heap, 24);
    void *p = mm_alloc(fx->heap, 24);
    mm_free(fx->heap, p);
    arm(fx, e);
    RET(e, mm_usable_size(fx->heap, p), 0u);
    expect_heap(e, "mm_usable_size", "freed block", p, MM_OK);
    keep(e, busy);
}

static void c_usable_interior_small(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 48);
    arm(fx, e);
    RET(e, mm_usable_size(fx->heap, p + 16), 0u);
    expect_heap(e, "mm_usable_size", "misaligned pointer", p + 16, MM_OK);
    keep(e, p);
}

static void c_set_owner_foreign(fixture *fx, expect *e)
{
    static uint64_t outside;
    static void *owner;
    arm(fx, e);
    mm_set_owner(fx->heap, &outside, &owner);
    expect_heap(e, "mm_set_owner", "foreign pointer", &outside, MM_EFOREIGN);
}

/* A write one byte past a small block's end, into its live neighbour,
 * found by the red zone when the block is freed (debug). */
static void c_overrun_small(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 20);
    void *next = mm_alloc(fx->heap, 20);
    size_t n = mm_usable_size(fx->heap, p);
    arm(fx, e);
    e->repair = &p[n];
    e->repair_to = p[n];
    p[n] = 0x5A;
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "write past block end", p, MM_ECORRUPT);
    keep(e, p);
    keep(e, next);
}

/* A write past a large block's last requested byte (red zones). */
static void c_overrun_large(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 5000);
    size_t n = mm_usable_size(fx->heap, p);
    arm(fx, e);
    e->repair = &p[n];
    e->repair_to = p[n];
    p[n] = 0x5A;
    mm_free(fx->heap, p);
    keep(e, p);
    expect_heap(e, "mm_free", "write past block end", p, MM_ECORRUPT);
}

/* A write past a mid-size block's end (257..2048 B where mid-size
 * blocks are built; a large block elsewhere), into the chunk after it
 * (red zones). */
static void c_overrun_mid(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 1000);
    void *next = mm_alloc(fx->heap, 1000);
    size_t n = mm_usable_size(fx->heap, p);
    arm(fx, e);
    e->repair = &p[n];
    e->repair_to = p[n];
    p[n] = 0x5A;
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "write past block end", p, MM_ECORRUPT);
    keep(e, p);
    keep(e, next);
}

/* A write past a small block's end found by mm_realloc (red zones): the
 * block stays as it was, NULL returned. */
static void c_overrun_realloc(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 40);
    size_t n = mm_usable_size(fx->heap, p);
    arm(fx, e);
    e->repair = &p[n + 1u];
    e->repair_to = p[n + 1u];
    p[n + 1u] = 0;
    RET(e, mm_realloc(fx->heap, p, 400), NULL);
    expect_heap(e, "mm_realloc", "write past block end", p, MM_ECORRUPT);
    keep(e, p);
}

/* A long overrun that reaches the size word at a large block's end (red
 * zones). */
static void c_overrun_size_word(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 5000); /* above MM_CFG_MID_MAX: a page run */
    size_t n = mm_usable_size(fx->heap, p);
    arm(fx, e);
    char saved[600];
    memcpy(saved, p + n, sizeof saved);
    memset(p + n, 0, sizeof saved); /* guard and size word: 5000 + 8 fits 5120 */
    mm_free(fx->heap, p);
    expect_heap(e, "mm_free", "write past block end", p, MM_ECORRUPT);
    memcpy(p + n, saved, sizeof saved); /* put back before the verdict's mm_check */
    keep(e, p);
}

/* mm_check finds an overrun in a live block before anything frees it
 * (red zones): one report-free call, then the repair. */
static void c_overrun_check(fixture *fx, expect *e)
{
    char *p = mm_alloc(fx->heap, 100);
    size_t n = mm_usable_size(fx->heap, p);
    char was = p[n];
    p[n] = 0x11;
    mm_report r;
    bool ok = mm_check(fx->heap, &r);
    p[n] = was;
    assert_false(ok);
    assert_int_equal(r.code, MM_ECORRUPT);
    assert_string_equal(r.msg, "live block red zone overwritten");
    assert_ptr_equal(r.addr, p);
    arm(fx, e);
    e->none = true; /* nothing reported: mm_check only says */
    keep(e, p);
}

/* Not misuse: a defined error return, with nothing reported. */
static void c_alloc_zero(fixture *fx, expect *e)
{
    arm(fx, e);
    RET(e, mm_alloc(fx->heap, 0), NULL);
    e->none = true;
    e->err = MM_EZERO;
}

static void c_alloc_too_big(fixture *fx, expect *e)
{
    arm(fx, e);
    RET(e, mm_alloc(fx->heap, SIZE_MAX), NULL);
    e->none = true;
    e->err = MM_ETOOBIG;
}

/* Arena exhaustion: MM_ENOMEM, and every block had before is still there. */
static void c_alloc_exhausted(fixture *fx, expect *e)
{
    void *blocks[64];
    size_t n = 0;
    while (n < 64 && (blocks[n] = mm_alloc(fx->heap, 4000)) != NULL) {
        n++;
    }
    assert_true(n > 4 && n < 64);
    arm(fx, e);
    RET(e, mm_alloc(fx->heap, 4000), NULL);
    e->none = true;
    e->err = MM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        keep(e, blocks[i]);
    }
}

/* ============================================================== handles */

static void c_decref_twice(fixture *fx, expect *e)
{
    mm_h x = mm_list_new(&fx->rt, 0);
    mm_decref(&fx->rt, x);
    arm(fx, e);
    int line = __LINE__; mm_decref(&fx->rt, x);
    expect_handle(e, line, "decref", "double decref: object already freed", x);
}

static void c_incref_stale(fixture *fx, expect *e)
{
    mm_h x = mm_list_new(&fx->rt, 0);
    mm_decref(&fx->rt, x);
    arm(fx, e);
    int line = __LINE__; mm_incref(&fx->rt, x);
    expect_handle(e, line, "incref", "stale handle: object already freed", x);
}

static void c_deref_stale_reused(fixture *fx, expect *e)
{
    mm_h x = mm_list_new(&fx->rt, 0);
    mm_decref(&fx->rt, x);
    mm_h y = mm_list_new(&fx->rt, 0); /* takes x's slot, next generation */
    assert_int_equal(mm_h_index(y), mm_h_index(x));
    hold(e, y);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_deref(&fx->rt, x), NULL);
    expect_handle(e, line, "deref", "stale handle: object freed, slot since reused", x);
}

static void c_deref_forged(fixture *fx, expect *e)
{
    mm_h x = mm_list_new(&fx->rt, 0);
    mm_h forged = x + (5u << MM_H_INDEX_BITS); /* its epoch, 5 lives ahead */
    hold(e, x);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_deref(&fx->rt, forged), NULL);
    expect_handle(e, line, "deref", "forged handle (never issued by this runtime)", forged);
}

static void c_deref_forged_index(fixture *fx, expect *e)
{
    mm_h x = mm_list_new(&fx->rt, 0);
    mm_h forged = (x & ~MM_H_INDEX_MASK) | (SLOTS + 7u); /* beyond the table */
    hold(e, x);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_deref(&fx->rt, forged), NULL);
    expect_handle(e, line, "deref", "forged handle (never issued by this runtime)", forged);
}

static void c_deref_null(fixture *fx, expect *e)
{
    arm(fx, e);
    int line = __LINE__; RET(e, mm_deref(&fx->rt, MM_NULL), NULL);
    expect_handle(e, line, "deref", "null handle", MM_NULL);
}

/* A handle made by another runtime, stored into this one's list. */
static void c_handle_other_runtime(fixture *fx, expect *e)
{
    static uint8_t region2[REGION];
    static mm_slot table2[SLOTS];
    mm_heap *h2 = mm_init(region2, sizeof region2);
    mm_rt rt2;
    assert_int_equal(mm_rt_init(&rt2, h2, table2, sizeof table2), MMO_OK);
    mm_h mine = mm_list_new(&fx->rt, 0);
    mm_h theirs = mm_list_new(&rt2, 0);
    hold(e, mine);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_list_append(&fx->rt, mine, theirs), MMO_BADHANDLE);
    expect_handle(e, line, "deref", "handle of another runtime", theirs);
    mm_decref(&rt2, theirs);
    mm_rt_fini(&rt2);
}

static void c_wrong_type(fixture *fx, expect *e)
{
    mm_h x = mm_int_new(&fx->rt, 100000);
    hold(e, x);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_list_append(&fx->rt, x, x), MMO_BADHANDLE);
    expect_text(e, __FILE__, line, "wrong type: expected list, got int");
}

/* =========================================================== containers */

static void c_list_index(fixture *fx, expect *e)
{
    mm_h l = mm_list_new(&fx->rt, 0);
    assert_int_equal(mm_list_append(&fx->rt, l, mm_small_int(1)), MMO_OK);
    hold(e, l);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_list_get(&fx->rt, l, 1), MM_NULL);
    expect_text(e, __FILE__, line, "list index out of range");
}

static void c_list_pop_empty(fixture *fx, expect *e)
{
    mm_h l = mm_list_new(&fx->rt, 0);
    hold(e, l);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_list_pop(&fx->rt, l), MM_NULL);
    expect_text(e, __FILE__, line, "pop from empty list");
}

static void c_dict_changed_in_iteration(fixture *fx, expect *e)
{
    mm_rt *rt = &fx->rt;
    mm_h d = mm_dict_new(rt);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mm_dict_set(rt, d, mm_small_int(i), mm_small_int(i)), MMO_OK);
    }
    hold(e, d);
    size_t pos = 0;
    mm_h k, v;
    assert_true(mm_dict_next(rt, d, &pos, &k, &v));
    assert_int_equal(mm_dict_set(rt, d, mm_small_int(9), mm_small_int(9)), MMO_OK);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_dict_next(rt, d, &pos, &k, &v), false);
    expect_text(e, __FILE__, line, "dict_next: dictionary changed size during iteration");
}

static void c_dict_deleted_in_iteration(fixture *fx, expect *e)
{
    mm_rt *rt = &fx->rt;
    mm_h d = mm_dict_new(rt);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mm_dict_set(rt, d, mm_small_int(i), mm_small_int(i)), MMO_OK);
    }
    hold(e, d);
    size_t pos = 0;
    mm_h k, v;
    assert_true(mm_dict_next(rt, d, &pos, &k, &v));
    assert_int_equal(mm_dict_del(rt, d, mm_small_int(2)), MMO_OK);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_dict_next(rt, d, &pos, &k, &v), false);
    expect_text(e, __FILE__, line, "dict_next: dictionary changed size during iteration");
}

static const char *const two_names[] = {"x", "y"};
static const mm_class point_cls = {"Point", 2, two_names, false};

static void c_slot_index(fixture *fx, expect *e)
{
    uint32_t cls = mm_class_register(&fx->rt, &point_cls);
    mm_h o = mm_inst_new(&fx->rt, cls);
    hold(e, o);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_inst_get_slot(&fx->rt, o, 2), MM_NULL);
    expect_text(e, __FILE__, line, "slot index out of range");
}

static void c_slot_setattr_unknown(fixture *fx, expect *e)
{
    uint32_t cls = mm_class_register(&fx->rt, &point_cls);
    mm_h o = mm_inst_new(&fx->rt, cls);
    hold(e, o);
    arm(fx, e);
    int line = __LINE__; RET(e, mm_inst_setattr(&fx->rt, o, "z", mm_small_int(1)), MMO_KEY);
    expect_text(e, __FILE__, line, "setattr: no slot of that name (__slots__)");
}

static void c_inst_bad_class(fixture *fx, expect *e)
{
    arm(fx, e);
    int line = __LINE__; RET(e, mm_inst_new(&fx->rt, MM_T_CLASS0 + 5u), MM_NULL);
    expect_text(e, __FILE__, line, "mm_inst_new: not a registered class id");
}

/* ============================================================ collector */

static void c_gc_bad_generation(fixture *fx, expect *e)
{
    static mm_gc gc;
    assert_int_equal(mm_gc_init(&gc, &fx->rt), MMO_OK);
    arm(fx, e);
    RET(e, mm_gc_collect(&gc, 3, NULL), 0u);
    expect_text(e, "mm/gc/gc.c", 0, "mm_gc_collect: invalid generation (0..2)");
    mm_gc_fini(&gc);
}

/* ============================================================== driver */

static const mcase cases[] = {
    {"free: foreign pointer", c_free_foreign, false, NULL},
    {"free: misaligned pointer", c_free_misaligned, false, NULL},
    {"free: double free (class otherwise empty)", c_free_double_small, false, NULL},
    {"free: double free (class busy)", c_free_double_small_busy, true, NULL},
    {"free: interior pointer, small", c_free_interior_small, true, NULL},
    {"free: block never handed out", c_free_never_handed_out, true, NULL},
    {"free: interior pointer, large", c_free_interior_large, false, NULL},
    {"free: double free, large", c_free_double_large, false, NULL},
    {"free: double free, large, into the wilderness", c_free_double_large_top, false, NULL},
    {"free: interior pointer, mid-size", c_free_interior_mid, false, NULL},
    {"free: double free, mid-size", c_free_double_mid, false, NULL},
    {"free: double free, mid-size, its area given back", c_free_double_mid_area_gone, false,
     NULL},
    {"realloc: foreign pointer", c_realloc_foreign, false, NULL},
    {"realloc: misaligned pointer", c_realloc_misaligned, false, NULL},
    {"realloc: freed block (class otherwise empty)", c_realloc_freed_class_empty, false, NULL},
    {"realloc: freed block, same class", c_realloc_freed_same_class, true, NULL},
    {"realloc: freed block, other class", c_realloc_freed_other_class, true, NULL},
    {"realloc: interior pointer, small", c_realloc_interior_small, false, NULL},
    {"realloc: freed large block", c_realloc_freed_large, false, NULL},
    {"realloc: freed mid-size block", c_realloc_freed_mid, false, NULL},
    {"usable_size: interior pointer, mid-size", c_usable_interior_mid, false, NULL},
    {"usable_size: foreign pointer", c_usable_foreign, false, NULL},
    {"usable_size: freed block (class otherwise empty)", c_usable_freed_class_empty, false, NULL},
    {"usable_size: freed block", c_usable_freed_small, true, NULL},
    {"usable_size: interior pointer", c_usable_interior_small, false, NULL},
    {"set_owner: foreign pointer", c_set_owner_foreign, false, NULL},
    {"overrun: small block into its neighbour", c_overrun_small, REDZONE, NULL},
    {"overrun: past a large block", c_overrun_large, REDZONE, NULL},
    {"overrun: past a mid-size block", c_overrun_mid, REDZONE, NULL},
    {"overrun: realloc of a small block", c_overrun_realloc, REDZONE, NULL},
    {"overrun: the size word of a large block", c_overrun_size_word, REDZONE, NULL},
    {"overrun: found by mm_check", c_overrun_check, REDZONE, NULL},
    {"alloc: size 0 (error, not misuse)", c_alloc_zero, false, NULL},
    {"alloc: larger than the region (error)", c_alloc_too_big, false, NULL},
    {"alloc: arena exhausted (error)", c_alloc_exhausted, false, NULL},
    {"handle: double decref", c_decref_twice, false, NULL},
    {"handle: incref of a freed object", c_incref_stale, false, NULL},
    {"handle: stale, slot reused", c_deref_stale_reused, false, NULL},
    {"handle: forged generation", c_deref_forged, false, NULL},
    {"handle: forged index", c_deref_forged_index, false, NULL},
    {"handle: null", c_deref_null, false, NULL},
    {"handle: from another runtime", c_handle_other_runtime, false, NULL},
    {"handle: wrong type", c_wrong_type, false, NULL},
    {"list: index out of range", c_list_index, false, NULL},
    {"list: pop from empty", c_list_pop_empty, false, NULL},
    {"dict: insert while iterated", c_dict_changed_in_iteration, false, NULL},
    {"dict: delete while iterated", c_dict_deleted_in_iteration, false, NULL},
    {"instance: slot index out of range", c_slot_index, false, NULL},
    {"instance: setattr of no slot", c_slot_setattr_unknown, false, NULL},
    {"instance: unregistered class", c_inst_bad_class, false, NULL},
    {"gc: invalid generation", c_gc_bad_generation, false, NULL},
};

/* Why the case's outcome differs from its expectation; NULL if it does
 * not. Never aborts: a pending case must be able to fail cleanly. */
static const char *verdict(fixture *fx, const expect *e, char *why, size_t n)
{
    const char *m = port_last_misuse();
    if (e->ret_bad) {
        snprintf(why, n, "the call did not return its error value (report: '%s')", m);
        return why;
    }
    if (e->none) {
        if (port_misuse_count() != 0) {
            snprintf(why, n, "unexpected report '%s'", m);
            return why;
        }
    } else {
        if (port_misuse_count() != 1) {
            snprintf(why, n, "%d reports (want 1), last '%s'", port_misuse_count(), m);
            return why;
        }
        const char *colon = strchr(m, ':');
        const char *at = strstr(m, e->file);
        if (colon == NULL || at == NULL || at >= colon) {
            snprintf(why, n, "report '%s' not from %s", m, e->file);
            return why;
        }
        char *end;
        long line = strtol(colon + 1, &end, 10);
        if (line <= 0 || end[0] != ':' || (e->line != 0 && line != e->line)) {
            snprintf(why, n, "report '%s': line (want %d)", m, e->line);
            return why;
        }
        if (strcmp(end + 2, e->msg) != 0) {
            snprintf(why, n, "report '%s', want '%s'", end + 2, e->msg);
            return why;
        }
    }
    if (e->repair != NULL) {
        *e->repair = e->repair_to;
    }
    if (e->err >= 0 && e->err != MM_OK && (int)mm_last_error(fx->heap) != e->err) {
        snprintf(why, n, "mm_last_error %d, want %d", (int)mm_last_error(fx->heap), e->err);
        return why;
    }
    mm_stats st;
    mm_get_stats(fx->heap, &st);
    if (st.used_bytes != e->st.used_bytes || st.pool_free_bytes != e->st.pool_free_bytes ||
        st.pages_free != e->st.pages_free || st.large_blocks != e->st.large_blocks ||
        mm_rt_live(&fx->rt) != e->live) {
        snprintf(why, n,
                 "state changed: used %zu->%zu, pool free %zu->%zu, pages free %zu->%zu, "
                 "large %zu->%zu, live %u->%u",
                 e->st.used_bytes, st.used_bytes, e->st.pool_free_bytes, st.pool_free_bytes,
                 e->st.pages_free, st.pages_free, e->st.large_blocks, st.large_blocks,
                 (unsigned)e->live, (unsigned)mm_rt_live(&fx->rt));
        return why;
    }
    mm_report hr;
    if (!mm_check(fx->heap, &hr)) {
        snprintf(why, n, "mm_check: %s", hr.msg);
        return why;
    }
    mm_h ext[EXT_MAX + 1] = {MM_NULL};
    memcpy(ext + 1, e->ext, e->next * sizeof(mm_h));
    mm_obj_report r;
    if (mm_obj_check(&fx->rt, ext, e->next + 1u, fx->scratch, &r) != MMO_OK) {
        snprintf(why, n, "mm_obj_check: %s", r.what);
        return why;
    }
    return NULL;
}

/* One case's fixture, opened and closed around it by cmocka (so that a
 * failed assertion leaks nothing). */
typedef struct slot {
    const mcase *mc;
    fixture fx;
} slot;

static slot slots[64];

static int case_open(void **state)
{
    slot *sl = *state;
    fx_open(&sl->fx, REGION, SLOTS);
    return 0;
}

static int case_close(void **state)
{
    slot *sl = *state;
    fx_close(&sl->fx);
    return 0;
}

static void run_case(void **state)
{
    slot *sl = *state;
    const mcase *mc = sl->mc;
    fixture *fx = &sl->fx;
    if ((mc->debug_only && !MM_CFG_DEBUG) || (mc->debug_only == REDZONE && !MM_CFG_REDZONE)) {
        skip(); /* not caught in this build: see the header's "Misuse" */
    }
    expect e;
    memset(&e, 0, sizeof e);
    e.err = -1;
    mc->run(fx, &e);
    char why[400];
    const char *bad = verdict(fx, &e, why, sizeof why);
    if (mc->pending != NULL) {
        if (bad == NULL) {
            fail_msg("pending case now passes (%s is in): unmark it", mc->pending);
        }
        printf("  pending (%s): fails as expected: %s\n", mc->pending, bad);
        return; /* the heap may be corrupt: nothing more to check */
    }
    if (bad != NULL) {
        fail_msg("%s: %s", mc->name, bad);
    }
    port_reset_misuse();
    /* give back what the case still holds: the heap returns to empty */
    for (size_t i = 0; i < e.next; i++) {
        mm_decref(&fx->rt, e.ext[i]);
    }
    for (size_t i = 0; i < e.nblocks; i++) {
        mm_free(fx->heap, e.blocks[i]);
    }
    assert_int_equal(port_misuse_count(), 0);
    fx_check(fx);
    assert_int_equal(mm_rt_live(&fx->rt), 0);
    assert_int_equal(fx_used(fx), 0);
}

int main(void)
{
    enum { N = sizeof cases / sizeof cases[0] };
    static_assert(N <= sizeof slots / sizeof slots[0], "one slot per case");
    struct CMUnitTest tests[N];
    for (size_t i = 0; i < N; i++) {
        slots[i].mc = &cases[i];
        tests[i] = (struct CMUnitTest){cases[i].name, run_case, case_open, case_close,
                                       &slots[i]};
    }
    size_t pending = 0;
    for (size_t i = 0; i < N; i++) {
        pending += cases[i].pending != NULL;
    }
    printf("misuse catalogue: %zu cases (%zu pending a fix), %s build\n", (size_t)N,
           pending, MM_CFG_DEBUG ? "debug" : "release");
    return cmocka_run_group_tests_name("misuse", tests, NULL, NULL);
}
