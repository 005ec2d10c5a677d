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
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation, LogLocator  # noqa: E402
import numpy as np  # noqa: E402


def plot_slice(f, stem):
    s = f["slices/x0x1"]
    lo, hi = float(s.attrs["lo"]), float(s.attrs["hi"])
    z = s[()]
    fig, ax = plt.subplots(figsize=(6, 5))
    vmax = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.0
    vmax = vmax if vmax > 0 else 1.0  # f == 0 everywhere: any symmetric scale shows it
    im = ax.imshow(z, origin="lower", extent=(lo, hi, lo, hi), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    fig.colorbar(im, ax=ax, label="f(x)")
    if "training" in f:
        x = f["training/x"][()]
        y = f["training/y"][()].ravel()
        if x.ndim == 2 and x.shape[1] >= 2:
            labels = np.unique(y)
            if set(labels.tolist()) <= {-1.0, 1.0}:  # classification: one marker per label
                for value, colour, marker in ((1.0, "k", "x"), (-1.0, "m", "+")):
                    sel = y == value
                    if sel.any():
                        ax.scatter(x[sel, 0], x[sel, 1], c=colour, s=28, marker=marker,
                                   label=f"training point, label {value:+.0f} "
                                         f"({int(sel.sum())})")
            else:
                ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", vmin=-vmax, vmax=vmax, s=24,
                           marker="o", edgecolors="k", label="training point (colour: target y)")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, ncol=2)
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
    params = [k for k in s if k not in stats and s[k].dtype.kind in "fiu" and k in
              ("bias", "dim", "train-per-axis", "tau", "alpha", "K", "L", "a", "extra-depth",
               "extra-width", "c", "epsilon", "seed", "points-per-axis")]
    if not params:
        return None
    p = params[0]
    x = s[p][()].astype(float)
    xs = x
    xlabel = p
    if p == "bias":
        d = s["dim"][()] if "dim" in s else f["config"].attrs.get("dim", None)
        if d is not None:
            xs = np.asarray(d, dtype=float) - x  # slack s = d - b: the natural log axis
            xlabel = "slack s = d - bias"
    order = np.argsort(xs)
    fig, ax = plt.subplots(figsize=(6, 4))
    # spike_volume and accuracy coincide for random labels: spike_volume as large open circles
    # drawn above the small filled accuracy squares, so both stay visible.
    styles = (("accuracy", dict(marker="s", ms=4, ls="-", color="tab:orange", zorder=2)),
              ("accuracy_exact", dict(ls=":", color="k", zorder=1)),
              ("spike_volume_exact", dict(ls="--", color="k", zorder=1)),
              ("spike_volume", dict(marker="o", ms=10, mfc="none", mew=1.6, ls="-",
                                    color="tab:blue", zorder=3)))
    plotted = []
    for key, style in styles:
        if key in s:
            v = s[key][()][order]
            if np.any(np.isfinite(v) & (v > 0)):
                ax.plot(xs[order], v, label=key, **style)
                plotted.append(v[np.isfinite(v) & (v > 0)])
    if np.all(xs > 0):
        ax.set_xscale("log")
    if plotted and np.concatenate(plotted).max() / np.concatenate(plotted).min() > 20:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of the box")
    ax.set_title("spike volume and accuracy")
    ax.legend(fontsize=8)
    out = stem + "-sweep.png"
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


def loss_scale(z):
    """How to colour the loss z: ("constant", value) for a flat field, ("log", floor) when it
    spans more than three decades (the basin would vanish on a linear scale), else
    ("linear", top) with the top clipped at the 99th percentile. Decades are counted between
    the 1st and 99th percentiles of the positive losses, so one far corner does not decide."""
    finite = z[np.isfinite(z)]
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        return "constant", hi
    positive = finite[finite > 0]
    if lo >= 0 and positive.size and (np.percentile(positive, 99) / np.percentile(positive, 1)
                                      > 1e3):
        return "log", max(float(positive.min()), hi * 1e-12)
    return "linear", float(np.percentile(finite, 99))


def plot_landscape(f, stem):
    g = f["landscape"]
    x, y = g["xcoordinates"][()], g["ycoordinates"][()]
    z = g["train_loss"][()]  # [len(x), len(y)]: z[i, j] at (x[i], y[j])
    X, Y = np.meshgrid(x, y, indexing="ij")
    fig, ax = plt.subplots(figsize=(6, 5.6))
    kind, value = loss_scale(z)
    if kind == "constant":
        ax.pcolormesh(X, Y, z, cmap="viridis", shading="auto")
        ax.text(0.02, 0.98, f"loss constant = {value:.6g} on this plane", transform=ax.transAxes,
                va="top", fontsize=9, color="w")
    elif kind == "log":
        levels = np.geomspace(value, float(np.nanmax(z)), 31)
        cs = ax.contourf(X, Y, np.clip(z, value, None), levels=levels, cmap="viridis",
                         norm=LogNorm(vmin=value, vmax=levels[-1]))
        fig.colorbar(cs, ax=ax, label="training loss (sum of squares, log scale)",
                     ticks=LogLocator(base=10), format=LogFormatterSciNotation())
    else:
        zmin = float(np.nanmin(z))
        levels = np.linspace(zmin, value if value > zmin else float(np.nanmax(z)), 31)
        cs = ax.contourf(X, Y, z, levels=levels, cmap="viridis", extend="max")
        fig.colorbar(cs, ax=ax, label="training loss (sum of squares; top 1 % clipped)")
    r = f["results"].attrs
    ax.plot([0], [0], "r*", ms=14, mec="w", label=f"point: {r['verdict']} (loss {r['loss']:.6g})")
    if "global_alpha" in g.attrs:
        ga, gb = float(g.attrs["global_alpha"]), float(g.attrs["global_beta"])
        off = float(g.attrs.get("global_plane_distance", 0.0))
        where = f"({ga:.3g}, {gb:.3g})" + (f", {off:.2g} off the plane" if off > 1e-9 else "")
        inside = x.min() <= ga <= x.max() and y.min() <= gb <= y.max()
        if inside:
            ax.plot([ga], [gb], "kX", ms=11, mec="w", clip_on=False, zorder=5,
                    label=f"global minimum {where} (loss {r['global_loss']:.6g})")
        else:  # outside the mesh: a marker on the edge, pointing at it
            ca, cb = np.clip(ga, x.min(), x.max()), np.clip(gb, y.min(), y.max())
            ax.plot([ca], [cb], "kX", ms=11, mec="w", clip_on=False, zorder=5,
                    label=f"global minimum {where}, outside: marked at the edge "
                          f"(loss {r['global_loss']:.6g})")
            ax.annotate("", xy=(ca, cb), xytext=(0.8 * ca, 0.8 * cb),
                        arrowprops=dict(arrowstyle="->", color="k"))
    else:
        ax.plot([], [], " ", label=f"global loss {r['global_loss']:.6g} ({r['global_source']}),"
                                   " not in this plane")
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())
    ax.set_xlabel(f"alpha ({g.attrs['directions']} direction u)")
    ax.set_ylabel("beta (direction v)")
    ax.set_title(f"loss landscape: {f['config'].attrs['case']}")
    # below the axes: the legend never covers the markers
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12))
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
