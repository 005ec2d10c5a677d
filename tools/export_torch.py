#!/usr/bin/python3
"""Write a PyTorch nn.Sequential MLP in spikemesh's /network schema (docs/hdf5-schema.md).

Usage as a library:
    from export_torch import export_sequential
    export_sequential(model, "net.h5", training_x=x, training_y=y)   # training set optional

Usage from the shell (a demo network, or a model saved with torch.save(model, path)):
    /usr/bin/python3 tools/export_torch.py --demo OUT.h5
    /usr/bin/python3 tools/export_torch.py --model model.pt OUT.h5

Supported layers: Linear, ReLU, PReLU (one shared slope), Sigmoid, Tanh, Softplus (beta=1),
Identity. The last Linear layer must have one output. Then:
    spikemesh run --construction from-file --network OUT.h5 --task approximate
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
            t.create_dataset("x", data=np.asarray(training_x, dtype=np.float64))
            t.create_dataset("y", data=np.asarray(training_y, dtype=np.float64).reshape(-1))


def demo_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--demo", action="store_true", help="a seeded 2-32-32-1 tanh/relu MLP")
    g.add_argument("--model", help="a model saved with torch.save(model, path)")
    a = p.parse_args(argv)
    model = demo_model() if a.demo else torch.load(a.model, weights_only=False)
    export_sequential(model, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
