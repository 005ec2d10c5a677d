#!/usr/bin/python3
"""End-to-end tests of the spikemesh command line, read back with h5py (a real client).

Run by ctest (tests/CMakeLists.txt) as /usr/bin/python3 -m unittest, one class per ctest test.
SPIKEMESH_BIN names the binary; SPIKEMESH_SOURCE_DIR the project root (for tools/).
"""
import glob
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

BIN = os.environ.get("SPIKEMESH_BIN", "spikemesh")
SRC = os.environ.get("SPIKEMESH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tools"))


def rho(d, s):
    """docs/math.md 2.3: measure of {f != 0} of the ReLU spike network."""
    return ((2 * s) ** d - d * max(2 * s - 1, 0) ** d) / math.factorial(d)


class CliCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_cli(self, *args, expect=0, env=None):
        p = subprocess.run([BIN, *args], cwd=self.dir, capture_output=True, text=True,
                           env={**os.environ, **(env or {})}, timeout=600)
        self.assertEqual(p.returncode, expect, f"args {args}\nstdout {p.stdout}\nstderr {p.stderr}")
        return p

    def assert_no_output_files(self):
        left = [f for f in os.listdir(self.dir) if f.endswith((".h5", ".partial", ".xdmf"))
                and not f.startswith("input")]
        self.assertEqual(left, [], "an invalid run left files behind")


class Run(CliCase):
    def test_run_writes_the_contract(self):
        out = self.path("r.h5")
        self.run_cli("run", "--dim", "2", "--bias", "1.7", "--points-per-axis", "1201",
                     "--labels", "random", "--out", out, "--quiet")
        with h5py.File(out, "r") as f:
            root = dict(f.attrs)
            for key in ("spikemesh_version", "git_commit", "created_utc", "command_line",
                        "backend", "device", "precision", "mpi_ranks", "status"):
                self.assertIn(key, root)
            self.assertEqual(root["status"], "complete")
            self.assertEqual(root["backend"], "cpu")
            r = f["results"].attrs
            self.assertEqual(int(r["points"]), 1201 ** 2)
            self.assertAlmostEqual(float(r["spike_volume_exact"]), rho(2, 0.3), places=12)
            self.assertLess(abs(r["spike_volume"] - rho(2, 0.3)), 0.005 * rho(2, 0.3))
            self.assertLess(abs(r["accuracy"] - rho(2, 0.3)), 0.005 * rho(2, 0.3))
            self.assertLessEqual(r["train_loss"], 1e-10)
            self.assertEqual(int(r["nonfinite_count"]), 0)
            counts = f["results/f_histogram/counts"][()]
            self.assertEqual(len(f["results/f_histogram/edges"]), len(counts) + 1)
            self.assertEqual(int(counts.sum()), 1201 ** 2)
            ed = f["results/error_vs_distance"]
            self.assertEqual(int(ed["counts"][()].sum()), 1201 ** 2)
            self.assertEqual(ed["mean_abs_error"].shape, ed["counts"].shape)
            m = f["mesh"].attrs
            self.assertEqual(int(m["dim"]), 2)
            self.assertEqual(list(m["points_per_axis"]), [1201, 1201])
            self.assertEqual(m["centring"], "cell")
            self.assertEqual(int(m["total_points"]), 1201 ** 2)
            c = f["config"].attrs
            self.assertEqual(c["construction"], "relu-spike")
            self.assertAlmostEqual(float(c["bias"]), 1.7)
            self.assertEqual(f["training/x"].shape, (16, 2))
            self.assertEqual(f["network/layer_000"].attrs["activation"], "relu")
            self.assertEqual(f["network/layer_001/weight"].shape, (16, 12))
            self.assertEqual(f["network/layer_002/weight"].shape, (1, 16))

    def test_network_in_file_reproduces_training_labels(self):
        """Evaluate the stored weights with numpy (an independent reference) at /training/x."""
        out = self.path("n.h5")
        self.run_cli("run", "--dim", "3", "--train-per-axis", "3", "--bias", "2.6",
                     "--points-per-axis", "31", "--out", out, "--quiet")
        with h5py.File(out, "r") as f:
            a = f["training/x"][()]
            k = 0
            while f"network/layer_{k:03d}" in f:
                g = f[f"network/layer_{k:03d}"]
                a = a @ g["weight"][()].T + g["bias"][()]
                if g.attrs["activation"] == "relu":
                    a = np.maximum(a, 0)
                k += 1
            np.testing.assert_allclose(a[:, 0], f["training/y"][()], atol=1e-12)

    def test_info_prints_the_summary(self):
        out = self.path("i.h5")
        self.run_cli("run", "--points-per-axis", "301", "--out", out, "--quiet")
        p = self.run_cli("info", out)
        self.assertIn("spike_volume", p.stdout)
        self.assertIn("complete", p.stdout)

    def test_list_shows_constructions(self):
        p = self.run_cli("list")
        for name in ("relu-spike", "prelu-spike", "sigmoid-spike", "from-file", "--bias"):
            self.assertIn(name, p.stdout)

    def test_slice_and_xdmf_sidecar(self):
        out = self.path("sl.h5")
        self.run_cli("run", "--points-per-axis", "101", "--slice", "--slice-points", "64",
                     "--out", out, "--quiet")
        with h5py.File(out, "r") as f:
            z = f["slices/x0x1"][()]
            self.assertEqual(z.shape, (64, 64))
            self.assertGreater(np.count_nonzero(z), 0)
        xdmf = open(self.path("sl.xdmf")).read()
        self.assertIn("sl.h5:/slices/x0x1", xdmf)
        self.assertIn("2DCoRectMesh", xdmf)


