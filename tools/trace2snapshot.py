#!/usr/bin/python3
"""trace2snapshot.py - a device trace dump (diag/mm_trace.h, mm_trace_dump)
as a file that CPython's tracemalloc.Snapshot.load() opens.

  trace2snapshot.py DUMP OUT            write OUT, a pickled tracemalloc.Snapshot
  trace2snapshot.py --lines DUMP [OLD]  print what the host's tracemalloc says
                                        of DUMP: statistics('lineno') and
                                        statistics('filename'), and with OLD
                                        compare_to(OLD, 'lineno'), each under a
                                        heading line as the device test writes
  trace2snapshot.py --check LOG DUMP    the "file:line: size=..." lines of a
                                        device console LOG must be the host's
                                        statistics('lineno')[:N] of DUMP, N the
                                        number of such lines; exit 1 if not

The snapshot is built from the host's own tracemalloc objects: one trace
(domain 0, size, ((file, line),), 1 frame) per device trace, traceback limit
1. Allocations the device could not trace (table full) are not in it; their
count is printed on stderr.
"""
import re
import sys
import tracemalloc

STAT_LINE = re.compile(r"^\S+:\d+: size=")


def read_dump(path):
    """(traces, dropped) of a device dump."""
    traces, dropped, ended = [], 0, False
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or lines[0] != "mmtrace 1":
        sys.exit(f"{path}: not a device trace dump (first line {lines[:1]})")
    for n, line in enumerate(lines[1:], 2):
        word, _, rest = line.partition(" ")
        if word == "trace":
            size, lineno, file = rest.split(" ", 2)
            traces.append((0, int(size), ((file, int(lineno)),), 1))
        elif word == "dropped":
            dropped = int(rest.split(" ")[0])
        elif word == "end":
            ended = True
        else:
            sys.exit(f"{path}:{n}: unknown record {line!r}")
    if not ended:
        sys.exit(f"{path}: cut short (no 'end' line)")
    return traces, dropped


def snapshot(path):
    traces, dropped = read_dump(path)
    if dropped:
        print(f"{path}: {dropped} allocations were not traced on the device",
              file=sys.stderr)
    return tracemalloc.Snapshot(tuple(traces), 1)


def main(argv):
    if len(argv) == 3 and not argv[1].startswith("--"):
        snapshot(argv[1]).dump(argv[2])
        loaded = tracemalloc.Snapshot.load(argv[2])  # it opens as tracemalloc's own
        print(f"{argv[2]}: {len(loaded.traces)} traces")
        return 0
    if len(argv) in (3, 4) and argv[1] == "--lines":
        new = snapshot(argv[2])
        print("statistics lineno")
        for st in new.statistics("lineno"):
            print(st)
        print("statistics filename")
        for st in new.statistics("filename"):
            print(st)
        if len(argv) == 4:
            print("compare_to lineno")
            for st in new.compare_to(snapshot(argv[3]), "lineno"):
                print(st)
        return 0
    if len(argv) == 4 and argv[1] == "--check":
        with open(argv[2], encoding="utf-8", errors="replace") as f:
            device = [l.rstrip("\n") for l in f if STAT_LINE.match(l)]
        host = [str(st) for st in snapshot(argv[3]).statistics("lineno")[:len(device)]]
        if not device or device != host:
            print("device:", *device, "host:", *host, sep="\n  ")
            return 1
        print(f"{len(device)} statistics lines agree with the host's tracemalloc")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
