#!/usr/bin/python3
"""The command line teaches: every subcommand's --help lists the options it takes, grouped and
with their defaults; options a subcommand does not take are refused; messages name the file,
line and option; JSON is JSON with numbers as numbers.

The tables below are the documented defaults (README, docs): they are written here by hand, not
read from the program, so a changed default or a dropped option fails the test.
"""
import json
import os
import re
import unittest

import h5py

from test_cli import CliCase

CASE = {"--construction": "relu-spike", "--network": "none", "--dim": "2",
        "--train-per-axis": "4", "--bias": "d - 0.1", "--alpha": "0.25", "--K": "50", "--a": "1",
        "--L": "50", "--task": "classify", "--labels": "random", "--seed": "1", "--target": "one",
        "--tau": "0; sigmoid 0.5; prelu 1e-4; depth-extended 1e-5 max(1,c/epsilon)"}
DEPTH = {"--extra-depth": "0", "--extra-width": "1", "--extra-activation": "relu", "--c": "1",
         "--epsilon": "0.5"}
MESH = {"--points-per-axis": "about 1e8", "--centring": "cell", "--box": "0,1"}
EXEC = {"--backend": "auto", "--precision": "auto", "--threads": "0"}
MEMORY = {"--max-memory": "half of the physical memory"}
BATCH = {"--shard": "the whole mesh",
         "--progress-interval": "a live line on a terminal; 60 when stderr is not a terminal"}
CHECKPOINTS = {"--resume": None, "--time-limit": "0", "--checkpoint-interval": "60"}
CERTIFY = {"--method": "mesh", "--box-budget": "1000000", "--samples": "1000000",
           "--target-rel-ci": "0", "--bounds": "auto", "--target-rel-gap": "1e-12"}
OUTPUT = {"--json": None, "--quiet": None, "--config": None}
SLICE = {"--slice": None, "--slice-points": "512"}

# option -> the text after "[default: " (None: a flag or a file, no default)
SUBCOMMANDS = {
    "run": {**CASE, **DEPTH, **MESH, **EXEC, **MEMORY, **BATCH, **CHECKPOINTS, **CERTIFY, **OUTPUT, **SLICE,
            "--out": "spikemesh-run.h5"},
    "sweep": {**CASE, **DEPTH, **MESH, **EXEC, **MEMORY, **BATCH, **CHECKPOINTS, **OUTPUT, "--sweep": None,
              "--points-per-axis": "about 1e8 points (1e9 on GPU) shared by the rows",
              "--out": "spikemesh-sweep.h5"},
    "landscape": {"--case": "relu-dead-neuron", "--network": "none", "--directions": "auto",
                  "--range": "1", "--points-per-axis": "51", "--perturbations": "20000",
                  "--seed": "1", "--backend": "auto", "--threads": "0", "--time-limit": "0",
                  **OUTPUT,
                  "--out": "spikemesh-landscape.h5"},
    "info": {"--json": None},
    "merge": {"--json": None, "--quiet": None},
    "suite": {"--quick": None, **EXEC, "--out": "spikemesh-suite", "--quiet": None},
    "list": {},
}
GROUPS = {"run": ["Case", "Depth extension", "Mesh", "Execution", "Batch jobs", "Certify",
                  "Output"],
          "sweep": ["Sweep", "Case", "Depth extension", "Mesh", "Execution", "Batch jobs",
                    "Output"],
          "landscape": ["Landscape", "Execution", "Output"]}


def option_blocks(help_text):
    """{--name: the help text of that option (its line and the continuation line)}."""
    blocks = {}
    current = None
    for line in help_text.splitlines():
        m = re.match(r"\s{2}(-h,)?(--[A-Za-z][\w-]*)", line)
        if m:
            current = m.group(2)
            blocks[current] = line
        elif current and line.startswith(" " * 20):
            blocks[current] += " " + line.strip()
        else:
            current = None
    return blocks


