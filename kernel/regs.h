/*
 * regs.h - every memory-mapped register the firmware touches, named once.
 *
 * System Control Space of ARMv6-M / ARMv7-M (ARM DDI 0403, B3.2, C1.6), the
 * DWT cycle counter, and each board's UART, its clock gate and its pins, from
 * the part's reference manual (named at each block). Offsets are written as
 * base + offset so each can be checked against the manual's register map.
 */
#ifndef MMRT_REGS_H
#define MMRT_REGS_H

#include <stdint.h>

#define MMRT_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* SysTick (B3.3) */
#define SYST_CSR   MMRT_REG32(0xE000E010UL) /* control and status */
#define SYST_RVR   MMRT_REG32(0xE000E014UL) /* reload value */
#define SYST_CVR   MMRT_REG32(0xE000E018UL) /* current value */
#define SYST_CSR_ENABLE    (1UL << 0)
#define SYST_CSR_TICKINT   (1UL << 1)
#define SYST_CSR_CLKSOURCE (1UL << 2)        /* 1: processor clock */
#define SYST_RELOAD_MAX    0x00FFFFFFUL      /* 24-bit counter */

/* NVIC (B3.4): external interrupts 0..31 */
#define NVIC_ISER0 MMRT_REG32(0xE000E100UL) /* write 1: enable */
#define NVIC_ICER0 MMRT_REG32(0xE000E180UL) /* write 1: disable */
#define NVIC_ICPR0 MMRT_REG32(0xE000E280UL) /* write 1: clear pending */
#define NVIC_BIT(irq) (1UL << (irq))

/* System Control Block (B3.2.2) */
#define SCB_ICSR   MMRT_REG32(0xE000ED04UL) /* interrupt control and state */
#define SCB_CCR    MMRT_REG32(0xE000ED14UL) /* configuration and control */
#define SCB_SHCSR  MMRT_REG32(0xE000ED24UL) /* system handler control (v7-M) */
#define SCB_CFSR   MMRT_REG32(0xE000ED28UL) /* configurable fault status (v7-M) */
#define SCB_HFSR   MMRT_REG32(0xE000ED2CUL) /* HardFault status (v7-M) */
#define SCB_MMFAR  MMRT_REG32(0xE000ED34UL) /* MemManage fault address (v7-M) */
#define SCB_BFAR   MMRT_REG32(0xE000ED38UL) /* BusFault address (v7-M) */
#define SCB_ICSR_PENDSTSET   (1UL << 26)
#define SCB_CCR_DIV_0_TRP    (1UL << 4)
#define SCB_SHCSR_MEMFAULTENA (1UL << 16)
#define SCB_SHCSR_BUSFAULTENA (1UL << 17)
#define SCB_SHCSR_USGFAULTENA (1UL << 18)

/* CFSR bits: MemManage [7:0], BusFault [15:8], UsageFault [31:16] */
#define CFSR_IACCVIOL   (1UL << 0)
#define CFSR_DACCVIOL   (1UL << 1)
#define CFSR_MUNSTKERR  (1UL << 3)
#define CFSR_MSTKERR    (1UL << 4)
#define CFSR_MMARVALID  (1UL << 7)
#define CFSR_IBUSERR    (1UL << 8)
#define CFSR_PRECISERR  (1UL << 9)
#define CFSR_IMPRECISERR (1UL << 10)
#define CFSR_UNSTKERR   (1UL << 11)
#define CFSR_STKERR     (1UL << 12)
#define CFSR_BFARVALID  (1UL << 15)
#define CFSR_UNDEFINSTR (1UL << 16)
#define CFSR_INVSTATE   (1UL << 17)
#define CFSR_INVPC      (1UL << 18)
#define CFSR_NOCP       (1UL << 19)
#define CFSR_UNALIGNED  (1UL << 24)
#define CFSR_DIVBYZERO  (1UL << 25)
#define HFSR_VECTTBL    (1UL << 1)
#define HFSR_FORCED     (1UL << 30)

