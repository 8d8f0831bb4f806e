/*
 * uart.c - one polled transmit driver per board family (see uart.h).
 *
 * Each set-up follows its part's reference manual, register by register
 * (kernel/regs.h names them): gate the clock of the GPIO port and the UART,
 * hand the TX pin to the UART, set 115200 baud from the clock the part runs
 * on after reset (no PLL is started), 8 data bits, no parity, 1 stop bit,
 * enable the transmitter. RX is configured where it costs nothing, unused.
 */
#include "uart.h"

#include <stdint.h>

#include "regs.h"

#define UART_BAUD 115200U
#define UART_SPIN_MAX 100000U /* polls per byte before the byte is dropped */

#if defined(MMRT_UART_STM32F1_USART1) || defined(MMRT_UART_STM32F4_USART6)
#ifndef MMRT_UART_CLK_HZ
#error "MMRT_UART_CLK_HZ (the USART's bus clock) must come from the board fragment"
#endif
/* USARTDIV = f_ck / (16 * baud), as mantissa.fraction/16 in BRR (RM0041
 * 23.3.4, RM0090 30.3.4 with OVER8 = 0). Rounded to the nearest 1/16:
 * 8 MHz gives 4 + 5/16 (115942 baud, +0.6 %), 16 MHz 8 + 11/16 (+0.08 %). */
#define STM32_BRR ((MMRT_UART_CLK_HZ + UART_BAUD / 2U) / UART_BAUD)
#endif

#if defined(MMRT_UART_STM32F1_USART1)
/* STM32F100: USART1 on APB2, TX PA9 (alternate function push-pull), RX PA10
 * (floating input, its reset state). No remap: AFIO is not needed. */
#define USART STM32F1_USART1_BASE
static void pins_and_clock(void) {
    STM32F1_RCC_APB2ENR |= STM32F1_RCC_APB2ENR_IOPAEN | STM32F1_RCC_APB2ENR_USART1EN;
    (void)STM32F1_RCC_APB2ENR; /* RM0041 6.3.7: the clock runs after one read-back */
    uint32_t crh = STM32F1_GPIOA_CRH & ~(STM32F1_CRH_MASK(9U) | STM32F1_CRH_MASK(10U));
    STM32F1_GPIOA_CRH = crh | (STM32F1_CRH_AF_PP_2MHZ << STM32F1_CRH_SHIFT(9U)) |
                        (STM32F1_CRH_IN_FLOAT << STM32F1_CRH_SHIFT(10U));
}
#elif defined(MMRT_UART_STM32F4_USART6)
/* STM32F405: USART6 on APB2, TX PC6 and RX PC7 in alternate function 8. */
#define USART STM32F4_USART6_BASE
static void pins_and_clock(void) {
    STM32F4_RCC_AHB1ENR |= STM32F4_RCC_AHB1ENR_GPIOCEN;
    STM32F4_RCC_APB2ENR |= STM32F4_RCC_APB2ENR_USART6EN;
    (void)STM32F4_RCC_APB2ENR; /* RM0090 7.3: wait the clock in before the first access */
    STM32F4_GPIOC_AFRL = (STM32F4_GPIOC_AFRL & ~(STM32F4_AFRL_MASK(6U) | STM32F4_AFRL_MASK(7U))) |
                         STM32F4_AFRL_AF(6U, STM32F4_AF8_USART6) |
                         STM32F4_AFRL_AF(7U, STM32F4_AF8_USART6);
    STM32F4_GPIOC_MODER = (STM32F4_GPIOC_MODER & ~(STM32F4_MODER_MASK(6U) | STM32F4_MODER_MASK(7U))) |
                          STM32F4_MODER_AF(6U) | STM32F4_MODER_AF(7U);
}
#endif

#ifdef USART
bool uart_present(void) { return true; }

void uart_init(void) {
    pins_and_clock();
    STM32_USART_CR1(USART) = 0; /* UE = 0 while the format is set */
    STM32_USART_CR2(USART) = STM32_USART_CR2_STOP_1;
    STM32_USART_CR3(USART) = 0; /* no flow control, no DMA */
    STM32_USART_BRR(USART) = STM32_BRR;
    STM32_USART_CR1(USART) = STM32_USART_CR1_UE | STM32_USART_CR1_TE | STM32_USART_CR1_RE;
}

static void put(uint8_t c) {
    for (uint32_t i = 0; i < UART_SPIN_MAX && (STM32_USART_SR(USART) & STM32_USART_SR_TXE) == 0U; i++) {
    }
    STM32_USART_DR(USART) = c;
}

static void drain(void) {
    for (uint32_t i = 0; i < UART_SPIN_MAX && (STM32_USART_SR(USART) & STM32_USART_SR_TC) == 0U; i++) {
    }
}

