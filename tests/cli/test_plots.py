#!/usr/bin/python3
"""Every plotting example of README.md, run as printed there, and each PNG opened and checked.

The commands below are copied from README.md; the test first checks that README.md still
contains each of them verbatim (so a README edit that changes an example fails here until the
test follows), then runs them with `$S` the binary and `tools/plot.py` the project's script.
"""
import os
import shlex
import subprocess
import sys
import unittest

import numpy as np

from test_cli import BIN, SRC, CliCase

README = os.path.join(SRC, "README.md")
PLOT = "/usr/bin/python3 tools/plot.py"

SLICE_RUN = "spikemesh run --bias 1.75 --slice"  # the caption of the first figure
FIGURE_COMMANDS = [
    f"{PLOT} spikemesh-run.h5",  # after SLICE_RUN
    "$S sweep --sweep bias=1.0,1.5,1.9,1.99 --points-per-axis 3001 --out bias.h5",
    f"{PLOT} bias.h5",
]
LANDSCAPES = [
    "$S landscape --case sigmoid-three-point --range 3",
    "$S landscape --case relu-dead-neuron",
    "$S landscape --case affine-segment-wide",
    "$S landscape --case linear-saddle",
]
LANDSCAPE_PLOT = f"{PLOT} spikemesh-landscape.h5"


