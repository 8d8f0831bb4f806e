# microbit: Cortex-M0 (ARMv6-M), 16 KiB RAM: the smallest board. No MPU: the stack guard is a canary.
# The collector's young table is cut to 128 entries (1.4 KiB less RAM).
QEMU_MACHINE := microbit
BOARD_CFLAGS := -mcpu=cortex-m0 -mthumb
BOARD_DEFS   := -DMMRT_BOARD=\"microbit\" -DMMRT_SYSTICK_HZ=16000000U -DMM_CFG_GC_YOUNG_MAX=128
