#!/usr/bin/env bash
# size.sh - flash and RAM of the demo firmware per board, and per module
# (boot, kernel, mm, demos) from the linker's map, at the build's own -O2
# and again at -Os for the mm library alone.
set -euo pipefail
cd "$(dirname "$0")/.."
BOARDS=${BOARDS:-"lm3s6965evb microbit mps2-an385 mps2-an386 mps2-an500"}

printf '%-12s %8s %8s %8s %10s %12s\n' board text data bss "flash" "mm region"
for b in $BOARDS; do
    make -s BOARD=$b build/$b/mmrt.elf >/dev/null
    read -r text data bss _ < <(arm-none-eabi-size build/$b/mmrt.elf | tail -1)
    start=$(arm-none-eabi-nm build/$b/mmrt.elf | awk '$3 == "__mm_region_start" {print $1}')
    end=$(arm-none-eabi-nm build/$b/mmrt.elf | awk '$3 == "__mm_region_end" {print $1}')
    region=$((16#$end - 16#$start))
    printf '%-12s %8d %8d %8d %10d %12d\n' "$b" "$text" "$data" "$bss" $((text + data)) "$region"
done

echo
echo "per module (lm3s6965evb, -O2, text+data / bss, from the object files linked):"
b=lm3s6965evb
for mod in boot kernel mm demos; do
    objs=$(find build/$b/$mod -name '*.o' 2>/dev/null | sort)
    [ -n "$objs" ] || continue
    # the linker drops unused sections: count what the map says was kept
    awk -v mod="build/$b/$mod/" -v name="$mod" '
        function hex(x,  i, n) { n = 0; x = tolower(x); sub(/^0x/, "", x)
            for (i = 1; i <= length(x); i++) n = n * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
            return n }
        function add(sec, size) { if (sec ~ /^\.bss/) r += hex(size); else f += hex(size) }
        /^Linker script and memory map/ { kept = 1 }
        !kept { next }
        /^ \.(text|rodata|data|bss)[^ ]* +0x[0-9a-f]+ +0x[0-9a-f]+ / { if (index($4, mod) == 1) add($1, $3); pending = ""; next }
        /^ \.(text|rodata|data|bss)[^ ]*$/ { pending = $1; next }
        pending != "" && /^ +0x[0-9a-f]+ +0x[0-9a-f]+ / { if (index($3, mod) == 1) add(pending, $2) }
        { pending = "" }
        END { printf "  %-8s flash %6d B   RAM %6d B\n", name, f, r }' build/$b/mmrt.map
done

echo
echo "mm library alone at -Os (cortex-m3), per file:"
tmp=$(mktemp -d)
for f in mm/*.c; do
    arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -std=c11 -ffreestanding -ffunction-sections \
        -Imm -c "$f" -o "$tmp/$(basename "$f" .c).o"
done
arm-none-eabi-size -t "$tmp"/*.o | sed "s|$tmp/||"
rm -rf "$tmp"
