"""Train TomoGAN (Liu et al., arXiv:1902.07582) on TomoLive's own training pairs, on the CPU.

Data: HDF5 written by `tomolive-cli training-data` (/scans/NNNN/input and /target, slices x N x N
float32 in attenuation per pixel). The network sees 3 adjacent input slices and predicts the
middle slice of the target. Normalisation (recipe "normalisation"):
- "global" (recipe v1): one offset/scale from the training targets (mean and 1/std), stored in the
  checkpoint and in the exported model file;
- "per-slice" (recipe v2): each 3-slice stack and its target are mapped by (x - m) / s with m, s
  the mean and standard deviation of the middle input slice (the whole slice, not the crop)
  inside its inscribed circle, as the C++ inference does (engine/nn/SliceNormalisation.h);
  the global offset/scale is then 0/1;
- "per-slice-mean" (recipe v3): the same with s = m, the mean: the one statistic that an
  under-iterated SIRT image already has right (its mean is the converged image's), so the
  target's contrast in these units does not depend on how far the input is from converged.

Losses (generator): lambda_mse * MSE + lambda_edge * L1 of image gradients (in place of the
paper's VGG perceptual term: no ImageNet weights here) + lambda_adv * BCE(D(G(x)), real).
Discriminator: BCE on targets (real) vs generator outputs (fake), the paper's code's network.

    /usr/bin/python3 resources/models/training/train.py --train /tmp/tomogan_train.h5 \
        --val /tmp/tomogan_val.h5 --recipe resources/models/training/recipe_v4.json
    # (recipe_v4.json: the shipped model's recipe, the default) same command plus --resume to continue from build/tomogan_training/last.pt
"""
import argparse
import csv
import hashlib
import json
import math
import os
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tomogan_model import DEPTH, TomoGANDiscriminator, TomoGANGenerator  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_pairs(path):
    """[(input volume, target volume, attrs)] for every scan of a training-data file."""
    out = []
    with h5py.File(path, "r") as f:
        for key in sorted(f["scans"].keys()):
            g = f["scans"][key]
            attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in g["input"].attrs.items()
                     if k != "recipe"}
            out.append((g["input"][()].astype(np.float32), g["target"][()].astype(np.float32), attrs))
    return out


def slice_stats(image):
    """(mean, std) of a 2-D image over its inscribed circle (centre ((h-1)/2, (w-1)/2), radius
    min(h, w)/2, border included), in float64: engine/nn/SliceNormalisation.h's statistics."""
    h, w = image.shape
    yy, xx = np.mgrid[0:h, 0:w]
    inside = (yy - (h - 1) / 2) ** 2 + (xx - (w - 1) / 2) ** 2 <= (min(h, w) / 2) ** 2
    v = image[inside].astype(np.float64)
    return float(v.mean()), float(v.std())


NORMALISATIONS = ("global", "per-slice", "per-slice-mean")


def slice_normalisation(image, normalisation):
    """(m, s) that map a slice's stack by (x - m) / s (engine/nn/SliceNormalisation.h), or None
    where the slice cannot be normalised (the C++ inference then returns it unchanged):
    "global" (0, 1); "per-slice" the mean and std over the inscribed circle (None for std 0);
    "per-slice-mean" the mean twice (None unless the mean is positive)."""
    if normalisation == "global":
        return 0.0, 1.0
    m, sd = slice_stats(image)
    scale = sd if normalisation == "per-slice" else m
    return (m, scale) if scale > 0 else None


def stack_normalisation(x, s, normalisation):
    """(m, s) for the stack around slice s of volume x (identity where it cannot be normalised)."""
    return slice_normalisation(x[s], normalisation) or (0.0, 1.0)


def samples(pairs, normalisation="global"):
    """(scan index, middle slice, mean, std) for every 3-slice stack."""
    h = DEPTH // 2
    return [(i, s) + stack_normalisation(x, s, normalisation)
            for i, (x, _, _) in enumerate(pairs) for s in range(h, x.shape[0] - h)]


