# mps2-an386: Cortex-M4, 4 MiB RAM (soft-float ABI).
QEMU_MACHINE := mps2-an386
BOARD_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
BOARD_DEFS   := -DMMRT_BOARD=\"mps2-an386\" -DMMRT_SYSTICK_HZ=25000000U 