class Help(CliCase):
    def help(self, *sub):
        return self.run_cli(*sub, "--help").stdout

    def test_every_option_is_listed_with_its_default(self):
        for sub, expected in SUBCOMMANDS.items():
            with self.subTest(sub=sub):
                blocks = option_blocks(self.help(sub))
                blocks.pop("--help", None)
                self.assertEqual(sorted(blocks), sorted(expected),
                                 f"options in `{sub} --help` differ from the documented ones")
                for name, default in expected.items():
                    if default is None:
                        continue
                    self.assertIn(f"[default: {default}", blocks[name], f"{sub} {name}")
                long = [line for line in self.help(sub).splitlines() if len(line) > 100]
                self.assertEqual(long, [], f"`{sub} --help` lines over 100 columns")
                for group in GROUPS.get(sub, []):
                    self.assertRegex(self.help(sub), rf"\n{re.escape(group)}[^\n]*:\n")

    def test_main_help_names_every_subcommand_and_their_options(self):
        text = self.help()
        self.assertEqual([line for line in text.splitlines() if len(line) > 100], [])
        for word in ["run", "sweep", "landscape", "info", "merge", "suite", "list", "--sweep",
                     "--case", "--directions", "--range", "--perturbations", "--quick",
                     "spikemesh-demo.h5", "spikemesh-run.h5", "spikemesh-landscape.h5",
                     "replaced", "Exit codes"]:
            self.assertIn(word, text)
        # the bare command (the demo) takes the options of run
        self.assertEqual(sorted(k for k in option_blocks(text) if k != "--help"),
                         sorted([*SUBCOMMANDS["run"], "--version"]))

    def test_options_a_subcommand_does_not_take_are_refused(self):
        existing = self.path("input.toml")
        with open(existing, "w") as f:
            f.write("")
        positional = {"info": [existing], "merge": ["a.h5", "b.h5"]}
        every = set().union(*SUBCOMMANDS.values())
        for sub, own in SUBCOMMANDS.items():
            for name in sorted(every - set(own))[:8]:
                with self.subTest(sub=sub, option=name):
                    p = self.run_cli(sub, *positional.get(sub, []), name, "1", expect=2)
                    self.assertIn(f"does not take {name}", p.stderr)
                    self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        p = self.run_cli("info", existing, "--jsn", expect=2)
        self.assertIn("--json", p.stderr)  # the nearest option it takes
        p = self.run_cli("--dim", "3", "run", expect=2)
        self.assertIn("must follow the subcommand", p.stderr)
        self.assert_no_output_files()

    def test_documented_defaults_are_the_defaults(self):
        p = self.run_cli("run", "--points-per-axis", "11", "--slice", "--json")
        j = json.loads(p.stdout)
        self.assertEqual(j["out"], "spikemesh-run.h5")
        self.assertEqual(j["tau"], 0)
        with h5py.File(self.path("spikemesh-run.h5"), "r") as f:
            self.assertEqual(f["mesh"].attrs["lo"], 0.0)
            self.assertEqual(f["mesh"].attrs["hi"], 1.0)
            self.assertEqual(f["mesh"].attrs["centring"], "cell")
            self.assertEqual(f["slices/x0x1"].shape, (512, 512))
            self.assertEqual(int(f["config"].attrs["dim"]), 2)
            self.assertAlmostEqual(float(f["config"].attrs["bias"]), 1.9)
        p = self.run_cli("landscape", "--case", "linear-saddle", "--perturbations", "10", "--json")
        self.assertEqual(json.loads(p.stdout)["out"], "spikemesh-landscape.h5")
        with h5py.File(self.path("spikemesh-landscape.h5"), "r") as f:
            self.assertEqual(f["landscape/train_loss"].shape, (51, 51))
            self.assertAlmostEqual(float(f["landscape/xcoordinates"][-1]), 1.0)


