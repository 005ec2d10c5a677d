#!/usr/bin/env python3
"""Same network, same mesh, same GPU: spikemesh's CUDA backend against PyTorch eager,
torch.compile and JAX jit, in one run. Prints points/s and spikemesh's speed-up over each.

    python3 bench/peers/gpu_peers.py --bin build/spikemesh [--points 1e9]

The network comes from the /network group of the file spikemesh writes, so every peer
evaluates identical weights. Peers build the mesh points chunk by chunk on the device (what a
user writes: torch.cartesian_prod-like index decoding), evaluate f with dense matrices and
count |f| > tau; the counts must agree with spikemesh's spike_count up to boundary rounding.
Timing: CUDA events (torch) / block_until_ready (JAX) after one warm-up chunk; medians of 3.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
from network_file import load_layers

CASES = [("C1 d=2 n=4", ["--dim", "2", "--train-per-axis", "4", "--bias", "1.5"]),
         ("C1 d=6 n=3", ["--dim", "6", "--train-per-axis", "3", "--bias", "5.5"]),
         ("C1 d=10 n=2", ["--dim", "10", "--train-per-axis", "2", "--bias", "9.5"])]




def torch_runner(layers, dim, m, chunk, compiled):
    import torch
    dev = torch.device("cuda")
    ws = [(torch.tensor(w, device=dev), torch.tensor(b, device=dev), a) for w, b, a in layers]

    def f(idx):
        x = torch.empty((idx.numel(), dim), device=dev, dtype=torch.float32)
        i = idx.clone()
        for a in range(dim):
            x[:, a] = ((i % m).to(torch.float32) + 0.5) / m
            i = torch.div(i, m, rounding_mode="floor")
        h = x
        for w, b, act in ws:
            h = torch.addmm(b, h, w.t())
            if act == "relu":
                h = torch.relu(h)
        return (h[:, 0].abs() > 0).sum()

    fn = torch.compile(f) if compiled else f
    total = m ** dim

    def run():
        count = 0
        for s in range(0, total, chunk):
            idx = torch.arange(s, min(total, s + chunk), device=dev, dtype=torch.int64)
            count += int(fn(idx))
        return count

    run()  # warm-up (and compilation)
    times = []
    for _ in range(3):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        count = run()
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop) / 1e3)
    return count, statistics.median(times)


def jax_runner(layers, dim, m, chunk):
    import jax
    import jax.numpy as jnp
    ws = [(jnp.asarray(w), jnp.asarray(b), a) for w, b, a in layers]

    @jax.jit
    def f(start):
        i = start + jnp.arange(chunk, dtype=jnp.int64 if jax.config.jax_enable_x64 else jnp.int32)
        cols = []
        for _ in range(dim):
            cols.append(((i % m).astype(jnp.float32) + 0.5) / m)
            i = i // m
        h = jnp.stack(cols, axis=1)
        for w, b, act in ws:
            h = h @ w.T + b
            if act == "relu":
                h = jnp.maximum(h, 0)
        return jnp.sum(jnp.abs(h[:, 0]) > 0)

    total = m ** dim
    n_chunks = total // chunk  # whole chunks only (jit needs a fixed shape)

    def run():
        c = 0
        for k in range(n_chunks):
            c += int(f(k * chunk).block_until_ready())
        return c

    run()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        c = run()
        times.append(time.perf_counter() - t)
    return c, statistics.median(times), n_chunks * chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/spikemesh")
    ap.add_argument("--points", type=float, default=1e8)
    ap.add_argument("--chunk", type=int, default=1 << 22)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in CASES:
            dim = int(args[1])
            m = max(2, round(a.points ** (1.0 / dim)))
            out = os.path.join(tmp, "peer.h5")
            j = json.loads(subprocess.run(
                [a.bin, "run", *args, "--points-per-axis", str(m), "--backend", "cuda",
                 "--precision", "float", "--out", out, "--json"],
                check=True, capture_output=True, text=True).stdout)
            layers = load_layers(out)
            pts = m ** dim
            sm = j["points_per_second"]
            print(f"{label}: {pts:.3g} points on {j.get('device', '?')}")
            print(f"  spikemesh      {sm:10.4g} points/s  spike_count {j['spike_count']}")
            for name, compiled in (("torch eager", False), ("torch.compile", True)):
                try:
                    c, t = torch_runner(layers, dim, m, a.chunk, compiled)
                    print(f"  {name:14s} {pts / t:10.4g} points/s  spike_count {c}  "
                          f"spikemesh is {sm / (pts / t):.1f}x")
                except Exception as e:  # a missing peer is reported, not fatal
                    print(f"  {name:14s} unavailable: {e}")
            try:
                c, t, n = jax_runner(layers, dim, m, a.chunk)
                print(f"  {'jax jit':14s} {n / t:10.4g} points/s  spike_count {c} (of {n} pts)  "
                      f"spikemesh is {sm / (n / t):.1f}x")
            except Exception as e:
                print(f"  {'jax jit':14s} unavailable: {e}")


if __name__ == "__main__":
    main()
