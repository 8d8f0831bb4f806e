#!/usr/bin/env bash
# bench.sh - the allocator benchmarks (make bench). Deterministic: QEMU
# -icount shift=0 counts instructions, so two runs print the same figures.
#
# Builds the bench firmware for BENCH_BOARD (mps2-an385) against the full
# newlib and newlib-nano, runs each workload in a fresh QEMU, counts W4 from
# an instruction trace, measures flash at -Os, and prints every figure as
# "RESULT <workload> <allocator> <metric> <value>" (also kept in
# build/bench/results.txt). W4 is counted by tools/w4count.c.
# TLSF_DIR=<a checkout of github.com/mattconte/tlsf> adds TLSF's figures
# on W1-W3 and the pressure workloads, a yardstick (its source is not
# kept here).
# BENCH_ONLY=lock runs only the longest interrupt-masked stretch (with
# MM_CFG_LOCK=1; make bench-lock).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${TLSF_DIR:-}" ] && [ ! -f "$TLSF_DIR/tlsf.c" ]; then
    echo "bench.sh: TLSF_DIR='$TLSF_DIR' holds no tlsf.c (a checkout of github.com/mattconte/tlsf)" >&2
    exit 2
fi
BOARD=${BENCH_BOARD:-mps2-an385}
OUT=build/bench
mkdir -p $OUT
RESULTS=$OUT/results.txt
: >$RESULTS

qemu() { # elf workload [extra qemu args]
    local elf=$1 w=$2; shift 2
    QEMU_TIMEOUT=900 tools/qemu.sh "$BOARD" "$elf" "$w" "$@"
}

emit() { grep '^RESULT' | tee -a $RESULTS; }
result_of() { # log impl metric: that RESULT line's value (a run's arena, its least arena)
    awk -v impl="$2" -v m="$3" '$1 == "RESULT" && $3 == impl && $4 == m {print $5}' $1
}
addr() { # symbol: its address in $elf, in hex
    arm-none-eabi-nm $elf | awk -v s="$1" '$3 == s {print $1}'
}
# The W4 markers (tests/bench/bench_main.c), in the order tools/w4count.c
# takes their addresses.
MARKERS="w4_begin_alloc_small w4_begin_alloc_large w4_begin_free_small w4_begin_free_large w4_end"
marker_addrs() { # the markers' addresses in $elf, one argument each for w4count
    local m a
    for m in $MARKERS; do
        a=$(addr $m)
        if [ -z "$a" ]; then echo "bench: no $m in $elf" >&2; return 1; fi
        echo $a
    done
}
text_symbols() { # object file...: the functions they define
    arm-none-eabi-nm --defined-only "$@" | awk '$2 ~ /[Tt]/ {print $3}' | sort -u
}
# The pressure workloads (bench_main.c), each run at the arenas of pressure_modes.
PRESSURE="W1p W2p W3p CPY FIFO SAW"

# The longest interrupt-masked stretch (tests/bench/bench_lock.c): the bench
# firmware built again with MM_CFG_LOCK=1, whose port lock times every
# critical section. BENCH_ONLY=lock runs this part alone (make bench-lock).
lock_bench() {
    local bl=build/bench-$BOARD-lock log=$OUT/case-lock.log
    make -s BOARD=$BOARD B=$bl TRACE=0 EXTRA_CFLAGS=-DMM_CFG_LOCK=1 $bl/bench-newlib.elf >/dev/null
    if ! qemu $bl/bench-newlib.elf lock >$log 2>&1; then
        echo "bench: case lock (MM_CFG_LOCK=1) failed:" >&2; tail -20 $log >&2; exit 1
    fi
    emit <$log
}
case ${BENCH_ONLY:-} in
    "") ;;
    lock) lock_bench; echo "bench: figures in $RESULTS"; exit 0 ;;
    *) echo "bench.sh: BENCH_ONLY='$BENCH_ONLY': only 'lock' is a part of its own" >&2; exit 2 ;;
esac

