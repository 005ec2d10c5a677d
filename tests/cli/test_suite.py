#!/usr/bin/python3
"""The quick suite: exits 0 (every estimate within its stated tolerance of the exact value),
writes suite.h5 with one group per case (the run schema, or the certified-volume schema for
the certify-* cases), and a report listing every case."""
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
        with h5py.File(os.path.join(out, "suite.h5")) as f:
            names = list(f)
            self.assertGreaterEqual(len(names), 20)
            self.assertEqual(int(f.attrs["cases"]), len(names))
            for name in names:
                g = f[name]
                self.assertIn(f"| {name} |", report)
                if name.startswith("certify-"):  # the certified-volume layout
                    for sub in ("config", "network", "training", "results", "certify"):
                        self.assertIn(sub, g)
                    self.assertEqual(g["results"].attrs["method"], "certify")
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
