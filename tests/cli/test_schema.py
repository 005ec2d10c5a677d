#!/usr/bin/python3
"""docs/hdf5-schema.md and the files agree: a file of every kind (run, slice, sweep, landscape,
certify, shard, merged, suite) is written with small settings and compared with the
machine-readable listing at the end of the schema page: every path and attribute a file has
is listed for its kind with its type, and every listed path that is not marked optional is
there. Also the listing's names appear in the page's prose."""
import os
import re

import h5py
import numpy as np

from test_cli import SRC, CliCase

SCHEMA = os.path.join(SRC, "docs", "hdf5-schema.md")


def read_listing():
    with open(SCHEMA, encoding="utf-8") as fh:
        text = fh.read()
    start = text.index("<!-- schema-listing -->")
    block = text[start:].split("```text\n", 1)[1].split("```", 1)[0]
    aliases, entries = {}, []
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("alias "):
            name, kinds = line[len("alias "):].split("=")
            aliases[name.strip()] = kinds.split()
            continue
        parts = line.split()
        kinds_field, path, types = parts[0], parts[1], parts[2].split("|")
        optional = len(parts) > 3 and parts[3] == "?"
        kinds = []
        for k in kinds_field.split(","):
            kinds += aliases.get(k, [k])
        entries.append({"kinds": set(kinds), "path": path, "types": set(types),
                        "optional": optional})
    return text[:start], entries


def type_name(value):
    if isinstance(value, (str, bytes)):
        return "string"
    a = np.asarray(value)
    if a.dtype.kind in "OSU":
        return "string"
    return str(a.dtype)


def file_paths(group, prefix=""):
    """Every attribute, group, dataset and soft link under @p group: {path: type}."""
    out = {}
    for k, v in group.attrs.items():
        out[(prefix or "/") + "@" + k] = type_name(v)
    for name in group:
        link = group.get(name, getlink=True)
        path = prefix + "/" + name
        if isinstance(link, h5py.SoftLink):
            out[path] = "softlink"
            continue
        obj = group[name]
        if isinstance(obj, h5py.Group):
            out[path + "/"] = "group"
            out.update(file_paths(obj, path))
        else:
            out[path] = "string" if obj.dtype.kind == "O" else str(obj.dtype)
            for k, v in obj.attrs.items():
                out[path + "@" + k] = type_name(v)
    return out