/* MPU, PMSAv7 (B3.5) */
#define MPU_TYPE   MMRT_REG32(0xE000ED90UL)
#define MPU_CTRL   MMRT_REG32(0xE000ED94UL)
#define MPU_RNR    MMRT_REG32(0xE000ED98UL)
#define MPU_RBAR   MMRT_REG32(0xE000ED9CUL)
#define MPU_RASR   MMRT_REG32(0xE000EDA0UL)
#define MPU_TYPE_DREGION(t)  (((t) >> 8) & 0xFFUL)
#define MPU_CTRL_ENABLE      (1UL << 0)
#define MPU_CTRL_PRIVDEFENA  (1UL << 2)
#define MPU_RASR_ENABLE      (1UL << 0)
#define MPU_RASR_SIZE(log2)  ((uint32_t)((log2) - 1U) << 1) /* region = 2^(SIZE+1) */
#define MPU_RASR_AP_NONE     (0UL << 24)
#define MPU_RASR_XN          (1UL << 28)

/* CPUID: PARTNO tells the core (Cortex-M0 0xC20, M3 0xC23, M4 0xC24, M7 0xC27) */
#define SCB_CPUID  MMRT_REG32(0xE000ED00UL)
#define CPUID_PARTNO(c) (((c) >> 4) & 0xFFFUL)

/* Stellaris LM3S6965 System Control: Run-mode Clock Configuration. QEMU only
 * derives the system clock (and so clocks SysTick) once RCC is written. */
#define LM3S_SYSCTL_RCC MMRT_REG32(0x400FE060UL)

/* Debug Halting Control and Status (C1.6.2). Software reads C_DEBUGEN on
 * ARMv7-M; on ARMv6-M software access is implementation defined, so the
 * firmware does not read it there. */
#define DCB_DHCSR  MMRT_REG32(0xE000EDF0UL)
#define DCB_DEMCR  MMRT_REG32(0xE000EDFCUL) /* debug exception and monitor control */
#define DHCSR_C_DEBUGEN (1UL << 0)         /* halting debug enabled: a debugger is attached */
#define DEMCR_TRCENA    (1UL << 24)        /* powers the DWT and ITM */
#define HFSR_DEBUGEVT   (1UL << 31)        /* a debug event (BKPT) escalated to HardFault */

/* Data Watchpoint and Trace unit (C1.8), ARMv7-M only */
#define DWT_CTRL   MMRT_REG32(0xE0001000UL)
#define DWT_CYCCNT MMRT_REG32(0xE0001004UL) /* 32-bit core clock cycle counter */
#define DWT_LAR    MMRT_REG32(0xE0001FB0UL) /* lock access (Cortex-M7): write the key to unlock */
#define DWT_CTRL_CYCCNTENA (1UL << 0)
#define DWT_CTRL_NOCYCCNT  (1UL << 25)      /* 1: no cycle counter implemented */
#define DWT_LAR_KEY        0xC5ACCE55UL

/* ---- STM32F100 (RM0041: STM32F100xx reference manual) ---- */
#define STM32F1_RCC_BASE     0x40021000UL
#define STM32F1_RCC_APB2ENR  MMRT_REG32(STM32F1_RCC_BASE + 0x18UL) /* 6.3.7 */
#define STM32F1_RCC_APB2ENR_IOPAEN   (1UL << 2)
#define STM32F1_RCC_APB2ENR_USART1EN (1UL << 14)
#define STM32F1_GPIOA_BASE   0x40010800UL
#define STM32F1_GPIOA_CRH    MMRT_REG32(STM32F1_GPIOA_BASE + 0x04UL) /* 7.2.2: pins 8..15 */
/* CRH holds 4 bits per pin (CNF[1:0] MODE[1:0]) from pin 8 up */
#define STM32F1_CRH_SHIFT(pin)   (((pin) - 8U) * 4U)
#define STM32F1_CRH_MASK(pin)    (0xFUL << STM32F1_CRH_SHIFT(pin))
#define STM32F1_CRH_AF_PP_2MHZ   0xAUL /* CNF 10 alternate function push-pull, MODE 10 output 2 MHz */
#define STM32F1_CRH_IN_FLOAT     0x4UL /* CNF 01 floating input, MODE 00 (reset state) */
#define STM32F1_USART1_BASE  0x40013800UL

