# mmrt - build, run, test, bench, size, debug.
#
#   make run   [BOARD=...] [DEMO=...]   build the demo firmware, run it in QEMU
#   make test                           everything CI runs (installs what is missing)
#   make bench                          allocator benchmarks under -icount (mps2-an385)
#   make size                           flash and RAM per board and per module
#   make debug [BOARD=...]              QEMU halted with its gdb stub, and gdb-multiarch
#   make clean
#
# A board is one fragment, boards/<board>.mk, plus linker/<board>.ld.

BOARD ?= lm3s6965evb
BOARDS := lm3s6965evb microbit mps2-an385 mps2-an386 mps2-an500
DEMO ?=
TIMEOUT ?= 120

ifeq ($(wildcard boards/$(BOARD).mk),)
$(error unknown BOARD '$(BOARD)': one of $(BOARDS))
endif
include boards/$(BOARD).mk

CROSS ?= arm-none-eabi-
CC := $(CROSS)gcc
SIZE := $(CROSS)size
NM := $(CROSS)nm
OBJDUMP := $(CROSS)objdump

WARN := -Wall -Wextra -Werror -Wconversion -Wsign-conversion -Wshadow \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
OPT ?= -O2
ARM_CFLAGS := $(BOARD_CFLAGS) $(BOARD_DEFS) -std=c11 $(OPT) -g3 -ffunction-sections \
        -fdata-sections -fno-common -ffreestanding $(WARN) -Imm -Ikernel -Idemos \
        -Itests/target -Itests/bench $(EXTRA_CFLAGS)
ARM_LDFLAGS := $(BOARD_CFLAGS) -nostartfiles -Llinker -T linker/$(BOARD).ld \
        -Wl,--gc-sections -Wl,--fatal-warnings

B ?= build/$(BOARD)
MM_SRC := $(sort $(wildcard mm/*.c))
BOOT_SRC := $(wildcard boot/*.c) boot/fault_entry.S
KERNEL_SRC := kernel/kernel.c kernel/counter.c kernel/semihost.c
DEMO_SRC := kernel/runner.c $(sort $(wildcard demos/*.c))
TT_SRC := $(sort $(wildcard tests/target/*.c))

obj = $(patsubst %,$(B)/%.o,$(1))
FW_OBJ := $(call obj,$(BOOT_SRC) $(KERNEL_SRC) $(MM_SRC))

.PHONY: all run test bench size debug clean deps deps-run firmware tests-fw \
        host-test target-test fuzz lint check-nomalloc

all: firmware

$(B)/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ARM_CFLAGS) -MMD -MP -c $< -o $@

$(B)/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(BOARD_CFLAGS) -c $< -o $@

$(B)/mmrt.elf: $(FW_OBJ) $(call obj,$(DEMO_SRC)) linker/$(BOARD).ld linker/cortex-m.ld
	$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/mmrt.map $(filter %.o,$^) -o $@
	@$(SIZE) $@

$(B)/tests.elf: $(FW_OBJ) $(call obj,$(TT_SRC)) linker/$(BOARD).ld linker/cortex-m.ld
	$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/tests.map $(filter %.o,$^) -o $@

# The bench firmware is the one ELF that links newlib's malloc, on purpose:
# it is the yardstick. Built twice, against the full newlib and newlib-nano.
$(B)/bench/newlib.o $(B)/bench/newlib-nano.o: $(B)/bench/%.o: tests/bench/bench_main.c
	@mkdir -p $(dir $@)
	$(CC) $(ARM_CFLAGS) -DBENCH_NEWLIB='"$*"' -MMD -MP -c $< -o $@

BENCH_SRC := $(filter-out tests/bench/bench_main.c,$(sort $(wildcard tests/bench/*.c)))

$(B)/bench-newlib.elf: $(FW_OBJ) $(B)/bench/newlib.o $(call obj,$(BENCH_SRC))
	$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/bench-newlib.map $^ -o $@

$(B)/bench-newlib-nano.elf: $(FW_OBJ) $(B)/bench/newlib-nano.o $(call obj,$(BENCH_SRC))
	$(CC) $(ARM_LDFLAGS) --specs=nano.specs -Wl,-Map=$(B)/bench-newlib-nano.map $^ -o $@

firmware: deps-run $(B)/mmrt.elf
tests-fw: deps-run $(B)/tests.elf

run: firmware
	QEMU_TIMEOUT=$(TIMEOUT) tools/qemu.sh $(BOARD) $(B)/mmrt.elf "$(DEMO)"

debug: firmware
	@echo "QEMU waits for gdb on :1234; quit gdb to end the session."
	QEMU_TIMEOUT=0 tools/qemu.sh $(BOARD) $(B)/mmrt.elf "$(DEMO)" -S -gdb tcp::1234 & \
	  gdb-multiarch -q -ex "target remote :1234" -ex "break main" $(B)/mmrt.elf; \
	  kill %1 2>/dev/null || true

# ---- dependencies: installs what is missing (as root), else says how ----
deps-run:
	@tools/deps.sh run
deps:
	@tools/deps.sh test

# ---- tests ----
test: deps
	@tools/test.sh

host-test: deps
	@tools/test.sh host

target-test: deps
	@tools/test.sh target

fuzz: deps
	@tools/test.sh fuzz

lint:
	@tools/test.sh lint

check-nomalloc:
	@tools/test.sh nomalloc

bench: deps
	@tools/bench.sh

size: deps-run
	@tools/size.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