class Schema(CliCase):
    @classmethod
    def setUpClass(cls):
        cls.prose, cls.entries = read_listing()
        cls.config_names = sorted({e["path"].split("@", 1)[1] for e in cls.entries
                                   if e["path"].startswith("/config@")})

    def pattern(self, path):
        p = re.escape(path)
        p = p.replace(re.escape("{KKK}"), r"\d{3}").replace(re.escape("{case}"), r"[^/@]+")
        p = p.replace(re.escape("{config}"), "(?:" + "|".join(map(re.escape,
                                                                  self.config_names)) + ")")
        return re.compile(p + r"\Z")

    def check(self, kind, paths, where):
        """@p paths ({path: type}) of one file of @p kind against the listing."""
        entries = [e for e in self.entries if kind in e["kinds"]]
        self.assertTrue(entries, kind)
        compiled = [(e, self.pattern(e["path"])) for e in entries]
        problems = []
        for path, typ in sorted(paths.items()):
            matches = [e for e, rx in compiled if rx.match(path)]
            if not matches:
                problems.append(f"undocumented: {path} ({typ})")
            elif not any(typ in e["types"] for e in matches):
                problems.append(f"type: {path} is {typ}, documented "
                                f"{'|'.join(sorted(matches[0]['types']))}")
        for e, rx in compiled:
            if not e["optional"] and not any(rx.match(p) for p in paths):
                problems.append(f"missing: {e['path']}")
        self.assertEqual(problems, [], f"{where} ({kind}) vs docs/hdf5-schema.md")

    def check_file(self, kind, name):
        with h5py.File(self.path(name), "r") as f:
            self.check(kind, file_paths(f), name)

    def test_listing_names_appear_in_the_prose(self):
        missing = []
        for e in self.entries:
            last = re.split(r"[/@]", e["path"].rstrip("/"))[-1]
            if "{" in last or not last:
                continue
            if f"`{last}`" not in self.prose and f"`/{last}`" not in self.prose \
                    and not re.search(r"`[^`]*\b" + re.escape(last) + r"\b[^`]*`", self.prose):
                missing.append(e["path"])
        self.assertEqual(missing, [], "listed in the listing but not described in the prose")

    def test_every_kind_of_file_matches_the_listing(self):
        run = lambda *a: self.run_cli(*a, "--quiet")
        small = ("--points-per-axis", "101")
        run("run", "--dim", "2", *small, "--out", "run.h5")
        run("run", "--construction", "prelu-spike", "--dim", "2", "--task", "approximate",
            "--target", "gauss", "--extra-depth", "2", "--extra-width", "2", *small,
            "--out", "run-prelu.h5")
        run("run", "--construction", "sigmoid-spike", "--dim", "1", "--train-per-axis", "6",
            "--bias", "0.9", *small, "--out", "run-sigmoid.h5")
        run("run", "--construction", "from-file", "--network", "run.h5", *small,
            "--out", "run-file.h5")
        run("run", "--dim", "2", *small, "--slice", "--out", "slice.h5")
        run("sweep", "--sweep", "bias=1.0,1.5", "--sweep", "train-per-axis=3,4", *small,
            "--out", "sweep.h5")
        run("landscape", "--case", "sigmoid-three-point", "--points-per-axis", "11",
            "--perturbations", "100", "--out", "land.h5")
        run("landscape", "--case", "affine-segment-wide", "--points-per-axis", "5",
            "--perturbations", "100", "--out", "land-wide.h5")
        run("run", "--method", "certify", "--dim", "2", "--box-budget", "1000", "--samples",
            "10000", "--out", "cert.h5")
        for i in range(2):
            run("run", "--dim", "2", *small, "--shard", f"{i}/2", "--out", f"s{i}.h5")
            run("sweep", "--sweep", "bias=1.0,1.5", *small, "--shard", f"{i}/2",
                "--out", f"w{i}.h5")
        run("merge", "m.h5", "s0.h5", "s1.h5")
        run("merge", "wm.h5", "w0.h5", "w1.h5")
        for kind, name in [("run", "run.h5"), ("run", "run-prelu.h5"), ("run", "run-sigmoid.h5"),
                           ("run", "run-file.h5"), ("slice", "slice.h5"), ("sweep", "sweep.h5"),
                           ("landscape", "land.h5"), ("landscape", "land-wide.h5"),
                           ("certify", "cert.h5"), ("shard", "s0.h5"), ("shard", "s1.h5"),
                           ("sweep-shard", "w0.h5"), ("merged", "m.h5"),
                           ("sweep-merged", "wm.h5")]:
            self.check_file(kind, name)

        # The discrepancies the schema used to hide, by name.
        with h5py.File(self.path("run.h5"), "r") as f:
            self.assertEqual(f["config"].attrs["tau"].dtype, np.float64)  # tau = 0
            self.assertIn("rel_l2_error_exact", f["results"].attrs)
        with h5py.File(self.path("sweep.h5"), "r") as f:
            self.assertEqual(f["config"].attrs["bias"].dtype, np.float64)  # the swept 1.0
            self.assertEqual(f["config"].attrs["bias"], 1.0)
            for col in ("points", "spike_count", "nonfinite_count", "points_per_axis",
                        "train-per-axis"):
                self.assertEqual(f["sweep"][col].dtype, np.int64, col)
            self.assertEqual(list(f["sweep/points"][()]), [101 * 101] * 4)
        with h5py.File(self.path("land.h5"), "r") as f:  # root provenance = where losses ran
            self.assertEqual(f.attrs["backend"], f["landscape"].attrs["backend"])
            if f.attrs["backend"] == "cpu":
                self.assertRegex(f.attrs["device"], r"^\d+-thread OpenMP CPU$")
        with h5py.File(self.path("cert.h5"), "r") as f:
            self.assertRegex(f.attrs["device"], r"^\d+-thread OpenMP CPU$")
        with h5py.File(self.path("run-prelu.h5"), "r") as f:
            # all y_p = g(x_p) are not 1: no exact relative error
            self.assertTrue(np.isnan(f["results"].attrs["rel_l2_error_exact"]))

    def test_sweeping_tau_keeps_one_tau_column(self):
        # tau is a parameter and a statistic: one column, the value each row used.
        self.run_cli("sweep", "--sweep", "tau=0,0.1", "--points-per-axis", "101",
                     "--out", "tau.h5", "--quiet")
        self.check_file("sweep", "tau.h5")
        with h5py.File(self.path("tau.h5"), "r") as f:
            self.assertEqual(list(f["sweep/tau"][()]), [0.0, 0.1])
            # docs/math.md 2.3, disjoint unit spikes: rho_2(s (1 - tau)), s = 0.1
            self.assertAlmostEqual(f["sweep/spike_volume_exact"][1], (2 * 0.09) ** 2 / 2, 14)

    def test_exact_relative_error_where_the_truth_is_one(self):
        self.run_cli("run", "--dim", "2", "--bias", "1.5", "--labels", "ones",
                     "--points-per-axis", "301", "--out", "ones.h5", "--quiet")
        with h5py.File(self.path("ones.h5"), "r") as f:
            r = f["results"].attrs
            # t = 1 everywhere: rms(t) = 1, so the relative error is the L2 error; both exact
            # values come from docs/math.md 2.3: sqrt(1 - 2 int f + int f^2), s = 1/2, d = 2.
            s = 0.5
            int_f = (2 * s) ** 2 / (2 * 3)
            int_f2 = (2 * s) ** 2 / 2 * 2 / (3 * 4)
            exact = np.sqrt(1 - 2 * int_f + int_f2)
            self.assertAlmostEqual(r["rel_l2_error_exact"], exact, places=12)
            self.assertAlmostEqual(r["l2_error_exact"], exact, places=12)
            self.assertLess(abs(r["rel_l2_error"] - exact), 1e-3)

    def test_suite_file_has_a_group_per_case(self):
        out = self.path("suite")
        self.run_cli("suite", "--quick", "--out", out, "--quiet")
        with open(os.path.join(out, "report.md"), encoding="utf-8") as fh:
            report = fh.read()
        rows = re.findall(r"^\| ([A-Za-z0-9.-]+) \| ", report, re.M)
        rows = [r for r in rows if r != "case"]
        with h5py.File(os.path.join(out, "suite.h5"), "r") as f:
            self.assertEqual(sorted(f), sorted(rows))
            self.assertEqual(int(f.attrs["cases"]), len(rows))
            root = {k: v for k, v in file_paths(f).items() if k.startswith("/@")}
            root.update({"/" + g + "/": "group" for g in f})
            self.check("suite", root, "suite.h5")
            for g in f:
                kind = "certify" if g.startswith(("certify-", "exact-")) else "run"
                self.check(kind, file_paths(f[g]), f"suite.h5/{g}")
                self.assertNotIn("certify (", f[g].attrs["device"])
        for name in ("certify-6d-b5.5", "certify-10d-b9.1", "certify-10d-b9.9"):
            with h5py.File(os.path.join(out, name + ".h5"), "r") as f:
                self.check("certify", file_paths(f), name + ".h5")
        with h5py.File(os.path.join(out, "c1-2d-slice.h5"), "r") as f:
            self.check("slice", file_paths(f), "c1-2d-slice.h5")
