#!/usr/bin/env bash
# qemu.sh BOARD ELF "ARGS" [QEMU OPTIONS...] - run a firmware image the one
# way mmrt runs them all (make run/debug, tools/test.sh, tools/bench.sh):
# the board's QEMU machine, -icount shift=0, QEMU_TIMEOUT seconds (default
# 300, 0 = none) bound the run.
#
# QEMU_CONSOLE=semihosting (default): semihosting on, ARGS as its command
# line; QEMU's exit status is the firmware's exit code.
#
# QEMU_CONSOLE=uart: no semihosting, so no command line and no exit code.
# The board's UART (boards/<board>.mk: QEMU_SERIAL_INDEX) is QEMU's stdout.
# The firmware ends with "mmrt: halted, exit code N" and sleeps; that line
# stops QEMU. The status is 0 when the last summary line ("N demos run,
# N failed" or "N passed, N failed") says 0 failed and N is 0; N when N is
# not 0; 1 when the summary counts failures; 124 with a message when no
# halt line came within the timeout (a hang).
set -euo pipefail
board=$1 elf=$2 args=$3
shift 3
mk="$(dirname "$0")/../boards/$board.mk"
machine=$(sed -n 's/^QEMU_MACHINE := //p' "$mk")
# QEMU's Stellaris model says "Timer with period zero, disabling" once when
# the firmware programs its clock (lm3s6965evb); it is harmless, so it is
# dropped from stderr there, and every other line passes through.
if [ "$machine" = lm3s6965evb ]; then
    exec 2> >(grep -v --line-buffered '^Timer with period zero, disabling$' >&2)
fi
timeout=${QEMU_TIMEOUT:-300}

if [ "${QEMU_CONSOLE:-semihosting}" != uart ]; then
    exec timeout "$timeout" qemu-system-arm -M "$machine" -nographic -monitor none \
        -semihosting-config enable=on,target=native -icount shift=0 "$@" \
        -kernel "$elf" -append "$args"
fi

[ -n "$args" ] && echo "qemu.sh: '$args' ignored: with a UART console there is no command line, every demo runs" >&2
index=$(sed -n 's/^QEMU_SERIAL_INDEX := //p' "$mk")
serial=()
for ((i = 0; i < ${index:-0}; i++)); do serial+=(-serial null); done
serial+=(-serial stdio)

coproc QEMU { exec qemu-system-arm -M "$machine" -nographic -monitor none -icount shift=0 \
    "${serial[@]}" "$@" -kernel "$elf" 2>&1; }
qemu_pid=$QEMU_PID
deadline=$((SECONDS + timeout))
summary="" code="" why=eof
while :; do
    wait_opt=()
    if [ "$timeout" != 0 ]; then
        left=$((deadline - SECONDS))
        [ $left -le 0 ] && { why=timeout; break; }
        wait_opt=(-t "$left")
    fi
    line=""
    if ! IFS= read -r "${wait_opt[@]}" line <&"${QEMU[0]}"; then
        rc=$?
        [ $rc -gt 128 ] && why=timeout
        [ -n "$line" ] && printf '%s\n' "${line%$'\r'}"
        break
    fi
    line=${line%$'\r'}
    printf '%s\n' "$line"
    if [[ $line =~ ^[0-9]+\ demos\ run,\ [0-9]+\ failed$ || $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
        summary=$line
    elif [[ $line =~ ^mmrt:\ halted,\ exit\ code\ (-?[0-9]+)$ ]]; then
        code=${BASH_REMATCH[1]}
        break
    fi
done
kill "$qemu_pid" 2>/dev/null || true
wait "$qemu_pid" 2>/dev/null || true

if [ -z "$code" ]; then
    if [ "$why" = timeout ]; then
        echo "qemu.sh: $board: no 'mmrt: halted' line on the UART within $timeout s: the firmware hangs (timeout)" >&2
        exit 124
    fi
    echo "qemu.sh: $board: QEMU ended before the firmware printed 'mmrt: halted'" >&2
    exit 125
fi
[ "$code" != 0 ] && exit "$code"
if [ -n "$summary" ] && [[ ! $summary =~ \ 0\ failed$ ]]; then
    exit 1
fi
exit 0
