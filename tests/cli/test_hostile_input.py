#!/usr/bin/python3
"""Hostile input (issue 15, sections 4 and 6): every class of bad input is refused up front
with exit 2, a one-line message naming the option, and no file written; MPI ranks agree on
errors and on the run before computing. Run by ctest, one class per test
(tests/CMakeLists.txt)."""
import json
import os
import shutil
import subprocess
import unittest

from test_cli import BIN, CliCase

SMALL = ["--points-per-axis", "11", "--threads", "1"]
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}


def built_with_mpi(binary):
    p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    return "mpi: on" in p.stdout


class HostileCase(CliCase):
    def refused(self, *args, field, contains=None, env=None):
        """Runs spikemesh with --out in the temp folder: exit 2, one line naming --FIELD, no
        file left behind."""
        p = self.run_cli(*args, "--out", self.path("x.h5"), expect=2, env=env)
        lines = [ln for ln in p.stderr.splitlines() if ln.startswith("spikemesh: error")]
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("--" + field, lines[0])
        if contains:
            self.assertIn(contains, lines[0])
        self.assertNotIn("stod", p.stderr)
        self.assertLess(len(lines[0]), 400, "a message a user can read")
        self.assert_no_output_files()
        return lines[0]


class NonFiniteOptions(HostileCase):
    def test_nan_and_inf_on_the_command_line(self):
        for opt, construction in (("bias", "relu-spike"), ("tau", "relu-spike"),
                                  ("alpha", "prelu-spike"), ("K", "sigmoid-spike"),
                                  ("L", "sigmoid-spike"), ("epsilon", "relu-spike"),
                                  ("c", "relu-spike")):
            for value in ("nan", "NaN", "inf", "-inf", "1e999"):
                with self.subTest(opt=opt, value=value):
                    self.refused("run", "--construction", construction, f"--{opt}", value,
                                 *SMALL, field=opt)

    def test_nan_in_box_and_batch_options(self):
        self.refused("run", "--box", "0,nan", *SMALL, field="box")
        self.refused("run", "--time-limit", "nan", *SMALL, field="time-limit")
        self.refused("run", "--checkpoint-interval", "inf", *SMALL, field="checkpoint-interval")

    def test_nan_in_the_toml_config(self):
        for body, opt in (("bias = nan\n", "bias"), ('tau = "nan"\n', "tau"),
                          ("bias = 1.5\nalpha = inf\n", "alpha")):
            with self.subTest(body=body):
                with open(self.path("c.toml"), "w") as f:
                    f.write("construction = \"prelu-spike\"\npoints-per-axis = 11\n" + body)
                line = self.refused("run", "--config", self.path("c.toml"), field=opt,
                                    contains="TOML")

    def test_nan_in_sweep_values(self):
        self.refused("sweep", "--sweep", "bias=1.5,nan", *SMALL, field="bias")
        self.refused("sweep", "--sweep", "tau=nan", *SMALL, field="tau")
        self.refused("sweep", "--sweep", "epsilon=inf", "--extra-depth", "1", *SMALL,
                     field="epsilon")


class MeshSizes(HostileCase):
    def test_totals_above_two_to_the_63_minus_two_to_the_20(self):
        self.refused("run", "--dim", "1", "--train-per-axis", "6", "--points-per-axis",
                     "9223372036854775807", field="points-per-axis", contains="2^63 - 2^20")
        self.refused("run", "--dim", "2", "--points-per-axis", "3037000500", "--bias", "1.5",
                     field="points-per-axis")

    def test_values_above_two_to_the_63_are_not_clamped(self):
        self.refused("run", "--dim", "1", "--points-per-axis", "9223372036854775808",
                     field="points-per-axis", contains="64-bit")
        self.refused("sweep", "--sweep", "points-per-axis=99999999999999999999", "--dim", "1",
                     field="points-per-axis")
        self.refused("sweep", "--sweep", "dim=4294967298", *SMALL, field="dim")
        self.refused("run", "--seed", "-1", *SMALL, field="seed")


