/*
 * types/int.c - boxed 64-bit ints, with -5..256 cached as immortal objects in
 * flash.
 *
 * Algorithm: the 262 small ints are a const array (placed in .rodata, i.e.
 * flash on Cortex-M, 12 B each = 3144 B of flash, 0 B of RAM). Their
 * handles carry bit 31 and (v + 5) in the generation bits with index 0, so
 * the fast incref/decref land on the sink slot (mm_obj.h H4) and never
 * write to them. Any other value is boxed in a 12 B object (16 B block).
 * All operations O(1) (+ one allocation for a box).
 */
#include "types/mm_types.h"

#include <stddef.h>

#include "mm_port.h"

typedef struct int_obj {
    mm_obj head;
    uint32_t lo; /* value as two words: same 12 B layout on every ABI */
    uint32_t hi;
} int_obj;

static_assert(sizeof(int_obj) == 12 && sizeof(int_obj) == MM__INT_SIZE,
              "int object is 12 bytes (mm_int_new's fast path writes it)");
static_assert(offsetof(int_obj, lo) == 4 && offsetof(int_obj, hi) == 8,
              "value words 1 and 2");
static_assert(sizeof(int_obj) <= MM_CFG_SMALL_MAX, "a small block (mm__obj_new_fast)");
static_assert(MM_SMALL_INT_COUNT == 262, "-5..256");
static_assert((uint32_t)MM_SMALL_INT_COUNT <= MM_H_EPOCH_MAX, "value fits the epoch bits");

#define SI_HDR (MM_HDR_IMMORTAL | ((uint32_t)MM_T_INT << MM_HDR_TYPE_SHIFT))
#define SI(v) {{SI_HDR}, (uint32_t)(int32_t)(v), (v) < 0 ? 0xFFFFFFFFu : 0u}

static const int_obj small_ints[MM_SMALL_INT_COUNT] = {
    SI(-5), SI(-4), SI(-3), SI(-2), SI(-1), SI(0), SI(1), SI(2),
    SI(3), SI(4), SI(5), SI(6), SI(7), SI(8), SI(9), SI(10),
    SI(11), SI(12), SI(13), SI(14), SI(15), SI(16), SI(17), SI(18),
    SI(19), SI(20), SI(21), SI(22), SI(23), SI(24), SI(25), SI(26),
    SI(27), SI(28), SI(29), SI(30), SI(31), SI(32), SI(33), SI(34),
    SI(35), SI(36), SI(37), SI(38), SI(39), SI(40), SI(41), SI(42),
    SI(43), SI(44), SI(45), SI(46), SI(47), SI(48), SI(49), SI(50),
    SI(51), SI(52), SI(53), SI(54), SI(55), SI(56), SI(57), SI(58),
    SI(59), SI(60), SI(61), SI(62), SI(63), SI(64), SI(65), SI(66),
    SI(67), SI(68), SI(69), SI(70), SI(71), SI(72), SI(73), SI(74),
    SI(75), SI(76), SI(77), SI(78), SI(79), SI(80), SI(81), SI(82),
    SI(83), SI(84), SI(85), SI(86), SI(87), SI(88), SI(89), SI(90),
    SI(91), SI(92), SI(93), SI(94), SI(95), SI(96), SI(97), SI(98),
    SI(99), SI(100), SI(101), SI(102), SI(103), SI(104), SI(105), SI(106),
    SI(107), SI(108), SI(109), SI(110), SI(111), SI(112), SI(113), SI(114),
    SI(115), SI(116), SI(117), SI(118), SI(119), SI(120), SI(121), SI(122),
    SI(123), SI(124), SI(125), SI(126), SI(127), SI(128), SI(129), SI(130),
    SI(131), SI(132), SI(133), SI(134), SI(135), SI(136), SI(137), SI(138),
    SI(139), SI(140), SI(141), SI(142), SI(143), SI(144), SI(145), SI(146),
    SI(147), SI(148), SI(149), SI(150), SI(151), SI(152), SI(153), SI(154),
    SI(155), SI(156), SI(157), SI(158), SI(159), SI(160), SI(161), SI(162),
    SI(163), SI(164), SI(165), SI(166), SI(167), SI(168), SI(169), SI(170),
    SI(171), SI(172), SI(173), SI(174), SI(175), SI(176), SI(177), SI(178),
    SI(179), SI(180), SI(181), SI(182), SI(183), SI(184), SI(185), SI(186),
    SI(187), SI(188), SI(189), SI(190), SI(191), SI(192), SI(193), SI(194),
    SI(195), SI(196), SI(197), SI(198), SI(199), SI(200), SI(201), SI(202),
    SI(203), SI(204), SI(205), SI(206), SI(207), SI(208), SI(209), SI(210),
    SI(211), SI(212), SI(213), SI(214), SI(215), SI(216), SI(217), SI(218),
    SI(219), SI(220), SI(221), SI(222), SI(223), SI(224), SI(225), SI(226),
    SI(227), SI(228), SI(229), SI(230), SI(231), SI(232), SI(233), SI(234),
    SI(235), SI(236), SI(237), SI(238), SI(239), SI(240), SI(241), SI(242),
    SI(243), SI(244), SI(245), SI(246), SI(247), SI(248), SI(249), SI(250),
    SI(251), SI(252), SI(253), SI(254), SI(255), SI(256),
};

/* ------------------------------------------------------- immortal table */

bool mm__small_int_valid(mm_h h)
{
    return mm_h_is_immortal(h) && (h & ((1u << MM_H_INDEX_BITS) - 1u)) == 0 &&
           mm_h_epoch(h) < (uint32_t)MM_SMALL_INT_COUNT;
}

const mm_obj *mm__small_int_obj(mm_h h)
{
    return &small_ints[mm_h_epoch(h)].head;
}

mm_h mm__small_int_handle(const mm_obj *o)
{
    const int_obj *i = (const int_obj *)(const void *)o;
    return mm_small_int((int32_t)(i - small_ints) + MM_SMALL_INT_MIN);
}

int64_t mm__int_get(const mm_obj *o)
{
    const int_obj *i = (const int_obj *)(const void *)o;
    return (int64_t)(((uint64_t)i->hi << 32) | i->lo);
}

/* ------------------------------------------------------------- the type */

static size_t int_size(const mm_rt *rt, const mm_obj *o)
{
    (void)rt;
    (void)o;
    return sizeof(int_obj);
}

const mm_type mm_type_int = {"int", NULL, NULL, NULL, int_size, NULL, NULL};

/* ------------------------------------------------------------------ API */

mm_h mm__int_box(mm_rt *rt, int64_t v)
{
    mm_obj *o;
    mm_h h = mm__obj_new_leaf(rt, MM_T_INT, sizeof(int_obj), &o);
    if (h != MM_NULL) {
        int_obj *i = (int_obj *)(void *)o;
        i->lo = (uint32_t)((uint64_t)v & 0xFFFFFFFFu);
        i->hi = (uint32_t)((uint64_t)v >> 32);
    }
    return h;
}

bool mm_int_check(const mm_rt *rt, mm_h h)
{
    if (mm_handle_status(rt, h) != MMO_OK) {
        return false;
    }
    const mm_obj *o = mm_h_is_immortal(h) ? mm__small_int_obj(h)
                                          : rt->tab[mm_h_index(h)].obj;
    return mm_hdr_type(o) == MM_T_INT;
}

int64_t mm_int_value_at(const mm_rt *rt, mm_h h, const char *file, int line)
{
    const mm_obj *o = mm_deref_type_at(rt, h, MM_T_INT, file, line);
    return o != NULL ? mm__int_get(o) : 0;
}
