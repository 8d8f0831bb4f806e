#!/usr/bin/env bash
# test.sh [all|host|oom|target|isr|uart|flash|fuzz|lint|nomalloc|standalone|golden|demo9|diag|tools] - what `make test` runs.
#
#   host     cmocka tests of mm/: gcc -m64 and -m32, ASan+UBSan, in the
#            release and the debug (MM_CFG_DEBUG=1) configuration, the
#            allocator's tests again with 4-page pools (-m64, debug), and
#            tests/host/lock_*.c with MM_CFG_LOCK=1 and a simulated
#            interrupt (-m64), and the misuse, object and collector tests
#            with debug red zones (MM_CFG_REDZONE=1, -m64); test_misuse.c
#            is the misuse catalogue
#   oom      the OOM sweep: every allocation of the object script and of
#            the demos in OOM_DEMOS made to fail (tests/oom/oom_sweep.c)
#   target   the on-target test firmware on every board under QEMU (with a
#            timeout each), every crash case in its own QEMU, the demos on
#            every board, and the same under the collector's torture mode
#   isr      the interrupt firmware (tests/isr) on mps2-an385 with
#            MM_CFG_LOCK=1: a timer interrupt and the main loop share one
#            heap for a million allocator calls
#   uart     the console with no semihosting: the same firmware, QEMU's
#            serial port in place of semihosting (the board finds no host
#            and takes its UART), on the UART_BOARDS; one CONSOLE=uart build
#   flash    make flash without a probe: hex and bin images, the vector table
#            at the part's flash base, the exact openocd command (dry run),
#            and a clear, prompt failure with no probe on USB
#   fuzz     each libFuzzer harness in tests/fuzz for a bounded run, and
#            fuzz_heap again in the frugal build (MM_CFG_FRUGAL=1)
#   lint     cppcheck over the whole tree, and clang-tidy (.clang-tidy)
#   nomalloc no firmware ELF links malloc or _sbrk
#   standalone  mm/ alone compiles for every Cortex-M profile at -O0/-Og/-O2/-Os
#   diag     the diagnostics against Python's tracemalloc and mprof (demos 7
#            and 8 on lm3s6965evb and microbit; DIAG_BOARDS= for others)
#   golden   the demos' output on every board in both languages against
#            tests/golden (tools/golden.sh; a mismatch prints the diff)
#   demo9    demo 9 against the host's Python: two input sizes 10x apart
#            (byte-for-byte output, the same peak heap), and a missing input
#   tools    tools/targets.awk, make bench's summary of issue 14's targets,
#            on made-up figures at and just past each bound
#
# Every step counts as one passed or failed check; the last line is
# "summary: N passed, N failed" and the exit code is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