class Resources(HostileCase):
    """Each refusal happens before the allocation or the work (no timing is asserted)."""

    def test_training_error_pass_too_large(self):
        self.refused("run", "--dim", "22", "--train-per-axis", "2", "--bias", "21.9",
                     field="train-per-axis")
        self.refused("run", "--dim", "11", "--train-per-axis", "4", "--bias", "10.9",
                     field="train-per-axis")
        self.refused("sweep", "--sweep", "dim=2,11", "--train-per-axis", "4", *SMALL,
                     field="train-per-axis")

    def test_memory_estimate_against_max_memory(self):
        line = self.refused("run", "--dim", "6", "--train-per-axis", "3", "--bias", "5.5",
                            "--max-memory", "100K", *SMALL, field="train-per-axis",
                            contains="--max-memory")
        self.assertIn("GiB", line)
        # The same case fits a larger limit.
        self.run_cli("run", "--dim", "6", "--train-per-axis", "3", "--bias", "5.5",
                     "--max-memory", "1G", "--points-per-axis", "3", "--quiet",
                     "--out", self.path("ok.h5"))
        os.remove(self.path("ok.h5"))
        self.refused("run", "--max-memory", "lots", *SMALL, field="max-memory")

    def test_extra_depth_and_width(self):
        self.refused("run", "--extra-depth", "1000000", *SMALL, field="extra-depth")
        self.refused("run", "--method", "certify", "--extra-depth", "2", "--extra-width",
                     "2000000000", field="extra-width", contains="--max-memory")

    def test_weight_file_of_fill_value_chunks(self):
        import h5py  # a 20 KB file declaring 4e7 weights (320 MB once read)
        path = self.path("input_fill.h5")
        with h5py.File(path, "w") as f:
            net = f.create_group("network")
            net.attrs["in_dim"] = 2
            for name, act, shape in (("layer_000", "relu", (20000, 2)),
                                     ("layer_001", "relu", (2000, 20000)),
                                     ("layer_002", "identity", (1, 2000))):
                g = net.create_group(name)
                g.attrs["activation"] = act
                g.create_dataset("weight", shape=shape, dtype="f8", compression="gzip",
                                 chunks=(min(shape[0], 100), min(shape[1], 1000)),
                                 fillvalue=0.5)
                g.create_dataset("bias", shape=(shape[0],), dtype="f8", fillvalue=0.0)
        self.assertLess(os.path.getsize(path), 1 << 20)
        self.refused("run", "--construction", "from-file", "--network", path, "--max-memory",
                     "256M", "--points-per-axis", "3", field="network", contains="--max-memory")

    def test_box_budget(self):
        self.refused("run", "--method", "certify", "--box-budget", str(2 ** 40),
                     field="box-budget", contains="--max-memory")

    def test_config_must_be_a_small_regular_file(self):
        for dev in ("/dev/zero", "/dev/urandom", "/dev/null"):
            with self.subTest(dev=dev):
                self.refused("run", "--config", dev, field="config",
                             contains="not a regular file")
        os.mkfifo(self.path("fifo"))
        self.refused("run", "--config", self.path("fifo"), field="config")
        with open(self.path("big.toml"), "w") as f:
            f.write("# padding\n" * 200000)
        self.refused("run", "--config", self.path("big.toml"), field="config",
                     contains="bytes")


class Threads(HostileCase):
    def test_thread_counts_out_of_range(self):
        for value in ("-1", "65535", "1000", "99999999999999999999"):
            with self.subTest(value=value):
                line = self.refused("run", "--threads", value, "--points-per-axis", "11",
                                    field="threads")
                self.assertLess(len(line), 200, "no 300-digit range")

    def test_other_ranges_are_short(self):
        line = self.refused("landscape", "--range", "-1", field="range")
        self.assertLess(len(line), 200)

    def test_in_range_runs(self):
        self.run_cli("run", "--threads", "3", "--points-per-axis", "11", "--quiet",
                     "--out", self.path("ok.h5"))