def batch(pairs, index, rng, size, patch, offset, scale):
    """Random crops with random flips / 90° rotations, normalised: (size,3,P,P), (size,1,P,P)."""
    xs, ys, h = [], [], DEPTH // 2
    for _ in range(size):
        i, s, m, sd = index[rng.integers(len(index))]
        x, y, _ = pairs[i]
        r, c = rng.integers(0, x.shape[1] - patch + 1), rng.integers(0, x.shape[2] - patch + 1)
        xc = (x[s - h:s + h + 1, r:r + patch, c:c + patch] - m) / sd
        yc = (y[s:s + 1, r:r + patch, c:c + patch] - m) / sd
        k = rng.integers(4)
        xc, yc = np.rot90(xc, k, (1, 2)), np.rot90(yc, k, (1, 2))
        if rng.integers(2):
            xc, yc = xc[:, :, ::-1], yc[:, :, ::-1]
        xs.append(xc)
        ys.append(yc)
    xb = (torch.from_numpy(np.ascontiguousarray(np.stack(xs))) - offset) * scale
    yb = (torch.from_numpy(np.ascontiguousarray(np.stack(ys))) - offset) * scale
    return xb, yb


def edge_loss(a, b):
    """L1 distance of horizontal and vertical finite differences (edge / detail term)."""
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]
    return F.l1_loss(dx(a), dx(b)) + F.l1_loss(dy(a), dy(b))


def ssim(a, b):
    return structural_similarity(a, b, data_range=float(b.max() - b.min()), gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False)


def psnr(a, b):
    return peak_signal_noise_ratio(b, a, data_range=float(b.max() - b.min()))


def enhance_volume(gen, x, offset, scale, normalisation="global"):
    """Enhance every slice with both neighbours available: (S,N,N) -> (S-2,N,N), reconstruction units."""
    h = DEPTH // 2
    norm = [stack_normalisation(x, s, normalisation) for s in range(h, x.shape[0] - h)]
    stacks = np.stack([(x[s - h:s + h + 1] - m) / sd
                       for s, (m, sd) in zip(range(h, x.shape[0] - h), norm)]).astype(np.float32)
    with torch.no_grad():
        y = (gen((torch.from_numpy(stacks) - offset) * scale)[:, 0] / scale + offset).numpy()
    return np.stack([y[k] * sd + m for k, (m, sd) in enumerate(norm)])