/* ---- STM32F405 (RM0090: STM32F405/415/407/417 reference manual) ---- */
#define STM32F4_RCC_BASE     0x40023800UL
#define STM32F4_RCC_AHB1ENR  MMRT_REG32(STM32F4_RCC_BASE + 0x30UL) /* 7.3.10 */
#define STM32F4_RCC_APB2ENR  MMRT_REG32(STM32F4_RCC_BASE + 0x44UL) /* 7.3.14 */
#define STM32F4_RCC_AHB1ENR_GPIOCEN  (1UL << 2)
#define STM32F4_RCC_APB2ENR_USART6EN (1UL << 5)
#define STM32F4_GPIOC_BASE   0x40020800UL
#define STM32F4_GPIOC_MODER  MMRT_REG32(STM32F4_GPIOC_BASE + 0x00UL) /* 8.4.1: 2 bits per pin */
#define STM32F4_GPIOC_AFRL   MMRT_REG32(STM32F4_GPIOC_BASE + 0x20UL) /* 8.4.9: 4 bits per pin 0..7 */
#define STM32F4_MODER_MASK(pin) (3UL << ((pin) * 2U))
#define STM32F4_MODER_AF(pin)   (2UL << ((pin) * 2U))
#define STM32F4_AFRL_MASK(pin)  (0xFUL << ((pin) * 4U))
#define STM32F4_AFRL_AF(pin, af) ((uint32_t)(af) << ((pin) * 4U))
#define STM32F4_AF8_USART6   8U
#define STM32F4_USART6_BASE  0x40011400UL

/* STM32 USART (RM0041 23.6, RM0090 30.6: the same layout on F1 and F4) */
#define STM32_USART_SR(b)    MMRT_REG32((b) + 0x00UL)
#define STM32_USART_DR(b)    MMRT_REG32((b) + 0x04UL)
#define STM32_USART_BRR(b)   MMRT_REG32((b) + 0x08UL)
#define STM32_USART_CR1(b)   MMRT_REG32((b) + 0x0CUL)
#define STM32_USART_CR2(b)   MMRT_REG32((b) + 0x10UL)
#define STM32_USART_CR3(b)   MMRT_REG32((b) + 0x14UL)
#define STM32_USART_SR_TC    (1UL << 6) /* transmission complete */
#define STM32_USART_SR_TXE   (1UL << 7) /* transmit data register empty */
#define STM32_USART_CR1_RE   (1UL << 2)
#define STM32_USART_CR1_TE   (1UL << 3)
#define STM32_USART_CR1_UE   (1UL << 13) /* M (bit 12) = 0: 8 data bits; PCE (bit 10) = 0: no parity */
#define STM32_USART_CR2_STOP_1 (0UL << 12) /* STOP[1:0] = 00: 1 stop bit */

/* ---- nRF51822 (nRF51 Series Reference Manual v3.0, ch. 14 GPIO, ch. 29 UART) ---- */
#define NRF51_GPIO_BASE      0x50000000UL
#define NRF51_GPIO_OUTSET    MMRT_REG32(NRF51_GPIO_BASE + 0x508UL)
#define NRF51_GPIO_DIRSET    MMRT_REG32(NRF51_GPIO_BASE + 0x518UL)
#define NRF51_UART0_BASE     0x40002000UL
#define NRF51_UART_STARTRX   MMRT_REG32(NRF51_UART0_BASE + 0x000UL)
#define NRF51_UART_STARTTX   MMRT_REG32(NRF51_UART0_BASE + 0x008UL)
#define NRF51_UART_TXDRDY    MMRT_REG32(NRF51_UART0_BASE + 0x11CUL) /* EVENTS_TXDRDY */
#define NRF51_UART_ENABLE    MMRT_REG32(NRF51_UART0_BASE + 0x500UL)
#define NRF51_UART_PSELRTS   MMRT_REG32(NRF51_UART0_BASE + 0x508UL)
#define NRF51_UART_PSELTXD   MMRT_REG32(NRF51_UART0_BASE + 0x50CUL)
#define NRF51_UART_PSELCTS   MMRT_REG32(NRF51_UART0_BASE + 0x510UL)
#define NRF51_UART_PSELRXD   MMRT_REG32(NRF51_UART0_BASE + 0x514UL)
#define NRF51_UART_TXD       MMRT_REG32(NRF51_UART0_BASE + 0x51CUL)
#define NRF51_UART_BAUDRATE  MMRT_REG32(NRF51_UART0_BASE + 0x524UL)
#define NRF51_UART_CONFIG    MMRT_REG32(NRF51_UART0_BASE + 0x56CUL) /* 0: no parity, no flow control */
#define NRF51_UART_ENABLE_ON   4UL
#define NRF51_UART_PSEL_NONE   0xFFFFFFFFUL /* pin not connected */
#define NRF51_UART_BAUD115200  0x01D7E000UL
#define NRF51_TASK_TRIGGER     1UL

