/* test_fmt.c - mm_vsnprintf against the host libc's snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fmt/mm_fmt.h"

/* Formats with both and compares text and returned length. */
#define SAME(...)                                                             \
    do {                                                                      \
        char a[128], b[128];                                                  \
        size_t ra = mm_snprintf(a, sizeof a, __VA_ARGS__);                    \
        int rb = snprintf(b, sizeof b, __VA_ARGS__);                          \
        assert_string_equal(a, b);                                            \
        assert_int_equal(ra, (size_t)rb);                                     \
    } while (0)

static void test_integers(void **state) {
    (void)state;
    SAME("%d|%i|%u", 0, -1, 4294967295U);
    SAME("%d %d", INT32_MIN, INT32_MAX);
    SAME("%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
    SAME("%5d|%-5d|%05d|%+d|% d", 42, 42, -42, 7, 7);
    SAME("%x %X %08x %#x %#X %#x", 0xbeefU, 0xbeefU, 0x12U, 0U, 0xabU, 0x1U);
    SAME("%.3d|%.0d|%8.3d", 5, 0, -5);
    SAME("%zu %zd %ld %lu", (size_t)123, (ptrdiff_t)-9, -77L, 77UL);
    SAME("%hhu %hd %hhd", 300, 70000, 200);
    SAME("%*d|%-*d|%.*d", 6, 1, 6, 2, 4, 3);
}

static void test_strings(void **state) {
    (void)state;
    SAME("%s|%10s|%-10s|%.2s|%c%c", "abc", "r", "l", "xyz", 'o', 'k');
    SAME("100%% %s", "引用计数: 2");
}

static void test_truncation(void **state) {
    (void)state;
    char small[8];
    size_t r = mm_snprintf(small, sizeof small, "%s-%d", "abcdef", 12345);
    assert_int_equal(r, 12);
    assert_string_equal(small, "abcdef-");
    assert_int_equal(mm_snprintf(NULL, 0, "%d", 1234), 4);
    char one[1] = {'x'};
    assert_int_equal(mm_snprintf(one, 1, "%d", 5), 1);
    assert_int_equal(one[0], '\0');
}

static void test_pointer_and_unknown(void **state) {
    (void)state;
    char a[64];
    mm_snprintf(a, sizeof a, "%p", (void *)0x1234);
    assert_string_equal(a, "0x1234");
    const char *volatile bad = "%q %d %"; /* not a literal: no -Wformat */
    mm_snprintf(a, sizeof a, bad, 3);
    assert_string_equal(a, "%q 3 %");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_pointer_and_unknown),
    };
    return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
