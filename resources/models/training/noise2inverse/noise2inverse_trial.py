"""Tried, not offered: a per-scan self-supervised fine-tune of the shipped TomoGAN in the spirit of
Noise2Inverse (Hendriksen, Pelt, Batenburg, IEEE Trans. Comput. Imaging 6 (2020) 1320-1335).

The received projections of a third of a real scan are split by arrival into halves A and B, as
the enhancement guard's held-out check does (engine/pipeline/HeldOutCheck.cpp); each half is
reconstructed by the live method, and the model is fitted to map A's image to B's and B's to A's
(the noise of the two is independent, so the fit aims at what both share). Then the fitted model
enhances the live image of all received projections, scored as test_tomogan scores it (SSIM and
PSNR in the field of view after a least-squares grey-level fit, against SIRT-100 over all
projections). Two fits: the last 1x1 layer (conv15) by least squares on conv14's features
(closed form, seconds), and the whole generator by Adam on 96x96 patches for a fixed time.

    c++ -std=c++20 -O2 -Iengine resources/models/training/noise2inverse/dump_halves.cpp ... (see README)
    /usr/bin/python3 resources/models/training/noise2inverse/noise2inverse_trial.py IMAGES_DIR 60:1e-5,180:1e-5,60:1e-4

Results: docs/quality.md, "Tried: a per-scan Noise2Inverse fine-tune".
"""
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import numpy as np, torch, torch.nn.functional as F
from scipy.ndimage import convolve1d
from export import load
torch.set_num_threads(2)
MODELS = os.path.join(HERE, "..", "..")
IMAGES = sys.argv[1] if len(sys.argv) > 1 else "/tmp/n2i"
SCANS = {"tooth": (640, 2), "i13": (160, 12)}

def vol(tag, name):
    n, s = SCANS[tag]
    return np.fromfile(os.path.join(IMAGES, f"{tag}_{name}.f32"), np.float32).reshape(s, n, n)

def fov(n):
    h = 0.5 * (n - 1); y, x = np.mgrid[0:n, 0:n]
    return (x - h) ** 2 + (y - h) ** 2 <= (h + 0.5) ** 2

def gauss():
    r = 5; x = np.arange(-r, r + 1); g = np.exp(-x * x / (2 * 1.5 ** 2)); return g / g.sum()

def score(img, ref):
    n = img.shape[0]; m = fov(n)
    a, b = img[m].astype(np.float64), ref[m].astype(np.float64)
    sc = np.cov(a, b, bias=True)[0, 1] / a.var(); off = b.mean() - sc * a.mean()
    f = sc * img.astype(np.float64) + off
    rng = b.max() - b.min()
    mse = ((f - ref)[m] ** 2).mean()
    g = gauss()
    blur = lambda t: convolve1d(convolve1d(t, g, 0, mode="reflect"), g, 1, mode="reflect")
    x, y = ref.astype(np.float64), f
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = (0.01 * rng) ** 2, (0.03 * rng) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    inner = np.zeros_like(m); inner[5:n - 5, 5:n - 5] = True
    return s[m & inner].mean(), 10 * np.log10(rng * rng / mse)

def stacks(v):
    S = v.shape[0]; out = []
    for s in range(S):
        idx = [min(max(s + k - 1, 0), S - 1) for k in range(3)]
        out.append(v[idx])
    return np.stack(out)

def norm(v):  # per-slice-mean of the middle slice in the fov
    n = v.shape[-1]; m = fov(n)
    return np.array([v[s][m].mean() for s in range(v.shape[0])])

def pad8(t):
    h, w = t.shape[-2:]; H, W = (h + 7) // 8 * 8, (w + 7) // 8 * 8
    return F.pad(t, (0, W - w, 0, H - h))

def run(gen, v, feats=False):
    m = norm(v); x = (stacks(v) - m[:, None, None, None]) / m[:, None, None, None]
    t = pad8(torch.from_numpy(x.astype(np.float32)))
    n = v.shape[-1]
    with torch.no_grad():
        if feats:
            f = forward_features(gen, t)[..., :n, :n]
            return f, m
        y = gen(t)[:, 0, :n, :n].numpy()
    return y * m[:, None, None] + m[:, None, None]