part=${1:-all}
BOARDS=${BOARDS:-"lm3s6965evb microbit mps2-an385 mps2-an386 mps2-an500 netduinoplus2 stm32vldiscovery"}
UART_BOARDS=${UART_BOARDS:-"microbit netduinoplus2 stm32vldiscovery"}
FLASH_BOARDS=${FLASH_BOARDS:-"microbit netduinoplus2 stm32vldiscovery"}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
JOBS=${JOBS:-2}
LOG=build/test-logs
# mm/ is one folder per layer; the Makefile's MM_LAYERS names them.
read -r -a MM_SRC < <(make -s --no-print-directory print-mm-src)
mkdir -p "$LOG"
passed=0
failed=0
failures=()

ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() {
    failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"
    [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 25 "$2" | sed 's/^/    | /'
    return 0
}

# ---------------------------------------------------------------- host ----
HOST_WARN="-Wall -Wextra -Werror -Wconversion -Wsign-conversion -Wshadow"
HOST_SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# Can this kernel run i386 binaries? If not, run them under qemu-i386,
# where LeakSanitizer cannot stop the world (leaks are checked at -m64).
i386_runner() {
    local probe=build/host32/probe
    mkdir -p build/host32
    printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o $probe 2>/dev/null || return 1
    if $probe 2>/dev/null; then echo ""; else echo "qemu-i386 -L /"; fi
}

host_tests() {
    local runner32
    runner32=$(i386_runner) || { bad "host: gcc -m32 cannot link (gcc-multilib missing?)"; runner32=SKIP; }
    for bits in 64 32; do
        [ $bits = 32 ] && [ "$runner32" = SKIP ] && continue
        for cfg in release debug pool4 lock redzone frugal; do
            local dir=build/host$bits-$cfg defs="" srcs=(tests/host/test_*.c)
            [ $cfg = debug ] && defs="-DMM_CFG_DEBUG=1"
            if [ $cfg = pool4 ]; then
                # multi-page pools (not the default): the allocator's tests, in debug
                [ $bits = 64 ] || continue
                defs="-DMM_CFG_POOL_MAX_PAGES=4 -DMM_CFG_DEBUG=1"
                srcs=(tests/host/test_heap*.c)
            fi
            if [ $cfg = redzone ]; then
                # debug red zones: misuse, objects and collector (the tests
                # that assert no block geometry), -m64
                [ $bits = 64 ] || continue
                defs="-DMM_CFG_DEBUG=1 -DMM_CFG_REDZONE=1"
                srcs=(tests/host/test_misuse.c tests/host/test_heap_oom.c tests/host/test_heap_run.c
                      tests/host/test_obj*.c tests/host/test_gc*.c tests/host/test_inst_dict.c)
            fi
            if [ $cfg = frugal ]; then
                # MM_CFG_FRUGAL=1 (every request a mid-size chunk): the
                # tests that assert no pool geometry, -m64 and -m32 (a
                # 32-bit target's chunks are laid out as on the device)
                defs="-DMM_CFG_FRUGAL=1"
                srcs=(tests/host/test_heap_oom.c tests/host/test_heap_run.c tests/host/test_gc.c
                      tests/host/test_gc_random.c)
            fi
            if [ $cfg = lock ]; then
                # MM_CFG_LOCK=1 with a simulated interrupt at every unlock
                [ $bits = 64 ] || continue
                defs="-DMM_CFG_LOCK=1"
                srcs=(tests/host/lock_*.c)
            fi
            mkdir -p $dir
            for src in "${srcs[@]}"; do
                local name tdefs=""
                name=$(basename "$src" .c)
                # the diagnostics' tests need tracing compiled into mm/
                [[ $name == test_trace* ]] && tdefs="-DMM_CFG_TRACE=1"
                # the page layer's own tests: every request above the pools
                # a page run (no mid-size areas; test_heap_mid tests those)
                # (pools still at the pages' end, as in the default build)
                [[ $name == test_heap ]] && tdefs="-DMM_CFG_MID_MAX=0 -DMM_CFG_POOLS_AT_END=1"
                # the frugal build's own tests (in every configuration)
                [[ $name == test_heap_frugal ]] && tdefs="-DMM_CFG_FRUGAL=1"
                local exe=$dir/$name log=$LOG/host$bits-$cfg-$name.log
                if ! gcc -m$bits -std=c11 -g -O1 $HOST_SAN $HOST_WARN $defs $tdefs -Imm -Itests/host \
                        "$src" "${MM_SRC[@]}" tests/host/port_host.c -lcmocka -o "$exe" >"$log" 2>&1; then
                    bad "host -m$bits $cfg $name: build" "$log"; continue
                fi
                local run=(env ASAN_OPTIONS=detect_leaks=1 "$exe")
                if [ $bits = 32 ]; then
                    run=(env ASAN_OPTIONS=detect_leaks=0 $runner32 "$exe")
                fi
                if timeout 600 "${run[@]}" >>"$log" 2>&1; then
                    ok "host -m$bits $cfg $name ($(grep -c '\[       OK \]' "$log") cases)"
                else
                    bad "host -m$bits $cfg $name" "$log"
                fi
            done
        done
    done
}

# -------------------------------------------------------------- target ----
# stdin from /dev/null: QEMU's -nographic console reads stdin, and would
# eat the case list the crash loop below reads.
qemu_run() { # board elf log args...
    local board=$1 elf=$2 log=$3; shift 3
    QEMU_TIMEOUT=$QEMU_TIMEOUT tools/qemu.sh "$board" "$elf" "$*" >"$log" 2>&1 </dev/null
}

target_board() { # board [variant-name extra-cflags]
    local board=$1 variant=${2:-} extra=${3:-}
    local tag=$board${variant:+-$variant}
    local blog=$LOG/build-$tag.log
    if ! make -s -j"$JOBS" BOARD="$board" B="build/$tag" EXTRA_CFLAGS="$extra" \
            build/$tag/tests.elf build/$tag/mmrt.elf >"$blog" 2>&1; then
        bad "$tag: build" "$blog"; return
    fi
    local log=$LOG/target-$tag.log rc=0
    qemu_run "$board" build/$tag/tests.elf "$log" || rc=$?
    if [ $rc -eq 0 ] && grep -qE '^[0-9]+ passed, 0 failed' "$log"; then
        ok "$tag: on-target tests ($(grep -E '^[0-9]+ passed' "$log" | tail -1))"
    else
        bad "$tag: on-target tests (exit $rc)" "$log"
    fi
    if [ -z "$variant" ]; then
        local list=$LOG/list-$tag.log
        qemu_run "$board" build/$tag/tests.elf "$list" --list || true
        while read -r _ name _ expect; do
            local code=${expect%%:*} text=${expect#*:} clog=$LOG/crash-$tag-$name.log
            rc=0
            qemu_run "$board" build/$tag/tests.elf "$clog" "$name" || rc=$?
            if [ "$rc" = "$code" ] && grep -qF "$text" "$clog"; then
                ok "$tag: $name exits $rc with '$text'"
            else
                bad "$tag: $name: expected exit $code and '$text', got exit $rc" "$clog"
            fi
        done < <(grep '^case .* crash ' "$list")
    fi
    demos_run "$board" "$tag"
}

# The demos of build/<tag>/mmrt.elf, in their own folder, with demo 9's
# input for the board.
demos_run() { # board tag
    local board=$1 tag=$2 log=$PWD/$LOG/demos-$2.log rc=0
    local wd=build/run-$tag elf=$PWD/build/$tag/mmrt.elf
    mkdir -p "$wd"
    (cd "$wd" && "$OLDPWD/tools/demo9.py" input "$board" large_input.txt >/dev/null &&
        QEMU_TIMEOUT=$QEMU_TIMEOUT "$OLDPWD/tools/qemu.sh" "$board" "$elf" "" >"$log" 2>&1) || rc=$?
    if [ $rc -eq 0 ] && grep -q 'demos run, 0 failed' "$log"; then
        ok "$tag: demos"
    else
        bad "$tag: demos (exit $rc)" "$log"
    fi
}

target_tests() {
    for board in $BOARDS; do
        target_board "$board"
    done
    if grep -q MM_CFG_GC_TORTURE mm/mm_config.h 2>/dev/null; then
        target_board lm3s6965evb torture -DMM_CFG_GC_TORTURE=1
    fi
    # the frugal build (no pools) runs the demos too; its on-target tests
    # would fail where they assert the pools' geometry
    local tag=mps2-an385-frugal
    if make -s -j"$JOBS" BOARD=mps2-an385 B=build/$tag EXTRA_CFLAGS=-DMM_CFG_FRUGAL=1 \
            build/$tag/mmrt.elf >"$LOG/build-$tag.log" 2>&1; then
        demos_run mps2-an385 $tag
    else
        bad "$tag: build" "$LOG/build-$tag.log"
    fi
}

# ----------------------------------------------------------------- isr ----
# tests/isr/isr_main.c, built with MM_CFG_LOCK=1 in a build directory of
# its own: TIMER0's interrupt and the main loop share one heap; the firmware
# checks everything itself and prints "isr test: PASS" last.
isr_tests() {
    local board=mps2-an385 tag=mps2-an385-lock
    local blog=$LOG/build-$tag-isr.log log=$LOG/isr-$tag.log rc=0
    if ! make -s -j"$JOBS" BOARD=$board B=build/$tag EXTRA_CFLAGS=-DMM_CFG_LOCK=1 \
            build/$tag/isr.elf >"$blog" 2>&1; then
        bad "isr $board: build" "$blog"; return
    fi
    qemu_run $board build/$tag/isr.elf "$log" || rc=$?
    if [ $rc -eq 0 ] && [ "$(tail -1 "$log")" = "isr test: PASS" ]; then
        ok "isr $board: $(grep -o '^[0-9]* allocator calls' "$log"), $(grep -o '^interrupt: [0-9]*' "$log" | cut -d' ' -f2) timer interrupts, heap empty at the end"
    else
        bad "isr $board: interrupt and main loop on one heap (exit $rc)" "$log"
    fi
}

# ---------------------------------------------------------------- uart ----
# The auto-console firmware that target_board built, run with no
# semihosting: the probe BKPT faults, the trap steps over it, the UART takes
# over; qemu.sh reads the summary and the halt line.
uart_run() { # board elf what
    local board=$1 elf=$2 what=$3 log=$LOG/uart-$1-$3.log rc=0
    QEMU_CONSOLE=uart QEMU_TIMEOUT=$QEMU_TIMEOUT tools/qemu.sh "$board" "$elf" "" >"$log" 2>&1 </dev/null || rc=$?
    if [ $rc -eq 0 ] && grep -qE '^[0-9]+ (demos run|passed), 0 failed$' "$log" &&
            grep -q '^mmrt: halted, exit code 0$' "$log"; then
        ok "$board: $what on the UART ($(grep -E '^[0-9]+ (demos run|passed)' "$log" | tail -1))"
    else
        bad "$board: $what on the UART (exit $rc)" "$log"
    fi
}

uart_tests() {
    local board
    for board in $UART_BOARDS; do
        if ! make -s -j"$JOBS" BOARD="$board" build/$board/mmrt.elf build/$board/tests.elf \
                >"$LOG/build-$board.log" 2>&1; then
            bad "$board: build" "$LOG/build-$board.log"; continue
        fi
        uart_run "$board" build/$board/mmrt.elf demos
    done
    uart_run stm32vldiscovery build/stm32vldiscovery/tests.elf on-target-tests
    # CONSOLE=uart: no probe, the UART from the first line
    local blog=$LOG/build-netduinoplus2-uart.log
    if make -s -j"$JOBS" BOARD=netduinoplus2 CONSOLE=uart build/netduinoplus2-uart/mmrt.elf >"$blog" 2>&1; then
        uart_run netduinoplus2 build/netduinoplus2-uart/mmrt.elf demos-CONSOLE=uart
    else
        bad "netduinoplus2 CONSOLE=uart: build" "$blog"
    fi
}

# --------------------------------------------------------------- flash ----
# The openocd command each board's make flash runs (the probe and the part).
flash_expected() { # board elf
    case $1 in
        microbit) echo "openocd -f interface/cmsis-dap.cfg -f target/nrf51.cfg -c \"program $2 verify reset exit\"" ;;
        netduinoplus2) echo "openocd -f interface/stlink.cfg -f target/stm32f4x.cfg -c \"program $2 verify reset exit\"" ;;
        stm32vldiscovery) echo "openocd -f board/stm32vldiscovery.cfg -c \"program $2 verify reset exit\"" ;;
    esac
}