class Json(CliCase):
    def test_json_has_every_statistic(self):
        out = self.path("j.h5")
        p = self.run_cli("run", "--dim", "1", "--train-per-axis", "6", "--bias", "0.9",
                         "--points-per-axis", "100003", "--task", "approximate",
                         "--target", "one", "--out", out, "--json")
        j = json.loads(p.stdout)
        for key in ("points", "spike_count", "spike_fraction", "spike_volume",
                    "spike_volume_exact", "train_loss", "train_max_abs_error", "accuracy",
                    "undecided_fraction", "l1_error", "l2_error", "linf_error", "rel_l2_error",
                    "nonfinite_count", "f_min", "f_max", "points_per_second", "wall_seconds",
                    "backend", "precision", "out"):
            self.assertIn(key, j)
        self.assertIsNone(j["accuracy"])  # NaN (not a classification) becomes null
        self.assertEqual(j["out"], out)
        self.assertAlmostEqual(j["spike_volume"], 0.2, delta=1e-4)
        self.assertAlmostEqual(j["l1_error"], 0.9, delta=1e-5)       # 1 - int f
        self.assertAlmostEqual(j["l2_error"] ** 2, 0.866667, delta=1e-5)
        with h5py.File(out, "r") as f:
            self.assertEqual(f["results"].attrs["spike_count"], j["spike_count"])


class Sweep(CliCase):
    def test_sweep_is_a_product_with_equal_columns(self):
        out = self.path("s.h5")
        self.run_cli("sweep", "--sweep", "bias=1.5,1.9", "--sweep", "train-per-axis=3,4",
                     "--points-per-axis", "1001", "--out", out, "--quiet")
        with h5py.File(out, "r") as f:
            cols = {k: f["sweep"][k][()] for k in f["sweep"]}
        lengths = {len(v) for v in cols.values()}
        self.assertEqual(lengths, {4})
        self.assertEqual(sorted(zip(cols["bias"], cols["train-per-axis"])),
                         [(1.5, 3), (1.5, 4), (1.9, 3), (1.9, 4)])
        for b, v, e in zip(cols["bias"], cols["spike_volume"], cols["spike_volume_exact"]):
            self.assertAlmostEqual(e, rho(2, 2 - b), places=12)
            self.assertLess(abs(v - e), 0.02 * e)
        try:  # the h5py -> pandas recipe of docs/hdf5-schema.md
            import pandas as pd
            df = pd.DataFrame(cols)
            self.assertEqual(len(df), 4)
        except ImportError:
            pass

    def test_unknown_sweep_name_is_rejected(self):
        p = self.run_cli("sweep", "--sweep", "colour=1,2", "--out", self.path("x.h5"), expect=2)
        self.assertIn("--sweep", p.stderr)
        self.assert_no_output_files()


