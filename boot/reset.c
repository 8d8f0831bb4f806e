/*
 * reset.c - Reset_Handler in plain C.
 *
 * 1. copy .data from flash, zero .bss;
 * 2. paint the unused stack (for the high-water figure) and arm the stack
 *    guard (kernel_init);
 * 3. run main() and exit QEMU with its return value.
 */
#include <stdint.h>
#include <string.h>

#include "kernel.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);
void Reset_Handler(void);

void Reset_Handler(void) {
    /* No library call before .bss is zeroed and .data copied: plain loops. */
    const uint32_t *src = __data_load;
    for (uint32_t *dst = __data_start; dst < __data_end; dst++) {
        *dst = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end; dst++) {
        *dst = 0;
    }
    kernel_init();
    kernel_exit(main());
}
