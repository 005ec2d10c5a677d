#!/usr/bin/python3
"""Hostile files and stops (issue 15, sections 3, 5 and 7): outputs that are FIFOs, devices,
folders or links, planted symbolic links, foreign partials, concurrent writers, unusable output
folders, tampered and duplicated shards, and stop signals and time limits in every command.

Each test asserts the exit code, the message naming the field, and that no file was created or
changed. Stop points are deterministic: SPIKEMESH_TEST_STOP_AFTER_BLOCKS=K raises SIGTERM after
the K-th block, SPIKEMESH_TEST_STOP_IN=PHASE on entering a phase (host/run/run_control.hpp);
SPIKEMESH_TEST_PAUSE_BEFORE_RENAME=/PATH holds a finished temporary until PATH exists."""
import glob
import hashlib
import json
import os
import stat
import subprocess
import unittest

import h5py

from test_cli import BIN, CliCase

SMALL = ["--points-per-axis", "201", "--quiet"]
# Minutes of work if it were done: an error must come first (the bound is not a race).
BIG = ["--points-per-axis", "40001"]
SWEEP = ["sweep", "--sweep", "bias=1.5,1.7,1.9", "--points-per-axis", "3001", "--threads", "2"]


def snapshot(folder):
    """{name: (kind, sha256 of a regular file or the link target)} without following links."""
    out = {}
    for name in os.listdir(folder):
        p = os.path.join(folder, name)
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode):
            with open(p, "rb") as f:
                out[name] = ("file", hashlib.sha256(f.read()).hexdigest())
        elif stat.S_ISLNK(st.st_mode):
            out[name] = ("link", os.readlink(p))
        else:
            out[name] = (stat.S_IFMT(st.st_mode), None)
    return out


class HostileCase(CliCase):
    def cli(self, *args, env=None, timeout=120):
        return subprocess.run([BIN, *args], cwd=self.dir, capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=timeout)

    def refused(self, args, field, code=2, env=None, timeout=120):
        """Runs args; asserts exit code, a message naming field, and an unchanged folder."""
        before = snapshot(self.dir)
        p = self.cli(*args, env=env, timeout=timeout)
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertIn(field, p.stderr)
        self.assertEqual(snapshot(self.dir), before, "files created or changed")
        return p

    def shards(self, n=4, extra=()):
        paths = []
        for i in range(n):
            paths.append(self.path(f"s{i}.h5"))
            self.run_cli("run", "--dim", "2", "--points-per-axis", "101", *extra, "--shard",
                         f"{i}/{n}", "--out", paths[-1], "--quiet")
        return paths


