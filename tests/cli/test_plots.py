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


class ReadmePlots(CliCase):
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
