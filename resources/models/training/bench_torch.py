"""PyTorch CPU inference time of a TomoGAN weight file: the reference `tomolive-cli bench tomogan`
compares the C++ oneDNN engine against, on the same threads and the same weights.

    /usr/bin/python3 resources/models/training/bench_torch.py --model resources/models/tomogan.h5 \
        --size 1024 --repeats 3 [--threads 2]

Times normalisation + generator + inverse normalisation in float32 under torch.no_grad() for one
3 x size x size input (median of repeats after one warm-up) and prints one JSON line:
{"size": ..., "ms_per_slice": ..., "threads": ..., "torch": "<version>"}.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import load  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    generator, offset, scale, _ = load(args.model)
    generator = generator.float().eval()
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(0.0, 0.08, (1, generator.conv0.in_channels, args.size, args.size))
                         .astype(np.float32))

    def run():
        with torch.no_grad():
            return generator((x - offset) * scale) / scale + offset

    run()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(json.dumps({"size": args.size, "ms_per_slice": 1e3 * statistics.median(times),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
