"""Validation table of an exported model: SSIM/PSNR against SIRT-100 of the streaming input and of
its TomoGAN enhancement, per held-out scan (Markdown on stdout).

    /usr/bin/python3 resources/models/training/evaluate.py resources/models/tomogan.h5 /tmp/tomogan_val.h5
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import load  # noqa: E402
from train import load_pairs, validate  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen, offset, scale, _ = load(args.model)
    mean, rows = validate(gen, load_pairs(args.data), offset, scale)
    print("| scan seed | phantom | W | I | R | photons | SSIM input | SSIM TomoGAN | PSNR input (dB) | PSNR TomoGAN (dB) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %d | %s | %d | %d | %d | %g | %.4f | %.4f | %.2f | %.2f |" % (
            r["seed"], r["phantom"], r["window"], r["iterations"], r["rotations"], r["photons"],
            r["ssim_input"], r["ssim_output"], r["psnr_input"], r["psnr_output"]))
    print("| **mean** | | | | | | **%.4f** | **%.4f** | **%.2f** | **%.2f** |" % (
        mean["ssim_input"], mean["ssim_output"], mean["psnr_input"], mean["psnr_output"]))
    better = sum(r["ssim_output"] > r["ssim_input"] for r in rows)
    print("\nSSIM raised on %d of %d scans." % (better, len(rows)))


if __name__ == "__main__":
    main()
