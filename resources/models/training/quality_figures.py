"""Before/after figures for docs/quality.md from `tomolive-cli quality --images FILE`.

Each figure is one row: streaming SIRT | TomoGAN | SIRT-100 reference (the middle slice), on the
reference's 1–99.5 % grey window.

    /usr/bin/python3 resources/models/training/quality_figures.py /tmp/quality_images.h5 docs/quality
"""
import sys
from pathlib import Path

import h5py
import numpy as np
from PIL import Image, ImageDraw

CASES = ["glass/W32_I1_R5", "shale/W32_I1_R5", "tooth/W20_I1_R3", "i13_crop/W20_I1_R3"]


def grey(image, lo, hi):
    return (255 * np.clip((image - lo) / (hi - lo), 0, 1)).astype(np.uint8)


def main(images_path, out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(images_path, "r") as f:
        for case in CASES:
            if case not in f:
                print(f"skipped {case}: not in {images_path}")
                continue
            group = f[case]
            before, after, reference = (group[name][0] for name in ("before", "after", "reference"))
            lo, hi = np.percentile(reference, [1, 99.5])
            row = np.concatenate([grey(before, lo, hi), grey(after, lo, hi), grey(reference, lo, hi)], axis=1)
            scale = max(1, 256 // before.shape[0])
            image = Image.fromarray(row).resize((row.shape[1] * scale, row.shape[0] * scale), Image.NEAREST)
            draw = ImageDraw.Draw(image)
            width = before.shape[1] * scale
            ssim_before = group["before"].attrs["ssim_before"]
            ssim_after = group["after"].attrs["ssim_after"]
            for k, label in enumerate([f"streaming SIRT (SSIM {ssim_before:.3f})",
                                       f"TomoGAN (SSIM {ssim_after:.3f})", "SIRT-100, all projections"]):
                draw.text((k * width + 4, 4), label, fill=255)
            name = out / (case.replace("/", "_") + ".png")
            image.save(name)
            print(f"wrote {name}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
