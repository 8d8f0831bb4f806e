# mmrt - build, run, test, bench, size, debug.
#
#   make run   [BOARD=...] [DEMO=...]   build the demo firmware, run it in QEMU
#   make test                           everything CI runs (installs what is missing)
#   make bench [TLSF_DIR=...]           allocator benchmarks under -icount (mps2-an385), and
#                                       TLSF from a checkout of github.com/mattconte/tlsf
#   make bench-lock                     only the longest interrupt-masked stretch (MM_CFG_LOCK=1)
#   make size                           flash and RAM per board and per module
#   make plot  [BOARD=...]              demos 7 and 8, then their PNGs in build/ (mprof, heap map)
#   make debug [BOARD=...]              QEMU halted with its gdb stub, and gdb-multiarch
#   make flash [BOARD=...]              write mmrt.hex/.bin, flash a real board with openocd
#   make help                           targets, variables and a few gdb commands
#   make clean
#
# The build is quiet: one summary line per image. V=1 shows every command.
#
# A board is one fragment, boards/<board>.mk, plus linker/<board>.ld.

BOARD ?= lm3s6965evb
BOARDS := lm3s6965evb microbit mps2-an385 mps2-an386 mps2-an500 netduinoplus2 stm32vldiscovery
DEMO ?=
TIMEOUT ?= 120
# Console (kernel/console.h): auto = semihosting while a debugger or QEMU
# serves it, else the board's UART; uart or semihost force one.
CONSOLE ?= auto
ifeq ($(filter $(CONSOLE),auto uart semihost),)
$(error unknown CONSOLE '$(CONSOLE)': one of auto uart semihost)
endif
CONSOLE_DEFS := $(if $(filter uart,$(CONSOLE)),-DMMRT_CONSOLE_UART=1)$(if $(filter semihost,$(CONSOLE)),-DMMRT_CONSOLE_SEMIHOST=1)

ifeq ($(wildcard boards/$(BOARD).mk),)
$(error unknown BOARD '$(BOARD)': one of $(BOARDS))
endif
include boards/$(BOARD).mk

CROSS ?= arm-none-eabi-
CC := $(CROSS)gcc
SIZE := $(CROSS)size
NM := $(CROSS)nm
OBJDUMP := $(CROSS)objdump
OBJCOPY := $(CROSS)objcopy

WARN := -Wall -Wextra -Werror -Wconversion -Wsign-conversion -Wshadow \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
OPT ?= -O2
# TRACE=1 compiles the diagnostics' allocation hook in (MM_CFG_TRACE: one
# branch per allocator fast path while no tracer runs); make bench builds
# its reference figures with TRACE=0.
TRACE ?= 1
ARM_CFLAGS := $(BOARD_CFLAGS) $(BOARD_DEFS) -DMM_CFG_TRACE=$(TRACE) -std=c11 $(OPT) -g3 -ffunction-sections \
        -fdata-sections -fno-common -ffreestanding $(WARN) -Imm -Ikernel -Idemos \
        -Itests/target -Itests/bench $(CONSOLE_DEFS) $(EXTRA_CFLAGS)
ARM_LDFLAGS := $(BOARD_CFLAGS) -nostartfiles -Llinker -T linker/$(BOARD).ld \
        -Wl,--gc-sections -Wl,--fatal-warnings

# V=1 prints every command; by default only results are printed.
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

