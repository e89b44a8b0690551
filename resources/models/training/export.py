"""Export a TomoGAN generator to TomoLive's HDF5 weight format and write the parity golden file.

Weight file (resources/models/README.md): /convK/weight float32 (out, in, kh, kw), /convK/bias
float32 (out,); root attributes format, format_version, depth, input_offset, input_scale,
recipe_hash, trained_on, notes.

Golden file (for the C++ parity test): `input` float32 (3, H, W) in reconstruction units
(attenuation per pixel), `output` float32 (H, W) = the float64 forward pass (normalisation,
network, inverse normalisation) cast to float32, `output_f32` float32 (H, W) = the same in
float32; attributes name the weight file it belongs to (recipe_hash, weights_sha256).

Before training, for parity tests with random weights:
    /usr/bin/python3 resources/models/training/export.py --random-init --seed 0 \
        -o /tmp/tomogan_random.h5 --golden /tmp/tomogan_random_golden.h5
From a training checkpoint:
    /usr/bin/python3 resources/models/training/export.py --checkpoint build/tomogan_training/best.pt \
        --recipe resources/models/training/recipe_v4.json --golden-from /tmp/tomogan_val.h5 \
        -o resources/models/tomogan.h5 --golden resources/models/tomogan_golden.h5
The golden file of a weight file already exported (input: the synthetic stack, seed 0):
    /usr/bin/python3 resources/models/training/export.py --weights resources/models/tomogan.h5 \
        --golden resources/models/tomogan_golden.h5
"""
import argparse
import hashlib
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tomogan_model import DEPTH, GENERATOR_LAYERS, TomoGANGenerator  # noqa: E402
from train import NORMALISATIONS, slice_normalisation  # noqa: E402

FORMAT = "tomolive-tomogan"
FORMAT_VERSION = 1
GOLDEN_SHAPE = (DEPTH, 40, 56)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export(generator, path, input_offset, input_scale, recipe_hash, notes, trained_on="",
           normalisation="global", input_method=None):
    """Write the generator's weights and normalisation to `path` (HDF5, format version 1).
    `normalisation` (other than "global") and `input_method` become root attributes (absent: v1 files)."""
    state = generator.state_dict()
    with h5py.File(path, "w") as f:
        for name, cin, cout, k in GENERATOR_LAYERS:
            w = state[name + ".weight"].detach().cpu().numpy().astype(np.float32)
            b = state[name + ".bias"].detach().cpu().numpy().astype(np.float32)
            assert w.shape == (cout, cin, k, k) and b.shape == (cout,), name
            g = f.create_group(name)
            g.create_dataset("weight", data=w)
            g.create_dataset("bias", data=b)
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["depth"] = np.int64(DEPTH)
        f.attrs["input_offset"] = np.float64(input_offset)
        f.attrs["input_scale"] = np.float64(input_scale)
        if normalisation != "global":
            f.attrs["normalisation"] = str(normalisation)
        if input_method:
            f.attrs["input_method"] = str(input_method)
        f.attrs["recipe_hash"] = str(recipe_hash)
        f.attrs["trained_on"] = str(trained_on)
        f.attrs["notes"] = str(notes)


def load(path):
    """Read a weight file back: (generator, input_offset, input_scale, attrs)."""
    g = TomoGANGenerator()
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == FORMAT and int(f.attrs["format_version"]) == FORMAT_VERSION
        state = {}
        for name, _, _, _ in GENERATOR_LAYERS:
            state[name + ".weight"] = torch.from_numpy(f[name]["weight"][()])
            state[name + ".bias"] = torch.from_numpy(f[name]["bias"][()])
        attrs = dict(f.attrs)
    g.load_state_dict(state)
    attrs.setdefault("normalisation", "global")
    return g, float(attrs["input_offset"]), float(attrs["input_scale"]), attrs


