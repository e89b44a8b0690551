"""Validation table of an exported model: SSIM/PSNR against SIRT-100 of the streaming input, of
its TomoGAN enhancement, and of the enhancement with the reconstruction's circular field-of-view
mask applied again (pixels outside it set to 0, as in SIRT's output), per held-out scan.

    /usr/bin/python3 resources/models/training/evaluate.py resources/models/tomogan.h5 /tmp/tomogan_val.h5
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import load  # noqa: E402
from train import DEPTH, enhance_volume, load_pairs, psnr, ssim  # noqa: E402


def field_of_view(n):
    """SIRT's circular mask: the grid's inscribed circle."""
    yy, xx = np.mgrid[0:n, 0:n]
    return np.hypot(yy - (n - 1) / 2, xx - (n - 1) / 2) < n / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen, offset, scale, attrs = load(args.model)
    gen.eval()
    h, rows = DEPTH // 2, []
    for x, y, a in load_pairs(args.data):
        out = enhance_volume(gen, x, offset, scale, attrs["normalisation"])
        images = {"input": x[h:x.shape[0] - h], "output": out, "masked": out * field_of_view(x.shape[-1])}
        t = y[h:y.shape[0] - h]
        r = dict(a)
        for name, img in images.items():
            r["ssim_" + name] = np.mean([ssim(img[k], t[k]) for k in range(len(t))])
            r["psnr_" + name] = np.mean([psnr(img[k], t[k]) for k in range(len(t))])
        rows.append(r)
    print("| scan seed | phantom | W | I | R | photons | SSIM input | SSIM TomoGAN | SSIM TomoGAN + mask "
          "| PSNR input (dB) | PSNR TomoGAN (dB) | PSNR TomoGAN + mask (dB) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %d | %s | %d | %d | %d | %g | %.4f | %.4f | %.4f | %.2f | %.2f | %.2f |" % (
            r["seed"], r["phantom"], r["window"], r["iterations"], r["rotations"], r["photons"],
            r["ssim_input"], r["ssim_output"], r["ssim_masked"],
            r["psnr_input"], r["psnr_output"], r["psnr_masked"]))
    m = {k: np.mean([r[k] for r in rows]) for k in rows[0] if k.startswith(("ssim_", "psnr_"))}
    print("| **mean** | | | | | | **%.4f** | **%.4f** | **%.4f** | **%.2f** | **%.2f** | **%.2f** |" % (
        m["ssim_input"], m["ssim_output"], m["ssim_masked"], m["psnr_input"], m["psnr_output"], m["psnr_masked"]))
    for name in ("output", "masked"):
        better = sum(r["ssim_" + name] > r["ssim_input"] for r in rows)
        print("\nSSIM raised on %d of %d scans (%s)." % (better, len(rows), "TomoGAN" if name == "output" else "TomoGAN + mask"))


if __name__ == "__main__":
    main()