class OutputTargets(HostileCase):
    """A final name that exists and is not a regular file is refused before any work."""

    def commands(self, out):
        return {"run": ["run", *BIG, "--out", out],
                "sweep": ["sweep", "--sweep", "bias=1.5,1.9", *BIG, "--out", out],
                "certify": ["run", "--method", "certify", "--dim", "6", "--box-budget",
                            "1000000", "--out", out],
                "landscape": ["landscape", "--points-per-axis", "2001", "--out", out]}

    def test_fifo_device_folder_and_link_are_refused(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        dev = self.path("null")
        os.mknod(dev, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        folder = self.path("folder")
        os.mkdir(folder)
        victim = self.path("victim")
        with open(victim, "w") as f:
            f.write("keep")
        link = self.path("link.h5")
        os.symlink(victim, link)
        for target, kind in ((fifo, "a FIFO"), (dev, "a character device"),
                             (folder, "a folder"), (link, "a symbolic link")):
            for name, args in self.commands(target).items():
                with self.subTest(command=name, target=kind):
                    p = self.refused(args, "--out", timeout=60)
                    self.assertIn(kind, p.stderr)
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        self.assertTrue(stat.S_ISCHR(os.lstat(dev).st_mode))

    def test_dev_null_is_never_replaced(self):
        st = os.lstat("/dev/null")
        p = self.cli("run", *SMALL, "--out", "/dev/null")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--out: /dev/null exists and is a character device", p.stderr)
        now = os.lstat("/dev/null")
        self.assertTrue(stat.S_ISCHR(now.st_mode))
        self.assertEqual((now.st_ino, now.st_rdev), (st.st_ino, st.st_rdev))

    def test_merge_output_that_is_a_fifo(self):
        paths = self.shards(2)
        fifo = self.path("m.fifo")
        os.mkfifo(fifo)
        self.refused(["merge", fifo, *paths], "--out: " + fifo)

    def test_info_on_a_fifo_does_not_hang(self):
        fifo = self.path("in.fifo")
        os.mkfifo(fifo)
        p = self.refused(["info", fifo], "a FIFO", timeout=30)
        self.assertIn(fifo, p.stderr)


class OutputFolder(HostileCase):
    """A missing or unusable output folder is found before any work (exit 2)."""

    def test_missing_folder_and_file_as_folder(self):
        with open(self.path("plain"), "w") as f:
            f.write("x")
        for out, why in ((self.path("nope/r.h5"), "No such file or directory"),
                         (self.path("plain/r.h5"), "is not a folder")):
            cmds = {"run": ["run", *BIG, "--out", out],
                    "sweep": ["sweep", "--sweep", "bias=1.5,1.9", *BIG, "--out", out],
                    "certify": ["run", "--method", "certify", "--dim", "6", "--box-budget",
                                "1000000", "--out", out],
                    "exact": ["run", "--method", "exact", "--dim", "6", "--box-budget",
                              "1000000", "--out", out],
                    "landscape": ["landscape", "--points-per-axis", "2001", "--out", out]}
            for name, args in cmds.items():
                with self.subTest(command=name, out=out):
                    p = self.refused(args, "--out", timeout=60)
                    self.assertIn(why, p.stderr)

    def test_suite_into_a_file_or_a_missing_folder(self):
        with open(self.path("plain"), "w") as f:
            f.write("x")
        p = self.refused(["suite", "--quick", "--out", self.path("plain")], "--out", timeout=60)
        self.assertIn("is not a folder", p.stderr)
        self.refused(["suite", "--quick", "--out", self.path("nope/deeper")], "--out: cannot "
                     "create folder", timeout=60)

    def test_merge_into_a_missing_folder(self):
        paths = self.shards(2)
        self.refused(["merge", self.path("nope/m.h5"), *paths], "--out: folder")


class PlantedLinks(HostileCase):
    """Symbolic links planted at the old temporary names are never followed."""

    def plant(self, out):
        victim = self.path("victim")
        with open(victim, "w") as f:
            f.write("keep")
        for suffix in (".partial.tmp", ".tmp"):
            os.symlink(victim, out + suffix)
        return victim

    def check(self, out, victim):
        with open(victim) as f:
            self.assertEqual(f.read(), "keep")
        self.assertTrue(stat.S_ISREG(os.lstat(out).st_mode), "the result is a regular file")
        with h5py.File(out) as f:
            self.assertEqual(f.attrs["status"], "complete")

    def test_run_sweep_merge_certify_landscape(self):
        paths = self.shards(2)
        cmds = {"run": ["run", *SMALL],
                "sweep": ["sweep", "--sweep", "bias=1.5,1.9", *SMALL],
                "certify": ["run", "--method", "certify", "--dim", "3", "--box-budget", "2000",
                            "--samples", "2000", "--quiet"],
                "landscape": ["landscape", "--points-per-axis", "11", "--perturbations", "10",
                              "--quiet"]}
        for name, args in cmds.items():
            with self.subTest(command=name):
                out = self.path(name + ".h5")
                victim = self.plant(out)
                self.run_cli(*args, "--out", out)
                self.check(out, victim)
                os.remove(victim)
        out = self.path("merged.h5")
        victim = self.plant(out)
        self.run_cli("merge", out, *paths, "--quiet")
        self.check(out, victim)

    def test_a_link_at_the_checkpoint_name_is_refused(self):
        out = self.path("r.h5")
        victim = self.plant(out)
        os.symlink(victim, out + ".partial")
        for extra in ([], ["--resume"]):
            with self.subTest(extra=extra):
                self.refused(["run", *SMALL, *extra, "--out", out],
                             out + ".partial exists and is a symbolic link")
                self.refused(["sweep", "--sweep", "bias=1.5,1.9", *SMALL, *extra, "--out", out],
                             out + ".partial exists and is a symbolic link")


class ForeignPartial(HostileCase):
    """--resume with a complete OUT.partial checks its fingerprint."""

    def test_complete_partial_of_another_case_is_refused(self):
        out = self.path("p.h5")
        self.run_cli("run", "--points-per-axis", "301", "--bias", "1.8", "--out",
                     self.path("other.h5"), "--quiet")
        os.rename(self.path("other.h5"), out + ".partial")
        self.refused(["run", "--points-per-axis", "401", "--resume", "--out", out],
                     "bias: 1.8 in the partial result, 1.9 in this run")

    def test_complete_partial_of_this_run_is_renamed(self):
        out = self.path("q.h5")
        ref = json.loads(self.run_cli("run", "--points-per-axis", "301", "--out",
                                      self.path("same.h5"), "--json").stdout)
        os.rename(self.path("same.h5"), out + ".partial")
        p = self.run_cli("run", "--points-per-axis", "301", "--resume", "--out", out)
        self.assertIn("complete result", p.stderr)
        self.assertFalse(os.path.exists(out + ".partial"))
        with h5py.File(out) as f:
            self.assertEqual(int(f["results"].attrs["spike_count"]), ref["spike_count"])

    def test_sweep_checkpoint_of_another_sweep_is_refused(self):
        out = self.path("sw.h5")
        self.run_cli(*SWEEP, "--checkpoint-interval", "0", "--out", out, "--quiet",
                     env={"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "2"}, expect=3)
        other = ["sweep", "--sweep", "bias=1.5,1.8,1.9", *SWEEP[3:]]
        self.refused([*other, "--resume", "--out", out], out + ".partial: checkpoint of a "
                     "different run")


class ConcurrentWriters(HostileCase):
    """Two processes writing the same --out: the first to finish wins, the other fails."""

    def race(self, out, replacing):
        go = self.path("go")
        slow = subprocess.Popen([BIN, "run", *SMALL, "--bias", "1.7", "--out", out],
                                cwd=self.dir, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "SPIKEMESH_TEST_PAUSE_BEFORE_RENAME": go})
        # The slow writer's temporary is complete: it is past its checks, holding its result.
        for line in slow.stderr:  # a blocking read up to its test pause: no timing
            if "test pause before renaming" in line:
                break
        self.assertTrue(glob.glob(out + ".tmp-*"))
        self.run_cli("run", *SMALL, "--bias", "1.9", "--out", out)  # the winner
        open(go, "w").close()
        _, err = slow.communicate(timeout=120)
        self.assertEqual(slow.returncode, 1, err)
        self.assertIn(out + " was written by another process", err)
        with h5py.File(out) as f:
            self.assertEqual(float(f["config"].attrs["bias"]), 1.9)
        self.assertEqual(glob.glob(out + ".tmp-*"), [], "the loser left its temporary")
        os.remove(go)

    def test_new_file(self):
        self.race(self.path("c.h5"), False)

    def test_replacing_an_existing_file(self):
        out = self.path("d.h5")
        self.run_cli("run", *SMALL, "--bias", "1.5", "--out", out)
        self.race(out, True)


class TamperedShards(HostileCase):
    """merge: the digest covers every attribute a result depends on; no duplicates."""

    EDITS = {"box_volume": lambda f: f["shard/part_000"].attrs.__setitem__("box_volume", 2.0),
             "train": lambda f: f["shard/part_000"].attrs.__setitem__("train", [0.5, 0.5]),
             "stats": lambda f: f["shard/part_000"].attrs.__setitem__("stats", [0.1, 0, 0, 0]),
             "task": lambda f: f["shard/part_000"].attrs.__setitem__("task", "approximate"),
             "oracle": lambda f: f["shard/part_000"].attrs.__setitem__("oracle", [1.0] * 9),
             "config bias": lambda f: f["config"].attrs.__setitem__("bias", 1.7),
             "mesh lo": lambda f: f["mesh"].attrs.__setitem__("lo", 0.1)}

    def test_edited_attributes_are_refused(self):
        paths = self.shards(4)
        with open(paths[3], "rb") as f:
            original = f.read()
        for name, edit in self.EDITS.items():
            with self.subTest(edit=name):
                with open(paths[3], "wb") as f:
                    f.write(original)
                with h5py.File(paths[3], "r+") as f:
                    edit(f)
                self.refused(["merge", self.path("m.h5"), *paths], "/shard@digest does not match")

    def test_output_equal_to_an_input(self):
        paths = self.shards(2)
        self.refused(["merge", paths[0], *paths], "--merge: the output " + paths[0])
        os.symlink(paths[1], self.path("alias.h5"))
        self.refused(["merge", paths[1], paths[0], self.path("alias.h5")], "is also an input")

    def test_duplicated_and_missing_shards(self):
        paths = self.shards(4)  # 101^2 points: shards 0..2 are empty, 3 holds every point
        dup = self.path("dup.h5")
        with open(paths[0], "rb") as a, open(dup, "wb") as b:
            b.write(a.read())
        self.refused(["merge", self.path("m.h5"), paths[0], dup, *paths[1:]],
                     "shard 0/4 is given twice")
        self.refused(["merge", self.path("m.h5"), paths[0], paths[0], *paths[1:]],
                     "is given twice")
        self.refused(["merge", self.path("m.h5"), *paths[1:]], "3 given")
        self.refused(["merge", self.path("m.h5"), paths[0], paths[0], paths[2], paths[3]],
                     "given twice")


class Stops(HostileCase):
    """SIGTERM (and so SIGINT, SIGUSR1: one handler) and --time-limit in every command."""

    def stopped(self, args, phase, env):
        p = self.refused(args, "stopped by SIGTERM during " + phase, code=4, env=env)
        self.assertIn("nothing was written", p.stderr)

    def test_signal_in_set_up_and_training_error_pass(self):
        for phase in ("case set-up", "the training-error pass"):
            with self.subTest(phase=phase):
                self.stopped(["run", *SMALL, "--out", self.path("r.h5")], phase,
                             {"SPIKEMESH_TEST_STOP_IN": phase})
                self.stopped([*SWEEP, "--out", self.path("s.h5")], phase,
                             {"SPIKEMESH_TEST_STOP_IN": phase})

    def test_signal_while_probing_the_output_folder_leaves_no_probe(self):
        # The folder check creates and removes a probe temporary; a stop (signal or time limit)
        # in between once left it behind. Raised on entering that step: exit 4, no file.
        env = {"SPIKEMESH_TEST_STOP_IN": "checking the output folder"}
        for args in (["landscape", "--out", self.path("l.h5")],
                     ["run", *SMALL, "--out", self.path("r.h5")],
                     ["run", "--method", "certify", "--dim", "3", "--out", self.path("c.h5")]):
            with self.subTest(command=args[0]):
                p = self.refused(args, "stopped by SIGTERM during", code=4, env=env)
                self.assertIn("nothing was written", p.stderr)

    def test_signal_in_certify_and_landscape(self):
        certify = ["run", "--method", "certify", "--dim", "6", "--train-per-axis", "3", "--bias",
                   "5.5", "--out", self.path("c.h5")]
        self.stopped(certify, "certify", {"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "1"})
        self.stopped(certify, "certify", {"SPIKEMESH_TEST_STOP_IN": "certify"})
        self.stopped(["landscape", "--out", self.path("l.h5")], "landscape",
                     {"SPIKEMESH_TEST_STOP_IN": "landscape"})

    def test_sigint_and_sigusr1_like_sigterm(self):
        for sig in ("INT", "USR1"):
            with self.subTest(signal=sig):
                out = self.path(f"{sig}.h5")
                env = {"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "2", "SPIKEMESH_TEST_STOP_SIGNAL": sig}
                p = self.cli("run", "--points-per-axis", "2001", "--checkpoint-interval", "0",
                             "--out", out, env=env)
                self.assertEqual(p.returncode, 3, p.stderr)
                self.assertIn(f"stopped by SIG{sig} at index", p.stderr)
                self.assertTrue(os.path.exists(out + ".partial"))
                self.assertFalse(os.path.exists(out))
                p = self.refused(["run", "--method", "certify", "--dim", "6", "--out",
                                  self.path(f"c{sig}.h5")],
                                 f"stopped by SIG{sig} during certify", code=4, env=env)

    def test_exact_stops_early_with_a_valid_bracket(self):
        out = self.path("e.h5")
        p = self.cli("run", "--method", "exact", "--dim", "3", "--box-budget", "100000",
                     "--out", out, "--json", env={"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "1"})
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.loads(p.stdout)
        self.assertTrue(j["stopped_early"])
        self.assertLessEqual(j["certified_volume_lower"], j["spike_volume_exact"])
        self.assertGreaterEqual(j["certified_volume_upper"], j["spike_volume_exact"])

    def test_time_limit_in_certify_and_landscape(self):
        # 1 ms: far below the work asked for, so the limit always ends it.
        for args in (["run", "--method", "certify", "--dim", "6", "--box-budget", "1000000",
                      "--samples", "100000000"],
                     ["landscape", "--points-per-axis", "2001"]):
            with self.subTest(command=args[0]):
                p = self.refused([*args, "--time-limit", "0.001", "--out", self.path("t.h5")],
                                 "stopped by the time limit (--time-limit)", code=4)
                self.assertIn("nothing was written", p.stderr)

    def test_run_stop_leaves_a_checkpoint_and_resume_adds_its_time(self):
        out = self.path("r.h5")
        mesh = ["run", "--points-per-axis", "4001", "--threads", "2"]
        ref = json.loads(self.run_cli(*mesh, "--out", self.path("ref.h5"), "--json").stdout)
        p = self.cli(*mesh, "--checkpoint-interval", "0", "--out", out,
                     env={"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "3"})
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("stopped by SIGTERM", p.stderr)
        self.assertFalse(os.path.exists(out))
        with h5py.File(out + ".partial") as f:
            elapsed = float(f["checkpoint"].attrs["elapsed_seconds"])
        got = json.loads(self.run_cli(*mesh, "--resume", "--out", out, "--json").stdout)
        self.assertEqual(got["spike_count"], ref["spike_count"])
        self.assertEqual(got["f_integral"], ref["f_integral"])
        self.assertGreater(elapsed, 0)
        self.assertGreater(got["wall_seconds"], elapsed)  # the checkpoint's time is included
        self.assertAlmostEqual(got["points_per_second"], got["points"] / got["wall_seconds"],
                               delta=1e-9 * got["points_per_second"])

    def test_sweep_resumes_at_its_first_unfinished_row(self):
        ref = json.loads(self.run_cli(*SWEEP, "--out", self.path("ref.h5"), "--json").stdout)
        out = self.path("sw.h5")
        # 3001^2 points in blocks of 2^20 (the CPU's fixed block): 9 blocks a row; the 12th
        # block is in row 2.
        p = self.cli(*SWEEP, "--checkpoint-interval", "0", "--out", out,
                     env={"SPIKEMESH_TEST_STOP_AFTER_BLOCKS": "12"})
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("row 2 of 3 (1 rows finished)", p.stderr)
        self.assertFalse(os.path.exists(out))
        with h5py.File(out + ".partial") as f:
            self.assertEqual(int(f["finished_rows"].attrs["count"]), 1)
        p = self.cli(*SWEEP, "--resume", "--out", out, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("resuming the sweep at row 2 of 3", p.stderr)
        got = json.loads(p.stdout)
        self.assertFalse(os.path.exists(out + ".partial"))
        for a, b in zip(ref["rows"], got["rows"]):
            for key in ("points", "spike_count", "f_integral", "f_sq_integral", "l2_error"):
                self.assertEqual(a[key], b[key], key)

    def test_sweep_time_limit_is_honoured(self):
        out = self.path("tl.h5")
        p = self.cli(*SWEEP, "--time-limit", "0.001", "--out", out)
        self.assertIn(p.returncode, (3, 4), p.stderr)
        self.assertFalse(os.path.exists(out))
        if p.returncode == 3:
            self.assertIn("continue with --resume", p.stderr)
            self.assertTrue(os.path.exists(out + ".partial"))
        else:
            self.assertIn("nothing was written", p.stderr)
            self.assertFalse(os.path.exists(out + ".partial"))


if __name__ == "__main__":
    unittest.main()
