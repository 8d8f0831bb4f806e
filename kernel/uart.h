/*
 * uart.h - the board's UART as a console: transmit only, 115200 8N1,
 * polled. One driver per board family in kernel/uart.c, chosen by the
 * board fragment (boards/<board>.mk: MMRT_UART_<family>).
 *
 * Bounds: uart_write() waits for the transmitter per byte, at most
 * UART_SPIN_MAX polls each (about 90 us per byte at 115200 baud on silicon),
 * so a UART that never drains costs time, never a hang. Not ISR-safe
 * against itself: the console's callers serialise (mm_printf is called with
 * the output in one piece per call).
 */
#ifndef MMRT_UART_H
#define MMRT_UART_H

#include <stdbool.h>
#include <stddef.h>

/* True when this board has a UART driver. */
bool uart_present(void);
/* Clocks, pins and baud rate. Idempotent; O(1). */
void uart_init(void);
/* Sends n bytes, each '\n' as "\r\n" (what a serial terminal expects). */
void uart_write(const char *s, size_t n);

#endif /* MMRT_UART_H */
