"""Figures for docs/quality.md from `tomolive-cli methods SCAN --images FILE`.

One row per scan: the seed's sliding window (I = 1) | filtered (I = 1, the default) |
SIRT-100 over the received projections | SIRT-100 over all projections, the middle slice on the
full-scan reference's 1–99.5 % grey window.

    python3 resources/models/training/method_figures.py /tmp/tooth_methods.h5 \
        docs/quality/methods_tooth.png
"""
import sys

import h5py
import numpy as np
from PIL import Image, ImageDraw

PANELS = [("window_I1", "window I=1"), ("filtered_I1", "filtered I=1"),
          ("reference_received", "SIRT-100 received"), ("reference_full", "SIRT-100 all")]


def main(images_path, out_path, size=320):
    with h5py.File(images_path, "r") as f:
        reference = f["reference_full"][0]
        lo, hi = np.percentile(reference, [1, 99.5])
        tiles = []
        for name, label in PANELS:
            image = f[name][0]
            grey = (255 * np.clip((image - lo) / (hi - lo), 0, 1)).astype(np.uint8)
            tile = Image.fromarray(grey).resize((size, size), Image.BILINEAR).convert("RGB")
            draw = ImageDraw.Draw(tile)
            draw.rectangle([0, 0, size, 16], fill=(0, 0, 0))
            draw.text((4, 2), label, fill=(255, 255, 0))
            tiles.append(tile)
    row = Image.new("RGB", (size * len(tiles), size))
    for i, tile in enumerate(tiles):
        row.paste(tile, (i * size, 0))
    row.save(out_path)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