# The reference figures are built without the diagnostics' hook (TRACE=0),
# in their own build directory; the trace case is built again with it.
BB=build/bench-$BOARD
make -s BOARD=$BOARD B=$BB TRACE=0 $BB/bench-newlib.elf $BB/bench-newlib-nano.elf >/dev/null
gcc -O2 -Wall -Wextra -Werror tools/w4count.c -o $OUT/w4count

for build in newlib newlib-nano; do
    elf=$BB/bench-$build.elf
    for w in W1 W2 W3 cap16; do
        log=$OUT/$build-$w.log
        if ! qemu $elf $w >$log 2>&1; then
            echo "bench: $w on $build failed:" >&2; tail -20 $log >&2; exit 1
        fi
        # mm and the harness are the same code in both builds: report them once
        if [ $build = newlib ]; then emit <$log; else grep " $build " $log | emit; fi
    done

    # W4: one instruction per trace line, streamed through a FIFO to the
    # counter. newlib-nano's first-fit scan makes its trace ten times longer;
    # its W4 runs only with BENCH_NANO_W4=1.
    if [ $build = newlib-nano ] && [ "${BENCH_NANO_W4:-0}" != 1 ]; then continue; fi
    fifo=$OUT/trace.fifo
    rm -f $fifo; mkfifo $fifo
    impls="null mm $build"
    $OUT/w4count $(marker_addrs) $impls <$fifo >$OUT/$build-W4.txt &
    awk_pid=$!
    qemu $elf W4 -singlestep -d exec,nochain -D $fifo >$OUT/$build-W4.log 2>&1
    wait $awk_pid
    rm -f $fifo
    if [ $build = newlib ]; then sort $OUT/$build-W4.txt | emit; else grep " $build " $OUT/$build-W4.txt | sort | emit; fi
done

