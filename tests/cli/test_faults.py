#!/usr/bin/python3
"""Fault tests: killed and resumed runs equal uninterrupted ones; damaged or foreign
checkpoints are refused; a full disk is a clear error with no file; NaN is counted, not summed;
MPI runs equal single-process runs. Run by ctest, one class per test (tests/CMakeLists.txt)."""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import unittest

import h5py
import numpy as np

from test_cli import BIN, CliCase

MESH = ["--points-per-axis", "6007", "--threads", "2"]  # ~3.6e7 points: a few seconds
TIMING = ("wall_seconds", "points_per_second", "out")


def same_results(test, a, b, rel=0.0):
    for k, v in a.items():
        if k in TIMING or k == "mpi_ranks":
            continue
        w = b[k]
        if isinstance(v, float) and isinstance(w, float) and rel > 0:
            test.assertAlmostEqual(v, w, delta=rel * max(abs(v), 1e-300), msg=k)
        else:
            test.assertEqual(v, w, k)


class Resume(CliCase):
    def reference(self):
        return json.loads(self.run_cli("run", *MESH, "--out", self.path("ref.h5"), "--json").stdout)

    def test_kill_9_at_random_moments_then_resume(self):
        """SIGKILL after a seeded random number of blocks of each attempt (the driver's test
        stop point SPIKEMESH_TEST_STOP_AFTER_BLOCKS, host/run/run_control.cpp): the same stop points on any machine."""
        ref = self.reference()
        out = self.path("k.h5")
        rng = random.Random(7)
        for attempt in range(4):
            blocks = rng.randint(1, 6)  # of about 35 blocks of 2^20 points
            proc = subprocess.run([BIN, "run", *MESH, "--checkpoint-interval", "0", "--resume",
                                   "--out", out, "--quiet"], cwd=self.dir,
                                  env=dict(os.environ, SPIKEMESH_TEST_STOP_AFTER_BLOCKS=str(blocks),
                                           SPIKEMESH_TEST_STOP_SIGNAL="KILL"),
                                  capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, -signal.SIGKILL, (attempt, proc.stderr))
            self.assertFalse(os.path.exists(out), "a killed run left a final file")
            self.assertTrue(os.path.exists(out + ".partial"), "no checkpoint after the kill")
        got = json.loads(self.run_cli("run", *MESH, "--resume", "--out", out, "--json").stdout)
        same_results(self, ref, got)  # bit-identical, counts and sums
        self.assertFalse(os.path.exists(out + ".partial"))

    def test_signals_stop_with_exit_3_and_resume(self):
        ref = self.reference()
        out = self.path("t.h5")
        # SIGTERM raised after the first block (a stop point that does not depend on speed).
        p = self.run_cli("run", *MESH, "--checkpoint-interval", "0", "--out", out, "--quiet",
                         expect=3, env={"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "1"})
        self.assertIn("--resume", p.stderr)
        self.assertTrue(os.path.exists(out + ".partial"))
        self.assertFalse(os.path.exists(out))
        for sig in ("TERM", "INT", "USR1"):  # each raised after the resumed run's 2nd block
            proc = subprocess.run([BIN, "run", *MESH, "--resume", "--checkpoint-interval", "0",
                                   "--out", out, "--quiet"], cwd=self.dir,
                                  env=dict(os.environ, SPIKEMESH_TEST_STOP_AFTER_BLOCKS="2",
                                           SPIKEMESH_TEST_STOP_SIGNAL=sig),
                                  capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 3, (sig, proc.stderr))
            self.assertIn("--resume", proc.stderr)
            self.assertFalse(os.path.exists(out))
        got = json.loads(self.run_cli("run", *MESH, "--resume", "--out", out, "--json").stdout)
        same_results(self, ref, got)


class PartialRefused(CliCase):
    def checkpoint(self, out):
        self.run_cli("run", *MESH, "--checkpoint-interval", "0", "--out", out, "--quiet",
                     expect=3, env={"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "1"})
        return out + ".partial"

    def resume_fails(self, out, message, *extra):
        p = self.run_cli("run", *MESH, *extra, "--resume", "--out", out, expect=2)
        self.assertIn(message, p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_truncated(self):
        out = self.path("a.h5")
        part = self.checkpoint(out)
        with open(part, "r+b") as f:
            f.truncate(os.path.getsize(part) // 2)
        self.resume_fails(out, ".partial")

    def test_corrupted_state(self):
        out = self.path("b.h5")
        part = self.checkpoint(out)
        with h5py.File(part, "r+") as f:
            s = f["checkpoint/state"]
            data = s[()]
            data[40] ^= 0x55
            s[...] = data
        self.resume_fails(out, "checksum mismatch")

    def test_garbage(self):
        out = self.path("c.h5")
        with open(out + ".partial", "wb") as f:
            f.write(os.urandom(4096))
        self.resume_fails(out, "not an HDF5 file")

    def test_different_case(self):
        out = self.path("d.h5")
        self.checkpoint(out)
        self.resume_fails(out, "bias: 1.9 in the checkpoint, 1.8 in this run", "--bias", "1.8")
        self.resume_fails(out, "points_per_axis", "--points-per-axis", "6009")


class FullDisk(CliCase):
    def test_file_size_limit_is_a_clear_error(self):
        out = self.path("f.h5")

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

        p = subprocess.run([BIN, "run", "--points-per-axis", "301", "--out", out, "--quiet"],
                           cwd=self.dir, capture_output=True, text=True, preexec_fn=limit)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot write", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertFalse(os.path.exists(out + ".partial"))


class NonFinite(CliCase):
    def test_nan_points_are_counted_not_summed(self):
        """f = 1e300 relu(1e300 (x0 - 0.5)) - (the same): Inf - Inf = NaN for x0 > 0.5."""
        net = self.path("input-nan.h5")
        with h5py.File(net, "w") as f:
            n = f.create_group("network")
            n.attrs["in_dim"] = 2
            g = n.create_group("layer_000")
            g.create_dataset("weight", data=np.array([[1e300, 0.0], [1e300, 0.0]]))
            g.create_dataset("bias", data=np.array([-0.5e300, -0.5e300]))
            g.attrs["activation"] = "relu"
            g = n.create_group("layer_001")
            g.create_dataset("weight", data=np.array([[1e300, -1e300]]))
            g.create_dataset("bias", data=np.zeros(1))
            g.attrs["activation"] = "identity"
        m = 101  # cell centres (k + 1/2)/101: 50 of 101 columns have x0 > 0.5
        j = json.loads(self.run_cli("run", "--construction", "from-file", "--network", net,
                                    "--task", "approximate", "--precision", "double",
                                    "--points-per-axis", str(m), "--out", self.path("n.h5"),
                                    "--json").stdout)
        self.assertEqual(j["nonfinite_count"], 50 * m)
        self.assertEqual(j["points"], m * m)
        self.assertEqual(j["f_integral"], 0.0)        # the finite points are all exactly 0
        self.assertAlmostEqual(j["l1_error"], 1.0)    # |0 - 1| over the finite points
        self.assertIsNone(j["linf_error"])             # NaN: a max over NaN has no order-free value
        self.assertEqual(j["spike_count"], 0)


def built_with_mpi():
    p = subprocess.run([BIN, "--version"], capture_output=True, text=True)
    return "mpi: on" in p.stdout


@unittest.skipUnless(shutil.which("mpirun") and built_with_mpi(), "no OpenMPI build")
class Mpi(CliCase):
    ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}

    def mpirun(self, ranks, *args):
        p = subprocess.run(["mpirun", "-np", str(ranks), "--oversubscribe", BIN, *args],
                           cwd=self.dir, capture_output=True, text=True, timeout=600,
                           env={**os.environ, **self.ENV})
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_ranks_equal_single_process(self):
        args = ["run", "--dim", "3", "--train-per-axis", "4", "--bias", "2.5", "--labels",
                "random", "--points-per-axis", "211", "--threads", "1"]
        one = json.loads(self.run_cli(*args, "--out", self.path("1.h5"), "--json").stdout)
        for ranks in (2, 3):
            got = json.loads(self.mpirun(ranks, *args, "--out", self.path(f"{ranks}.h5"),
                                         "--json").stdout)
            self.assertEqual(got["mpi_ranks"], ranks)  # a JSON number
            same_results(self, one, got, rel=1e-12)
            for k in ("points", "spike_count", "nonfinite_count"):
                self.assertEqual(got[k], one[k])
            with h5py.File(self.path(f"{ranks}.h5")) as f:
                self.assertEqual(int(f.attrs["mpi_ranks"]), ranks)

    def test_sweep_rows_across_ranks(self):
        args = ["sweep", "--sweep", "bias=1.5,1.9", "--points-per-axis", "1001", "--threads", "1"]
        self.run_cli(*args, "--out", self.path("s1.h5"), "--quiet")
        self.mpirun(2, *args, "--out", self.path("s2.h5"), "--quiet")
        with h5py.File(self.path("s1.h5")) as a, h5py.File(self.path("s2.h5")) as b:
            np.testing.assert_array_equal(a["sweep/spike_count"][()], b["sweep/spike_count"][()])
            np.testing.assert_allclose(a["sweep/f_integral"][()], b["sweep/f_integral"][()],
                                       rtol=1e-12)

    def test_invalid_input_fails_on_every_rank_without_deadlock(self):
        p = subprocess.run(["mpirun", "-np", "2", "--oversubscribe", BIN, "run", "--bias", "7",
                            "--out", self.path("x.h5")], cwd=self.dir, capture_output=True,
                           text=True, timeout=120, env={**os.environ, **self.ENV})
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stderr.count("--bias"), 1, p.stderr)  # reported once, by rank 0
        self.assertFalse(os.path.exists(self.path("x.h5")))


if __name__ == "__main__":
    unittest.main()
