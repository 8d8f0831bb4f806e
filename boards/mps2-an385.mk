# mps2-an385: Cortex-M3, 4 MiB RAM: benchmarks and large runs.
QEMU_MACHINE := mps2-an385
BOARD_CFLAGS := -mcpu=cortex-m3 -mthumb
BOARD_DEFS   := -DMMRT_BOARD=\"mps2-an385\" -DMMRT_SYSTICK_HZ=25000000U 
