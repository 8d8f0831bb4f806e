#!/usr/bin/env bash
# size.sh - flash and RAM of the demo firmware per board, and per module
# (boot, kernel, mm, demos) from the linker's map, at the build's own -O2
# and again at -Os for the mm library alone.
set -euo pipefail
cd "$(dirname "$0")/.."
BOARDS=${BOARDS:-"lm3s6965evb microbit mps2-an385 mps2-an386 mps2-an500 netduinoplus2 stm32vldiscovery"}

printf '%-16s %8s %8s %8s %10s %12s\n' board text data bss "flash" "mm region"
for b in $BOARDS; do
    make -s BOARD=$b build/$b/mmrt.elf >/dev/null
    read -r text data bss _ < <(arm-none-eabi-size build/$b/mmrt.elf | tail -1)
    start=$(arm-none-eabi-nm build/$b/mmrt.elf | awk '$3 == "__mm_region_start" {print $1}')
    end=$(arm-none-eabi-nm build/$b/mmrt.elf | awk '$3 == "__mm_region_end" {print $1}')
    region=$((16#$end - 16#$start))
    printf '%-16s %8d %8d %8d %10d %12d\n' "$b" "$text" "$data" "$bss" $((text + data)) "$region"
done

echo
echo "per module and mm/ layer (lm3s6965evb, -O2, text+data / bss, from the object files linked):"
b=lm3s6965evb
layers=$(make -s --no-print-directory print-mm-layers)
for mod in boot kernel $(for l in $layers; do echo mm/$l; done) demos; do
    [ -d build/$b/$mod ] || continue
    # the linker drops unused sections: count what the map says was kept
    map=build/$b/mmrt.map
    flash=$(awk -v secs='^\.(text|rodata|data)' -v obj="^build/$b/$mod/" -f tools/mapsize.awk $map)
    ram=$(awk -v secs='^\.bss' -v obj="^build/$b/$mod/" -f tools/mapsize.awk $map)
    printf '  %-10s flash %6d B   RAM %6d B\n' "$mod" "$flash" "$ram"
done

echo
echo "mm library alone at -Os (cortex-m3), per layer and file:"
tmp=$(mktemp -d)
for l in $layers; do
    mkdir -p "$tmp/$l"
    for f in mm/$l/*.c; do
        arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -std=c11 -ffreestanding -ffunction-sections \
            -Imm -c "$f" -o "$tmp/$l/$(basename "$f" .c).o"
    done
    arm-none-eabi-size "$tmp/$l"/*.o | sed "1d; s|$tmp/||"
    arm-none-eabi-size -t "$tmp/$l"/*.o | tail -1 | awk -v l="$l" '{ printf "  layer %-6s text %6d  data %4d  bss %4d\n", l, $1, $2, $3 }'
done
arm-none-eabi-size -t $(find "$tmp" -name '*.o' | sort) | tail -1 | awk '{ printf "  all mm/      text %6d  data %4d  bss %4d\n", $1, $2, $3 }'
rm -rf "$tmp"
