/*
 * types/generator.c - generators and iterators: constant-size C state machines.
 *
 * A generator is one 40 B object (Cortex-M): the step function and its
 * state {a, b, c, src, line}. Each mm_iter_next calls step once, which
 * yields one NEW reference or MMO_STOP; no frame, no stack is kept between
 * calls, so the memory of a generator does not depend on how much it
 * yields (a generator of 1,000,000 squares stays 40 B). When it stops, the
 * generator drops its src reference and its step (like CPython releasing
 * an exhausted generator's frame). Bounds: O(1) + the step.
 */
#include "types/mm_types.h"

#include "mm_port.h"

typedef struct generator_obj {
    mm_obj head;
    mm_generator_step step; /* NULL once exhausted */
    mm_generator_state st;
} generator_obj;

static_assert(sizeof(mm_generator_state) == 32, "generator state is 32 bytes");

static inline generator_obj *as_generator(mm_obj *o) { return (generator_obj *)(void *)o; }

mm_h(mm_generator_new)(mm_rt *rt, mm_generator_step step, mm_h src, int64_t a, int64_t b, int64_t c)
{
    if (src != MM_NULL && mm_handle_status(rt, src) != MMO_OK) {
        mm_port_misuse(__FILE__, __LINE__, "mm_generator_new: bad src handle");
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    mm_obj *o;
    mm_h h = mm_obj_new(rt, MM_T_GENERATOR, sizeof(generator_obj), &o);
    if (h != MM_NULL) {
        generator_obj *g = as_generator(o);
        g->step = step;
        g->st.a = a;
        g->st.b = b;
        g->st.c = c;
        mm_incref_fast(rt, src);
        g->st.src = src;
    }
    return h;
}

static generator_obj *get_generator(const mm_rt *rt, mm_h g, const char *file, int line)
{
    return as_generator(mm_deref_type_at(rt, g, MM_T_GENERATOR, file, line));
}

mm_generator_state *mm_generator_state_of_at(const mm_rt *rt, mm_h g, const char *file, int line)
{
    generator_obj *o = get_generator(rt, g, file, line);
    return o != NULL ? &o->st : NULL;
}

/* Exhausted: forget the step and drop the source. */
static void finish(mm_rt *rt, generator_obj *g)
{
    mm_h src = g->st.src;
    g->step = NULL;
    g->st.src = MM_NULL;
    mm_decref_fast(rt, src);
}

mm_status mm_iter_next_at(mm_rt *rt, mm_h it, mm_h *out, const char *file, int line)
{
    MM__SITE(rt, file, line);
    *out = MM_NULL;
    generator_obj *g = get_generator(rt, it, file, line);
    if (g == NULL) {
        return rt->err = MMO_BADHANDLE;
    }
    if (g->step == NULL) {
        return rt->err = MMO_STOP;
    }
    mm_status s = g->step(rt, it, &g->st, out);
    g = as_generator(rt->tab[mm_h_index(it)].obj); /* H1: step may allocate */
    if (s == MMO_STOP) {
        finish(rt, g);
    }
    return rt->err = s;
}

/* ------------------------------------------------------- state machines */

/* squares of range(n): a = next i, b = n. Stops early past SQUARE_MAX,
 * whose square is the last that fits int64. */
#define SQUARE_MAX 3037000499LL
static mm_status squares_step(mm_rt *rt, mm_h self, mm_generator_state *st, mm_h *out)
{
    (void)self;
    if (st->a >= st->b || st->a > SQUARE_MAX) {
        return MMO_STOP;
    }
    mm_h v = (mm_int_new)(rt, st->a * st->a);
    if (v == MM_NULL) {
        return rt->err; /* i not advanced: the caller may retry */
    }
    st->a++;
    *out = v;
    return MMO_OK;
}

mm_h(mm_generator_squares)(mm_rt *rt, int64_t n)
{
    return (mm_generator_new)(rt, squares_step, MM_NULL, 0, n, 0);
}

/* list iterator: src = the list, a = next index. */
static mm_status list_iter_step(mm_rt *rt, mm_h self, mm_generator_state *st, mm_h *out)
{
    (void)self;
    if ((uint64_t)st->a >= mm_list_len(rt, st->src)) {
        return MMO_STOP;
    }
    mm_h x = mm_list_get(rt, st->src, (size_t)st->a);
    st->a++;
    mm_incref_fast(rt, x);
    *out = x;
    return MMO_OK;
}

mm_h mm_list_iter_at(mm_rt *rt, mm_h l, const char *file, int line)
{
    MM__SITE(rt, file, line);
    if (mm_deref_type_at(rt, l, MM_T_LIST, file, line) == NULL) {
        rt->err = MMO_BADHANDLE;
        return MM_NULL;
    }
    return (mm_generator_new)(rt, list_iter_step, l, 0, 0, 0);
}

/* ------------------------------------------------------------- the type */

static void generator_traverse(mm_rt *rt, mm_obj *o, mm_visit_fn visit, void *arg)
{
    visit(rt, as_generator(o)->st.src, arg);
}

static void generator_clear(mm_rt *rt, mm_obj *o)
{
    generator_obj *g = as_generator(o);
    mm_h src = g->st.src;
    g->st.src = MM_NULL;
    mm_decref_fast(rt, src);
}

static size_t generator_size(const mm_rt *rt, const mm_obj *o)
{
    (void)rt;
    (void)o;
    return sizeof(generator_obj);
}

const mm_type mm_type_generator = {"generator", generator_traverse, generator_clear, NULL, generator_size, NULL,
                             NULL};