class Messages(CliCase):
    def test_toml_typo_names_toml_file_line_and_nearest_key(self):
        cfg = self.path("input.toml")
        with open(cfg, "w") as f:
            f.write("dim = 2\n\nbais = 1.5\n")
        p = self.run_cli("run", "--config", cfg, "--out", self.path("c.h5"), expect=2)
        self.assertIn("TOML", p.stderr)
        self.assertIn(cfg, p.stderr)
        self.assertIn("line 3", p.stderr)
        self.assertIn("'bais'", p.stderr)
        self.assertIn("nearest valid key: bias", p.stderr)
        self.assertNotIn("INI", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assert_no_output_files()
        # a key of another subcommand is unknown here too
        with open(cfg, "w") as f:
            f.write("perturbations = 5\n")
        p = self.run_cli("run", "--config", cfg, "--out", self.path("c.h5"), expect=2)
        self.assertIn("line 1", p.stderr)

    def test_config_values_are_validated_and_command_line_wins(self):
        cfg = self.path("input.toml")
        with open(cfg, "w") as f:
            f.write("labels = \"stripes\"\n")
        p = self.run_cli("run", "--config", cfg, "--out", self.path("c.h5"), expect=2)
        self.assertIn("stripes", p.stderr)
        with open(cfg, "w") as f:
            f.write("bias = 1.5\npoints-per-axis = [11]\nquiet = true\n")
        p = self.run_cli("run", "--config", cfg, "--bias", "1.7", "--out", self.path("c.h5"),
                         "--json")
        with h5py.File(self.path("c.h5"), "r") as f:
            self.assertAlmostEqual(float(f["config"].attrs["bias"]), 1.7)
            self.assertEqual(list(f["mesh"].attrs["points_per_axis"]), [11, 11])
        with open(cfg, "w") as f:
            f.write("case = \"linear-saddle\"\nperturbations = 10\n")
        p = self.run_cli("landscape", "--config", cfg, "--out", self.path("l.h5"), "--json")
        self.assertEqual(json.loads(p.stdout)["case"], "linear-saddle")

    def test_options_unused_in_the_mode_are_noted(self):
        p = self.run_cli("run", "--dim", "1", "--slice", "--points-per-axis", "11", "--out",
                         self.path("a.h5"), "--quiet")
        self.assertIn("--slice is not used with --dim 1", p.stderr)
        p = self.run_cli("run", "--method", "certify", "--points-per-axis", "11", "--centring",
                         "vertex", "--box-budget", "100", "--samples", "100", "--out",
                         self.path("b.h5"), "--quiet")
        self.assertIn("--points-per-axis is not used by --method certify", p.stderr)
        self.assertIn("--centring is not used by --method certify", p.stderr)
        self.assertNotIn("--box-budget is", p.stderr)
        p = self.run_cli("run", "--box-budget", "100", "--slice-points", "16", "--points-per-axis",
                         "11", "--out", self.path("c.h5"), "--quiet")
        self.assertIn("--box-budget is used only by --method certify", p.stderr)
        self.assertIn("--slice-points is not used without --slice", p.stderr)
        p = self.run_cli("run", "--c", "0.5", "--points-per-axis", "11", "--out",
                         self.path("d.h5"), "--quiet")
        self.assertIn("--c is not used without --extra-depth", p.stderr)
        p = self.run_cli("run", "--extra-depth", "2", "--c", "0.5", "--points-per-axis", "11",
                         "--out", self.path("e.h5"), "--quiet")
        self.assertNotIn("note", p.stderr)
        p = self.run_cli("sweep", "--sweep", "alpha=0.1,0.2", "--points-per-axis", "11",
                         "--out", self.path("f.h5"), "--quiet")
        self.assertIn("--sweep alpha is not used by --construction relu-spike", p.stderr)

    def test_info_json_has_the_keys_and_types_of_run_json(self):
        out = self.path("r.h5")
        run = json.loads(self.run_cli("run", "--points-per-axis", "31", "--out", out,
                                      "--json").stdout)
        info = json.loads(self.run_cli("info", out, "--json").stdout)
        self.assertEqual(sorted(info), sorted(run))
        for key, value in run.items():
            self.assertEqual(type(info[key]), type(value), key)
        self.assertIsInstance(run["mpi_ranks"], int)
        self.assertEqual(run["mpi_ranks"], 1)
        self.assertEqual(info["points"], 31 * 31)
        self.assertEqual(info["spike_count"], run["spike_count"])
        self.assertEqual(info["spike_volume"], run["spike_volume"])
        self.assertEqual(info["out"], out)

    def test_sweep_json_values_are_numbers(self):
        p = self.run_cli("sweep", "--sweep", "bias=1.5,1.9", "--sweep", "train-per-axis=3",
                         "--points-per-axis", "21", "--out", self.path("s.h5"), "--json")
        rows = json.loads(p.stdout)["rows"]
        self.assertEqual([r["bias"] for r in rows], [1.5, 1.9])
        self.assertEqual([r["train-per-axis"] for r in rows], [3, 3])
        self.assertTrue(all(isinstance(r["points"], int) for r in rows))
        info = json.loads(self.run_cli("info", self.path("s.h5"), "--json").stdout)
        self.assertEqual([r["bias"] for r in info["rows"]], [1.5, 1.9])

    def test_from_file_case_line_prints_real_numbers(self):
        net = self.path("input-net.h5")
        self.run_cli("run", "--dim", "1", "--train-per-axis", "3", "--bias", "0.9",
                     "--points-per-axis", "11", "--out", net, "--quiet")
        p = self.run_cli("run", "--construction", "from-file", "--network", net, "--task",
                         "approximate", "--points-per-axis", "11", "--out", self.path("o.h5"))
        case_line = p.stdout.splitlines()[0]
        self.assertIn("tau=0 ", case_line)
        self.assertNotIn("0.000000", case_line)


class Progress(CliCase):
    """Batch progress (stderr is a pipe here, as in a Slurm log). Nothing depends on speed:
    --progress-interval 0 writes a line at every update, whatever the rate."""

    def test_plain_lines_with_plan_done_rate_eta(self):
        m = 1501
        p = self.run_cli("run", "--points-per-axis", str(m), "--progress-interval", "0", "--out",
                         self.path("p.h5"))
        lines = p.stderr.splitlines()
        self.assertFalse(any("\r" in line for line in lines), "a terminal line in a batch log")
        plan = [line for line in lines if "plan:" in line]
        self.assertEqual(len(plan), 1, p.stderr)
        self.assertIn(f"{m * m:.6g} points ({m}^2 mesh), backend cpu", plan[0])
        self.assertLess(lines.index(plan[0]), min(i for i, l in enumerate(lines)
                                                  if "progress" in l))
        prog = [line for line in lines if re.match(r"spikemesh: progress +\d+\.\d%", line)]
        self.assertGreaterEqual(len(prog), 2, p.stderr)  # one per block (2^20 points)
        for line in prog:
            self.assertRegex(line, r"/ 2\.253e\+06 points .* points/s .*elapsed [\d.]+ s +"
                                   r"ETA \d+ s$")
        self.assertIn("100.0%", prog[-1])
        self.assertTrue(lines[-1].startswith("spikemesh: progress done  2.253e+06 / 2.253e+06"))

    def test_quiet_turns_it_off_and_the_default_waits_a_minute(self):
        p = self.run_cli("run", "--points-per-axis", "301", "--progress-interval", "0",
                         "--quiet", "--out", self.path("q.h5"))
        self.assertNotIn("progress", p.stderr)
        self.assertNotIn("plan:", p.stderr)
        # default in batch: the plan now, the first progress line after 60 s (this run is shorter)
        p = self.run_cli("run", "--points-per-axis", "301", "--out", self.path("r.h5"))
        self.assertIn("plan:", p.stderr)
        self.assertNotIn("progress", p.stderr)

    def test_sweep_and_certify_report_too(self):
        p = self.run_cli("sweep", "--sweep", "bias=1.5,1.9", "--points-per-axis", "101",
                         "--progress-interval", "0", "--out", self.path("s.h5"))
        self.assertIn("plan: 2 rows, 20402 points in all", p.stderr)
        self.assertEqual(p.stderr.count("progress done"), 2, p.stderr)
        p = self.run_cli("run", "--method", "certify", "--box-budget", "500", "--samples", "500",
                         "--progress-interval", "0", "--out", self.path("c.h5"))
        self.assertIn("plan: certify [0,1]^2: up to 500 boxes", p.stderr)
        self.assertIn("samples", p.stderr)


class Overwrite(CliCase):
    def test_default_outputs_are_replaced_with_a_notice(self):
        for args, name in [(["run", "--points-per-axis", "11"], "spikemesh-run.h5"),
                           (["--points-per-axis", "11"], "spikemesh-demo.h5"),
                           (["landscape", "--case", "linear-saddle", "--perturbations", "10"],
                            "spikemesh-landscape.h5"),
                           (["sweep", "--sweep", "bias=1.5", "--points-per-axis", "11"],
                            "spikemesh-sweep.h5")]:
            with self.subTest(name=name):
                first = self.run_cli(*args)
                self.assertNotIn("replaced", first.stderr)
                self.assertTrue(os.path.isfile(self.path(name)))
                again = self.run_cli(*args)
                self.assertIn(f"note: replaced the existing {name}", again.stderr)
                self.assertNotIn("replaced", self.run_cli(*args, "--quiet").stderr)
        self.assertIn("replaced", self.run_cli("run", "--help").stdout)

    def test_never_replaces_a_folder_or_a_link(self):
        os.mkdir(self.path("folder.h5"))
        target = self.path("target.h5")
        with open(target, "w") as f:
            f.write("keep me")
        os.symlink(target, self.path("link.h5"))
        for out in ["folder.h5", "link.h5"]:
            for args in (["run", "--points-per-axis", "11"],
                         ["run", "--method", "certify", "--box-budget", "10"],
                         ["sweep", "--sweep", "bias=1.5", "--points-per-axis", "11"],
                         ["landscape", "--case", "linear-saddle"]):
                with self.subTest(out=out, args=args):
                    p = self.run_cli(*args, "--out", out, expect=2)
                    self.assertIn("--out", p.stderr)
                    self.assertIn("not a regular file", p.stderr)
                    self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertTrue(os.path.isdir(self.path("folder.h5")))
        with open(target) as f:
            self.assertEqual(f.read(), "keep me")
        self.assertEqual(sorted(os.listdir(self.dir)), ["folder.h5", "link.h5", "target.h5"])


if __name__ == "__main__":
    unittest.main()