/* ---- ARM CMSDK APB UART (ARM DDI 0479, 4.3), UART0 of the MPS2 boards ---- */
#define CMSDK_UART0_BASE     0x40004000UL
#define CMSDK_UART_DATA      MMRT_REG32(CMSDK_UART0_BASE + 0x00UL)
#define CMSDK_UART_STATE     MMRT_REG32(CMSDK_UART0_BASE + 0x04UL)
#define CMSDK_UART_CTRL      MMRT_REG32(CMSDK_UART0_BASE + 0x08UL)
#define CMSDK_UART_BAUDDIV   MMRT_REG32(CMSDK_UART0_BASE + 0x10UL) /* >= 16 */
#define CMSDK_UART_STATE_TXFULL (1UL << 0)
#define CMSDK_UART_CTRL_TXEN    (1UL << 0)

/* ---- ARM CMSDK APB timer (ARM DDI 0479, 4.2), TIMER0 of the MPS2 boards ----
 * A 32-bit down counter on the peripheral clock (25 MHz on the MPS2
 * boards); at zero it reloads from RELOAD and, with IRQEN, raises its
 * interrupt until INTCLEAR is written. TIMER0 is IRQ 8 on AN385. */
#define CMSDK_TIMER0_BASE    0x40000000UL
#define CMSDK_TIMER0_IRQ     8U
#define CMSDK_TIMER_CTRL     MMRT_REG32(CMSDK_TIMER0_BASE + 0x00UL)
#define CMSDK_TIMER_VALUE    MMRT_REG32(CMSDK_TIMER0_BASE + 0x04UL)
#define CMSDK_TIMER_RELOAD   MMRT_REG32(CMSDK_TIMER0_BASE + 0x08UL)
#define CMSDK_TIMER_INTCLEAR MMRT_REG32(CMSDK_TIMER0_BASE + 0x0CUL) /* reads INTSTATUS */
#define CMSDK_TIMER_CTRL_EN    (1UL << 0)
#define CMSDK_TIMER_CTRL_IRQEN (1UL << 3)

/* ---- Stellaris LM3S6965 (data sheet DS-LM3S6965: 6 System Control, 8 GPIO, 12 UART) ---- */
#define LM3S_SYSCTL_RCGC1    MMRT_REG32(0x400FE104UL)
#define LM3S_SYSCTL_RCGC2    MMRT_REG32(0x400FE108UL)
#define LM3S_RCGC1_UART0     (1UL << 0)
#define LM3S_RCGC2_GPIOA     (1UL << 0)
#define LM3S_GPIOA_BASE      0x40004000UL
#define LM3S_GPIOA_AFSEL     MMRT_REG32(LM3S_GPIOA_BASE + 0x420UL)
#define LM3S_GPIOA_DEN       MMRT_REG32(LM3S_GPIOA_BASE + 0x51CUL)
#define LM3S_UART0_BASE      0x4000C000UL
#define LM3S_UART_DR         MMRT_REG32(LM3S_UART0_BASE + 0x000UL)
#define LM3S_UART_FR         MMRT_REG32(LM3S_UART0_BASE + 0x018UL)
#define LM3S_UART_IBRD       MMRT_REG32(LM3S_UART0_BASE + 0x024UL)
#define LM3S_UART_FBRD       MMRT_REG32(LM3S_UART0_BASE + 0x028UL)
#define LM3S_UART_LCRH       MMRT_REG32(LM3S_UART0_BASE + 0x02CUL)
#define LM3S_UART_CTL        MMRT_REG32(LM3S_UART0_BASE + 0x030UL)
#define LM3S_UART_FR_TXFF    (1UL << 5)      /* transmit FIFO full */
#define LM3S_UART_LCRH_WLEN8 (3UL << 5)      /* 8 data bits; no parity, 1 stop bit */
#define LM3S_UART_LCRH_FEN   (1UL << 4)
#define LM3S_UART_CTL_UARTEN (1UL << 0)
#define LM3S_UART_CTL_TXE    (1UL << 8)
#define LM3S_UART_CTL_RXE    (1UL << 9)
#define LM3S_PA0_U0RX_PA1_U0TX 0x3UL         /* pins 0 and 1 of port A */

#endif /* MMRT_REGS_H */