def enhance(generator, x, input_offset, input_scale, dtype=torch.float64, normalisation="global"):
    """Reference inference in reconstruction units: x (3, H, W) -> (H, W), computed in `dtype`.
    Per-slice: statistics of the middle slice's inscribed circle, padding to multiples of 8 with
    air, as engine/nn/SliceNormalisation.cpp does."""
    import copy
    g = copy.deepcopy(generator).to(dtype).eval()
    x = np.asarray(x, dtype=np.float64)
    d, h, w = x.shape
    norm = slice_normalisation(x[d // 2], normalisation)
    if norm is None:
        return x[d // 2].copy()
    m, sd = norm
    xp = np.full((d, (h + 7) // 8 * 8, (w + 7) // 8 * 8), 0.0)
    xp[:, :h, :w] = x
    t = torch.from_numpy((xp - m) / sd).to(dtype)[None]
    with torch.no_grad():
        y = g((t - input_offset) * input_scale)[0, 0]
    return ((y / input_scale + input_offset).numpy() * sd + m)[:h, :w]


def synthetic_input(seed=0, shape=GOLDEN_SHAPE):
    """A reconstruction-like stack without a data file: discs of 0.01-0.08 attenuation per pixel,
    smooth between slices, plus noise and a few streak-like stripes (streaming SIRT artefacts)."""
    rng = np.random.default_rng(seed)
    d, h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    vol = np.zeros(shape)
    for _ in range(12):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(3, 12)
        val, dr = rng.uniform(0.01, 0.08), rng.uniform(-1.5, 1.5)
        for s in range(d):
            vol[s] += val * (((yy - cy) ** 2 + (xx - cx) ** 2) < (r + dr * (s - d // 2)) ** 2)
    for s in range(d):
        ang = rng.uniform(0, np.pi)
        vol[s] += 0.004 * np.sin(0.9 * (np.cos(ang) * xx + np.sin(ang) * yy))
    vol += rng.normal(0, 0.006, shape)
    return np.clip(vol, 0, None).astype(np.float32)


def input_from_file(path, seed=0, shape=GOLDEN_SHAPE):
    """A crop of 3 adjacent slices from a training-data file (first scan's `input`) or a
    Data Exchange reconstruction (/exchange/recon), chosen where the crop has structure."""
    d, h, w = shape
    with h5py.File(path, "r") as f:
        if "scans" in f:
            vol = f["scans"][sorted(f["scans"].keys())[0]]["input"][()]
        else:
            vol = f["exchange/recon"][()]
    rng = np.random.default_rng(seed)
    best, best_std = None, -1.0
    for _ in range(32):
        s = rng.integers(0, vol.shape[0] - d + 1)
        y = rng.integers(vol.shape[1] // 4, max(vol.shape[1] // 4 + 1, 3 * vol.shape[1] // 4 - h))
        x = rng.integers(vol.shape[2] // 4, max(vol.shape[2] // 4 + 1, 3 * vol.shape[2] // 4 - w))
        crop = vol[s:s + d, y:y + h, x:x + w]
        if crop.shape == shape and crop.std() > best_std:
            best, best_std = crop, crop.std()
    return np.ascontiguousarray(best, dtype=np.float32)


def random_generator(seed):
    """Untrained weights whose output still varies with the input (PyTorch's default init makes
    the output nearly constant for inputs of ~0.03): He-normal weights, small random biases."""
    torch.manual_seed(seed)
    g = TomoGANGenerator()
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                torch.nn.init.normal_(m.bias, 0.0, 0.01)
    return g


def make_golden(generator, path, input_offset, input_scale, recipe_hash, weights_path, x=None,
                normalisation="global"):
    """Write the parity golden file for `generator` (the weights stored at `weights_path`)."""
    x = synthetic_input() if x is None else np.asarray(x, dtype=np.float32)
    assert x.shape[0] == DEPTH and x.shape[1] % 8 == 0 and x.shape[2] % 8 == 0
    y64 = enhance(generator, x, input_offset, input_scale, torch.float64, normalisation)
    y32 = enhance(generator, x, input_offset, input_scale, torch.float32, normalisation)
    with h5py.File(path, "w") as f:
        f.create_dataset("input", data=x)
        f.create_dataset("output", data=y64.astype(np.float32))
        f.create_dataset("output_f32", data=y32.astype(np.float32))
        f.attrs["format"] = "tomolive-tomogan-golden"
        f.attrs["weights_file"] = os.path.basename(weights_path)
        f.attrs["weights_sha256"] = sha256_file(weights_path)
        f.attrs["recipe_hash"] = str(recipe_hash)
        f.attrs["input_offset"] = np.float64(input_offset)
        f.attrs["input_scale"] = np.float64(input_scale)
        f.attrs["normalisation"] = str(normalisation)
        f.attrs["units"] = "input and output in reconstruction units (attenuation per pixel)"
        f.attrs["f32_vs_f64_max_abs"] = np.float64(np.abs(y32 - y64).max())
        f.attrs["output_abs_max"] = np.float64(np.abs(y64).max())
    return np.abs(y32 - y64).max()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--random-init", action="store_true", help="random weights (He-normal, small biases)")
    src.add_argument("--checkpoint", help="training checkpoint (.pt) written by train.py")
    src.add_argument("--weights", help="a weight file (.h5) already exported: write only its --golden")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", help="weight file (.h5) to write (not with --weights)")
    ap.add_argument("--golden", help="also write the parity golden file here")
    ap.add_argument("--golden-from", help="take the golden input from this data file (else synthetic)")
    ap.add_argument("--recipe", help="recipe.json whose SHA-256 becomes recipe_hash")
    ap.add_argument("--normalisation", choices=NORMALISATIONS, default="global",
                    help="for --random-init (a checkpoint carries its own)")
    args = ap.parse_args()

    if args.weights:
        if args.output or not args.golden:
            sys.exit("--weights writes only the golden file of that weight file: give --golden, not -o")
        gen, offset, scale, attrs = load(args.weights)
        x = input_from_file(args.golden_from, args.seed) if args.golden_from else synthetic_input(args.seed)
        diff = make_golden(gen, args.golden, offset, scale, attrs["recipe_hash"], args.weights, x,
                           attrs["normalisation"])
        print("wrote %s, float32 vs float64 max |diff| %.3g" % (args.golden, diff))
        return
    if not args.output:
        sys.exit("-o/--output is required with --random-init or --checkpoint")
    recipe_hash = sha256_file(args.recipe) if args.recipe else "none (random initialisation)"
    normalisation, input_method = args.normalisation, None
    if args.random_init:
        gen, offset, scale = random_generator(args.seed), 0.0, 1.0
        trained_on = "nothing: random He-normal weights, N(0, 0.01) biases, torch.manual_seed(%d)" % args.seed
        notes = "untrained weights for parity tests only"
    else:
        ck = torch.load(args.checkpoint, map_location="cpu")
        gen = TomoGANGenerator()
        gen.load_state_dict(ck["generator"])
        offset, scale = ck["input_offset"], ck["input_scale"]
        trained_on, notes = ck.get("trained_on", ""), ck.get("notes", "")
        normalisation = ck.get("normalisation", "global")
        input_method = ck.get("input_method")
        if args.recipe and ck.get("recipe_hash") not in (None, recipe_hash):
            sys.exit("recipe hash of %s differs from the checkpoint's" % args.recipe)
    export(gen, args.output, offset, scale, recipe_hash, notes, trained_on, normalisation, input_method)
    print("wrote %s (%d bytes), offset %.6g, scale %.6g" % (args.output, os.path.getsize(args.output), offset, scale))
    if args.golden:
        x = input_from_file(args.golden_from, args.seed) if args.golden_from else synthetic_input(args.seed)
        diff = make_golden(gen, args.golden, offset, scale, recipe_hash, args.output, x, normalisation)
        print("wrote %s (%d bytes), float32 vs float64 max |diff| %.3g" % (args.golden, os.path.getsize(args.golden), diff))


if __name__ == "__main__":
    main()