def check_png(test, path, min_coloured, min_size=(300, 400)):
    """Opens @p path: big enough, and at least @p min_coloured of its pixels in colour (not
    black, grey or white). Empty axes with a title and labels have none and ~250 grey levels;
    the README's line plots have 0.8-2.5 %, the slice 5 %, landscapes over 50 %."""
    import matplotlib.image as mpimg
    img = mpimg.imread(path)
    test.assertGreaterEqual(img.shape[0], min_size[0], path)
    test.assertGreaterEqual(img.shape[1], min_size[1], path)
    rgb = img[..., :3]
    coloured = float(((rgb.max(axis=2) - rgb.min(axis=2)) > 0.2).mean())
    test.assertGreater(coloured, min_coloured, path + ": hardly anything drawn in colour")
    colours = len(np.unique((rgb * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    test.assertGreater(colours, 300, path + " has almost no colours")
    return img


class ReadmeCase(CliCase):
    """Runs README lines as printed."""

    def setUp(self):
        super().setUp()
        try:
            import matplotlib.image  # noqa: F401
        except ImportError as e:  # python3-matplotlib comes with scripts/install-deps.sh
            self.skipTest(f"matplotlib missing: {e}")
        with open(README) as f:
            self.readme = f.read()

    def shell(self, command):
        """A README line as printed: $S is the binary, tools/ the project's tools."""
        argv = shlex.split(command.split("#")[0])
        argv = [BIN if a == "$S" else os.path.join(SRC, a) if a.startswith("tools/") else a
                for a in argv]
        p = subprocess.run(argv, cwd=self.dir, capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, f"{command}\n{p.stdout}\n{p.stderr}")
        return p


class ReadmePlots(ReadmeCase):
    def test_readme_figures_and_plots(self):
        self.assertIn(SLICE_RUN, self.readme)
        self.run_cli(*SLICE_RUN.split()[1:], "--quiet")
        for command in FIGURE_COMMANDS:
            self.assertIn(command, self.readme)
            self.shell(command)
        for png, coloured in (("spikemesh-run-slice.png", 0.02),
                              ("spikemesh-run-error-distance.png", 0.005),
                              ("bias-sweep.png", 0.003)):
            check_png(self, self.path(png), coloured)

    def test_readme_landscapes_plot(self):
        self.assertIn(LANDSCAPE_PLOT, self.readme)
        for command in LANDSCAPES:
            with self.subTest(command=command):
                self.assertIn(command, self.readme)
                self.shell(command)
                self.shell(LANDSCAPE_PLOT)
                check_png(self, self.path("spikemesh-landscape-landscape.png"), 0.3)
                os.remove(self.path("spikemesh-landscape-landscape.png"))


EXPORT = "/usr/bin/python3 tools/export_torch.py --demo net.h5"
TORCH_RUN = "$S run --construction from-file --network net.h5 --task approximate --target gauss"
TORCH_LANDSCAPE = "$S landscape --case from-file --network net.h5 --directions filter-normalized"


def numpy_forward(path, x):
    """The stored /network evaluated with numpy: an independent reference for the loss."""
    import h5py
    acts = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "identity": lambda z: z,
            "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    with h5py.File(path, "r") as f:
        a = x
        for k in sorted(f["network"]):
            g = f["network"][k]
            a = acts[g.attrs["activation"]](a @ g["weight"][()].T + g["bias"][()])
    return a[:, 0]


class ReadmeTorch(ReadmeCase):
    """The README's own weight file: exported with its training set, then run, judged by
    `landscape --case from-file` and plotted, as printed."""

    def setUp(self):
        super().setUp()
        try:
            import torch  # noqa: F401
        except ImportError as e:  # python3-torch comes with scripts/install-deps.sh --torch
            self.skipTest(f"PyTorch missing: {e}")

    def test_readme_export_run_landscape_plot(self):
        import h5py
        for command in (EXPORT, TORCH_RUN, TORCH_LANDSCAPE, LANDSCAPE_PLOT):
            self.assertIn(command, self.readme)
        self.shell(EXPORT)
        net = self.path("net.h5")
        with h5py.File(net, "r") as f:
            x, y = f["training/x"][()], f["training/y"][()]
        self.assertEqual(x.shape, (64, 2))
        self.assertTrue(((x >= 0) & (x <= 1)).all())
        # the Gaussian bump of --target gauss, written out here independently
        np.testing.assert_allclose(y, np.exp(-((x - 0.5) ** 2).sum(axis=1) / 0.125), rtol=1e-15)
        # As printed it evaluates 10^8 points through 1185 weights (~50 s on 2 cores): here on a
        # smaller mesh; the landscape line below runs exactly as printed.
        self.shell(TORCH_RUN + " --points-per-axis 201")
        p = self.shell(TORCH_LANDSCAPE + " --json")
        import json
        j = json.loads(p.stdout)
        loss = float(((numpy_forward(net, x) - y) ** 2).sum())
        self.assertAlmostEqual(j["loss"], loss, delta=1e-12 * max(1.0, loss))
        self.assertEqual(j["parameters"], 2 * 32 + 32 + 32 * 32 + 32 + 32 + 1)
        self.assertLess(loss, 64 * 0.01)  # the demo is fitted: residuals ~0.04, not ~0.5
        self.shell(LANDSCAPE_PLOT)
        check_png(self, self.path("spikemesh-landscape-landscape.png"), 0.3)

    def test_training_from_npz_and_csv_and_bad_shapes(self):
        import h5py
        import torch
        from torch import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        torch.save(model, self.path("m.pt"))
        x = np.random.default_rng(2).random((5, 3))
        y = x.sum(axis=1)
        np.savez(self.path("t.npz"), x=x, y=y)
        np.savetxt(self.path("t.csv"), np.column_stack([x, y]), delimiter=",")
        tool = os.path.join(SRC, "tools", "export_torch.py")
        for data in ("t.npz", "t.csv"):
            out = self.path(f"n-{data}.h5")
            subprocess.run([sys.executable, tool, "--model", self.path("m.pt"), "--training",
                            self.path(data), out], check=True, capture_output=True)
            with h5py.File(out, "r") as f:
                np.testing.assert_allclose(f["training/x"][()], x, rtol=1e-15)
                np.testing.assert_allclose(f["training/y"][()], y, rtol=1e-15)
        np.savez(self.path("bad.npz"), x=x[:, :2], y=y)
        p = subprocess.run([sys.executable, tool, "--model", self.path("m.pt"), "--training",
                            self.path("bad.npz"), self.path("bad.h5")], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("takes 3 inputs", p.stderr)
        self.assertFalse(os.path.exists(self.path("bad.h5")))


class PlotScales(unittest.TestCase):
    """tools/plot.py's choice of colour scale, on fields whose answer is known."""

    def setUp(self):
        sys.path.insert(0, os.path.join(SRC, "tools"))
        try:
            import plot
        except ImportError as e:
            self.skipTest(f"matplotlib missing: {e}")
        self.plot = plot

    def test_constant_log_and_linear(self):
        self.assertEqual(self.plot.loss_scale(np.ones((5, 5))), ("constant", 1.0))
        x = np.linspace(-1, 1, 51)
        basin = 1e7 * np.add.outer(x ** 2, x ** 2) ** 2  # 0 at the centre, 4e7 at the corners
        kind, floor = self.plot.loss_scale(basin)
        self.assertEqual(kind, "log")
        self.assertGreater(floor, 0)
        saddle = 1 + np.subtract.outer(x ** 2, x ** 2)  # 0 .. 2: linear
        kind, top = self.plot.loss_scale(saddle)
        self.assertEqual(kind, "linear")
        self.assertLessEqual(top, 2.0)


if __name__ == "__main__":
    unittest.main()
