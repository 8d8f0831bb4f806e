# mps2-an500: Cortex-M7, 4 MiB RAM (soft-float ABI).
QEMU_MACHINE := mps2-an500
BOARD_CFLAGS := -mcpu=cortex-m7 -mthumb -mfloat-abi=soft
BOARD_DEFS   := -DMMRT_BOARD=\"mps2-an500\" -DMMRT_SYSTICK_HZ=25000000U 
