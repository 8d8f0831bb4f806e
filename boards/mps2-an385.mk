# mps2-an385: Cortex-M3, 4 MiB RAM: benchmarks and large runs.
QEMU_MACHINE := mps2-an385
QEMU_SERIAL_INDEX := 0
FLASH_BASE := 0x00000000
# An FPGA prototyping board: images load from its SD card, there is no make flash.
BOARD_CFLAGS := -mcpu=cortex-m3 -mthumb
BOARD_DEFS   := -DMMRT_BOARD=\"mps2-an385\" -DMMRT_SYSTICK_HZ=25000000U -DMMRT_UART_CMSDK=1 -DMMRT_UART_CLK_HZ=25000000U -DMM_CFG_TRACE_MAX=65536
# The trace table (diag/mm_trace.h): 65536 entries of 16 B (1 MiB): the
# article's range(10000) fits (three traces per i).