def forward_features(g, x):
    c = lambda name, t: F.relu(getattr(g, name)(t))
    x = c("conv0", x); s1 = c("conv2", c("conv1", x)); x = F.max_pool2d(s1, 2)
    s2 = c("conv4", c("conv3", x)); x = F.max_pool2d(s2, 2)
    s3 = c("conv6", c("conv5", x)); x = F.max_pool2d(s3, 2); x = c("conv7", x)
    x = c("conv9", c("conv8", torch.cat([s3, g._up(x)], 1)))
    x = c("conv11", c("conv10", torch.cat([s2, g._up(x)], 1)))
    x = c("conv13", c("conv12", torch.cat([s1, g._up(x)], 1)))
    return c("conv14", x)

def lastlayer_fit(gen, A, B):
    """Least squares of conv15 on features of A -> B's image and B -> A's (normalised by input mean)."""
    rows, rhs = [], []
    for inp, tgt in ((A, B), (B, A)):
        f, m = run(gen, inp, feats=True)
        n = inp.shape[-1]; mask = fov(n)
        t = (tgt - m[:, None, None]) / m[:, None, None]
        for s in range(inp.shape[0]):
            rows.append(f[s][:, mask].numpy().T); rhs.append(t[s][mask])
    X = np.concatenate(rows); X = np.hstack([X, np.ones((len(X), 1))]); y = np.concatenate(rhs)
    w = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    g = copy.deepcopy(gen)
    with torch.no_grad():
        g.conv15.weight[:] = torch.from_numpy(w[:-1].astype(np.float32)).view(1, -1, 1, 1)
        g.conv15.bias[:] = float(w[-1])
    return g

def finetune(gen, A, B, seconds, lr=1e-5, patch=96, batch=4, seed=0):
    g = copy.deepcopy(gen); g.train()
    opt = torch.optim.Adam(g.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    data = []
    for inp, tgt in ((A, B), (B, A)):
        m = norm(inp); x = (stacks(inp) - m[:, None, None, None]) / m[:, None, None, None]
        y = (tgt - m[:, None, None]) / m[:, None, None]
        data.append((x.astype(np.float32), y.astype(np.float32)))
    n = A.shape[-1]; P = min(patch, n // 8 * 8)
    t0 = time.time(); steps = 0
    while time.time() - t0 < seconds:
        xs, ys = [], []
        for _ in range(batch):
            x, y = data[rng.integers(2)]; s = rng.integers(x.shape[0])
            r, c = rng.integers(0, n - P + 1, 2)
            xc, yc = x[s, :, r:r + P, c:c + P], y[s, None, r:r + P, c:c + P]
            k = rng.integers(4); xc, yc = np.rot90(xc, k, (1, 2)), np.rot90(yc, k, (1, 2))
            xs.append(np.ascontiguousarray(xc)); ys.append(np.ascontiguousarray(yc))
        xb, yb = torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))
        loss = F.mse_loss(g(xb), yb); opt.zero_grad(); loss.backward(); opt.step(); steps += 1
    g.eval()
    return g, steps

if __name__ == "__main__":
    runs = [(float(a), float(b)) for a, b in
            (r.split(":") for r in (sys.argv[2] if len(sys.argv) > 2 else "60:1e-5").split(","))]
    for tag in ("tooth", "i13"):
        ref = vol(tag, "ref"); s = ref.shape[0] // 2
        for method, model in (("filtered", "tomogan_filtered.h5"), ("window", "tomogan.h5")):
            gen, _, _, _ = load(os.path.join(MODELS, model))
            live, A, B = vol(tag, method + "_live"), vol(tag, method + "_a"), vol(tag, method + "_b")
            pr = lambda name, img: print(f"{tag:5s} {method:8s} {name:30s} SSIM %.3f PSNR %.2f"
                                         % score(img[s], ref[s]), flush=True)
            pr("live", live)
            pr("shipped model", run(gen, live))
            pr("N2I last layer (least squares)", run(lastlayer_fit(gen, A, B), live))
            for seconds, lr in runs:
                g, steps = finetune(gen, A, B, seconds, lr=lr)
                pr(f"N2I whole {seconds:.0f} s lr {lr:g} ({steps} steps)", run(g, live))
