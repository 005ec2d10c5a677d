#!/usr/bin/python3
"""Write a PyTorch nn.Sequential MLP in spikemesh's /network schema (docs/hdf5-schema.md),
optionally with its training set in /training (x [N, d], y [N]), which `spikemesh landscape
--case from-file` needs and `spikemesh run --construction from-file` reports the loss on.

Usage as a library:
    from export_torch import export_sequential
    export_sequential(model, "net.h5", training_x=x, training_y=y)   # training set optional

Usage from the shell (a demo network, or a model saved with torch.save(model, path)):
    /usr/bin/python3 tools/export_torch.py --demo OUT.h5
    /usr/bin/python3 tools/export_torch.py --model model.pt [--training data.npz|data.csv] OUT.h5

--demo writes a seeded 2-32-32-1 tanh/relu MLP fitted (Adam, --demo-steps steps) to the
Gaussian bump g(x) = exp(-|x - 1/2|^2 / (2 * 0.0625)) (spikemesh's `--target gauss`) at 64
seeded points of [0,1]^2, and those points as /training. --training reads a training set: an
.npz with arrays x and y, or a .csv with one row per point, the d inputs then y.

Supported layers: Linear, ReLU, PReLU (one shared slope), Sigmoid, Tanh, Softplus (beta=1),
Identity. The last Linear layer must have one output. Then:
    spikemesh run --construction from-file --network OUT.h5 --task approximate
    spikemesh landscape --case from-file --network OUT.h5      # needs /training
"""
import argparse
import sys

import h5py
import numpy as np
import torch
from torch import nn

ACTIVATIONS = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Identity: "identity"}


def _layers(model):
    """(weight [out,in], bias [out], activation, alpha) per Linear layer of an nn.Sequential."""
    mods = [m for m in model.modules() if not isinstance(m, nn.Sequential)]
    out = []
    i = 0
    while i < len(mods):
        lin = mods[i]
        if not isinstance(lin, nn.Linear):
            raise ValueError(f"expected Linear at position {i}, got {type(lin).__name__}")
        act, alpha = "identity", 0.0
        if i + 1 < len(mods) and not isinstance(mods[i + 1], nn.Linear):
            m = mods[i + 1]
            if isinstance(m, nn.PReLU):
                if m.weight.numel() != 1:
                    raise ValueError("PReLU with one slope per channel is not supported")
                act, alpha = "prelu", float(m.weight.item())
            elif isinstance(m, nn.Softplus):
                if m.beta != 1:
                    raise ValueError("Softplus with beta != 1 is not supported")
                act = "softplus"
            elif type(m) in ACTIVATIONS:
                act = ACTIVATIONS[type(m)]
            else:
                raise ValueError(f"unsupported module {type(m).__name__}")
            i += 1
        w = lin.weight.detach().double().cpu().numpy()
        b = (lin.bias.detach().double().cpu().numpy() if lin.bias is not None
             else np.zeros(w.shape[0]))
        out.append((w, b, act, alpha))
        i += 1
    if out[-1][0].shape[0] != 1 or out[-1][2] != "identity":
        raise ValueError("the last layer must be Linear(..., 1) with no activation after it")
    return out


def export_sequential(model, path, training_x=None, training_y=None):
    layers = _layers(model)
    if training_x is not None:  # checked before the file is created
        training_x, training_y = check_training(training_x, training_y, layers[0][0].shape[1])
    with h5py.File(path, "w") as f:
        net = f.create_group("network")
        net.attrs["in_dim"] = layers[0][0].shape[1]
        net.attrs["layers"] = len(layers)
        for k, (w, b, act, alpha) in enumerate(layers):
            g = net.create_group(f"layer_{k:03d}")
            g.create_dataset("weight", data=w)
            g.create_dataset("bias", data=b)
            g.attrs["activation"] = act
            g.attrs["alpha"] = alpha
        if training_x is not None:
            t = f.create_group("training")
            t.create_dataset("x", data=training_x)
            t.create_dataset("y", data=training_y)


def check_training(x, y, in_dim):
    """x as [N, in_dim] and y as [N] float64 arrays; ValueError naming what does not fit."""
    if y is None:
        raise ValueError("a training set needs y as well as x")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.ndim == 1 and in_dim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[1] != in_dim:
        raise ValueError(f"training x has shape {x.shape}; the network takes {in_dim} inputs")
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"training x has {x.shape[0]} points and y {y.shape[0]} values")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("the training set holds NaN or Inf")
    return x, y


def read_training(path):
    """(x, y) from an .npz (arrays x, y) or a .csv (the inputs, then y, one point a row)."""
    if path.endswith(".npz"):
        with np.load(path) as d:
            return d["x"], d["y"]
    data = np.loadtxt(path, delimiter=",", ndmin=2)
    return data[:, :-1], data[:, -1]


def gauss_target(x):
    """spikemesh's --target gauss: exp(-|x - 1/2|^2 / (2 * 0.0625))."""
    return np.exp(-((np.asarray(x) - 0.5) ** 2).sum(axis=1) / (2 * 0.0625))


def demo_training(seed=0, points=64):
    """64 seeded points of [0,1]^2 and the Gaussian bump there."""
    rng = np.random.default_rng(seed)
    x = rng.random((points, 2))
    return x, gauss_target(x)


def fit(model, x, y, steps, lr=0.01):
    """Adam on the sum of squares (the loss spikemesh's landscape judges), in double."""
    model = model.double()
    xt, yt = torch.tensor(x), torch.tensor(y).reshape(-1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(xt) - yt) ** 2).sum()
        loss.backward()
        opt.step()
    return model


def demo_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--demo", action="store_true",
                   help="a seeded 2-32-32-1 tanh/relu MLP fitted to the Gaussian bump at 64 "
                        "points, with those points as /training")
    g.add_argument("--model", help="a model saved with torch.save(model, path)")
    p.add_argument("--training", help="training set for /training: .npz (x, y) or .csv "
                                      "(inputs then y per row); --demo has its own")
    p.add_argument("--demo-steps", type=int, default=300,
                   help="Adam steps fitting the demo model (default 300; 0: the seeded weights)")
    a = p.parse_args(argv)
    try:
        if a.demo:
            if a.training:
                raise ValueError("--demo brings its own training set; drop --training")
            x, y = demo_training()
            model = fit(demo_model(), x, y, a.demo_steps)
        else:
            model = torch.load(a.model, weights_only=False)
            x, y = read_training(a.training) if a.training else (None, None)
        export_sequential(model, a.out, training_x=x, training_y=y)
    except (ValueError, OSError, KeyError) as e:
        print(f"export_torch: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.out}" + (f" with /training ({len(y)} points)" if y is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
