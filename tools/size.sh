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
    [ -d build/$b/$mod ] || continue
    # the linker drops unused sections: count what the map says was kept
    map=build/$b/mmrt.map
    flash=$(awk -v secs='^\.(text|rodata|data)' -v obj="^build/$b/$mod/" -f tools/mapsize.awk $map)
    ram=$(awk -v secs='^\.bss' -v obj="^build/$b/$mod/" -f tools/mapsize.awk $map)
    printf '  %-8s flash %6d B   RAM %6d B\n' "$mod" "$flash" "$ram"
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
