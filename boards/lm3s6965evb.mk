# QEMU reads unmapped addresses on this board as zero: no bus errors.
# lm3s6965evb: Cortex-M3, 64 KiB RAM (default board). QEMU clocks SysTick at 12.5 MHz once SYSCTL RCC is written.
QEMU_MACHINE := lm3s6965evb
BOARD_CFLAGS := -mcpu=cortex-m3 -mthumb
BOARD_DEFS   := -DMMRT_BOARD=\"lm3s6965evb\" -DMMRT_SYSTICK_HZ=12500000U -DMMRT_LM3S_RCC=1 -DMMRT_NO_BUS_ERRORS=1
