#!/usr/bin/env bash
# flash.sh BOARD ELF - flash a real board with openocd (make flash).
#
# The board fragment (boards/<board>.mk) names the probe and the part:
# FLASH_BOARD_CFG (an openocd board script), or FLASH_INTERFACE plus
# FLASH_TARGET (interface/<i>.cfg, target/<t>.cfg). openocd programs the
# ELF, verifies it, resets the board so it runs, and exits. Each step is
# printed. With no probe openocd fails within seconds; FLASH_TIMEOUT (60 s)
# bounds it anyway. FLASH_DRY_RUN=1 prints the command and runs nothing.
set -euo pipefail
board=$1 elf=$2
mk="$(dirname "$0")/../boards/$board.mk"
var() { sed -n "s/^$1 := //p" "$mk"; }
board_cfg=$(var FLASH_BOARD_CFG) interface=$(var FLASH_INTERFACE) target=$(var FLASH_TARGET)
base=$(var FLASH_BASE)

if [ -n "$board_cfg" ]; then
    cfg=(-f "$board_cfg")
elif [ -n "$interface" ] && [ -n "$target" ]; then
    cfg=(-f "interface/$interface.cfg" -f "target/$target.cfg")
else
    echo "flash: $board has no flash method: it is a QEMU-only board here (see README, Boards)" >&2
    exit 2
fi
cmd=(openocd "${cfg[@]}" -c "program $elf verify reset exit")

dir=$(dirname "$elf")
echo "flash: 1. images beside the ELF: $dir/mmrt.hex, $dir/mmrt.bin (vector table at $base)"
echo "flash: 2. openocd programs, verifies and resets $board:"
echo "  openocd ${cfg[*]} -c \"program $elf verify reset exit\""
if [ "${FLASH_DRY_RUN:-}" = 1 ]; then
    echo "flash: dry run: nothing was run"
    exit 0
fi
rc=0
timeout "${FLASH_TIMEOUT:-60}" "${cmd[@]}" || rc=$?
if [ $rc -eq 0 ]; then
    echo "flash: 3. done: $board runs mmrt (UART at 115200 8N1, see README, Flashing a board)"
    exit 0
fi
if [ $rc -eq 124 ]; then
    echo "flash: openocd did not finish within ${FLASH_TIMEOUT:-60} s; stopped" >&2
else
    echo "flash: openocd failed (exit $rc): no probe answered, or it could not program. Is the board's probe (${board_cfg:-$interface}) on USB," >&2
    echo "flash: and may this user open it (udev rules: /usr/lib/udev/rules.d/60-openocd.rules)?" >&2
fi
exit 1
