#!/usr/bin/env bash
# qemu.sh BOARD ELF "ARGS" [QEMU OPTIONS...] - run a firmware image the one
# way mmrt runs them all (make run/debug, tools/test.sh, tools/bench.sh):
# the board's QEMU machine, semihosting on, -icount shift=0, ARGS as the
# semihosting command line. QEMU_TIMEOUT seconds (default 300, 0 = none)
# bound the run; QEMU's exit status is the firmware's exit code.
set -euo pipefail
board=$1 elf=$2 args=$3
shift 3
machine=$(sed -n 's/^QEMU_MACHINE := //p' "$(dirname "$0")/../boards/$board.mk")
# QEMU's Stellaris model says "Timer with period zero, disabling" once when
# the firmware programs its clock (lm3s6965evb); it is harmless, so it is
# dropped from stderr there, and every other line passes through.
if [ "$machine" = lm3s6965evb ]; then
    exec 2> >(grep -v --line-buffered '^Timer with period zero, disabling$' >&2)
fi
exec timeout "${QEMU_TIMEOUT:-300}" qemu-system-arm -M "$machine" -nographic -monitor none \
    -semihosting-config enable=on,target=native -icount shift=0 "$@" \
    -kernel "$elf" -append "$args"
