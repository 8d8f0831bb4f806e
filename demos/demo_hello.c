/* demo_hello.c - placeholder demo: one line about the board, read live. */
#include <stdint.h>

#include "kernel.h"
#include "fmt/mm_fmt.h"

int demo_hello(void);

int demo_hello(void) {
    void *start;
    size_t size;
    kernel_mm_region(&start, &size);
    mm_printf("mmrt on %s: mm region %lu bytes at %p, stack %lu bytes (%s guard), "
              "%lu instructions since boot\n",
              MMRT_BOARD, (unsigned long)size, start, (unsigned long)kernel_stack_size(),
              kernel_stack_guard_is_mpu() ? "MPU" : "canary",
              (unsigned long)counter_instructions());
    return 0;
}