# Memory pressure (bench_main.c): each workload at an ample arena and a
# tight one (1.4x its peak live bytes; W1p at 16 KiB) against newlib, the
# least arena found by bisection, and mm's worst single call counted exactly
# at the tight and the least arena: QEMU traces only the allocator's own
# functions (and memset/memcpy/memmove) and the markers (-dfilter), and
# tools/w4count.c -g counts the instructions of each call. It also lists
# the calls over 200 instructions by the functions they ran, in
# $OUT/trace-<workload>-trace-<tight|min>.txt (lines "over_200 ...").
func_ranges() { # elf function...: their text and the markers', as QEMU -dfilter ranges
    arm-none-eabi-nm -S $1 | awk -v list="${*:2} memset memcpy memmove $MARKERS" '
        BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
        NF == 4 && ($3 ~ /[Tt]/) && ($4 in want) { printf "%s0x%s+0x%s", sep, $1, $2; sep = "," }'
}
trace_setup() { # build directory: its firmware ($elf) and the ranges of mm's code
    elf=$1/bench-newlib.elf
    ranges=$(func_ranges $elf $(text_symbols $1/mm/heap/*.o))
}
trace_setup $BB
trace_one() { # workload label arena [allocator: a yardstick, traced alone ("trace-yard")]
    local impl=${4:-mm} mode=trace out=$OUT/trace-$1-$2
    if [ $impl != mm ]; then mode=trace-yard; out=$out-$impl; fi
    local fifo=$out.fifo
    rm -f $fifo; mkfifo $fifo
    $OUT/w4count -g "$1.$2" $(marker_addrs) $impl <$fifo >$out.txt &
    local pid=$!
    qemu $elf "$1 $mode $3" -singlestep -d exec,nochain -dfilter "$ranges" -D $fifo >$out.log 2>&1
    wait $pid
    rm -f $fifo
}
# Between tight and ample: the same workloads at 1.6x, 2x, 2.5x and 3x
# their peak live bytes (x<tenths>), so that the cost of pressure shows as
# a curve over the RAM given, not only at its two ends. W1p has no curve:
# its peak is one block. And each in 64 KiB (b<bytes>), the arena issue 14
# ran its workloads in: SAW's requests fill 85% of it (about 1.17x SAW's
# peak); W3p's peak is above it, so some of its requests fail in every
# allocator; W2p, CPY and FIFO fit with room.
pressure_modes() { # workload: the arenas it runs at
    if [ $1 = W1p ]; then echo "ample tight min"; else echo "ample tight min x16 x20 x25 x30 b65536"; fi
}
yardstick_runs() { # elf allocator log-prefix: every pressure run, that allocator's lines only
    local w m log
    for w in $PRESSURE; do
        for m in $(pressure_modes $w); do
            log=$OUT/$3-$w-$m.log
            if ! qemu $1 "$w $m" >$log 2>&1; then
                echo "bench: $w $m on $2 failed:" >&2; tail -20 $log >&2; exit 1
            fi
            grep " $2 " $log | emit
        done
    done
}
for w in $PRESSURE; do
    for m in $(pressure_modes $w); do
        log=$OUT/pressure-$w-$m.log
        if ! qemu $elf "$w $m" >$log 2>&1; then
            echo "bench: $w $m failed:" >&2; tail -20 $log >&2; exit 1
        fi
        emit <$log
    done
    # the two traces of a workload run side by side (one per core)
    tight=$(result_of $OUT/pressure-$w-tight.log all arena_bytes)
    least=$(result_of $OUT/pressure-$w-min.log mm min_arena_bytes)
    trace_one $w trace-tight "$tight" & t1=$!
    trace_one $w trace-min "$least"
    wait $t1
    cat $OUT/trace-$w-trace-tight.txt $OUT/trace-$w-trace-min.txt | emit
done

# newlib-nano (--specs=nano.specs, the malloc many Cortex-M projects link)
# on the same runs, a second newlib yardstick: its own lines only, mm's
# being those above. Its first-fit list costs it little with few free
# chunks (W1p, FIFO, SAW) and much with many (W2p, W3p, CPY).
yardstick_runs $BB/bench-newlib-nano.elf newlib-nano nano

# The yardsticks' single calls, counted as mm's are, at each workload's
# tight arena: the yardstick alone, QEMU tracing only its own code and
# the markers. For newlib and newlib-nano that is the text of libc's
# malloc, free, lock and sbrk members (read from the link map) and the
# bench's _sbrk. RESULT <w>.trace-tight <allocator> worst_<kind>_instr;
# the calls over 200 instructions in $OUT/trace-<w>-trace-tight-<allocator>.txt.
libc_ranges() { # link map: the text of libc's malloc members, as -dfilter ranges
    awk '$1 == ".text" && $3 != "0x0" &&
        $4 ~ /\(lib_a-(malloc|mallocr|freer|nano-mallocr|nano-freer|mlock|sbrkr)\.o\)$/ {
        printf "%s%s+%s", sep, $2, $3; sep = "," }' $1
}
yardstick_traces() { # elf allocator ranges: its traces of every workload (run in a subshell)
    elf=$1 ranges=$3
    local w
    for w in $PRESSURE; do
        trace_one $w trace-tight "$(result_of $OUT/pressure-$w-tight.log all arena_bytes)" $2
    done
}
yardstick_traces $BB/bench-newlib.elf newlib \
    "$(libc_ranges $BB/bench-newlib.map),$(func_ranges $BB/bench-newlib.elf _sbrk)" & t1=$!
(yardstick_traces $BB/bench-newlib-nano.elf newlib-nano \
    "$(libc_ranges $BB/bench-newlib-nano.map),$(func_ranges $BB/bench-newlib-nano.elf _sbrk)")
wait $t1
for w in $PRESSURE; do
    cat $OUT/trace-$w-trace-tight-newlib.txt $OUT/trace-$w-trace-tight-newlib-nano.txt | emit
done

# The least RAM: the least arena plus the allocator's static state outside
# it. mm keeps all of its state in the arena (its heap/ objects' .data and
# .bss, summed here, are 0); newlib keeps its bins and counters in .data
# and .bss (its __malloc_* objects' sizes, read from the firmware), so its
# least arena alone leaves them out. <w>.min <impl> min_ram_over_peak_live.
static_bytes() { # nm -S output on stdin: the sizes of the data objects (d, b) summed
    local s=0 addr size type name
    while read -r addr size type name; do
        if [[ -n $name && $type == [bBdD] ]]; then s=$((s + 16#$size)); fi
    done
    echo $s
}
mm_static=$(arm-none-eabi-nm -S $BB/mm/heap/*.o | static_bytes)
newlib_static=$(arm-none-eabi-nm -S $BB/bench-newlib.elf | awk '$4 ~ /^__malloc_/' | static_bytes)
nano_static=$(arm-none-eabi-nm -S $BB/bench-newlib-nano.elf | awk '$4 ~ /^__malloc_/' | static_bytes)
echo "RESULT static mm state_outside_arena_bytes $mm_static" | emit
echo "RESULT static newlib state_outside_arena_bytes $newlib_static" | emit
echo "RESULT static newlib-nano state_outside_arena_bytes $nano_static" | emit
least_ram() { # log impl static: min_ram_over_peak_live from a "min" run's log
    awk -v impl="$2" -v st="$3" '$1 == "RESULT" && $3 == impl && $4 == "min_arena_bytes" { a = $5; w = $2 }
        $1 == "RESULT" && $3 == "mm" && $4 == "peak_live_bytes" { p = $5 }
        END { if (p > 0) printf "RESULT %s %s min_ram_over_peak_live %.3f\n", w, impl, (a + st) / p }' $1
}
for w in $PRESSURE; do
    least_ram $OUT/pressure-$w-min.log mm $mm_static | emit
    least_ram $OUT/pressure-$w-min.log newlib $newlib_static | emit
    least_ram $OUT/nano-$w-min.log newlib-nano $nano_static | emit
done

# The frugal build (MM_CFG_FRUGAL=1: every request a mid-size chunk, no
# pools), built in its own directory: the pressure workloads with ample
# memory, at their tight arena, at 1.6x-3x their peak (where the default
# build's pools speed up: the two builds' curves side by side), in 64 KiB
# and the least arena search, and W1/W2 with ample memory, as "mm-frugal"
# (newlib's figures are those above); then its single calls counted at
# the tight and the least arenas, as <workload>.frugal-tight and
# <workload>.frugal-min.
BF=build/bench-$BOARD-frugal
make -s BOARD=$BOARD B=$BF TRACE=0 EXTRA_CFLAGS=-DMM_CFG_FRUGAL=1 $BF/bench-newlib.elf >/dev/null
frugal_runs=(W1 W2 "W1p ample" "W1p tight" "W1p min")
for w in W2p W3p CPY FIFO SAW; do
    frugal_runs+=("$w ample" "$w tight" "$w x16" "$w x20" "$w x25" "$w x30" "$w min" "$w b65536")
done
for run in "${frugal_runs[@]}"; do
    log=$OUT/frugal-${run// /-}.log
    if ! qemu $BF/bench-newlib.elf "$run" >$log 2>&1; then
        echo "bench: $run (MM_CFG_FRUGAL=1) failed:" >&2; tail -20 $log >&2; exit 1
    fi
    grep -E '^RESULT [^ ]+ mm (net_instr_per_(op|call)|failures|min_arena_over_peak_live) ' $log |
        sed 's/ mm / mm-frugal /' | emit
    if [[ $run == *min ]]; then least_ram $log mm $mm_static | sed 's/ mm / mm-frugal /' | emit; fi
done
trace_setup $BF
for w in $PRESSURE; do
    tight=$(result_of $OUT/pressure-$w-tight.log all arena_bytes)
    least=$(result_of $OUT/frugal-$w-min.log mm min_arena_bytes)
    trace_one $w frugal-tight "$tight" & t1=$!
    trace_one $w frugal-min "$least"
    wait $t1
    cat $OUT/trace-$w-frugal-tight.txt $OUT/trace-$w-frugal-min.txt | emit
done

# The TLSF yardstick, with TLSF_DIR=<a checkout of github.com/mattconte/tlsf>
# (make bench TLSF_DIR=...; nothing without it): the bench firmware with
# TLSF in newlib's place (Makefile, bench_main.c), W1-W3 and every
# pressure workload at the same arenas as above and its least arena by
# the same bisection as mm's, as "tlsf" lines. tools/targets.awk then
# also checks target 2 against TLSF's failures and target 1 against its
# least arenas.
if [ -n "${TLSF_DIR:-}" ]; then
    BY=build/bench-$BOARD-tlsf
    make -s BOARD=$BOARD B=$BY TRACE=0 TLSF_DIR="$TLSF_DIR" $BY/bench-tlsf.elf >/dev/null
    for w in W1 W2 W3; do
        log=$OUT/tlsf-$w.log
        if ! qemu $BY/bench-tlsf.elf $w >$log 2>&1; then
            echo "bench: $w on TLSF failed:" >&2; tail -20 $log >&2; exit 1
        fi
        grep ' tlsf ' $log | emit
    done
    yardstick_runs $BY/bench-tlsf.elf tlsf tlsf
    (yardstick_traces $BY/bench-tlsf.elf tlsf \
        "$(func_ranges $BY/bench-tlsf.elf $(text_symbols $BY/bench/tlsf-src.o))")
    for w in $PRESSURE; do emit <$OUT/trace-$w-trace-tight-tlsf.txt; done
fi

# The BENCH_CASEs of tests/bench (objects, collector, ...): mm only, so
# the full-newlib build runs them, each in a fresh QEMU.
elf=$BB/bench-newlib.elf
for c in $(qemu $elf --list 2>/dev/null | sed -n 's/^bench-case //p'); do
    log=$OUT/case-$c.log
    if ! qemu $elf "$c" >$log 2>&1; then
        echo "bench: case $c failed:" >&2; tail -20 $log >&2; exit 1
    fi
    emit <$log
done

lock_bench

# The diagnostics' hook: trace_untraced came from the TRACE=0 build above;
# trace_off, trace_hook (an empty hook attached) and trace_on from the
# same case built with TRACE=1. Then the
# traced figures over the untraced ones, and the trace table's RAM on
# every board (sizeof(mm_tracer) with that board's MM_CFG_TRACE_MAX).
BT=build/bench-$BOARD-trace
make -s BOARD=$BOARD B=$BT TRACE=1 $BT/bench-newlib.elf >/dev/null
log=$OUT/case-trace-on.log
if ! qemu $BT/bench-newlib.elf trace >$log 2>&1; then
    echo "bench: case trace (TRACE=1) failed:" >&2; tail -20 $log >&2; exit 1
fi
emit <$log
fig() { awk -v w="$1" -v m="$2" '$1 == "RESULT" && $2 == w && $4 == m { print $5 }' $RESULTS | tail -1; }
for m in pair_instr int_instr; do
    u=$(fig trace_untraced $m)
    for state in off hook on; do
        v=$(fig trace_$state $m)
        echo "RESULT trace_$state mm ${m%_instr}_ratio_to_untraced $(awk -v a="$v" -v b="$u" 'BEGIN { printf "%.3f", a / b }')" | emit
        echo "RESULT trace_$state mm ${m%_instr}_extra_instr $(awk -v a="$v" -v b="$u" 'BEGIN { printf "%.3f", a - b }')" | emit
    done
done
for mk in boards/*.mk; do
    b=$(basename $mk .mk)
    dir=$OUT/trace-ram-$b
    mkdir -p $dir
    # the board's core and its trace table size (MM_CFG_TRACE_MAX, if it sets one)
    cflags=$(sed -n 's/^BOARD_CFLAGS *:= *//p' $mk)
    max=$(grep -o 'MM_CFG_TRACE_MAX=[0-9]*' $mk | head -1 || true) # none: the default
    printf '#include "diag/mm_trace.h"\nmm_tracer probe_tracer;\nconst unsigned probe_max = MM_CFG_TRACE_MAX;\n' >$dir/probe.c
    arm-none-eabi-gcc $cflags ${max:+-D$max} -DMM_CFG_TRACE=1 -std=c11 -Imm -c $dir/probe.c -o $dir/probe.o
    bytes=$(printf '%d' 0x$(arm-none-eabi-nm -S $dir/probe.o | awk '$4 == "probe_tracer" { print $2 }'))
    traces=${max#MM_CFG_TRACE_MAX=}
    traces=${traces:-$(printf '#include "mm_config.h"\nMM_CFG_TRACE_MAX\n' | arm-none-eabi-gcc -Imm -E -P -x c - | tail -1)}
    echo "RESULT trace_ram $b table_bytes $bytes" | emit
    echo "RESULT trace_ram $b traces $traces" | emit
    echo "RESULT trace_ram $b bytes_per_trace $(awk -v a="$bytes" -v n="$traces" 'BEGIN { printf "%.3f", a / n }')" | emit
done

# Flash at -Os: link a probe that calls the named functions, keep only what
# they reach (--gc-sections), and report the text of the mm objects.
flash() { # label functions...
    local label=$1; shift
    local dir=$OUT/flash-$label
    mkdir -p $dir
    {
        echo '#include <stddef.h>'
        echo '#include "heap/mm_heap.h"'
        echo 'void probe(void); volatile size_t sink;'
        echo 'void probe(void) {'
        for f in "$@"; do echo "    sink += (size_t)&$f;"; done
        echo '}'
    } >$dir/probe.c
    local cc="arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -std=c11 -ffreestanding"
    # the allocator layer and the formatting it prints with
    local objs=("$dir/probe.o") src
    $cc -ffunction-sections -fdata-sections -Imm -c $dir/probe.c -o $dir/probe.o
    for src in mm/heap/*.c mm/fmt/*.c; do
        objs+=("$dir/mm_$(basename $src .c).o")
        $cc -ffunction-sections -fdata-sections -Imm -c $src -o "${objs[-1]}"
    done
    $cc -nostartfiles -e probe -Wl,--gc-sections -Wl,-Map=$dir/map \
        "${objs[@]}" \
        -Wl,--defsym=mm_port_misuse=0 -Wl,--defsym=mm_port_panic=0 -Wl,--defsym=mm_port_write=0 \
        -Wl,--defsym=mm_port_lock=0 -Wl,--defsym=mm_port_unlock=0 -Wl,--defsym=mm_port_clock=0 \
        -o $dir/probe.elf
    # text of the library only: every mm_*.o input section kept in .text/.rodata
    awk -v secs='^\.(text|rodata)' -v obj='mm_' -f tools/mapsize.awk $dir/map
}
echo "RESULT flash mm init_alloc_free_bytes $(flash core mm_init mm_alloc mm_free)" | emit
echo "RESULT flash mm allocator_with_stats_bytes $(flash stats mm_init mm_alloc mm_free mm_realloc \
    mm_usable_size mm_last_error mm_strerror mm_set_owner mm_compact mm_get_stats \
    mm_get_size_class_stats mm_high_water mm_largest_free mm_fragmentation)" | emit
echo "RESULT flash mm diagnostics_check_dump_bytes $(flash diag mm_check mm_dump_map)" | emit
for build in newlib newlib-nano; do
    map=$BB/bench-$build.map
    bytes=$(awk -v secs='^\.text' -v obj='lib_a-.*(malloc|free|mlock|sbrk)' \
        -f tools/mapsize.awk $map)
    echo "RESULT flash $build malloc_free_bytes $bytes" | emit
done
# Issue 14's targets, met or missed, figure by figure (tools/targets.awk)
sort -s -k2,2 $RESULTS | awk -f tools/targets.awk | tee $OUT/targets.txt
echo "bench: all figures in $RESULTS, the targets in $OUT/targets.txt"
