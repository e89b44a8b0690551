"""Figures of the live quality readings per update, from test_advice's log.

    build/tests/test_advice adviceFiresWhereSsimPlateaus adviceOnRealScansWaitsForAStillImage \
        > /tmp/advice.log
    /usr/bin/python3 docs/quality/advice_figures.py /tmp/advice.log docs/quality

Writes advice_simulated.png (SSIM against the ground truth) and advice_real.png (SSIM against the
image at the end of the scan), each case with the FRC resolution, the change and the structural
change (1 − SSIM to the last update, ×10 to share the axis) per update, where SSIM comes within
0.01 of its last value (dashed) and where the advice says stop (green).
"""
import collections
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LINE = re.compile(
    r"\((?P<tag>[^)]*)\) .* R\s+(?P<r>\d+)\s+ref SSIM (?P<ssim>[\d.]+)\s+resolution\s+"
    r"(?P<res>[\d.]+) px\s+change (?P<change>[\d.]+)\s+1-SSIM (?P<structural>[\d.]+)\s+"
    r"residual [\d.]+\s+(?P<advice>\S+)")


def plateau(ssim, tolerance=0.01):
    first = len(ssim)
    while first > 1 and abs(ssim[first - 2] - ssim[-1]) <= tolerance:
        first -= 1
    return first


def figure(cases, title, reference, path):
    columns = 3
    rows = (len(cases) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.9 * rows), squeeze=False)
    for ax, (tag, steps) in zip(axes.flat, cases.items()):
        r = [s["r"] for s in steps]
        ssim = [s["ssim"] for s in steps]
        ax.plot(r, ssim, "k.-", label=reference)
        ax.set_ylabel(reference)
        ax.set_xlabel("update R")
        ax.set_title(tag, fontsize=9)
        ax.axvline(plateau(ssim), color="grey", linestyle="--")
        stops = [s["r"] for s in steps if s["advice"] == "stop"]
        if stops:
            ax.axvline(stops[0], color="green", linewidth=2)
        right = ax.twinx()
        right.plot(r, [s["res"] for s in steps], "b.-", label="resolution (px)")
        right.plot(r, [100 * s["change"] for s in steps], color="orange", marker=".",
                   label="change (%)")
        right.plot(r, [1000 * s["structural"] for s in steps], color="purple", marker=".",
                   label="1 − SSIM to last update (‰)")
        right.set_ylim(0, min(15, max(max(s["res"] for s in steps), 5) * 1.1))
        right.set_ylabel("resolution (px), change (%), 1 − SSIM (‰)", fontsize=8)
        if ax is axes.flat[0]:
            lines = ax.get_lines()[:1] + right.get_lines()
            ax.legend(lines, [l.get_label() for l in lines], fontsize=7, loc="lower right")
    for ax in list(axes.flat)[len(cases):]:
        ax.axis("off")
    fig.suptitle(title + " — dashed: within 0.01 of the last SSIM; green: advice to stop",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(log, out):
    cases = collections.OrderedDict()
    for line in open(log, encoding="utf-8"):
        m = LINE.search(line)
        if m:
            cases.setdefault(m["tag"], []).append(
                {"r": int(m["r"]), "ssim": float(m["ssim"]), "res": float(m["res"]),
                 "change": float(m["change"]), "structural": float(m["structural"]),
                 "advice": m["advice"]})
    real = collections.OrderedDict((k, v) for k, v in cases.items() if ".h5" in k or "W=" in k
                                   and ("tooth" in k or "i13" in k))
    simulated = collections.OrderedDict((k, v) for k, v in cases.items() if k not in real)
    figure(simulated, "Simulated 128² × 4 slices, 384 interlaced projections",
           "SSIM vs ground truth", out + "/advice_simulated.png")
    figure(real, "Real scans replayed interlaced", "SSIM vs last image", out + "/advice_real.png")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
