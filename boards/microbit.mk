# microbit: BBC micro:bit v1, nRF51822 (Cortex-M0, ARMv6-M), 256 KiB flash, 16 KiB RAM. No MPU: the stack guard is a canary.
# The collector's young table is cut to 128 entries (1.4 KiB less RAM). No mid-size areas (MM_CFG_MID_MAX=0):
# on a heap of about 20 pages, areas beside pools and large blocks cut the page space into runs too short for a
# 100-key dict's table (tests/target/test_obj.c obj_dict_and_str failed with them); requests above the pools are
# whole pages, as on the 8 KiB board.
QEMU_MACHINE := microbit
QEMU_SERIAL_INDEX := 0
FLASH_BASE := 0x00000000
FLASH_TARGET := nrf51
FLASH_INTERFACE := cmsis-dap
BOARD_CFLAGS := -mcpu=cortex-m0 -mthumb
BOARD_DEFS   := -DMMRT_BOARD=\"microbit\" -DMMRT_SYSTICK_HZ=16000000U -DMM_CFG_GC_YOUNG_MAX=128 -DMMRT_UART_NRF51=1 -DMM_CFG_TRACE_MAX=64 \
                -DMM_CFG_MID_MAX=0
# The trace table (diag/mm_trace.h): 64 entries of 16 B.