#elif defined(MMRT_UART_NRF51)
/* nRF51822 on the BBC micro:bit v1: UART0 TX on P0.24, RX on P0.25, the
 * pins the board's interface chip bridges to its USB serial port. The UART
 * clocks itself from HFCLK; the TX pin is an output driven high (idle)
 * before the UART takes it (RM 29.2). */
#define MICROBIT_PIN_TX 24U
#define MICROBIT_PIN_RX 25U
bool uart_present(void) { return true; }

void uart_init(void) {
    NRF51_GPIO_OUTSET = 1UL << MICROBIT_PIN_TX;
    NRF51_GPIO_DIRSET = 1UL << MICROBIT_PIN_TX;
    NRF51_UART_PSELRTS = NRF51_UART_PSEL_NONE;
    NRF51_UART_PSELCTS = NRF51_UART_PSEL_NONE;
    NRF51_UART_PSELTXD = MICROBIT_PIN_TX;
    NRF51_UART_PSELRXD = MICROBIT_PIN_RX;
    NRF51_UART_BAUDRATE = NRF51_UART_BAUD115200;
    NRF51_UART_CONFIG = 0;
    NRF51_UART_ENABLE = NRF51_UART_ENABLE_ON;
    NRF51_UART_STARTTX = NRF51_TASK_TRIGGER;
    NRF51_UART_STARTRX = NRF51_TASK_TRIGGER;
}

/* One byte: write TXD, wait for EVENTS_TXDRDY, clear it. */
static void put(uint8_t c) {
    NRF51_UART_TXDRDY = 0;
    NRF51_UART_TXD = c;
    for (uint32_t i = 0; i < UART_SPIN_MAX && NRF51_UART_TXDRDY == 0U; i++) {
    }
}

static void drain(void) {}

#elif defined(MMRT_UART_CMSDK)
/* MPS2 (AN385/AN386/AN500): CMSDK APB UART0; the FPGA image routes its pins
 * to the board's USB serial bridge, no pin set-up. BAUDDIV = PCLK / baud. */
#ifndef MMRT_UART_CLK_HZ
#error "MMRT_UART_CLK_HZ (the APB clock) must come from the board fragment"
#endif
bool uart_present(void) { return true; }

void uart_init(void) {
    CMSDK_UART_BAUDDIV = (MMRT_UART_CLK_HZ + UART_BAUD / 2U) / UART_BAUD;
    CMSDK_UART_CTRL = CMSDK_UART_CTRL_TXEN;
}

static void put(uint8_t c) {
    for (uint32_t i = 0; i < UART_SPIN_MAX && (CMSDK_UART_STATE & CMSDK_UART_STATE_TXFULL) != 0U; i++) {
    }
    CMSDK_UART_DATA = c;
}

static void drain(void) {}

#elif defined(MMRT_UART_LM3S)
/* LM3S6965: UART0, U0RX PA0 and U0TX PA1 (their alternate function), the
 * EK-LM3S6965's USB serial bridge. Divisor = clock / (16 * baud) as a
 * 16-bit integer part and a 6-bit fraction (data sheet 12.3.2). */
#ifndef MMRT_UART_CLK_HZ
#error "MMRT_UART_CLK_HZ (the system clock) must come from the board fragment"
#endif
#define LM3S_DIV64 ((MMRT_UART_CLK_HZ * 4U + UART_BAUD / 2U) / UART_BAUD) /* clock*64/(16*baud) */
bool uart_present(void) { return true; }

void uart_init(void) {
    LM3S_SYSCTL_RCGC1 |= LM3S_RCGC1_UART0;
    LM3S_SYSCTL_RCGC2 |= LM3S_RCGC2_GPIOA;
    (void)LM3S_SYSCTL_RCGC2; /* a few clocks before the port answers */
    LM3S_GPIOA_AFSEL |= LM3S_PA0_U0RX_PA1_U0TX;
    LM3S_GPIOA_DEN |= LM3S_PA0_U0RX_PA1_U0TX;
    LM3S_UART_CTL = 0;
    LM3S_UART_IBRD = LM3S_DIV64 / 64U;
    LM3S_UART_FBRD = LM3S_DIV64 % 64U;
    LM3S_UART_LCRH = LM3S_UART_LCRH_WLEN8 | LM3S_UART_LCRH_FEN; /* latches IBRD/FBRD */
    LM3S_UART_CTL = LM3S_UART_CTL_UARTEN | LM3S_UART_CTL_TXE | LM3S_UART_CTL_RXE;
}

static void put(uint8_t c) {
    for (uint32_t i = 0; i < UART_SPIN_MAX && (LM3S_UART_FR & LM3S_UART_FR_TXFF) != 0U; i++) {
    }
    LM3S_UART_DR = c;
}

static void drain(void) {}

#else
bool uart_present(void) { return false; }
void uart_init(void) {}
static void put(uint8_t c) { (void)c; }
static void drain(void) {}
#endif

void uart_write(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            put('\r');
        }
        put((uint8_t)s[i]);
    }
    drain();
}
