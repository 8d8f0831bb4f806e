/*
 * regs.h - every memory-mapped register the firmware touches, named once.
 *
 * System Control Space of ARMv6-M / ARMv7-M (ARM DDI 0403, B3.2), plus the
 * one board register QEMU needs (Stellaris SYSCTL RCC).
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

#endif /* MMRT_REGS_H */
