#!/usr/bin/python3
"""Slurm-style shards: `--shard i/N` runs merged by `spikemesh merge` equal a single run
(counts exactly, doubles within 1e-12), for runs and sweeps; mismatched cases, gaps and
overlaps are refused with a message naming them."""
import json
import os

import h5py
import numpy as np

from test_cli import CliCase

CASE = ["--dim", "3", "--train-per-axis", "4", "--bias", "2.6", "--labels", "random",
        "--points-per-axis", "157"]  # 3.9e6 points: 238 shard blocks of 16384
TIMING = ("wall_seconds", "points_per_second", "out", "mpi_ranks")


class ShardMerge(CliCase):
    def single(self, *extra):
        return json.loads(self.run_cli("run", *CASE, *extra, "--out", self.path("single.h5"),
                                       "--json").stdout)

    def shards(self, n, *extra, prefix="s"):
        paths = []
        for i in range(n):
            p = self.path(f"{prefix}{n}-{i}.h5")
            self.run_cli("run", *CASE, *extra, "--shard", f"{i}/{n}", "--out", p, "--quiet")
            paths.append(p)
        return paths

    def assert_equal_results(self, a, b):
        for k, v in b.items():  # every statistic the merge reports
            if k in TIMING:
                continue
            if isinstance(v, float):
                self.assertAlmostEqual(v, b[k], delta=1e-12 * max(abs(v), 1e-300), msg=k)
            else:
                self.assertEqual(v, b[k], k)

    def test_merge_equals_single_run_for_1_2_3_7_shards(self):
        ref = self.single()
        for n in (1, 2, 3, 7):
            paths = self.shards(n)
            sizes = []
            for p in paths:
                with h5py.File(p) as f:
                    sizes.append(int(f["shard/part_000"].attrs["range_end"]) -
                                 int(f["shard/part_000"].attrs["range_begin"]))
            self.assertEqual(sum(sizes), 157 ** 3)
            if n == 7:
                self.assertGreater(len(set(sizes)), 1)  # unequal shards
            out = self.path(f"m{n}.h5")
            j = json.loads(self.run_cli("merge", out, *reversed(paths), "--json").stdout)
            self.assert_equal_results(ref, j)
            with h5py.File(out) as f, h5py.File(self.path("single.h5")) as g:
                self.assertNotIn("shard", f)
                np.testing.assert_array_equal(f["results/f_histogram/counts"][()],
                                              g["results/f_histogram/counts"][()])
                np.testing.assert_array_equal(f["results/error_vs_distance/counts"][()],
                                              g["results/error_vs_distance/counts"][()])
                np.testing.assert_array_equal(f["network/layer_001/weight"][()],
                                              g["network/layer_001/weight"][()])
                self.assertEqual(int(f.attrs["merged_shards"]), n)

    def test_sweep_shards(self):
        sweep = ["sweep", "--dim", "3", "--sweep", "bias=2.2,2.8", "--points-per-axis", "101"]
        self.run_cli(*sweep, "--out", self.path("sw.h5"), "--quiet")
        parts = []
        for i in range(3):
            parts.append(self.path(f"sw-{i}.h5"))
            self.run_cli(*sweep, "--shard", f"{i}/3", "--out", parts[-1], "--quiet")
        self.run_cli("merge", self.path("swm.h5"), *parts, "--quiet")
        with h5py.File(self.path("sw.h5")) as a, h5py.File(self.path("swm.h5")) as b:
            self.assertEqual(sorted(a["sweep"]), sorted(b["sweep"]))
            for k in ("spike_count", "points", "nonfinite_count"):
                np.testing.assert_array_equal(a["sweep"][k][()], b["sweep"][k][()])
            for k in ("f_integral", "spike_volume", "l2_error", "bias"):
                np.testing.assert_allclose(a["sweep"][k][()], b["sweep"][k][()], rtol=1e-12)

    def test_gaps_overlaps_and_other_cases_are_refused(self):
        paths = self.shards(3)
        p = self.run_cli("merge", self.path("x.h5"), paths[0], paths[2], expect=2)
        self.assertIn("gap", p.stderr)
        self.assertIn(os.path.basename(paths[0]), p.stderr)
        p = self.run_cli("merge", self.path("x.h5"), paths[0], paths[1], paths[1], paths[2],
                         expect=2)
        self.assertIn("overlap", p.stderr)
        p = self.run_cli("merge", self.path("x.h5"), paths[0], paths[1], expect=2)
        self.assertIn("gap", p.stderr)  # the end is missing
        other = self.path("other.h5")
        case = [a if a != "2.6" else "2.7" for a in CASE]
        self.run_cli("run", *case, "--shard", "1/3", "--out", other, "--quiet")
        p = self.run_cli("merge", self.path("x.h5"), paths[0], other, paths[2], expect=2)
        self.assertIn("bias: 2.6", p.stderr)
        self.single()
        p = self.run_cli("merge", self.path("x.h5"), self.path("single.h5"), expect=2)
        self.assertIn("not a shard file", p.stderr)
        self.assertFalse(os.path.exists(self.path("x.h5")))
        self.run_cli("run", *CASE, "--shard", "3/3", "--out", self.path("y.h5"), expect=2)