class Config(CliCase):
    def test_toml_config_sets_options(self):
        cfg = self.path("input.toml")
        with open(cfg, "w") as f:
            f.write('construction = "prelu-spike"\ndim = 3\ntrain-per-axis = 3\nbias = 2.5\n'
                    'alpha = 0.3\npoints-per-axis = [61]\n')
        p = self.run_cli("run", "--config", cfg, "--out", self.path("c.h5"), "--json")
        j = json.loads(p.stdout)
        # prelu-spike's zeros hold up to rounding: default tau 1e-4, exact rho_d(s (1 - tau))
        self.assertAlmostEqual(j["tau"], 1e-4)
        self.assertAlmostEqual(j["spike_volume_exact"], rho(3, 0.5 * (1 - 1e-4)), places=12)
        with h5py.File(self.path("c.h5"), "r") as f:
            self.assertEqual(f["config"].attrs["construction"], "prelu-spike")
            self.assertAlmostEqual(float(f["config"].attrs["alpha"]), 0.3)

    def test_unknown_config_key_is_an_error(self):
        cfg = self.path("input.toml")
        with open(cfg, "w") as f:
            f.write("dim = 2\nbais = 1.5\n")
        p = self.run_cli("run", "--config", cfg, "--out", self.path("c.h5"), expect=2)
        self.assertIn("bais", p.stderr)
        self.assert_no_output_files()


