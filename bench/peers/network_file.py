"""Reads the /network group of a spikemesh file as (weight [out, in], bias [out], activation)
per layer in float32, for the peer scripts (the peers evaluate exactly our weights)."""
import h5py
import numpy as np


def load_layers(path):
    layers = []
    with h5py.File(path, "r") as f:
        k = 0
        while f"network/layer_{k:03d}" in f:
            g = f[f"network/layer_{k:03d}"]
            layers.append((g["weight"][()].astype(np.float32), g["bias"][()].astype(np.float32),
                           str(g.attrs["activation"])))
            k += 1
    return layers
