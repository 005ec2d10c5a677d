#!/usr/bin/env python3
"""Same network, mesh, threshold and statistics on the same GPU: spikemesh's CUDA backend
against PyTorch eager, torch.compile and JAX jit. Prints points/s and spikemesh's speed-up.

    python3 bench/peers/gpu_peers.py --bin build/spikemesh [--points 1e9] [--cases c1-d2,...]

Like for like:
- every contender evaluates the weights spikemesh wrote (/network of its result file), on the
  mesh it describes (/mesh: box, points per axis, cell centres), in float32 with 64-bit point
  indices (JAX runs with jax_enable_x64 for the indices and matmul precision "highest", so no
  TF32), and reduces the same statistics: the spike count |f| > tau with spikemesh's tau, the
  sum of f and the sum of |f - truth| (truth: the label of the nearest training point, found
  on the training grid by rounding each coordinate, as a user who knows the grid would);
- each peer runs in a process of its own (no JAX preallocation starving torch), chunk by
  chunk (4 Mi points), with one warm-up (and compilation) run, then the median of 3 timed runs:
  CUDA events around the run for torch, block_until_ready for JAX;
- spikemesh is timed the same way by its CLI (one warm-up run, median of 3 `wall_seconds`,
  which include set-up, every chunk and the host merge); `spikemesh_bench_cuda` reports the
  evaluator alone timed with CUDA events.
Counts must agree with spikemesh's up to points within rounding of tau (printed side by side).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from network_file import load_layers  # noqa: E402

CASES = {
    "c1-d2": ["--dim", "2", "--train-per-axis", "4", "--bias", "1.5"],
    "c1-d6": ["--dim", "6", "--train-per-axis", "3", "--bias", "5.5"],
    "c1-d10": ["--dim", "10", "--train-per-axis", "2", "--bias", "9.5"],
}
PEERS = ("torch-eager", "torch-compile", "jax-jit")
CHUNK = 1 << 22


def load_problem(path):
    import h5py
    with h5py.File(path, "r") as f:
        mesh = dict(f["mesh"].attrs)
        x = f["training/x"][()]
        y = f["training/y"][()]
        tau = float(f["results"].attrs["tau"])
    dim = int(mesh["dim"])
    m = int(np.atleast_1d(mesh["points_per_axis"])[0])
    lo, hi = float(np.atleast_1d(mesh["lo"])[0]), float(np.atleast_1d(mesh["hi"])[0])
    centring = mesh["centring"]
    centring = centring.decode() if isinstance(centring, bytes) else str(centring)
    if centring != "cell":
        raise SystemExit("gpu_peers.py: only cell-centred meshes are compared")
    # The training grid: per-axis sorted coordinates; label of grid cell (i_0, ..., i_{d-1}).
    axes = [np.unique(x[:, a]) for a in range(dim)]
    n = [len(ax) for ax in axes]
    if int(np.prod(n)) != len(x):
        raise SystemExit("gpu_peers.py: the training set is not a grid")
    strides = np.cumprod([1] + n[:-1])
    grid_y = np.empty(len(x), dtype=np.float32)
    for p in range(len(x)):
        k = sum(int(np.searchsorted(axes[a], x[p, a])) * int(strides[a]) for a in range(dim))
        grid_y[k] = y[p]
    origin = np.array([ax[0] for ax in axes])
    step = np.array([(ax[-1] - ax[0]) / (len(ax) - 1) if len(ax) > 1 else 1.0 for ax in axes])
    return dict(dim=dim, m=m, lo=lo, hi=hi, tau=tau, n=n, strides=strides, grid_y=grid_y,
                origin=origin, step=step, layers=load_layers(path))


def torch_peer(p, compiled, device):
    import torch
    dev = torch.device(device)
    dim, m = p["dim"], p["m"]
    ws = [(torch.tensor(w, device=dev), torch.tensor(b, device=dev), a) for w, b, a in p["layers"]]
    h_cell = (p["hi"] - p["lo"]) / m
    origin = torch.tensor(p["origin"], device=dev, dtype=torch.float64)
    step = torch.tensor(p["step"], device=dev, dtype=torch.float64)
    n = torch.tensor(p["n"], device=dev, dtype=torch.int64)
    strides = torch.tensor(p["strides"], device=dev, dtype=torch.int64)
    grid_y = torch.tensor(p["grid_y"], device=dev)
    tau = p["tau"]

    def chunk_stats(idx):
        x = torch.empty((idx.numel(), dim), device=dev, dtype=torch.float64)
        i = idx.clone()
        for a in range(dim):
            x[:, a] = p["lo"] + ((i % m).to(torch.float64) + 0.5) * h_cell
            i = torch.div(i, m, rounding_mode="floor")
        k = torch.clamp(torch.round((x - origin) / step).to(torch.int64), min=torch.zeros_like(n),
                        max=n - 1)
        truth = grid_y[(k * strides).sum(dim=1)]
        h = x.to(torch.float32)
        for w, b, act in ws:
            h = torch.addmm(b, h, w.t())
            if act == "relu":
                h = torch.relu(h)
        f = h[:, 0]
        return ((f.abs() > tau).sum(), f.to(torch.float64).sum(),
                (f - truth).abs().to(torch.float64).sum())

    fn = torch.compile(chunk_stats) if compiled else chunk_stats
    total = m ** dim

    def run():
        count = torch.zeros((), device=dev, dtype=torch.int64)
        s_f = torch.zeros((), device=dev, dtype=torch.float64)
        s_e = torch.zeros((), device=dev, dtype=torch.float64)
        for s in range(0, total, CHUNK):
            idx = torch.arange(s, min(total, s + CHUNK), device=dev, dtype=torch.int64)
            c, f, e = fn(idx)
            count += c
            s_f += f
            s_e += e
        return int(count), float(s_f), float(s_e)

    run()  # warm-up (and compilation)
    times = []
    for _ in range(3):
        if device == "cuda":
            start, stop = (torch.cuda.Event(enable_timing=True),
                           torch.cuda.Event(enable_timing=True))
            torch.cuda.synchronize()
            start.record()
            res = run()
            stop.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(stop) / 1e3)
        else:  # --device cpu: checks the statistics without a GPU
            t = time.perf_counter()
            res = run()
            times.append(time.perf_counter() - t)
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    return res, statistics.median(times), total, name


def jax_peer(p):
    import jax
    jax.config.update("jax_enable_x64", True)  # 64-bit indices
    jax.config.update("jax_default_matmul_precision", "highest")  # no TF32
    import jax.numpy as jnp
    dim, m = p["dim"], p["m"]
    ws = [(jnp.asarray(w, jnp.float32), jnp.asarray(b, jnp.float32), a) for w, b, a in p["layers"]]
    h_cell = (p["hi"] - p["lo"]) / m
    origin, step = jnp.asarray(p["origin"]), jnp.asarray(p["step"])
    n, strides = jnp.asarray(p["n"], jnp.int64), jnp.asarray(p["strides"], jnp.int64)
    grid_y = jnp.asarray(p["grid_y"], jnp.float32)
    tau = p["tau"]
    total = m ** dim

    @jax.jit
    def chunk_stats(start):
        i = start + jnp.arange(CHUNK, dtype=jnp.int64)
        valid = i < total
        cols = []
        for _ in range(dim):
            cols.append(p["lo"] + ((i % m).astype(jnp.float64) + 0.5) * h_cell)
            i = i // m
        x = jnp.stack(cols, axis=1)
        k = jnp.clip(jnp.round((x - origin) / step).astype(jnp.int64), 0, n - 1)
        truth = grid_y[(k * strides).sum(axis=1)]
        h = x.astype(jnp.float32)
        for w, b, act in ws:
            h = h @ w.T + b
            if act == "relu":
                h = jnp.maximum(h, 0)
        f = h[:, 0]
        return (jnp.sum(valid & (jnp.abs(f) > tau)), jnp.sum(jnp.where(valid, f, 0).astype(jnp.float64)),
                jnp.sum(jnp.where(valid, jnp.abs(f - truth), 0).astype(jnp.float64)))

    def run():
        c, s_f, s_e = 0, 0.0, 0.0
        for s in range(0, total, CHUNK):  # the last chunk masked: one compiled shape
            r = chunk_stats(jnp.int64(s))
            c, s_f, s_e = c + r[0], s_f + r[1], s_e + r[2]
        jax.block_until_ready((c, s_f, s_e))
        return int(c), float(s_f), float(s_e)

    run()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        res = run()
        times.append(time.perf_counter() - t)
    return res, statistics.median(times), total, str(jax.devices()[0])


def peer_main(name, path, device):
    """One peer in this process: prints a JSON line."""
    p = load_problem(path)
    try:
        if name == "jax-jit":
            res, t, pts, dev = jax_peer(p)
        else:
            res, t, pts, dev = torch_peer(p, name == "torch-compile", device)
        print(json.dumps({"peer": name, "spike_count": res[0], "sum_f": res[1],
                          "sum_abs_err": res[2], "seconds": t, "points": pts, "device": dev}))
    except Exception as e:  # a missing peer is reported, not fatal
        print(json.dumps({"peer": name, "error": f"{type(e).__name__}: {e}"}))


def spikemesh_run(binary, args, m, out, backend):
    cmd = [binary, "run", *args, "--points-per-axis", str(m), "--backend", backend,
           "--precision", "float", "--out", out, "--json", "--quiet"]
    runs = []
    for _ in range(4):  # one warm-up, three timed
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"gpu_peers.py: {' '.join(cmd)} failed:\n{r.stderr}")
        runs.append(json.loads(r.stdout))
    j = runs[-1]
    j["median_wall_seconds"] = statistics.median(x["wall_seconds"] for x in runs[1:])
    return j


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="build/spikemesh", help="the spikemesh executable (CUDA build)")
    ap.add_argument("--points", type=float, default=1e8, help="mesh points per case (about)")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                    help="cpu: spikemesh's CPU backend and torch on the CPU, to check that every "
                    "contender computes the same statistics on a machine without a GPU")
    ap.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)  # child process
    ap.add_argument("--problem", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peer:
        peer_main(a.peer, a.problem, a.device)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for label in a.cases.split(","):
            if label not in CASES:
                raise SystemExit(f"gpu_peers.py: --cases: unknown case '{label}'")
            args = CASES[label]
            dim = int(args[1])
            m = max(2, round(a.points ** (1.0 / dim)))
            out = os.path.join(tmp, f"{label}.h5")
            j = spikemesh_run(a.bin, args, m, out, a.device)
            pts = m ** dim
            prob = load_problem(out)
            vol = (prob["hi"] - prob["lo"]) ** dim  # spikemesh reports integrals over the box
            sm_rate = pts / j["median_wall_seconds"]
            print(f"{label}: {pts:.4g} points, tau {j['tau']:g}, on {j.get('device', '?')}")
            print(f"  {'contender':14s} {'points/s':>10s}  {'spike_count':>12s}  {'mean f':>12s}  "
                  f"{'mean |f-y|':>12s}  spikemesh is")
            print(f"  {'spikemesh':14s} {sm_rate:10.4g}  {j['spike_count']:12d}  "
                  f"{j['f_integral'] / vol:12.6g}  {j['l1_error']:12.6g}")
            for peer in PEERS:
                if a.device == "cpu" and peer != "torch-eager":
                    continue
                r = subprocess.run([sys.executable, os.path.abspath(__file__), "--peer", peer,
                                    "--problem", out, "--device", a.device],
                                   capture_output=True, text=True)
                lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
                res = json.loads(lines[-1]) if lines else {"error": r.stderr.strip()[-300:]}
                if "error" in res:
                    print(f"  {peer:14s} unavailable: {res['error']}")
                    continue
                rate = res["points"] / res["seconds"]
                print(f"  {peer:14s} {rate:10.4g}  {res['spike_count']:12d}  "
                      f"{res['sum_f'] / res['points']:12.6g}  "
                      f"{res['sum_abs_err'] / res['points']:12.6g}  {sm_rate / rate:.1f}x")


if __name__ == "__main__":
    main()
