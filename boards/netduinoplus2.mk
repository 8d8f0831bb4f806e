# netduinoplus2: Netduino Plus 2, STM32F405RG (Cortex-M4F), 1 MiB flash, 128 KiB SRAM (+64 KiB CCM, unused).
# Soft-float ABI. QEMU clocks the core (and SysTick) at 168 MHz; silicon runs from the 16 MHz HSI after reset.
# UART console: USART6, TX PC6 / RX PC7 (AF8), 115200 8N1 from the 16 MHz APB2 clock. QEMU wires
# -serial in USART order (USART1, 2, 3, UART4, 5, USART6), so USART6 is its sixth serial port.
QEMU_MACHINE := netduinoplus2
QEMU_SERIAL_INDEX := 5
FLASH_BASE := 0x08000000
FLASH_TARGET := stm32f4x
FLASH_INTERFACE := stlink
BOARD_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
BOARD_DEFS   := -DMMRT_BOARD=\"netduinoplus2\" -DMMRT_SYSTICK_HZ=168000000U -DMMRT_UART_STM32F4_USART6=1 \
                -DMMRT_UART_CLK_HZ=16000000U -DMM_CFG_TRACE_MAX=512
# The trace table (diag/mm_trace.h): 512 entries of 16 B.
