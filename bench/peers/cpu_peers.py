#!/usr/bin/python3
"""Same network, same mesh: spikemesh's CPU backend against numpy (chunked, vectorised) and
PyTorch CPU. Prints points/s of each and spikemesh's speed-up.

    /usr/bin/python3 bench/peers/cpu_peers.py --bin build/spikemesh [--threads 2]

The network is read from the HDF5 file spikemesh writes (/network), so all three evaluate the
identical weights; the peers evaluate f with dense matrices (what a user writes) and count
|f| > tau, which must agree with spikemesh's spike_count.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
from network_file import load_layers

CASES = [  # (label, spikemesh args, points per axis)
    ("C1 d=2 n=4", ["--dim", "2", "--train-per-axis", "4", "--bias", "1.5"], 3001),
    ("C1 d=6 n=3", ["--dim", "6", "--train-per-axis", "3", "--bias", "5.5"], 9),
]




def mesh_chunk(dim, m, begin, end):
    i = np.arange(begin, end, dtype=np.int64)
    x = np.empty((end - begin, dim), dtype=np.float32)
    for a in range(dim):
        x[:, a] = ((i % m) + 0.5) / m
        i //= m
    return x


def numpy_count(layers, dim, m, chunk=1 << 16):
    total = m ** dim
    count = 0
    for b in range(0, total, chunk):
        a = mesh_chunk(dim, m, b, min(total, b + chunk))
        for w, bias, act in layers:
            a = a @ w.T + bias
            if act == "relu":
                np.maximum(a, 0, out=a)
        count += int(np.count_nonzero(np.abs(a[:, 0]) > 0))
    return count


def torch_count(layers, dim, m, threads, chunk=1 << 16):
    import torch
    torch.set_num_threads(threads)
    mods = []
    for w, bias, act in layers:
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(bias))
        mods.append(lin)
        if act == "relu":
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    total = m ** dim
    count = 0
    with torch.inference_mode():
        for b in range(0, total, chunk):
            x = torch.from_numpy(mesh_chunk(dim, m, b, min(total, b + chunk)))
            count += int((model(x)[:, 0].abs() > 0).sum())
    return count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/spikemesh")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, args, m in CASES:
            out = os.path.join(tmp, "peer.h5")
            dim = int(args[1])
            j = json.loads(subprocess.run(
                [a.bin, "run", *args, "--points-per-axis", str(m), "--precision", "float",
                 "--threads", str(a.threads), "--out", out, "--json"],
                check=True, capture_output=True, text=True).stdout)
            layers = load_layers(out)
            t = time.perf_counter()
            n_np = numpy_count(layers, dim, m)
            t_np = time.perf_counter() - t
            t = time.perf_counter()
            n_t = torch_count(layers, dim, m, a.threads)
            t_t = time.perf_counter() - t
            pts = m ** dim
            sm = j["points_per_second"]
            print(f"{label}: {pts:.3g} points, {a.threads} threads")
            print(f"  spikemesh  {sm:10.4g} points/s  spike_count {j['spike_count']}")
            print(f"  numpy      {pts / t_np:10.4g} points/s  spike_count {n_np}  "
                  f"spikemesh/numpy = {sm / (pts / t_np):.1f}x")
            print(f"  torch cpu  {pts / t_t:10.4g} points/s  spike_count {n_t}  "
                  f"spikemesh/torch = {sm / (pts / t_t):.1f}x")


if __name__ == "__main__":
    main()