def validate(gen, pairs, offset, scale, normalisation="global"):
    """Mean SSIM/PSNR against the target of the input middle slices and of the enhanced ones,
    plus one row per scan."""
    gen.eval()
    rows, h = [], DEPTH // 2
    for x, y, attrs in pairs:
        out = enhance_volume(gen, x, offset, scale, normalisation)
        m = dict(attrs)
        for name, img in (("input", x[h:x.shape[0] - h]), ("output", out)):
            t = y[h:y.shape[0] - h]
            m["ssim_" + name] = float(np.mean([ssim(img[k], t[k]) for k in range(len(t))]))
            m["psnr_" + name] = float(np.mean([psnr(img[k], t[k]) for k in range(len(t))]))
        rows.append(m)
    gen.train()
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("ssim_input", "ssim_output",
                                                              "psnr_input", "psnr_output")}
    return mean, rows


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True,
                    help="training-data file(s), comma-separated: their scans together")
    ap.add_argument("--val", required=True)
    ap.add_argument("--recipe", default=os.path.join(HERE, "recipe_v4.json"))
    ap.add_argument("--out-dir", default="build/tomogan_training")
    ap.add_argument("--log", default=os.path.join(HERE, "training_log_v4.csv"))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--steps-per-epoch", type=int, default=100)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--patch", type=int, default=96)
    ap.add_argument("--lr-g", type=float, default=5e-4, help="Adam, cosine decay to 1/20")
    ap.add_argument("--lr-d", type=float, default=1e-4)
    ap.add_argument("--lambda-mse", type=float, default=1.0)
    ap.add_argument("--lambda-edge", type=float, default=0.2)
    ap.add_argument("--lambda-adv", type=float, default=0.01)
    ap.add_argument("--adv-start-epoch", type=int, default=1,
                    help="epochs of MSE + edge only before the adversarial game starts")
    ap.add_argument("--normalisation", choices=NORMALISATIONS, default="global")
    ap.add_argument("--input-method", default="window",
                    help="the live method whose images the data's inputs are (model attribute)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (resumable) after this; 0 = none")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init-from", default="",
                    help="start the generator from an exported model file (e.g. the shipped v1)")
    first, _ = ap.parse_known_args()
    with open(first.recipe) as f:  # the recipe's training settings are the defaults
        recipe = json.load(f)
    ap.set_defaults(**recipe.get("training", {}))
    if isinstance(recipe.get("normalisation"), str) and recipe["normalisation"] in NORMALISATIONS:
        ap.set_defaults(normalisation=recipe["normalisation"])
    if "input_method" in recipe:
        ap.set_defaults(input_method=recipe["input_method"])
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    assert args.patch % 8 == 0
    recipe_hash = sha256_file(args.recipe)

    t0 = time.time()
    train = [pair for path in args.train.split(",") for pair in load_pairs(path)]
    val = load_pairs(args.val)
    index = samples(train, args.normalisation)
    if args.normalisation != "global":
        offset, scale = 0.0, 1.0
    else:
        targets = np.concatenate([y.ravel() for _, y, _ in train])
        offset, scale = float(targets.mean()), float(1.0 / targets.std())
        del targets
    print("data: %d training scans (%d stacks), %d validation scans; offset %.6g, scale %.6g (%.1f s)"
          % (len(train), len(index), len(val), offset, scale, time.time() - t0), flush=True)

    gen, disc = TomoGANGenerator(), TomoGANDiscriminator(args.patch)
    opt_g = torch.optim.Adam(gen.parameters(), lr=args.lr_g)
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr_d)
    total_steps = args.epochs * args.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt_g, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))
    step, best, elapsed_before = 0, -1.0, 0.0
    last_path, best_path = os.path.join(args.out_dir, "last.pt"), os.path.join(args.out_dir, "best.pt")

    def state(kind):
        return {"generator": gen.state_dict(), "discriminator": disc.state_dict(),
                "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "sched": sched.state_dict(),
                "step": step, "best": best, "elapsed": elapsed_before + time.time() - t_start,
                "input_offset": offset, "input_scale": scale, "recipe_hash": recipe_hash,
                "normalisation": args.normalisation, "input_method": args.input_method,
                "args": vars(args), "kind": kind,
                "trained_on": "tomolive-cli training-data, recipe %s (%s)" % (os.path.basename(args.recipe), recipe_hash[:12]),
                "notes": ("initialised from %s; " % os.path.basename(args.init_from) if args.init_from else "")
                         + "TomoGAN generator; loss %.3g*MSE + %.3g*L1(image gradients) + %.3g*adversarial BCE; "
                         "step %d of %d, batch %d, %dx%d crops; validation SSIM %.4f"
                         % (args.lambda_mse, args.lambda_edge, args.lambda_adv, step, total_steps,
                            args.batch, args.patch, args.patch, best)}

    if args.init_from:
        from export import load  # here: export imports this module
        gen.load_state_dict(load(args.init_from)[0].state_dict())
        print("generator initialised from %s" % args.init_from, flush=True)
    if args.resume:
        ck = torch.load(last_path, map_location="cpu")
        assert ck["recipe_hash"] == recipe_hash, "recipe changed since the checkpoint"
        gen.load_state_dict(ck["generator"])
        disc.load_state_dict(ck["discriminator"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        sched.load_state_dict(ck["sched"])
        step, best, elapsed_before = ck["step"], ck["best"], ck["elapsed"]
        print("resumed at step %d (best validation SSIM %.4f)" % (step, best), flush=True)

    fields = ["epoch", "step", "wall_min", "lr_g", "mse", "edge", "adv", "d_loss", "d_real", "d_fake",
              "val_ssim_input", "val_ssim_output", "val_psnr_input", "val_psnr_output"]
    if not args.resume or not os.path.exists(args.log):
        with open(args.log, "w", newline="") as f:
            csv.writer(f).writerow(fields)
        if not args.resume:
            mean, _ = validate(gen, val, offset, scale, args.normalisation)
            print("untrained: val SSIM input %.4f" % mean["ssim_input"], flush=True)

    t_start, t_ckpt = time.time(), time.time()
    bce = F.binary_cross_entropy_with_logits
    acc = {k: 0.0 for k in ("mse", "edge", "adv", "d_loss", "d_real", "d_fake")}
    n_acc = 0
    while step < total_steps:
        epoch = step // args.steps_per_epoch
        adversarial = epoch >= args.adv_start_epoch
        rng = np.random.default_rng([args.seed, step])  # batches depend only on (seed, step)
        x, y = batch(train, index, rng, args.batch, args.patch, offset, scale)

        # generator step
        fake = gen(x)
        l_mse, l_edge = F.mse_loss(fake, y), edge_loss(fake, y)
        loss = args.lambda_mse * l_mse + args.lambda_edge * l_edge
        if adversarial:
            for p in disc.parameters():
                p.requires_grad_(False)
            l_adv = bce(disc(fake), torch.ones(args.batch, 1))
            loss = loss + args.lambda_adv * l_adv
            for p in disc.parameters():
                p.requires_grad_(True)
            acc["adv"] += l_adv.item()
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        sched.step()

        # discriminator step: targets are real, this step's generator outputs are fake
        if adversarial:
            d_real, d_fake = disc(y), disc(fake.detach())
            l_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
            opt_d.zero_grad(set_to_none=True)
            l_d.backward()
            opt_d.step()
            acc["d_loss"] += l_d.item()
            acc["d_real"] += torch.sigmoid(d_real).mean().item()
            acc["d_fake"] += torch.sigmoid(d_fake).mean().item()
        acc["mse"] += l_mse.item()
        acc["edge"] += l_edge.item()
        n_acc += 1
        step += 1

        wall = (elapsed_before + time.time() - t_start) / 60
        if step % 10 == 0:
            print("step %5d  %.1f min  mse %.4f edge %.4f adv %.3f d %.3f" % (
                step, wall, acc["mse"] / n_acc, acc["edge"] / n_acc, acc["adv"] / n_acc,
                acc["d_loss"] / n_acc), flush=True)
        end_of_epoch = step % args.steps_per_epoch == 0
        if end_of_epoch:
            mean, _ = validate(gen, val, offset, scale, args.normalisation)
            row = [epoch + 1, step, "%.2f" % wall, "%.3g" % sched.get_last_lr()[0]]
            row += ["%.5f" % (acc[k] / n_acc) for k in ("mse", "edge", "adv", "d_loss", "d_real", "d_fake")]
            row += ["%.4f" % mean[k] for k in ("ssim_input", "ssim_output", "psnr_input", "psnr_output")]
            with open(args.log, "a", newline="") as f:
                csv.writer(f).writerow(row)
            print("epoch %d: val SSIM input %.4f output %.4f, PSNR input %.2f output %.2f dB"
                  % (epoch + 1, mean["ssim_input"], mean["ssim_output"], mean["psnr_input"],
                     mean["psnr_output"]), flush=True)
            if mean["ssim_output"] > best:
                best = mean["ssim_output"]
                torch.save(state("best"), best_path)
            acc = {k: 0.0 for k in acc}
            n_acc = 0
        stop = args.max_minutes and wall > args.max_minutes
        if end_of_epoch or stop or time.time() - t_ckpt > 60 * args.checkpoint_minutes:
            torch.save(state("last"), last_path + ".tmp")
            os.replace(last_path + ".tmp", last_path)
            t_ckpt = time.time()
        if stop:
            print("time limit reached at step %d; continue with --resume" % step, flush=True)
            break
    print("done: best validation SSIM %.4f, %.1f min" % (best, (elapsed_before + time.time() - t_start) / 60))


if __name__ == "__main__":
    main()