class Errors(CliCase):
    CASES = [
        (["--bias", "2.5"], "--bias"),
        (["--bias", "0.5"], "--bias"),
        (["--dim", "0"], "--dim"),
        (["--train-per-axis", "1"], "--train-per-axis"),
        (["--points-per-axis", "0"], "--points-per-axis"),
        (["--box", "1,0"], "--box"),
        (["--construction", "nope"], "--construction"),
        (["--labels", "stripes"], "--labels"),
        (["--precision", "half"], "--precision"),
        (["--tau", "-1"], "--tau"),
        (["--construction", "prelu-spike", "--alpha", "1.5"], "--alpha"),
        (["--construction", "sigmoid-spike", "--K", "0"], "--K"),
        (["--extra-depth", "3", "--c", "-1"], "--c"),
        (["--extra-depth", "3", "--epsilon", "0"], "--epsilon"),
        (["--construction", "from-file"], "--network"),
    ]

    def test_invalid_input_exits_2_naming_the_field(self):
        for args, field in self.CASES:
            with self.subTest(args=args):
                p = self.run_cli("run", *args, "--points-per-axis" if "--points-per-axis" not in
                                 args else "--quiet", *(["11"] if "--points-per-axis" not in args
                                                         else []), "--out",
                                 self.path("bad.h5"), expect=2)
                self.assertIn(field, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assert_no_output_files()

    def test_enum_errors_and_help_name_the_choices(self):
        p = self.run_cli("run", "--labels", "stripes", "--out", self.path("e.h5"), expect=2)
        self.assertIn("'stripes' is not one of {checkerboard,ones,random}", p.stderr)
        h = self.run_cli("--help")
        self.assertIn("--backend ENUM:{auto,cpu,cuda}", h.stdout)
        self.assertTrue(all(ord(ch) >= 32 or ch in "\t\n" for ch in h.stdout + p.stderr),
                        "control characters in --help or the error")

    def test_unused_option_is_reported(self):
        p = self.run_cli("run", "--alpha", "0.3", "--points-per-axis", "11", "--out",
                         self.path("u.h5"), "--quiet")
        self.assertIn("--alpha is not used", p.stderr)

    def test_cuda_without_device_is_a_runtime_error(self):
        p = self.run_cli("run", "--backend", "cuda", "--points-per-axis", "11", "--out",
                         self.path("g.h5"), expect=1)
        self.assertIn("cuda", p.stderr.lower())
        self.assert_no_output_files()


class FromFile(CliCase):
    def write(self, name, layers, training=None, in_dim=2):
        path = self.path("input-" + name)
        with h5py.File(path, "w") as f:
            net = f.create_group("network")
            if in_dim is not None:
                net.attrs["in_dim"] = in_dim
            for k, (w, b, act) in enumerate(layers):
                g = net.create_group(f"layer_{k:03d}")
                if w is not None:
                    g.create_dataset("weight", data=w)
                if b is not None:
                    g.create_dataset("bias", data=b)
                g.attrs["activation"] = act
            if training is not None:
                t = f.create_group("training")
                t.create_dataset("x", data=training[0])
                t.create_dataset("y", data=training[1])
        return path

    def good_layers(self):
        rng = np.random.default_rng(1)
        return [(rng.normal(size=(8, 2)), rng.normal(size=8), "tanh"),
                (rng.normal(size=(1, 8)), np.zeros(1), "identity")]

    def test_malformed_files_each_get_their_own_error(self):
        good = self.good_layers()
        notes = self.path("input-notes.txt")
        with open(notes, "w") as f:
            f.write("not hdf5")
        nan_w = good[0][0].copy()
        nan_w[0, 0] = np.nan
        no_net = self.path("input-nonet.h5")
        with h5py.File(no_net, "w") as f:
            f.create_group("other")
        cases = [
            (self.path("input-missing.h5"), "cannot open"),
            (notes, "not an HDF5 file"),
            (no_net, "missing group /network"),
            (self.write("rank.h5", [(good[0][0].ravel(), good[0][1], "tanh"), good[1]]), "rank 1"),
            (self.write("shape.h5", [good[0], (np.ones((1, 5)), np.zeros(1), "identity")]),
             "takes 5 inputs"),
            (self.write("act.h5", [(good[0][0], good[0][1], "swish"), good[1]]), "swish"),
            (self.write("nan.h5", [(nan_w, good[0][1], "tanh"), good[1]]), "NaN"),
            (self.write("nobias.h5", [(good[0][0], None, "tanh"), good[1]]), "bias"),
            (self.write("out.h5", [good[0], (np.ones((2, 8)), np.zeros(2), "identity")]),
             "output layer"),
        ]
        for path, message in cases:
            with self.subTest(path=path):
                p = self.run_cli("run", "--construction", "from-file", "--network", path,
                                 "--task", "approximate", "--points-per-axis", "11", "--out",
                                 self.path("o.h5"), expect=2)
                self.assertIn(message, p.stderr)
                self.assert_no_output_files()

    def test_torch_export_matches_torch_on_the_mesh(self):
        try:
            import torch
            from export_torch import demo_model, export_sequential
        except ImportError as e:  # python3-torch is installed by scripts/install-deps.sh --torch
            self.skipTest(f"PyTorch missing: {e}")
        model = demo_model(seed=3).double()
        path = self.path("input-torch.h5")
        export_sequential(model, path)
        m = 257
        p = self.run_cli("run", "--construction", "from-file", "--network", path, "--task",
                         "approximate", "--target", "gauss", "--points-per-axis", str(m),
                         "--precision", "double", "--out", self.path("t.h5"), "--json")
        j = json.loads(p.stdout)
        g = (np.arange(m) + 0.5) / m
        xx, yy = np.meshgrid(g, g, indexing="ij")
        pts = torch.tensor(np.stack([xx.ravel(), yy.ravel()], axis=1))
        with torch.no_grad():
            f = model(pts).numpy().ravel()
        target = np.exp(-((pts.numpy() - 0.5) ** 2).sum(axis=1) / (2 * 0.0625))
        self.assertAlmostEqual(j["f_integral"], f.mean(), delta=1e-12)
        self.assertAlmostEqual(j["f_max"], f.max(), delta=1e-12)
        self.assertAlmostEqual(j["l1_error"], np.abs(f - target).mean(), delta=1e-12)


def wait_for_pause(proc):
    """Reads @p proc's stderr until the output-file protocol's test pause (the temporary is
    complete, not yet renamed): a blocking read, so no timing decides anything."""
    for line in proc.stderr:
        if "test pause before renaming" in line:
            return line
    raise AssertionError("the process ended without reaching the pause before the rename")


class KillDuringWrite(CliCase):
    def test_killed_run_leaves_nothing_at_the_final_name(self):
        out = self.path("k.h5")
        proc = subprocess.Popen([BIN, "run", "--points-per-axis", "201", "--out", out, "--quiet"],
                                cwd=self.dir, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "SPIKEMESH_TEST_PAUSE_BEFORE_RENAME": "30"})
        wait_for_pause(proc)
        self.assertTrue(glob.glob(out + ".tmp-*"))  # the temporary, complete before the pause
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.assertFalse(os.path.exists(out))
        # And a run killed while evaluating (after its first block) never creates the file.
        proc = subprocess.run([BIN, "run", "--points-per-axis", "30000", "--out", out, "--quiet"],
                              cwd=self.dir, capture_output=True, timeout=600,
                              env={**os.environ, "SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "1",
                                   "SPIKEMESH_TEST_STOP_SIGNAL": "KILL"})
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.assertFalse(os.path.exists(out))


