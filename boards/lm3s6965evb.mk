# QEMU reads unmapped addresses on this board as zero: no bus errors.
# lm3s6965evb: Cortex-M3, 64 KiB RAM (default board). QEMU clocks SysTick at 12.5 MHz once SYSCTL RCC is written.
QEMU_MACHINE := lm3s6965evb
QEMU_SERIAL_INDEX := 0
FLASH_BASE := 0x00000000
FLASH_BOARD_CFG := board/ek-lm3s6965.cfg
BOARD_CFLAGS := -mcpu=cortex-m3 -mthumb
BOARD_DEFS   := -DMMRT_BOARD=\"lm3s6965evb\" -DMMRT_SYSTICK_HZ=12500000U -DMMRT_LM3S_RCC=1 -DMMRT_NO_BUS_ERRORS=1 \
               -DMMRT_UART_LM3S=1 -DMMRT_UART_CLK_HZ=12500000U -DMM_CFG_TRACE_MAX=256
# The trace table (diag/mm_trace.h): 256 entries of 16 B.
