#!/usr/bin/python3
"""heapmap.py MAP PNG - draws a device heap map (diag/mm_heapmap.h) as a PNG:
one cell per page, 64 pages a row, coloured by what holds the page (a size
class's pools, large blocks, free runs, never-used pages, the heap's own),
with the classes' occupancy, peak and free blocks in the legend.
The image is always 1000 x 700 pixels (tools/test.sh checks it)."""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

GLYPHS = "123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
WIDTH, HEIGHT, DPI = 10, 7, 100  # inches at 100 dpi: 1000 x 700 pixels
ROW = 64


def read_map(path):
    info = {"classes": []}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or lines[0] != "mmheapmap 1" or lines[-1] != "end":
        sys.exit(f"{path}: not a complete device heap map")
    for line in lines[1:-1]:
        key, _, rest = line.partition(" ")
        if key == "class":
            idx, block, pools, peak, used, free = (int(v) for v in rest.split())
            info["classes"].append((GLYPHS[idx] if idx < len(GLYPHS) else "#", block,
                                    pools, peak, used, free))
        elif key in ("page_size", "pages", "largest_free"):
            info[key] = int(rest)
        else:
            info[key] = rest
    if len(info["map"]) != info["pages"]:
        sys.exit(f"{path}: {len(info['map'])} glyphs for {info['pages']} pages")
    return info


def main(src, dst):
    info = read_map(src)
    cmap = plt.get_cmap("tab20")
    colour = {"M": (0.15, 0.15, 0.15), "-": (1, 1, 1), ".": (0.85, 0.85, 0.85),
              "L": (0.55, 0.1, 0.1), "=": (0.75, 0.3, 0.3), "+": (0.2, 0.35, 0.7)}
    legend = [Patch(color=colour["M"], label="heap state"),
              Patch(color=colour["L"], label="large block (head)"),
              Patch(color=colour["="], label="large block"),
              Patch(color=colour["+"], label="mid-size area (257 B..2 KiB blocks)"),
              Patch(color=colour["."], label="free run"),
              Patch(facecolor=colour["-"], edgecolor="0.6", label="never used")]
    for k, (g, block, pools, peak, used, free) in enumerate(info["classes"]):
        colour[g] = cmap(k % 20)
        cap = used + free
        legend.append(Patch(color=colour[g], label=f"{block} B: {pools} pools (peak {peak}), "
                            f"{used} used, {free} free, {100 * used // cap if cap else 0}%"))
    pages = info["pages"]
    rows = (pages + ROW - 1) // ROW
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT), dpi=DPI)
    for i, g in enumerate(info["map"]):
        ax.add_patch(plt.Rectangle((i % ROW, rows - 1 - i // ROW), 0.92, 0.92,
                                   facecolor=colour.get(g, (0, 0, 0)), edgecolor="0.7",
                                   linewidth=0.2))
    ax.set_xlim(0, ROW)
    ax.set_ylim(0, max(rows, 1))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{info.get('title', '')}: {pages} pages of {info['page_size']} B, "
                 f"largest free run {info['largest_free']} B", fontsize=10)
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2,
              fontsize=7, frameon=False)
    fig.savefig(dst, dpi=DPI)  # fixed size: no bbox_inches="tight"
    print(f"{dst}: {pages} pages")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
