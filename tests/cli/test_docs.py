#!/usr/bin/python3
"""The repository cites only its own files: no tracked file refers to the background notes
that are not in the repository, and every `docs/math.md N.N` citation names a section that
exists in docs/math.md. The binary's own texts (`spikemesh list`, the oracle_source attribute)
cite docs/math.md."""
import os
import re
import subprocess

import h5py

from test_cli import SRC, CliCase

# Built from parts so that this file does not match its own search.
EXTERNAL = re.compile(r"\b(" + "constructions" + r"|" + "design" + r")\.md\b")
CITATION = re.compile(r"math\.md(?:,? (?:sections?|§) ?| )(\d+(?:\.\d+)?)(?:[-–](\d+))?")


def tracked_files():
    out = subprocess.run(["git", "-C", SRC, "ls-files", "-z"], capture_output=True, check=True)
    return [f for f in out.stdout.decode().split("\0") if f]


def read_text(rel):
    try:
        with open(os.path.join(SRC, rel), encoding="utf-8") as fh:
            return fh.read()
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return None


class References(CliCase):
    def test_no_tracked_file_cites_files_outside_the_repository(self):
        files = tracked_files()
        self.assertGreater(len(files), 50)
        hits = []
        for rel in files:
            text = read_text(rel)
            if text is None:
                continue
            for no, line in enumerate(text.splitlines(), 1):
                if EXTERNAL.search(line):
                    hits.append(f"{rel}:{no}: {line.strip()}")
        self.assertEqual(hits, [], "citations of files that are not in the repository")

    def test_every_math_citation_names_an_existing_section(self):
        math_md = read_text("docs/math.md")
        self.assertIsNotNone(math_md)
        sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", math_md, re.M))
        self.assertIn("2.3", sections)
        bad = []
        for rel in tracked_files():
            text = read_text(rel)
            if text is None:
                continue
            for no, line in enumerate(text.splitlines(), 1):
                for m in CITATION.finditer(line):
                    if m.group(1) not in sections:
                        bad.append(f"{rel}:{no}: section {m.group(1)}")
        self.assertEqual(bad, [], "citations of sections docs/math.md does not have")

    def test_the_binary_cites_the_math_reference(self):
        listing = self.run_cli("list").stdout
        self.assertIn("docs/math.md", listing)
        self.assertIsNone(EXTERNAL.search(listing))
        out = self.path("r.h5")
        self.run_cli("run", "--dim", "1", "--train-per-axis", "6", "--bias", "0.9",
                     "--points-per-axis", "1001", "--out", out, "--quiet")
        with h5py.File(out, "r") as f:
            self.assertIn("docs/math.md 2.3", f["results"].attrs["oracle_source"])

    def test_docs_use_the_one_stable_binary_path(self):
        # scripts/build.sh links build/spikemesh and build/bench to the preset it built.
        preset_path = re.compile(r"build/(cpu|ci|cuda|sanitize)/(spikemesh|bench)\b")
        hits = []
        for rel in tracked_files():
            if not (rel.endswith(".md") or rel.startswith(("bench/", "scripts/"))):
                continue
            if rel == "bench/RESULTS.md":  # a log: the commands as they were run
                continue
            text = read_text(rel) or ""
            for no, line in enumerate(text.splitlines(), 1):
                if preset_path.search(line):
                    hits.append(f"{rel}:{no}: {line.strip()}")
        self.assertEqual(hits, [], "use build/spikemesh (scripts/build.sh), not a preset's path")
        build_sh = read_text("scripts/build.sh")
        self.assertIn('ln -sfn "$preset/spikemesh" build/spikemesh', build_sh)
