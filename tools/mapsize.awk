# mapsize.awk - bytes a link kept from some objects, read from a GNU ld map.
#
# Sums the sizes of the input sections listed after "Linker script and
# memory map" (so discarded sections do not count) whose section name
# matches the regex `secs` and whose object path matches the regex `obj`.
# ld prints a section on one line, or on two when its name is long; both
# forms are read. Used by tools/size.sh and tools/bench.sh:
#   awk -v secs='^\.(text|rodata)' -v obj='mm_' -f tools/mapsize.awk prog.map
function hex(x,  i, n) {
    n = 0; x = tolower(x); sub(/^0x/, "", x)
    for (i = 1; i <= length(x); i++) n = n * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
    return n
}
/^Linker script and memory map/ { kept = 1 }
!kept { next }
/^ \.[^ ]+ +0x[0-9a-f]+ +0x[0-9a-f]+ / { if ($1 ~ secs && $4 ~ obj) total += hex($3); pending = ""; next }
/^ \.[^ ]+$/ { pending = $1; next }
pending != "" && /^ +0x[0-9a-f]+ +0x[0-9a-f]+ / { if (pending ~ secs && $3 ~ obj) total += hex($2) }
{ pending = "" }
END { print total + 0 }
