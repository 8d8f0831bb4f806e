/*
 * reset.c - Reset_Handler in plain C.
 *
 * 1. copy .data from flash, zero .bss;
 * 2. paint the unused stack (for the high-water figure) and arm the stack
 *    guard (kernel_init);
 * 3. run main() and exit QEMU with its return value.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);
void Reset_Handler(void);

void Reset_Handler(void) {
    /* No library call before .bss is zeroed and .data copied: plain loops. */
    /* Sizes from addresses: the linker symbols bound sections, not C objects. */
    size_t data_words = ((uintptr_t)__data_end - (uintptr_t)__data_start) / 4U;
    size_t bss_words = ((uintptr_t)__bss_end - (uintptr_t)__bss_start) / 4U;
    for (size_t i = 0; i < data_words; i++) {
        __data_start[i] = __data_load[i];
    }
    for (size_t i = 0; i < bss_words; i++) {
        __bss_start[i] = 0;
    }
    kernel_init();
    kernel_exit(main());
}
