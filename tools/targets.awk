# targets.awk - issue 14's targets, read from make bench's RESULT lines
# (build/bench/results.txt), for the default build (mm) and the frugal
# one (mm-frugal), each against newlib's figures of the same run:
#   sort -s -k2,2 build/bench/results.txt | awk -f tools/targets.awk
# (sorted, so that the figures come out by workload). Prints, per target
# and build, "TARGET <n> <build> met (<k> figures)" or "TARGET <n>
# <build> missed (<m> of <k> figures)", then one indented line per
# figure that misses it (the figure, its bound and where the bound comes
# from). A target with no figure in the input says "no figures". Target
# 6 (the guarantees of mm.h) is the host suites' to check, not a
# figure's.
#   1  least arena over peak live <= 1.35 on W2p and CPY, and <= newlib's
#      on every workload (1-ram: the same in RAM, the arena plus the
#      state each keeps outside it, as min_ram_over_peak_live; an aside)
#   2  failures <= newlib's at every arena size run
#   3  net instructions a call <= newlib's / 3, tight and ample
#   4  no single small or large alloc or free over 200 instructions
#   5  W2 with ample memory: <= 20 net instructions an op
# With the TLSF yardstick's figures in the input (make bench TLSF_DIR=...),
# two asides more, on the runs TLSF made too:
#   1-tlsf  least arena over peak live <= TLSF's on every workload
#   2-tlsf  failures <= TLSF's at every arena size run
# With newlib-nano's figures (make bench runs it too: the malloc of
# --specs=nano.specs), targets 1, 2 and 3 again against it:
#   1-nano, 2-nano, 3-nano

function key(w, impl, metric) { return w SUBSEP impl SUBSEP metric }

function miss(t, b, text) {
    n_miss[t, b]++
    why[t, b] = why[t, b] sprintf("    %s\n", text)
}

function seen(t, b) { n_seen[t, b]++ }

# Target t for build b: its net instructions a call in run w no more
# than a third of allocator other's.
function third_of(t, b, other, w,    c, cn) {
    if (!(key(w, b, "net_instr_per_call") in v) || !(key(w, other, "net_instr_per_call") in v))
        return
    c = v[key(w, b, "net_instr_per_call")] + 0
    cn = v[key(w, other, "net_instr_per_call")] + 0
    seen(t, b)
    if (c * 3 > cn)
        miss(t, b, sprintf("%s %.1f a call > %s's %.1f / 3 = %.1f", w, c, other, cn, cn / 3))
}

# Target t for build b: its figure of run w, metric, no more than
# allocator other's; fmt prints the two figures in a miss. Nothing if
# either figure is missing.
function at_most(t, b, other, w, metric, fmt,    x, y) {
    if (!(key(w, b, metric) in v) || !(key(w, other, metric) in v))
        return
    x = v[key(w, b, metric)] + 0; y = v[key(w, other, metric)] + 0
    seen(t, b)
    if (x > y)
        miss(t, b, sprintf(fmt, x, y))
}

$1 == "RESULT" {
    v[key($2, $3, $4)] = $5
    if ($3 == "tlsf") tlsf = 1
    if ($3 == "newlib-nano") nano = 1
    if (!($2 in ws)) { ws[$2] = 1; order[++nw] = $2 } # in input order
}

END {
    nworst = split("worst_alloc_small_instr worst_alloc_large_instr worst_free_small_instr " \
                   "worst_free_large_instr", worst, " ")
    builds = "mm mm-frugal"
    nb = split(builds, bs, " ")
    for (i = 1; i <= nb; i++) {
        b = bs[i]
        for (j = 1; j <= nw; j++) {
            w = order[j]
            split(w, part, ".")
            name = part[1]; mode = part[2]
            # 1: least arenas (mm's own "min" run; newlib's from the same line set)
            if (mode == "min" && (key(w, b, "min_arena_over_peak_live") in v)) {
                m = v[key(w, b, "min_arena_over_peak_live")] + 0
                nl = v[key(w, "newlib", "min_arena_over_peak_live")] + 0
                seen(1, b)
                over = ""
                if ((name == "W2p" || name == "CPY") && m > 1.35)
                    over = "> 1.35"
                if ((key(w, "newlib", "min_arena_over_peak_live") in v) && m > nl)
                    over = over (over == "" ? "" : " and ") sprintf("> newlib's %.3f", nl)
                if (over != "")
                    miss(1, b, sprintf("%s least arena %.3f x peak %s", name, m, over))
            }
            # 1 in RAM: the least arena plus the state kept outside it
            # (newlib's bins; mm keeps none outside), an aside to target 1
            if (mode == "min")
                at_most("1-ram", b, "newlib", w, "min_ram_over_peak_live",
                        name " least RAM %.3f x peak > newlib's %.3f")
            # 2 and 3: every run that printed failures and a cost a call;
            # the frugal build's runs are compared with newlib's run of the
            # same workload and arena
            at_most(2, b, "newlib", w, "failures", w " %d failures > newlib's %d")
            # 1-tlsf and 2-tlsf: the same against the TLSF yardstick
            if (mode == "min")
                at_most("1-tlsf", b, "tlsf", w, "min_arena_over_peak_live",
                        name " least arena %.3f x peak > TLSF's %.3f")
            at_most("2-tlsf", b, "tlsf", w, "failures", w " %d failures > TLSF's %d")
            # 1-nano, 2-nano and 3-nano: against newlib-nano
            if (mode == "min")
                at_most("1-nano", b, "newlib-nano", w, "min_arena_over_peak_live",
                        name " least arena %.3f x peak > newlib-nano's %.3f")
            at_most("2-nano", b, "newlib-nano", w, "failures", w " %d failures > newlib-nano's %d")
            if (mode == "tight" || mode == "ample") {
                third_of(3, b, "newlib", w)
                third_of("3-nano", b, "newlib-nano", w)
            }
            # 4: the traced runs (trace-* for mm, frugal-* for mm-frugal) and W4
            tb = (b == "mm") ? (mode ~ /^trace-/ || w == "W4") : (mode ~ /^frugal-/)
            for (q = 1; tb && q <= nworst; q++) {
                if (key(w, "mm", worst[q]) in v) {
                    seen(4, b)
                    if (v[key(w, "mm", worst[q])] + 0 > 200)
                        miss(4, b, sprintf("%s %s %d > 200", w, worst[q], v[key(w, "mm", worst[q])]))
                }
            }
        }
        # 5: the small fast paths with ample memory
        if (key("W2", b, "net_instr_per_op") in v) {
            seen(5, b)
            x = v[key("W2", b, "net_instr_per_op")] + 0
            if (x > 20)
                miss(5, b, sprintf("W2 %.3f a call > 20", x))
        }
        nt = split("1 1-ram 2 3 4 5" (tlsf ? " 1-tlsf 2-tlsf" : "") (nano ? " 1-nano 2-nano 3-nano" : ""),
                   ts, " ")
        for (ti = 1; ti <= nt; ti++) {
            t = ts[ti]
            if (n_seen[t, b] == 0)
                printf "TARGET %s %s no figures\n", t, b
            else if (n_miss[t, b] == 0)
                printf "TARGET %s %s met (%d figures)\n", t, b, n_seen[t, b]
            else {
                printf "TARGET %s %s missed (%d of %d figures)\n", t, b, n_miss[t, b], n_seen[t, b]
                printf "%s", why[t, b]
            }
        }
    }
}
