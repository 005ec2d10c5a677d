#!/usr/bin/python3
"""Numerical trust (docs/math.md 7.6): the reproductions of issue 15 section 1 give the right
answer or a clear error; the rounding bounds are recorded in the file and in --json; an explicit
--precision float that is unsafe warns and records the warning; a tau that not even double
separates from the noise is refused naming --tau and the smallest safe value; weights beyond
float's range force double or are refused. Exact values are the closed forms of docs/math.md
2.3; mesh tolerances the surface bound of 7.5."""
import json
import math
import os

import h5py
import numpy as np

from test_cli import CliCase, rho


def surface_tol(d, n, s, m):
    """docs/math.md 7.5: |volume - exact| <= S sqrt(d) / M, S <= 2^d sqrt(d) s^(d-1) (n-1)/(d-1)!"""
    surface = 2 ** d * math.sqrt(d) * s ** (d - 1) * (n - 1) / math.factorial(d - 1)
    return surface * math.sqrt(d) / m


class Numerics(CliCase):
    def run_json(self, *args, expect=0, out="r.h5"):
        p = self.run_cli("run", *args, "--out", self.path(out), "--json", expect=expect)
        return (json.loads(p.stdout) if expect == 0 else None), p.stderr

    def test_prelu_reproduction_is_right_by_default(self):
        m = 2999
        args = ["--construction", "prelu-spike", "--alpha", "0.6", "--dim", "2",
                "--train-per-axis", "5", "--bias", "1.97", "--labels", "ones",
                "--points-per-axis", str(m)]
        j, _ = self.run_json(*args)
        exact = rho(2, 0.03 * (1 - 1e-4))  # disjoint spikes, tau = 1e-4 (docs/math.md 2.3)
        tol = surface_tol(2, 5, 0.03, m)
        self.assertLess(tol, exact)
        self.assertAlmostEqual(j["spike_volume_exact"], exact, delta=1e-12)
        self.assertAlmostEqual(j["spike_volume"], exact, delta=tol)  # was 0.404 in float
        self.assertEqual(j["precision"], "double")
        self.assertGreater(j["rounding_bound_float"], j["tau"] / 4)
        self.assertLess(j["rounding_bound_double"], j["tau"] / 4)
        self.assertEqual(j["precision_warning"], "")
        self.assertIn("double", j["precision_rule"])
        with h5py.File(self.path("r.h5")) as f:
            r = f["results"].attrs
            self.assertEqual(r["rounding_bound_float"], j["rounding_bound_float"])
            self.assertEqual(r["rounding_bound_double"], j["rounding_bound_double"])
            self.assertEqual(f.attrs["precision"], "double")

    def test_explicit_unsafe_float_warns_and_records_it(self):
        args = ["--construction", "prelu-spike", "--alpha", "0.6", "--bias", "1.97",
                "--train-per-axis", "5", "--labels", "ones", "--points-per-axis", "301",
                "--precision", "float"]
        j, err = self.run_json(*args)
        self.assertEqual(j["precision"], "float")
        self.assertIn("warning: --precision float is unsafe", err)
        self.assertIn("tau", j["precision_warning"])
        with h5py.File(self.path("r.h5")) as f:
            self.assertEqual(f["results"].attrs["precision_warning"], j["precision_warning"])

    def test_tau_no_precision_separates_is_refused_with_the_smallest_safe_value(self):
        args = ["--construction", "prelu-spike", "--alpha", "0.6", "--bias", "1.97",
                "--train-per-axis", "5", "--labels", "ones", "--points-per-axis", "301"]
        _, err = self.run_json(*args, "--tau", "1e-13", expect=2)
        self.assertIn("--tau", err)
        self.assertIn("smallest safe value", err)
        self.assert_no_output_files()
        safe = float(err.split("smallest safe value is ")[1].split()[0])
        j, _ = self.run_json(*args, "--tau", repr(safe * 1.01))
        self.assertEqual(j["precision"], "double")

    def test_sigmoid_depth_extension_d3_in_float_is_not_silently_wrong(self):
        """The issue's case: in float f_max was off by 1.5e-4 against the extension's bound.
        auto now runs it in double; an explicit float records that it is unsafe; and in either
        precision f_max is within the extension bound plus the recorded rounding bound of the
        exact peak (f_max of the base network, 1 at a training point on a vertex mesh)."""
        n_ext, eps = 3, 0.01
        args = ["--dim", "3", "--train-per-axis", "3", "--bias", "2.9", "--labels", "ones",
                "--extra-depth", str(n_ext), "--extra-activation", "sigmoid", "--c", "0",
                "--epsilon", str(eps), "--points-per-axis", "41", "--centring", "vertex"]
        ext_bound = n_ext * eps ** 2 / 12  # docs/math.md 5, M = 1
        j, _ = self.run_json(*args)
        self.assertEqual(j["precision"], "double")
        self.assertLessEqual(abs(j["f_max"] - 1.0), ext_bound + j["rounding_bound_double"])
        jf, err = self.run_json(*args, "--precision", "float")
        self.assertIn("unsafe", jf["precision_warning"])
        self.assertLessEqual(abs(jf["f_max"] - 1.0), ext_bound + jf["rounding_bound_float"])

    def test_weight_beyond_float_forces_double_or_is_refused(self):
        """f = 1e-39 relu(1e39 (x0 - 1/2)): volume of {f > 0} = 1/2 of the cells."""
        net = self.path("input-big.h5")
        with h5py.File(net, "w") as f:
            g = f.create_group("network")
            g.attrs["in_dim"] = 2
            a = g.create_group("layer_000")
            a.create_dataset("weight", data=np.array([[1e39, 0.0]]))
            a.create_dataset("bias", data=np.array([-0.5e39]))
            a.attrs["activation"] = "relu"
            b = g.create_group("layer_001")
            b.create_dataset("weight", data=np.array([[1e-39]]))
            b.create_dataset("bias", data=np.zeros(1))
            b.attrs["activation"] = "identity"
        m = 101
        args = ["--construction", "from-file", "--network", net, "--task", "approximate",
                "--points-per-axis", str(m)]
        j, _ = self.run_json(*args)
        self.assertEqual(j["precision"], "double")
        self.assertEqual(j["nonfinite_count"], 0)
        self.assertEqual(j["spike_count"], 50 * m)  # columns 51..100 of 101 have x0 > 1/2
        self.assertIsNone(j["rounding_bound_float"])  # +inf: the weight overflows float
        self.assertIn("float", j["precision_rule"])
        _, err = self.run_json(*args, "--precision", "float", expect=2, out="refused.h5")
        self.assertIn("--precision", err)
        self.assertIn("1e+39", err)
        self.assertFalse(os.path.exists(self.path("refused.h5")))
        self.assertFalse(os.path.exists(self.path("refused.h5.partial")))

    def test_defaults_give_the_exact_volume_for_every_construction(self):
        """Default tau and auto precision: C1, C2 (several alpha) and the depth extensions with
        every extension activation, against rho_d(s (1 - tau)) within the surface bound."""
        m, d, n = 1501, 2, 5
        for s in (0.3, 0.05):
            b = d - s
            cases = [["--construction", "relu-spike"]]
            cases += [["--construction", "prelu-spike", "--alpha", a] for a in ("0", "0.5", "0.9")]
            cases += [["--extra-depth", "2", "--extra-activation", act, "--c",
                       "1" if act == "relu" else "0", "--epsilon",
                       "0.5" if act == "relu" else "0.01"]
                      for act in ("relu", "sigmoid", "tanh", "softplus")]
            for extra in cases:
                with self.subTest(s=s, case=extra):
                    j, _ = self.run_json("--dim", str(d), "--train-per-axis", str(n), "--bias",
                                         repr(b), "--labels", "ones", "--points-per-axis",
                                         str(m), *extra)
                    exact = rho(d, s * (1 - j["tau"]))
                    tol = surface_tol(d, n, s, m)
                    self.assertLess(tol, exact)
                    self.assertAlmostEqual(j["spike_volume"], exact, delta=tol,
                                           msg=j["precision_rule"])
                    if j["precision"] == "float":
                        self.assertLessEqual(j["rounding_bound_float"], max(j["tau"], 1e-300) / 4
                                             if j["tau"] > 0 else math.inf)

    def test_dataset_declaring_too_many_elements_is_refused_before_allocating(self):
        """A chunked dataset declared 2^20 x 2^20 (8 TiB of doubles) in a file of a few KB:
        the declared size is checked against the limit (2^28 elements) before any allocation,
        and the error names the dataset (issue 15, section 2)."""
        net = self.path("input-huge.h5")
        with h5py.File(net, "w") as f:
            g = f.create_group("network")
            g.attrs["in_dim"] = 2
            a = g.create_group("layer_000")
            a.create_dataset("weight", shape=(1 << 20, 1 << 20), dtype="f8", chunks=(16, 16))
            a.create_dataset("bias", data=np.zeros(1))
            a.attrs["activation"] = "relu"
            b = g.create_group("layer_001")
            b.create_dataset("weight", data=np.ones((1, 1)))
            b.create_dataset("bias", data=np.zeros(1))
            b.attrs["activation"] = "identity"
        self.assertLess(os.path.getsize(net), 1 << 20)
        # --max-memory above the declared 32 TiB: past the whole-network estimate, the dataset's
        # own limit refuses it
        _, err = self.run_json("--construction", "from-file", "--network", net, "--task",
                               "approximate", "--points-per-axis", "11", "--max-memory", "1000T",
                               expect=2)
        self.assertIn("/network/layer_000/weight", err)
        self.assertIn("more than the limit", err)
        self.assert_no_output_files()

    def test_from_file_networks_with_large_weights_give_the_exact_volume(self):
        """The C1 network of a run file with its first layer scaled by K and its second layer's
        weights by 1/K (ReLU is positively homogeneous: the same f). Default settings: float
        while K fits (1e30), double when the weights leave float's range (1e39); both give
        rho_d(s) within the surface bound."""
        d, n, s, m = 2, 5, 0.1, 1501
        base = self.path("input-base.h5")
        self.run_cli("run", "--dim", str(d), "--train-per-axis", str(n), "--bias", repr(d - s),
                     "--labels", "random", "--points-per-axis", "11", "--out", base, "--quiet")
        for scale, precision in ((1e30, "float"), (1e39, "double")):
            with self.subTest(scale=scale):
                net = self.path(f"input-scaled-{scale:g}.h5")
                with h5py.File(base) as src, h5py.File(net, "w") as dst:
                    src.copy("network", dst)
                    src.copy("training", dst)
                    first, second = dst["network/layer_000"], dst["network/layer_001"]
                    for name in ("weight", "values", "bias"):
                        if name in first:
                            first[name][...] = first[name][()] * scale
                    for name in ("weight", "values"):
                        if name in second:
                            second[name][...] = second[name][()] / scale
                j, _ = self.run_json("--construction", "from-file", "--network", net,
                                     "--points-per-axis", str(m))
                self.assertEqual(j["precision"], precision, j["precision_rule"])
                self.assertEqual(j["nonfinite_count"], 0)
                tol = surface_tol(d, n, s, m)
                self.assertLess(tol, rho(d, s))
                self.assertAlmostEqual(j["spike_volume"], rho(d, s), delta=tol)
                self.assertAlmostEqual(j["accuracy"], rho(d, s), delta=tol)

    def test_in_dim_out_of_int_range_is_an_error_not_undefined_behaviour(self):
        """The fuzzer's UBSan finding: /network@in_dim = -2.2e12 was converted to int."""
        for value in (-2.19902e12, 1e300, 2.5):
            with self.subTest(in_dim=value):
                net = self.path("input-dim.h5")
                with h5py.File(net, "w") as f:
                    g = f.create_group("network")
                    g.attrs["in_dim"] = value
                    a = g.create_group("layer_000")
                    a.create_dataset("weight", data=np.ones((1, 2)))
                    a.create_dataset("bias", data=np.zeros(1))
                    a.attrs["activation"] = "relu"
                _, err = self.run_json("--construction", "from-file", "--network", net,
                                       "--task", "approximate", "--points-per-axis", "11",
                                       expect=2)
                self.assertIn("in_dim", err)
                self.assert_no_output_files()
