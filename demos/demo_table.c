/* demo_table.c - every demo the firmware carries, in order. */
#include "demos.h"

int demo_hello(void);

const demo demo_table[] = {
    {0, "hello", "mmrt: board and memory layout", demo_hello},
};
const size_t demo_count = sizeof demo_table / sizeof demo_table[0];