class Certify(CliCase):
    def test_certify_brackets_the_exact_volume(self):
        out = self.path("c.h5")
        j = json.loads(self.run_cli("run", "--method", "certify", "--dim", "6",
                                    "--train-per-axis", "3", "--bias", "5.5", "--box-budget",
                                    "20000", "--samples", "20000", "--out", out, "--json").stdout)
        for key in ("certified_volume_lower", "certified_volume_upper", "volume_estimate",
                    "volume_ci_low", "volume_ci_high", "boxes_processed", "boxes_undecided"):
            self.assertIn(key, j)
        exact = rho(6, 0.5)
        self.assertAlmostEqual(j["spike_volume_exact"], exact, places=12)
        self.assertLessEqual(j["certified_volume_lower"], exact)
        self.assertGreaterEqual(j["certified_volume_upper"], exact)
        self.assertLessEqual(j["volume_ci_low"], exact)
        self.assertGreaterEqual(j["volume_ci_high"], exact)
        with h5py.File(out) as f:
            self.assertEqual(f["results"].attrs["method"], "certify")
            self.assertEqual(int(f["certify"].attrs["box_budget"]), 20000)
            self.assertEqual(int(f["results"].attrs["boxes_processed"]), j["boxes_processed"])

    def test_exact_method_meets_the_closed_form(self):
        # C1 d = 8, n = 2, s = 0.4 (disjoint spikes): every box decided, the bracket ~1e-11 wide.
        out = self.path("e.h5")
        j = json.loads(self.run_cli("run", "--method", "exact", "--dim", "8",
                                    "--train-per-axis", "2", "--bias", "7.6", "--out", out,
                                    "--json").stdout)
        exact = rho(8, 0.4)
        self.assertEqual(j["method"], "exact")
        self.assertGreater(j["certified_volume_lower"], 0.0)
        self.assertLessEqual(j["certified_volume_lower"], exact * (1 + 1e-12))
        self.assertGreaterEqual(j["certified_volume_upper"], exact * (1 - 1e-12))
        self.assertLessEqual(j["certified_volume_upper"] - j["certified_volume_lower"],
                             1e-9 * exact)
        self.assertEqual(j["exact_volume_fraction"], 1.0)
        # 256 spikes, decided one orthant at a time or several at once (unions of half-spaces)
        self.assertGreater(j["boxes_exact"], 0)
        self.assertLessEqual(j["boxes_exact"], j["boxes_processed"])
        self.assertEqual(j["boxes_undecided"], 0)
        self.assertEqual(j["ci_method"], "exact")
        with h5py.File(out) as f:
            r = f["results"].attrs
            self.assertEqual(r["method"], "exact")
            self.assertEqual(float(r["certified_volume_lower"]), j["certified_volume_lower"])
            self.assertEqual(float(r["exact_volume_fraction"]), 1.0)
            self.assertEqual(int(r["boxes_exact"]), j["boxes_exact"])
            self.assertEqual(float(f["certify"].attrs["target_rel_gap"]), 1e-12)
            self.assertEqual(int(f["certify"].attrs["stopped_early"]), 0)

    def test_target_half_width_and_linear_bounds(self):
        out = self.path("t.h5")
        j = json.loads(self.run_cli("run", "--method", "certify", "--dim", "6",
                                    "--train-per-axis", "3", "--bias", "5.5", "--box-budget",
                                    "20000", "--samples", "50000000", "--target-rel-ci", "0.03",
                                    "--bounds", "linear", "--out", out, "--json").stdout)
        half = 0.5 * (j["volume_ci_high"] - j["volume_ci_low"])
        self.assertLessEqual(half, 0.03 * j["volume_estimate"])
        self.assertLess(j["samples_used"], 50000000)
        self.assertEqual(j["bound_method"], "linear+separable")
        self.assertEqual(j["ci_method"], "stratified")
        self.assertLessEqual(j["volume_ci_low"], rho(6, 0.5))
        self.assertGreaterEqual(j["volume_ci_high"], rho(6, 0.5))
        info = self.run_cli("info", out).stdout
        self.assertIn("[certify]", info)
        self.assertIn("ci_method", info)
        with h5py.File(out) as f:
            self.assertEqual(f["certify"].attrs["bound_method_requested"], "linear")
            self.assertEqual(int(f["certify"].attrs["sampling_rounds"]), j["sampling_rounds"])
            self.assertAlmostEqual(float(f["certify"].attrs["target_rel_ci"]), 0.03)

    def test_bad_certify_options_name_the_field(self):
        for args, field in ((["--bounds", "exact"], "--bounds"),
                            (["--target-rel-ci", "-1"], "--target-rel-ci")):
            p = self.run_cli("run", "--method", "certify", *args, expect=2)
            self.assertIn(field, p.stderr)
            self.assert_no_output_files()


