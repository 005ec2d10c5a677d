#!/usr/bin/python3
"""The quick suite: exits 0 (every checkable estimate within its stated tolerance of the exact
value; a case whose tolerance is not below its value is reported "not checkable on this mesh"),
writes suite.h5 with one group per case (the run schema, or the certified-volume schema for
the certify-* and exact-* cases), and a report listing every case."""
import os

import h5py

from test_cli import CliCase


class QuickSuite(CliCase):
    def test_quick_suite_passes_and_reports_every_case(self):
        out = self.path("suite")
        self.run_cli("suite", "--quick", "--out", out, "--quiet")
        with open(os.path.join(out, "report.md"), encoding="utf-8") as fh:
            report = fh.read()
        for name in ("certify-6d-b5.5", "certify-10d-b9.1", "certify-10d-b9.9"):
            self.assertIn(f"| {name} |", report)
            with h5py.File(os.path.join(out, name + ".h5")) as f:
                self.assertEqual(f["results"].attrs["method"], "certify")
        # The high-d volumes by --method exact: each bracket holds the closed form and is far
        # narrower than the value it checks.
        for name in ("exact-6d-b5.5", "exact-10d-b9.1", "exact-10d-b9.9", "exact-16d-b15.6"):
            row = [line for line in report.splitlines() if line.startswith(f"| {name} |")]
            self.assertEqual(len(row), 1, name)
            self.assertTrue(row[0].endswith("| pass |"), row[0])
            with h5py.File(os.path.join(out, name + ".h5")) as f:
                r = f["results"].attrs
                self.assertEqual(r["method"], "exact")
                lo, hi = r["certified_volume_lower"], r["certified_volume_upper"]
                exact = r["spike_volume_exact"]
                self.assertGreater(lo, 0)
                self.assertLessEqual(lo, exact)
                self.assertGreaterEqual(hi, exact)
                self.assertLess(hi - lo, 1e-6 * exact, name)
        # A tolerance not below the value checks nothing: such cases are not passed.
        for line in report.splitlines():
            if not line.startswith("| ") or line.startswith("| case"):
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[1].startswith("C1 ReLU 10-D") or cells[0] == "certify-10d-b9.9":
                self.assertEqual(cells[-1], "not checkable on this mesh", line)
            if cells[-1] == "pass" and not cells[0].startswith(("certify-", "exact-")):
                self.assertLess(float(cells[6]), abs(float(cells[4])), line)
        with h5py.File(os.path.join(out, "suite.h5")) as f:
            names = list(f)
            self.assertGreaterEqual(len(names), 20)
            self.assertEqual(int(f.attrs["cases"]), len(names))
            for name in names:
                g = f[name]
                self.assertIn(f"| {name} |", report)
                if name.startswith(("certify-", "exact-")):  # the certified-volume layout
                    for sub in ("config", "network", "training", "results", "certify"):
                        self.assertIn(sub, g)
                    self.assertEqual(g["results"].attrs["method"], name.split("-")[0])
                    continue
                for sub in ("config", "network", "training", "mesh", "results"):
                    self.assertIn(sub, g)
                r = g["results"].attrs
                self.assertGreater(int(r["points"]), 0)
            for prefix in ("c1-1d", "c1-2d", "c1-6d", "c1-10d", "c2-", "c3-", "c4-depth50",
                           "bias-sweep"):
                self.assertTrue(any(n.startswith(prefix) for n in names), prefix)
        self.assertNotIn("FAIL", report)
        self.assertIn("failures: 0", report)
        for png in ("c1-2d-slice-slice.png", "bias-sweep-sweep.png"):
            self.assertTrue(os.path.getsize(os.path.join(out, png)) > 1000, png)
