/*
 * console.c - console selection (see console.h).
 */
#include "console.h"

#include <stdint.h>

#include "regs.h"
#include "semihost.h"
#include "uart.h"

#if defined(MMRT_CONSOLE_SEMIHOST) && defined(MMRT_CONSOLE_UART)
#error "CONSOLE: choose one of MMRT_CONSOLE_SEMIHOST, MMRT_CONSOLE_UART"
#endif

static bool use_uart;

bool kernel_debugger_attached(void) {
    if (CPUID_PARTNO(SCB_CPUID) == 0xC20UL) {
        return false;
    }
    return (DCB_DHCSR & DHCSR_C_DEBUGEN) != 0U;
}

void console_init(void) {
#if defined(MMRT_CONSOLE_SEMIHOST)
    use_uart = false;
#elif defined(MMRT_CONSOLE_UART)
    use_uart = true;
#else
    use_uart = uart_present() && !kernel_debugger_attached() && !sh_probe();
#endif
    sh_set_available(!use_uart);
    if (use_uart) {
        uart_init();
    }
}

void console_write(const char *s, size_t n) {
    if (use_uart) {
        uart_write(s, n);
    } else {
        (void)sh_console_write(s, n);
    }
}

const char *console_name(void) { return use_uart ? "uart" : "semihosting"; }

bool kernel_has_semihosting(void) { return !use_uart; }
