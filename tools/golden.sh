#!/usr/bin/env bash
# golden.sh [check|update] [BOARD...] - the demos' expected output.
#
# Runs the demo firmware on each board (default: all seven) in both
# languages (the article's Chinese labels, then `en`), masks what may move
# without any behaviour changing (addresses, ids, instruction counts, stack
# high-water), and compares the result with tests/golden/<board>-<lang>.txt
# (check: prints the diff and fails on a mismatch) or rewrites those files
# (update). Each board runs in build/golden/<board>/, where demo 9 gets its
# own input (tools/demo9.py input <board>), so the files do not depend on
# a large_input.txt of your own.
#
# After a change that moves a figure on purpose: tools/golden.sh update,
# read the diff (git diff tests/golden), and commit it with the change.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
shift || true
boards=${*:-${BOARDS:-"lm3s6965evb microbit mps2-an385 mps2-an386 mps2-an500 netduinoplus2 stm32vldiscovery"}}
root=$PWD
status=0

mask() {
    sed -E -e 's/0x[0-9a-fA-F]+/0xADDR/g' \
        -e 's/[0-9]+ (instructions|条指令)/N \1/g' \
        -e 's/stack high-water [0-9]+ of/stack high-water N of/' \
        -e 's/id\(([a-z])\) = [0-9]+/id(\1) = ID/g'
}

case $mode in check|update) ;; *) echo "usage: tools/golden.sh [check|update] [BOARD...]" >&2; exit 2 ;; esac
mkdir -p tests/golden
for board in $boards; do
    if ! make -s -j"${JOBS:-2}" BOARD="$board" "build/$board/mmrt.elf" >/dev/null; then
        echo "FAIL golden $board: build"; status=1; continue
    fi
    work=build/golden/$board
    mkdir -p "$work"
    (cd "$work" && "$root/tools/demo9.py" input "$board" large_input.txt >/dev/null)
    for lang in zh en; do
        args=""; [ "$lang" = en ] && args=en
        out=$work/$lang.txt gold=tests/golden/$board-$lang.txt rc=0
        (cd "$work" && QEMU_TIMEOUT=${QEMU_TIMEOUT:-300} "$root/tools/qemu.sh" "$board" \
            "$root/build/$board/mmrt.elf" "$args" 2>&1) | mask >"$out" || rc=$?
        if [ "$mode" = update ]; then
            cp "$out" "$gold"; echo "updated $gold"
        elif [ ! -f "$gold" ]; then
            echo "FAIL golden $board $lang: no $gold (run tools/golden.sh update)"; status=1
        elif diff -u "$gold" "$out" >"$work/$lang.diff"; then
            echo "PASS golden $board $lang"
        else
            echo "FAIL golden $board $lang: output differs from $gold:"
            sed 's/^/    | /' "$work/$lang.diff"; status=1
        fi
    done
done
exit $status