B ?= build/$(BOARD)$(if $(filter-out auto,$(CONSOLE)),-$(CONSOLE))
# mm/ is one folder per layer, found by folder: a new file in a layer is
# built without touching this list.
MM_LAYERS := fmt heap obj types gc diag
MM_SRC := $(sort $(foreach l,$(MM_LAYERS),$(wildcard mm/$(l)/*.c)))
BOOT_SRC := $(wildcard boot/*.c) boot/fault_entry.S
KERNEL_SRC := kernel/kernel.c kernel/counter.c kernel/semihost.c kernel/console.c kernel/uart.c
DEMO_SRC := kernel/runner.c $(sort $(wildcard demos/*.c))
TT_SRC := $(sort $(wildcard tests/target/*.c))
ISR_SRC := $(sort $(wildcard tests/isr/*.c))

obj = $(patsubst %,$(B)/%.o,$(1))
FW_OBJ := $(call obj,$(BOOT_SRC) $(KERNEL_SRC) $(MM_SRC))

.PHONY: all run test bench bench-lock size debug flash images clean deps deps-run deps-flash deps-plot plot \
        firmware tests-fw \
        host-test target-test fuzz lint check-nomalloc help print-mm-src print-mm-layers

all: firmware

$(B)/%.c.o: %.c boards/$(BOARD).mk
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ARM_CFLAGS) -MMD -MP -c $< -o $@

$(B)/%.S.o: %.S boards/$(BOARD).mk
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BOARD_CFLAGS) -c $< -o $@

$(B)/mmrt.elf: $(FW_OBJ) $(call obj,$(DEMO_SRC)) linker/$(BOARD).ld linker/cortex-m.ld
	$(Q)$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/mmrt.map $(filter %.o,$^) -o $@
	@$(SIZE) $@ | awk 'NR == 2 { printf "built %s: flash %d B, static RAM %d B\n", $$6, $$1 + $$2, $$2 + $$3 }'

$(B)/tests.elf: $(FW_OBJ) $(call obj,$(TT_SRC)) linker/$(BOARD).ld linker/cortex-m.ld
	$(Q)$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/tests.map $(filter %.o,$^) -o $@

# The interrupt test firmware (tools/test.sh isr): built with
# EXTRA_CFLAGS=-DMM_CFG_LOCK=1 in a build directory of its own.
$(B)/isr.elf: $(FW_OBJ) $(call obj,$(ISR_SRC)) linker/$(BOARD).ld linker/cortex-m.ld
	$(Q)$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/isr.map $(filter %.o,$^) -o $@

# The bench firmware is the one ELF that links newlib's malloc, on purpose:
# it is the yardstick. Built twice, against the full newlib and newlib-nano.
$(B)/bench/newlib.o $(B)/bench/newlib-nano.o: $(B)/bench/%.o: tests/bench/bench_main.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ARM_CFLAGS) -DBENCH_NEWLIB='"$*"' -MMD -MP -c $< -o $@

BENCH_SRC := $(filter-out tests/bench/bench_main.c,$(sort $(wildcard tests/bench/*.c)))

$(B)/bench-newlib.elf: $(FW_OBJ) $(B)/bench/newlib.o $(call obj,$(BENCH_SRC))
	$(Q)$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/bench-newlib.map $^ -o $@

$(B)/bench-newlib-nano.elf: $(FW_OBJ) $(B)/bench/newlib-nano.o $(call obj,$(BENCH_SRC))
	$(Q)$(CC) $(ARM_LDFLAGS) --specs=nano.specs -Wl,-Map=$(B)/bench-newlib-nano.map $^ -o $@

# The TLSF yardstick (make bench TLSF_DIR=<a checkout of
# github.com/mattconte/tlsf>): the bench firmware with TLSF in newlib's
# place. TLSF's source stays in that checkout, compiled here as it is
# (its own warnings off, its asserts out).
$(B)/bench/tlsf.o: tests/bench/bench_main.c
	@test -f "$(TLSF_DIR)/tlsf.c" || { echo "make: TLSF_DIR='$(TLSF_DIR)' holds no tlsf.c" >&2; exit 2; }
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ARM_CFLAGS) -DBENCH_TLSF -I$(TLSF_DIR) -MMD -MP -c $< -o $@

$(B)/bench/tlsf-src.o: $(TLSF_DIR)/tlsf.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BOARD_CFLAGS) -std=c11 $(OPT) -ffunction-sections -fdata-sections -ffreestanding -DNDEBUG -w -c $< -o $@

$(B)/bench-tlsf.elf: $(FW_OBJ) $(B)/bench/tlsf.o $(B)/bench/tlsf-src.o $(call obj,$(BENCH_SRC))
	$(Q)$(CC) $(ARM_LDFLAGS) -Wl,-Map=$(B)/bench-tlsf.map $^ -o $@

firmware: deps-run $(B)/mmrt.elf
tests-fw: deps-run $(B)/tests.elf

QEMU_CONSOLE := $(if $(filter uart,$(CONSOLE)),uart,semihosting)

# Demo 9 reads large_input.txt from here: made (larger than the board's RAM)
# if it is missing.
run: firmware
	$(Q)tools/demo9.py input $(BOARD) large_input.txt
	$(Q)QEMU_CONSOLE=$(QEMU_CONSOLE) QEMU_TIMEOUT=$(TIMEOUT) tools/qemu.sh $(BOARD) $(B)/mmrt.elf "$(DEMO)"

# Images beside the ELF for programmers and drag-and-drop (the micro:bit's
# USB drive takes the .hex).
$(B)/mmrt.hex: $(B)/mmrt.elf
	$(Q)$(OBJCOPY) -O ihex $< $@
$(B)/mmrt.bin: $(B)/mmrt.elf
	$(Q)$(OBJCOPY) -O binary $< $@
images: firmware $(B)/mmrt.hex $(B)/mmrt.bin

# FLASH_DRY_RUN=1 prints the openocd command instead of running it.
flash: $(if $(FLASH_DRY_RUN),,deps-flash) images
	$(Q)FLASH_DRY_RUN=$(FLASH_DRY_RUN) tools/flash.sh $(BOARD) $(B)/mmrt.elf

debug: firmware
	@echo "QEMU waits for gdb on :1234; quit gdb to end the session."
	$(Q)QEMU_TIMEOUT=0 tools/qemu.sh $(BOARD) $(B)/mmrt.elf "$(DEMO)" -S -gdb tcp::1234 & \
	  gdb-multiarch -q -ex "target remote :1234" -ex "break main" $(B)/mmrt.elf; \
	  kill %1 2>/dev/null || true

# ---- plots: demo 7's mprof series and demo 8's heap map, as PNGs ----
# QEMU runs in build/plot, where the demos write their files.
PLOT := build/plot
plot: deps-plot $(B)/mmrt.elf
	@mkdir -p $(PLOT)
	$(Q)cd $(PLOT) && QEMU_TIMEOUT=$(TIMEOUT) ../../tools/qemu.sh $(BOARD) ../../$(B)/mmrt.elf "7 8" >demos-7-8.log
	$(Q)cd $(PLOT) && /usr/bin/python3-mprof plot -o ../mprof_demo7.png mprofile_demo7.dat
	$(Q)tools/heapmap.py $(PLOT)/heapmap_demo8.txt build/heapmap_demo8.png
	$(Q)tools/trace2snapshot.py $(PLOT)/demo8.mmtrace build/demo8.tracemalloc
	$(Q)tools/trace2snapshot.py --check $(PLOT)/demos-7-8.log $(PLOT)/demo8.mmtrace
	@echo "plot: build/mprof_demo7.png build/heapmap_demo8.png build/demo8.tracemalloc (tracemalloc.Snapshot.load)"

# ---- dependencies: installs what is missing (as root), else says how ----
deps-run:
	@tools/deps.sh run
deps-plot:
	@tools/deps.sh plot
deps:
	@tools/deps.sh test
deps-flash:
	@tools/deps.sh flash

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

bench-lock: deps
	@BENCH_ONLY=lock tools/bench.sh

size: deps-run
	@tools/size.sh

clean:
	rm -rf build

# the library's sources, for tools/test.sh and tools/size.sh
print-mm-src:
	@echo $(MM_SRC)
print-mm-layers:
	@echo $(MM_LAYERS)

help:
	@echo 'mmrt: a bare-metal C runtime with CPython'"'"'s memory model, for Cortex-M.'
	@echo
	@echo 'Targets:'
	@echo '  make run            build the demo firmware and run the demos in QEMU'
	@echo '  make test           everything CI runs (host, on-target, fuzz, lint); installs what is missing'
	@echo '  make host-test      cmocka tests of mm/ on the host (-m64/-m32, ASan+UBSan)'
	@echo '  make target-test    on-target tests, crash cases and demos on every board under QEMU,'
	@echo '                      and the interrupt test (MM_CFG_LOCK=1, mps2-an385)'
	@echo '  make fuzz           the libFuzzer harnesses, $${FUZZ_SECONDS:-30} s each'
	@echo '  make lint           cppcheck over the tree'
	@echo '  make bench          benchmarks under -icount on mps2-an385; RESULT lines (see BENCHMARKS.md)'
	@echo '  make bench-lock     only the longest interrupt-masked stretch, MM_CFG_LOCK=1 (bench_lock.c)'
	@echo '  make size           flash and RAM per board and per mm/ layer'
	@echo '  make plot           demos 7 and 8, then build/mprof_demo7.png and build/heapmap_demo8.png'
	@echo '  make debug          QEMU halted with its gdb stub on tcp :1234, gdb-multiarch attached'
	@echo '  make flash          write mmrt.hex and mmrt.bin, flash the board with openocd (a probe on USB)'
	@echo '  make clean          remove build/'
	@echo
	@echo 'Variables:'
	@echo '  BOARD=$(BOARD)      one of: $(BOARDS)'
	@echo '  DEMO="1 3"          demos to run, by number or name (default: all)'
	@echo '  CONSOLE=$(CONSOLE)        auto (semihosting if served, else UART), uart or semihost'
	@echo '  FLASH_DRY_RUN=1     make flash prints the openocd command, runs nothing'
	@echo '  V=1                 print every compiler command'
	@echo '  TIMEOUT=$(TIMEOUT)         seconds before make run stops QEMU (0: never)'
	@echo '  OPT=$(OPT)               optimisation level of the firmware'
	@echo '  TRACE=$(TRACE)             1: tracemalloc/memory_profiler hooks compiled in (off until started)'
	@echo '  EXTRA_CFLAGS=...    more flags, e.g. -DMM_CFG_DEBUG=1 or -DMM_CFG_GC_TORTURE=1'
	@echo '  TLSF_DIR=dir        make bench also runs TLSF from dir (a checkout of'
	@echo '                      github.com/mattconte/tlsf) on W1-W3 and the pressure workloads'
	@echo
	@echo 'In make debug (gdb commands to try):'
	@echo '  break mm_alloc      stop at every allocation; then: bt, finish, info registers'
	@echo '  continue            run to the next breakpoint'
	@echo '  p *rt               the object runtime (inside an mm_ function that has rt)'
	@echo '  p mm_check(h)       run the heap checker from gdb (0 = consistent)'
	@echo '  monitor quit        end QEMU (or quit gdb)'

-include $(shell find build -name '*.d' 2>/dev/null)