# The lowest address an Intel hex file loads (extended linear address records).
hex_base() {
    local line hi=0 type
    while IFS= read -r line; do
        line=${line%$'\r'}
        type=${line:7:2}
        if [ "$type" = 04 ]; then
            hi=$((16#${line:9:4}))
        elif [ "$type" = 00 ]; then
            printf '0x%08x\n' $((hi * 65536 + 16#${line:3:4}))
            return
        fi
    done <"$1"
}

flash_tests() {
    local board
    for board in $FLASH_BOARDS; do
        local dir=build/$board elf=build/$board/mmrt.elf log=$LOG/flash-$board.log
        local base
        base=$(sed -n 's/^FLASH_BASE := //p' boards/$board.mk)
        if ! FLASH_DRY_RUN=1 make -s BOARD="$board" flash >"$log" 2>&1; then
            bad "$board: make flash dry run" "$log"; continue
        fi
        if [ ! -s $dir/mmrt.hex ] || [ ! -s $dir/mmrt.bin ]; then
            bad "$board: mmrt.hex and mmrt.bin beside the ELF" "$log"; continue
        fi
        local vt sp reset bin_sp bin_reset hb
        vt=$(arm-none-eabi-nm "$elf" | awk '$3 == "vector_table" { print "0x" $1 }')
        sp=$(arm-none-eabi-nm "$elf" | awk '$3 == "__stack_top" { print $1 }')
        reset=$(arm-none-eabi-nm "$elf" | awk '$3 == "Reset_Handler" { print $1 }')
        bin_sp=$(od -An -tx4 -N4 $dir/mmrt.bin | tr -d ' ')
        bin_reset=$(od -An -tx4 -j4 -N4 $dir/mmrt.bin | tr -d ' ')
        hb=$(hex_base $dir/mmrt.hex)
        if [ $((vt)) -eq $((base)) ] && [ $((hb)) -eq $((base)) ] && [ $((16#$bin_sp)) -eq $((16#$sp)) ] &&
                [ $((16#$bin_reset)) -eq $((16#$reset | 1)) ]; then
            ok "$board: images: vector table at $base (hex from $hb; bin starts SP 0x$bin_sp, reset 0x$bin_reset)"
        else
            bad "$board: vector table at $vt, hex from $hb, bin SP 0x$bin_sp reset 0x$bin_reset; expected $base, SP 0x$sp, reset 0x$reset|1" "$log"
        fi
        local want
        want=$(flash_expected "$board" "$elf")
        if grep -qxF "  $want" "$log"; then
            ok "$board: make flash runs: $want"
        else
            bad "$board: make flash dry run does not show: $want" "$log"
        fi
    done
    # No probe on USB: a prompt, clear failure (openocd answers within seconds).
    local log=$LOG/flash-noprobe.log rc=0 t0=$SECONDS
    if ! command -v openocd >/dev/null; then
        bad "make flash without a probe: openocd is not installed (tools/deps.sh test installs it)"; return
    fi
    FLASH_TIMEOUT=30 make -s BOARD=stm32vldiscovery flash >"$log" 2>&1 || rc=$?
    if [ $rc -ne 0 ] && grep -q '^flash: openocd failed' "$log" && [ $((SECONDS - t0)) -lt 30 ]; then
        ok "make flash with no probe fails in $((SECONDS - t0)) s: $(grep '^flash: openocd failed' "$log")"
    else
        bad "make flash with no probe: expected a prompt failure (exit $rc, $((SECONDS - t0)) s)" "$log"
    fi
}

# ---------------------------------------------------------------- fuzz ----
fuzz_one() { # name source [defines...]
    local name=$1 src=$2 exe=build/fuzz/$1 log=$LOG/$1.log
    shift 2
    if ! clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
            -fno-sanitize-recover=all "$@" -Imm -Itests/host "$src" "${MM_SRC[@]}" tests/host/port_host.c \
            -o "$exe" >"$log" 2>&1; then
        bad "fuzz $name: build" "$log"; return
    fi
    mkdir -p build/fuzz/corpus-$name
    if "$exe" -max_total_time="$FUZZ_SECONDS" -seed=1 build/fuzz/corpus-$name >>"$log" 2>&1; then
        ok "fuzz $name (${FUZZ_SECONDS}s, $(grep -oE 'Done [0-9]+ runs' "$log" | tail -1))"
    else
        bad "fuzz $name" "$log"
    fi
}

fuzz_tests() {
    mkdir -p build/fuzz
    for src in tests/fuzz/fuzz_*.c; do
        [ -f "$src" ] || continue
        fuzz_one "$(basename "$src" .c)" "$src"
    done
    # the frugal build (every request a mid-size chunk) under the same
    # programs: its chunk layout and kept area get no other fuzzing
    fuzz_one fuzz_heap_frugal tests/fuzz/fuzz_heap.c -DMM_CFG_FRUGAL=1
}

# ---------------------------------------------------------------- lint ----
# cppcheck, then clang-tidy with the checks chosen in .clang-tidy, over the
# firmware's sources as the Cortex-M3 build sees them (two files at a time).
TIDY_FLAGS=(--target=arm-none-eabi -mcpu=cortex-m3 -mthumb -ffreestanding -std=c11
    -isystem /usr/lib/arm-none-eabi/include -Imm -Ikernel -Idemos -Itests/target
    -DMMRT_SYSTICK_HZ=25000000U '-DMMRT_BOARD="x"')
lint() {
    local log=$LOG/cppcheck.log
    if cppcheck -q --std=c11 --enable=warning,style,performance,portability \
            --inline-suppr --error-exitcode=1 --suppress=missingIncludeSystem \
            -Imm -Ikernel -Idemos -Itests/target -DMMRT_SYSTICK_HZ=25000000U \
            -DMMRT_BOARD='"x"' mm boot kernel demos tests/target tests/isr >"$log" 2>&1; then
        ok "cppcheck"
    else
        bad "cppcheck" "$log"
    fi
    log=$LOG/clang-tidy.log
    local files
    files=$(ls boot/*.c kernel/*.c demos/*.c tests/target/*.c tests/isr/*.c "${MM_SRC[@]}")
    if echo "$files" | xargs -P "$JOBS" -I{} clang-tidy --quiet {} -- "${TIDY_FLAGS[@]}" \
            >"$log" 2>&1 && ! grep -qE '(warning|error):' "$log"; then
        ok "clang-tidy ($(echo "$files" | wc -l) files, checks in .clang-tidy)"
    else
        bad "clang-tidy" "$log"
        grep -E '(warning|error):' "$log" | sort -u | head -20
    fi
}

# ------------------------------------------------------------ nomalloc ----
nomalloc() {
    local found=0 elf
    for elf in $(find build -name '*.elf' ! -path '*bench*' 2>/dev/null); do
        if arm-none-eabi-nm "$elf" | grep -qwE 'malloc|_malloc_r|_sbrk|_sbrk_r|free|_free_r'; then
            bad "nomalloc: $elf links malloc/_sbrk"; found=1
        fi
    done
    [ $found -eq 0 ] && ok "nomalloc: no firmware ELF links malloc, free or _sbrk"
}

# ---------------------------------------------------------- standalone ----
# mm/ alone (its port header, no kernel): every file compiles warning-free
# for each Cortex-M profile at each optimisation level a firmware project
# may pick (the inline-asm fast paths need constants folded at -Og too).
standalone() {
    local cpu opt f log=$LOG/standalone.log bad_builds=0
    : >"$log"
    for cpu in cortex-m0 cortex-m3 cortex-m4 cortex-m7; do
        for opt in -O0 -Og -O2 -Os; do
            for f in "${MM_SRC[@]}"; do
                if ! arm-none-eabi-gcc -mcpu=$cpu -mthumb $opt -std=c11 -ffreestanding \
                        -Wall -Wextra -Werror -Wconversion -Imm -c "$f" -o /dev/null >>"$log" 2>&1; then
                    echo "  in: $cpu $opt $f" >>"$log"; bad_builds=$((bad_builds + 1))
                fi
            done
        done
    done
    if [ $bad_builds -eq 0 ]; then
        ok "standalone: mm/ builds alone for cortex-m0/m3/m4/m7 at -O0/-Og/-O2/-Os"
    else
        bad "standalone: $bad_builds mm/ builds failed" "$log"
    fi
}

# -------------------------------------------------------------- golden ----
golden() {
    local log=$LOG/golden.log
    if BOARDS="$BOARDS" QEMU_TIMEOUT=$QEMU_TIMEOUT tools/golden.sh check >"$log" 2>&1; then
        ok "golden: demo output on $(echo $BOARDS | wc -w) boards x 2 languages matches tests/golden"
    else
        bad "golden: demo output differs (tools/golden.sh update if on purpose)" "$log"
        grep -E '^(FAIL|    \| [-+])' "$log" | head -40
    fi
}

# --------------------------------------------------------------- demo9 ----
# Demo 9 alone on the small boards: the output equals Python's
# line.strip().upper() for inputs of 2x and 20x the board's RAM, the peak
# heap it prints is the same for both, and without an input it fails with
# a message and writes nothing.
demo9_tests() {
    local board
    for board in ${DEMO9_BOARDS:-microbit lm3s6965evb}; do
        local elf=$PWD/build/$board/mmrt.elf ram peaks=() n
        if ! make -s -j"$JOBS" BOARD="$board" "build/$board/mmrt.elf" >"$LOG/build-demo9-$board.log" 2>&1; then
            bad "demo9 $board: build" "$LOG/build-demo9-$board.log"; continue
        fi
        ram=$(tools/demo9.py ram "$board")
        for n in 2 20; do
            local dir=build/demo9/$board-$n log=$LOG/demo9-$board-$n.log rc=0
            rm -rf "$dir"; mkdir -p "$dir"
            tools/demo9.py gen "$dir/large_input.txt" $((ram * n))
            (cd "$dir" && QEMU_TIMEOUT=$QEMU_TIMEOUT "$OLDPWD/tools/qemu.sh" "$board" "$elf" 9) >"$log" 2>&1 || rc=$?
            tools/demo9.py expect "$dir/large_input.txt" "$dir/expected.txt"
            if [ $rc -eq 0 ] && cmp -s "$dir/expected.txt" "$dir/processed_output.txt"; then
                ok "demo9 $board: $(stat -c %s "$dir/large_input.txt")-byte input, output equals Python's"
            else
                bad "demo9 $board: ${n}x RAM input: exit $rc, or output differs from Python's ($dir)" "$log"
            fi
            peaks+=("$(grep -E '^(处理时堆内存峰值|peak heap)' "$log")")
        done
        if [ -n "${peaks[0]}" ] && [ "${peaks[0]}" = "${peaks[1]}" ]; then
            ok "demo9 $board: peak heap flat for inputs 10x apart (${peaks[0]#*: })"
        else
            bad "demo9 $board: peak heap not flat: '${peaks[0]}' vs '${peaks[1]}'"
        fi
        local dir=build/demo9/$board-missing log=$LOG/demo9-$board-missing.log rc=0
        rm -rf "$dir"; mkdir -p "$dir"
        (cd "$dir" && QEMU_TIMEOUT=$QEMU_TIMEOUT "$OLDPWD/tools/qemu.sh" "$board" "$elf" 9) >"$log" 2>&1 || rc=$?
        if [ $rc -eq 1 ] && grep -q "cannot open 'large_input.txt'" "$log" && [ -z "$(ls -A "$dir")" ]; then
            ok "demo9 $board: missing input: exit 1, message, nothing written"
        else
            bad "demo9 $board: missing input: exit $rc (want 1), message or files wrong" "$log"
        fi
    done
}

# ----------------------------------------------------------------- oom ----
# The OOM sweep (tests/oom/oom_sweep.c): every allocation point of the
# object script, and of the demos named in OOM_DEMOS (all but demo 6, whose
# million allocations would take minutes), made to fail (single
# and sticky), each run ending consistent and at its baseline. A host
# build (MM_CFG_DEBUG=1 for mm_fail_after, UBSan) of mm/ and demos/.
OOM_DEMOS=${OOM_DEMOS:-"1 2 3 4 5 9 10"}
oom_tests() {
    local dir=build/oom log=$LOG/oom-sweep.log
    mkdir -p $dir
    # shellcheck disable=SC2086
    if ! gcc -m64 -std=c11 -g -O2 -fsanitize=undefined -fno-sanitize-recover=all $HOST_WARN \
            -D_DEFAULT_SOURCE -DMM_CFG_DEBUG=1 -Imm -Ikernel -Idemos -Itests/host \
            tests/oom/*.c demos/*.c "${MM_SRC[@]}" tests/host/port_host.c \
            -o $dir/oom_sweep >"$log" 2>&1; then
        bad "oom sweep: build" "$log"; return
    fi
    # shellcheck disable=SC2086
    if (cd $dir && timeout 600 ./oom_sweep script $OOM_DEMOS) >>"$log" 2>&1; then
        ok "$(tail -1 "$log")"
    else
        bad "oom sweep" "$log"
    fi
}

# ---------------------------------------------------------------- diag ----
# The diagnostics against Python's own tools: the host tracemalloc reads a
# device dump and prints the same statistics and compare_to lines as the
# device; demos 7 and 8 on the boards write an mprof series that mprof
# plots and a heap map that tools/heapmap.py draws, at their pixel sizes
# (mprof's own figure: 14 x 6 in at 90 dpi; the heap map 1000 x 700).
png_size() { /usr/bin/python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8]==b"\x89PNG\r\n\x1a\n" else "not-a-png")' "$1"; }

diag_tests() {
    tools/deps.sh plot || { bad "diag: plot packages missing"; return; }
    local dir=build/diag log=$LOG/diag-host.log
    rm -rf $dir && mkdir -p $dir/host
    if gcc -m64 -std=c11 -g -O1 $HOST_SAN $HOST_WARN -DMM_CFG_TRACE=1 -Imm -Itests/host \
            tests/host/test_trace.c "${MM_SRC[@]}" tests/host/port_host.c -lcmocka \
            -o $dir/test_trace >"$log" 2>&1 &&
       MM_TRACE_DIR=$dir/host $dir/test_trace >>"$log" 2>&1 &&
       tools/trace2snapshot.py --lines $dir/host/new.mmtrace $dir/host/old.mmtrace \
            >$dir/host/host.txt 2>>"$log" &&
       diff -u $dir/host/device.txt $dir/host/host.txt >>"$log" 2>&1; then
        ok "diag: host tracemalloc prints the device's statistics and compare_to lines"
    else
        bad "diag: host tracemalloc against the device" "$log"
    fi
    local board
    for board in ${DIAG_BOARDS:-lm3s6965evb microbit}; do
        local work=$dir/$board blog=$LOG/diag-$board.log
        mkdir -p $work
        if ! make -s -j"$JOBS" BOARD="$board" build/$board/mmrt.elf >"$blog" 2>&1 ||
           ! (cd $work && QEMU_TIMEOUT=$QEMU_TIMEOUT ../../../tools/qemu.sh "$board" \
                ../../$board/mmrt.elf "7 8" >demos.log 2>&1); then
            bad "diag $board: demos 7 and 8" "$work/demos.log"; continue
        fi
        if tools/trace2snapshot.py --check $work/demos.log $work/demo8.mmtrace >>"$blog" 2>&1 &&
           tools/trace2snapshot.py $work/demo8.mmtrace $work/demo8.tracemalloc >>"$blog" 2>&1; then
            ok "diag $board: demo 8's statistics agree with the host's tracemalloc"
        else
            bad "diag $board: demo 8 against the host's tracemalloc" "$blog"
        fi
        (cd $work && timeout 300 /usr/bin/python3-mprof plot -o mprof.png mprofile_demo7.dat) >>"$blog" 2>&1
        local size
        size=$(png_size $work/mprof.png 2>/dev/null)
        if [ "$size" = 1260x540 ]; then
            ok "diag $board: mprof plots demo 7's mprofile_demo7.dat ($size)"
        else
            bad "diag $board: mprof plot of demo 7 (got '${size:-no png}')" "$blog"
        fi
        tools/heapmap.py $work/heapmap_demo8.txt $work/heapmap.png >>"$blog" 2>&1
        size=$(png_size $work/heapmap.png 2>/dev/null)
        if [ "$size" = 1000x700 ]; then
            ok "diag $board: heap map PNG of demo 8 ($size)"
        else
            bad "diag $board: heap map PNG (got '${size:-no png}')" "$blog"
        fi
    done
}

# tools/targets.awk (make bench's summary of issue 14's targets) on RESULT
# lines made up to meet every target, then with one figure at a time
# pushed just past its bound: that target alone must say "missed".
targets_tests() {
    local met='RESULT W2 mm net_instr_per_op 20.000
RESULT W2p.min mm min_arena_over_peak_live 1.350
RESULT W2p.min newlib min_arena_over_peak_live 1.350
RESULT W2p.min mm min_ram_over_peak_live 1.350
RESULT W2p.min newlib min_ram_over_peak_live 1.400
RESULT W2p.tight mm failures 3
RESULT W2p.tight newlib failures 3
RESULT W2p.tight mm net_instr_per_call 20.000
RESULT W2p.tight newlib net_instr_per_call 60.000
RESULT W2p.trace-tight mm worst_alloc_small_instr 200
RESULT W2p.min tlsf min_arena_over_peak_live 1.360
RESULT W2p.tight tlsf failures 4
RESULT W2p.min newlib-nano min_arena_over_peak_live 1.360
RESULT W2p.tight newlib-nano failures 4
RESULT W2p.tight newlib-nano net_instr_per_call 63.000'
    local want="TARGET 1 mm met (1 figures)|TARGET 1-ram mm met (1 figures)|TARGET 2 mm met (1 figures)|TARGET 3 mm met (1 figures)|TARGET 4 mm met (1 figures)|TARGET 5 mm met (1 figures)"
    local got
    got=$(echo "$met" | grep -v ' tlsf \| newlib-nano ' | awk -f tools/targets.awk | grep ' mm ' | paste -sd '|')
    if [ "$got" = "$want" ]; then ok "tools: targets.awk, every target met"; else bad "tools: targets.awk on figures that meet every target said: $got"; fi
    want="$want|TARGET 1-tlsf mm met (1 figures)|TARGET 2-tlsf mm met (1 figures)"
    got=$(echo "$met" | grep -v ' newlib-nano ' | awk -f tools/targets.awk | grep ' mm ' | paste -sd '|')
    if [ "$got" = "$want" ]; then ok "tools: targets.awk with TLSF's figures, every target met"; else bad "tools: targets.awk on figures (and TLSF's) that meet every target said: $got"; fi
    want="$want|TARGET 1-nano mm met (1 figures)|TARGET 2-nano mm met (1 figures)|TARGET 3-nano mm met (1 figures)"
    got=$(echo "$met" | awk -f tools/targets.awk | grep ' mm ' | paste -sd '|')
    if [ "$got" = "$want" ]; then ok "tools: targets.awk with TLSF's and newlib-nano's figures, every target met"; else bad "tools: targets.awk on figures (TLSF's and newlib-nano's too) that meet every target said: $got"; fi
    local t from to
    for case in "1|mm min_arena_over_peak_live 1.350|mm min_arena_over_peak_live 1.351" \
                "1-ram|mm min_ram_over_peak_live 1.350|mm min_ram_over_peak_live 1.401" \
                "2|mm failures 3|mm failures 4" \
                "3|mm net_instr_per_call 20.000|mm net_instr_per_call 20.001" \
                "4|worst_alloc_small_instr 200|worst_alloc_small_instr 201" \
                "5|net_instr_per_op 20.000|net_instr_per_op 20.001" \
                "1-tlsf|tlsf min_arena_over_peak_live 1.360|tlsf min_arena_over_peak_live 1.349" \
                "2-tlsf|tlsf failures 4|tlsf failures 2" \
                "1-nano|newlib-nano min_arena_over_peak_live 1.360|newlib-nano min_arena_over_peak_live 1.349" \
                "2-nano|newlib-nano failures 4|newlib-nano failures 2" \
                "3-nano|newlib-nano net_instr_per_call 63.000|newlib-nano net_instr_per_call 59.999"; do
        IFS='|' read -r t from to <<<"$case"
        got=$(echo "${met/$from/$to}" | awk -f tools/targets.awk | grep '^TARGET .* mm missed' | paste -sd '|')
        if [ "$got" = "TARGET $t mm missed (1 of 1 figures)" ]; then
            ok "tools: targets.awk, target $t missed by one figure"
        else
            bad "tools: targets.awk with target $t's figure past its bound said: ${got:-nothing missed}"
        fi
    done
}

case $part in
    host) host_tests ;;
    oom) oom_tests ;;
    target) target_tests; isr_tests; uart_tests; flash_tests; nomalloc ;;
    isr) isr_tests ;;
    uart) uart_tests ;;
    flash) flash_tests ;;
    fuzz) fuzz_tests ;;
    lint) lint ;;
    nomalloc) nomalloc ;;
    standalone) standalone ;;
    golden) golden ;;
    demo9) demo9_tests ;;
    diag) diag_tests ;;
    tools) targets_tests ;;
    all) targets_tests; host_tests; oom_tests; target_tests; isr_tests; uart_tests; flash_tests; nomalloc; standalone; golden; demo9_tests; diag_tests; fuzz_tests; lint ;;
    *) echo "usage: tools/test.sh [all|host|oom|target|isr|uart|flash|fuzz|lint|nomalloc|standalone|golden|demo9|diag|tools]" >&2; exit 2 ;;
esac

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "summary: $passed passed, $failed failed"
[ $failed -eq 0 ]