class Landscape(CliCase):
    def test_s2_verdict_and_surface_file(self):
        out = self.path("l.h5")
        p = self.run_cli("landscape", "--case", "sigmoid-three-point", "--range", "3",
                         "--points-per-axis", "31", "--perturbations", "2000", "--out", out,
                         "--json")
        j = json.loads(p.stdout)
        self.assertEqual(j["verdict"], "spurious_local_minimum")
        self.assertAlmostEqual(j["loss"], 9.8665552677, places=8)
        self.assertAlmostEqual(j["global_loss"], 8.8362174986, places=8)
        self.assertLess(j["grad_norm"], 1e-6)
        self.assertGreater(j["min_loss_change"], 0)
        with h5py.File(out, "r") as f:
            # The loss-landscape tool's scripts read these names at the root.
            x, y, z = f["xcoordinates"][()], f["ycoordinates"][()], f["train_loss"][()]
            self.assertEqual(z.shape, (31, 31))
            np.testing.assert_array_equal(z, f["landscape/train_loss"][()])
            self.assertEqual(f["results"].attrs["verdict"], "spurious_local_minimum")
            # Axis directions: the centre is theta* and F(u, v) is the S2 loss there.
            u0, v0 = f["landscape/theta_star"][()]
            xs = np.array([-1.0, 1.0, 2.0])
            ys = np.array([-1.0, -1.0, 3.0])
            for i in (0, 7, 15, 30):
                for k in (0, 15, 22):
                    u, v = u0 + x[i], v0 + y[k]
                    want = np.sum((ys - u / (1 + np.exp(-v * xs))) ** 2)
                    self.assertAlmostEqual(z[i, k], want, places=10)

    def test_s4_is_a_saddle(self):
        p = self.run_cli("landscape", "--case", "linear-saddle", "--points-per-axis", "11",
                         "--perturbations", "1000", "--out", self.path("s.h5"), "--json")
        j = json.loads(p.stdout)
        self.assertEqual(j["verdict"], "saddle")
        self.assertAlmostEqual(j["hessian_eigenvalues"][0], -2.0, places=3)

    def test_from_file_at_a_global_minimum(self):
        path = self.path("input-abs.h5")
        with h5py.File(path, "w") as f:  # |x| = relu(x) + relu(-x): S3's global minimum
            n = f.create_group("network")
            n.attrs["in_dim"] = 1
            g = n.create_group("layer_000")
            g.create_dataset("weight", data=np.array([[1.0], [-1.0]]))
            g.create_dataset("bias", data=np.zeros(2))
            g.attrs["activation"] = "relu"
            g = n.create_group("layer_001")
            g.create_dataset("weight", data=np.array([[1.0, 1.0]]))
            g.create_dataset("bias", data=np.zeros(1))
            g.attrs["activation"] = "identity"
            t = f.create_group("training")
            t.create_dataset("x", data=np.array([[-1.0], [0.0], [1.0]]))
            t.create_dataset("y", data=np.array([1.0, 0.0, 1.0]))
        p = self.run_cli("landscape", "--case", "from-file", "--network", path,
                         "--points-per-axis", "11", "--perturbations", "500", "--out",
                         self.path("ff.h5"), "--json")
        j = json.loads(p.stdout)
        self.assertEqual(j["loss"], 0.0)
        self.assertEqual(j["verdict"], "global_minimum")
        self.assertEqual(j["parameters"], 7)

    def test_demo_network_at_zero_loss_is_a_global_minimum(self):
        # The command: the demo's network (ReLU kinks at every training point) judged at
        # its own point. Loss 0 with a sum of squares: global, whatever the central difference.
        run = json.loads(self.run_cli("--points-per-axis", "101", "--quiet", "--json").stdout)
        p = self.run_cli("landscape", "--case", "from-file", "--network", "spikemesh-demo.h5",
                         "--points-per-axis", "11", "--perturbations", "200", "--json")
        j = json.loads(p.stdout)
        # Zero to rounding (docs/math.md 4.2): each residual f(x_q) - y_q is the double forward
        # pass's rounding, at most the run's rigorous bound B (rounding_bound_double, 7.6), so
        # the loss is at most N B^2 (dense layers fuse their multiply-adds, so it need not be
        # an exact 0).
        with h5py.File(self.path("spikemesh-demo.h5"), "r") as f:
            n_train = f["training/y"].shape[0]
        bound = run["rounding_bound_double"]
        self.assertLess(bound, 1e-10)
        self.assertLessEqual(j["loss"], n_train * bound * bound)
        self.assertGreater(j["grad_norm"], 1e-6)  # the kinks' artifact is still reported
        self.assertEqual(j["verdict"], "global_minimum")
        self.assertEqual(j["criterion"], "sum of squares at 0")
        self.assertEqual(j["global_loss"], j["loss"])  # F >= 0 and F(theta*) "= 0"
        self.assertEqual(j["parameters"], 261)

    def test_unknown_case_exits_2(self):
        p = self.run_cli("landscape", "--case", "nope", "--out", self.path("n.h5"), expect=2)
        self.assertIn("--case", p.stderr)
        self.assert_no_output_files()


class Plot(CliCase):
    def test_plots_exist_and_are_not_blank(self):
        try:
            import matplotlib.image as mpimg
        except ImportError as e:
            self.skipTest(f"matplotlib missing: {e}")
        run = self.path("p.h5")
        sweep = self.path("q.h5")
        self.run_cli("run", "--points-per-axis", "301", "--slice", "--slice-points", "128",
                     "--out", run, "--quiet")
        self.run_cli("sweep", "--sweep", "bias=1.5,1.8,1.95", "--points-per-axis", "401",
                     "--out", sweep, "--quiet")
        land = self.path("r.h5")
        self.run_cli("landscape", "--case", "affine-segment", "--points-per-axis", "21",
                     "--perturbations", "200", "--out", land, "--quiet")
        for f in (run, sweep, land):
            subprocess.run([sys.executable, os.path.join(SRC, "tools", "plot.py"), f],
                           check=True, capture_output=True)
        for png in ("p-slice.png", "p-error-distance.png", "q-sweep.png", "r-landscape.png"):
            img = mpimg.imread(self.path(png))
            self.assertGreater(img.shape[0], 100)
            self.assertGreater(float(img[..., :3].std()), 0.01, png + " is blank")


if __name__ == "__main__":
    unittest.main()