class ExtremeBoxes(HostileCase):
    def test_volume_overflow_and_underflow(self):
        self.refused("run", "--box=-1e308,1e308", *SMALL, field="box", contains="overflow")
        self.refused("run", "--box", "0,1e-320", *SMALL, field="box", contains="underflow")
        self.refused("run", "--box", "0,1e-200", "--dim", "2", *SMALL, field="box",
                     contains="underflow")
        self.refused("run", "--method", "certify", "--box", "0,1e-320", field="box")

    def test_steps_that_do_not_separate_points(self):
        self.refused("run", "--box", "1,1.000000000001", "--points-per-axis", "100000",
                     "--dim", "1", "--train-per-axis", "6", field="box", contains="separate")


class Messages(HostileCase):
    def test_user_terms(self):
        self.refused("run", "--extra-depth", "1", "--epsilon", "1e-320", *SMALL,
                     field="epsilon")
        self.refused("run", "--construction", "sigmoid-spike", "--L", "1e308", *SMALL,
                     field="L", contains="overflow")
        self.refused("run", "--construction", "sigmoid-spike", "--K", "1e308", *SMALL,
                     field="K")

    def test_subnormal_epsilon_is_not_a_stod_failure(self):
        # 1e-308 is a valid (subnormal) double, but the extension's noise (u c / epsilon) and so
        # the default tau (1e-5 c / epsilon) would swamp the spikes: refused naming --epsilon and
        # a value that works, which then runs.
        line = self.refused("run", "--extra-depth", "1", "--epsilon", "1e-308", *SMALL,
                            field="epsilon", contains="use --epsilon >= ")
        self.assertNotIn("stod", line)
        safe = line.split("use --epsilon >= ")[1].split()[0]
        p = subprocess.run([BIN, "run", "--extra-depth", "1", "--epsilon", safe, *SMALL,
                            "--quiet", "--out", self.path("e.h5")], cwd=self.dir,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_toml_errors_say_toml(self):
        with open(self.path("bad.toml"), "w") as f:
            f.write("points-per-axis = 11\ndim = 1e999\n")
        self.refused("run", "--config", self.path("bad.toml"), field="config", contains="TOML")
        with open(self.path("bad2.toml"), "w") as f:
            f.write("[section]\nbias = 1.5\n")
        line = self.refused("run", "--config", self.path("bad2.toml"), field="config",
                            contains="TOML")
        self.assertNotIn("INI", line)


@unittest.skipUnless(shutil.which("mpirun") and built_with_mpi(BIN),
                     "this build has no MPI (spikemesh --version: mpi: off) or mpirun is missing")
class MpiAgreement(HostileCase):
    def mpirun(self, script, expect):
        """Runs `bash -c SCRIPT` on 2 ranks; $BIN, $OUT and the rank variables are set."""
        p = subprocess.run(["mpirun", "-np", "2", "--oversubscribe", "bash", "-c", script],
                           cwd=self.dir, capture_output=True, text=True, timeout=300,
                           env={**os.environ, **MPI_ENV, "BIN": BIN,
                                "OUT": self.path("m.h5")})
        self.assertEqual(p.returncode, expect, p.stderr)
        return p

    def error_line(self, p):
        lines = [ln for ln in p.stderr.splitlines() if ln.startswith("spikemesh: error")]
        self.assertEqual(len(lines), 1, p.stderr)  # printed once, by rank 0
        return lines[0]

    def test_input_error_on_rank_1_only(self):
        p = self.mpirun('X=; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && X="--bias 7"; '
                        'exec "$BIN" run --points-per-axis 11 --threads 1 --out "$OUT" $X', 2)
        line = self.error_line(p)
        self.assertIn("rank 1", line)
        self.assertIn("--bias", line)
        self.assertNotIn("another MPI rank failed", p.stderr)
        self.assert_no_output_files()

    def test_parse_and_config_errors_on_one_rank_reach_rank_0(self):
        for extra, field in (("--bias nan", "--bias"), ("--slice-points 1", "--slice-points"),
                             ("--max-memory lots", "--max-memory")):
            with self.subTest(extra=extra):
                p = self.mpirun('X=; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && X="' + extra + '"; '
                                'exec "$BIN" run --points-per-axis 11 --threads 1 --out "$OUT" '
                                '$X', 2)
                line = self.error_line(p)
                self.assertIn("rank 1", line)
                self.assertIn(field, line)
                self.assert_no_output_files()

    def test_input_error_on_rank_0_exits_2(self):
        p = self.mpirun('X=; [ "$OMPI_COMM_WORLD_RANK" = 0 ] && X="--bias 7"; '
                        'exec "$BIN" run --points-per-axis 11 --threads 1 --out "$OUT" $X', 2)
        self.assertIn("rank 0", self.error_line(p))
        self.assert_no_output_files()

    def test_ranks_given_different_cases_are_refused(self):
        for extra in ("--bias 1.5", "--points-per-axis 13"):
            with self.subTest(extra=extra):
                p = self.mpirun('X=; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && X="' + extra + '"; '
                                'exec "$BIN" run --points-per-axis 11 --threads 1 --out "$OUT" '
                                '$X', 2)
                line = self.error_line(p)
                self.assertIn("rank 1", line)
                self.assertIn("different runs", line)
                self.assert_no_output_files()

    def test_sweep_ranks_agree(self):
        p = self.mpirun('X=1.5; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && X=1.6; '
                        'exec "$BIN" sweep --sweep bias=1.2,$X --points-per-axis 11 --threads 1 '
                        '--out "$OUT"', 2)
        self.assertIn("different runs", self.error_line(p))
        self.assert_no_output_files()

    def test_agreeing_ranks_report_a_number(self):
        p = self.mpirun('exec "$BIN" run --points-per-axis 11 --threads 1 --json --out "$OUT"',
                        0)
        self.assertEqual(json.loads(p.stdout)["mpi_ranks"], 2)


class LauncherWithoutMpi(HostileCase):
    """A build without MPI started as one of several ranks refuses to run (every rank would
    run the whole job and write the same file). Uses this build when it has no MPI, else the
    build named by SPIKEMESH_BIN_NOMPI."""

    def binary(self):
        if not built_with_mpi(BIN):
            return BIN
        other = os.environ.get("SPIKEMESH_BIN_NOMPI", "")
        if other and os.path.exists(other) and not built_with_mpi(other):
            return other
        self.skipTest("this build has MPI; set SPIKEMESH_BIN_NOMPI to a build without it")

    def test_refuses_under_launcher_variables(self):
        binary = self.binary()
        for env in ({"OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0"},
                    {"PMI_SIZE": "4", "PMI_RANK": "0"}, {"PMIX_RANK": "1"},
                    {"SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "0", "SLURM_NTASKS": "2"},
                    {"SLURM_PROCID": "3"}):
            with self.subTest(env=env):
                p = subprocess.run([binary, "run", *SMALL, "--out", self.path("x.h5")],
                                   cwd=self.dir, capture_output=True, text=True, timeout=60,
                                   env={**os.environ, **env})
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("no MPI", p.stderr)
                self.assert_no_output_files()

    def test_tasks_with_their_own_shard_and_read_only_commands_run(self):
        binary = self.binary()
        env = {**os.environ, "SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "1"}
        p = subprocess.run([binary, "run", *SMALL, "--shard", "1/2", "--quiet", "--out",
                            self.path("s1.h5")], cwd=self.dir, capture_output=True, text=True,
                           timeout=120, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([binary, "list"], cwd=self.dir, capture_output=True, text=True,
                           timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_one_task_slurm_step_and_batch_script_run(self):
        binary = self.binary()
        for env in ({"SLURM_NTASKS": "1", "SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "1"},
                    {"SLURM_NTASKS": "4", "SLURM_PROCID": "0"},  # the batch script of a job
                    {"OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"}):
            with self.subTest(env=env):
                p = subprocess.run([binary, "run", *SMALL, "--quiet", "--out",
                                    self.path("ok.h5")], cwd=self.dir, capture_output=True,
                                   text=True, timeout=120, env={**os.environ, **env})
                self.assertEqual(p.returncode, 0, p.stderr)
                os.remove(self.path("ok.h5"))


if __name__ == "__main__":
    unittest.main()
