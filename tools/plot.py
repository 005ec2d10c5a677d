#!/usr/bin/python3
"""Plot a spikemesh result file as PNG figures.

    /usr/bin/python3 tools/plot.py FILE.h5 [--out-dir DIR]

Writes, next to FILE.h5 (or into DIR), whichever apply:
  FILE-slice.png           /slices/x0x1 as an image with the training points marked (run --slice)
  FILE-error-distance.png  mean and max |f - truth| against l1 distance to the training set
  FILE-sweep.png           estimated and exact spike volume and accuracy against the swept
                           parameter (sweep files), log axes
  FILE-landscape.png       the training-loss landscape as contours, the judged point and the
                           known global minimum marked (landscape files)
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_slice(f, stem):
    s = f["slices/x0x1"]
    lo, hi = float(s.attrs["lo"]), float(s.attrs["hi"])
    z = s[()]
    fig, ax = plt.subplots(figsize=(6, 5))
    vmax = max(float(np.nanmax(np.abs(z))), 1e-300)
    im = ax.imshow(z, origin="lower", extent=(lo, hi, lo, hi), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    fig.colorbar(im, ax=ax, label="f(x)")
    if "training" in f:
        x = f["training/x"][()]
        y = f["training/y"][()]
        if x.shape[1] >= 2:
            ax.scatter(x[:, 0], x[:, 1], c=np.where(y > 0, "k", "m"), s=12, marker="x",
                       label="training points")
            ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title("f on the plane of axes 0, 1 (other axes at the centre)")
    out = stem + "-slice.png"
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


def plot_error_distance(f, stem):
    g = f["results/error_vs_distance"]
    edges = g["edges"][()]
    mid = 0.5 * (edges[:-1] + edges[1:])
    counts = g["counts"][()]
    keep = counts > 0
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(mid[keep], g["mean_abs_error"][()][keep], "o-", label="mean |f - truth|")
    ax.plot(mid[keep], g["max_abs_error"][()][keep], "s--", label="max |f - truth|")
    ax.set_xlabel("l1 distance to the nearest training point")
    ax.set_ylabel("error")
    ax.set_title("error vs distance to the training set")
    ax.legend()
    out = stem + "-error-distance.png"
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


def plot_sweep(f, stem):
    s = f["sweep"]
    stats = {"spike_volume", "spike_volume_exact", "accuracy", "accuracy_exact"}
    params = [k for k in s if k not in stats and s[k].dtype.kind == "f" and k in
              ("bias", "dim", "train-per-axis", "tau", "alpha", "K", "L", "a", "extra-depth",
               "extra-width", "c", "epsilon", "seed", "points-per-axis")]
    if not params:
        return None
    p = params[0]
    x = s[p][()]
    xs = x
    xlabel = p
    if p == "bias":
        d = s["dim"][()] if "dim" in s else f["config"].attrs.get("dim", None)
        if d is not None:
            xs = d - x  # slack s = d - b: the natural log axis
            xlabel = "slack s = d - bias"
    order = np.argsort(xs)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, style in (("spike_volume", "o-"), ("spike_volume_exact", "k--"),
                       ("accuracy", "s-"), ("accuracy_exact", "k:")):
        if key in s:
            v = s[key][()][order]
            if np.any(np.isfinite(v) & (v > 0)):
                ax.plot(xs[order], v, style, label=key)
    if np.all(xs > 0):
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_title("spike volume and accuracy")
    ax.legend(fontsize=8)
    out = stem + "-sweep.png"
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


def plot_landscape(f, stem):
    g = f["landscape"]
    x, y = g["xcoordinates"][()], g["ycoordinates"][()]
    z = g["train_loss"][()]  # [len(x), len(y)]: z[i, j] at (x[i], y[j])
    X, Y = np.meshgrid(x, y, indexing="ij")
    fig, ax = plt.subplots(figsize=(6, 5))
    levels = np.linspace(float(np.nanmin(z)), float(np.nanpercentile(z, 95)), 30)
    if levels[-1] <= levels[0]:
        levels = 30
    cs = ax.contour(X, Y, z, levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="training loss (sum of squares)")
    r = f["results"].attrs
    ax.plot([0], [0], "r*", ms=14, label=f"point: {r['verdict']} (loss {r['loss']:.6g})")
    if "global_alpha" in g.attrs:
        ax.plot([g.attrs["global_alpha"]], [g.attrs["global_beta"]], "kX", ms=10,
                label=f"global minimum (loss {r['global_loss']:.6g})")
    ax.set_xlabel(f"alpha ({g.attrs['directions']} direction u)")
    ax.set_ylabel("beta (direction v)")
    ax.set_title(f"loss landscape: {f['config'].attrs['case']}")
    ax.legend(fontsize=8, loc="upper right")
    out = stem + "-landscape.png"
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--out-dir", default=None)
    a = ap.parse_args(argv)
    stem = os.path.splitext(os.path.basename(a.file))[0]
    stem = os.path.join(a.out_dir or os.path.dirname(os.path.abspath(a.file)), stem)
    written = []
    with h5py.File(a.file, "r") as f:
        if "slices/x0x1" in f:
            written.append(plot_slice(f, stem))
        if "results/error_vs_distance" in f:
            written.append(plot_error_distance(f, stem))
        if "landscape" in f:
            written.append(plot_landscape(f, stem))
        if "sweep" in f:
            out = plot_sweep(f, stem)
            if out:
                written.append(out)
    for w in written:
        print("wrote", w)
    if not written:
        print("nothing to plot in", a.file, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
