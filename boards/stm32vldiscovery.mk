# stm32vldiscovery: STM32VLDISCOVERY, STM32F100RB (Cortex-M3), 128 KiB flash, 8 KiB SRAM: the smallest board.
# The F100 has no MPU (QEMU models one; it is not used here): the stack guard is a canary, as on microbit.
# The collector's young table is cut to 64 entries (2.5 KiB less RAM), pages are 256 B (20 pages, not 10). No mid-size
# areas (MM_CFG_MID_MAX=0): their index would cost the heap state a 256 B page of the 16, and with 256 B pages a
# large block wastes at most 255 B. QEMU clocks the core at 24 MHz;
# silicon runs from the 8 MHz HSI after reset.
# UART console: USART1, TX PA9 / RX PA10, 115200 8N1 from the 8 MHz APB2 clock (QEMU's first serial port).
QEMU_MACHINE := stm32vldiscovery
QEMU_SERIAL_INDEX := 0
FLASH_BASE := 0x08000000
# openocd's own script for this board: its on-board ST-LINK (V1) and the STM32F1.
FLASH_BOARD_CFG := board/stm32vldiscovery.cfg
BOARD_CFLAGS := -mcpu=cortex-m3 -mthumb
BOARD_DEFS   := -DMMRT_BOARD=\"stm32vldiscovery\" -DMMRT_SYSTICK_HZ=24000000U -DMMRT_UART_STM32F1_USART1=1 \
                -DMMRT_UART_CLK_HZ=8000000U -DMMRT_NO_MPU=1 -DMM_CFG_GC_YOUNG_MAX=64 -DMM_CFG_PAGE_SIZE=256 \
                -DMMRT_NO_DIAG_DEMOS=1 -DMM_CFG_MID_MAX=0
# 8 KiB leave no room for the diagnostics' static tables beside the other
# demos: tracing is compiled out (TRACE=0) and demos 7 and 8 say they skip.
TRACE ?= 0
