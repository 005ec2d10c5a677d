#!/usr/bin/python3
"""README.md runs as written: every code block marked `<!-- readme-test -->` is run verbatim in
a temporary folder, the bash blocks in order in one shell (so `S=build/spikemesh` carries over),
then the python blocks. The folder has what a checkout built by scripts/build.sh has there:
build/spikemesh (the binary under test) and tools/; spikemesh-demo.h5 is made first by the
embedded default run, as `bash scripts/demo.sh` does. The pandas recipe must give str columns."""
import os
import re
import subprocess

from test_cli import BIN, SRC, CliCase

MARK = "<!-- readme-test -->"


def marked_blocks():
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    blocks = re.findall(re.escape(MARK) + r"\s*\n```(\w+)\n(.*?)\n```", text, re.S)
    return blocks, text.count(MARK)


class Examples(CliCase):
    def setUp(self):
        super().setUp()
        os.makedirs(self.path("build"))
        os.symlink(os.path.abspath(BIN), self.path("build/spikemesh"))
        os.symlink(os.path.join(os.path.abspath(SRC), "tools"), self.path("tools"))

    def sh(self, script):
        p = subprocess.run(["bash", "-c", script], cwd=self.dir, capture_output=True, text=True,
                           timeout=800)
        self.assertEqual(p.returncode, 0, f"{script}\n--- stdout\n{p.stdout[-4000:]}\n"
                                          f"--- stderr\n{p.stderr[-4000:]}")
        return p

    def test_marked_readme_examples_run_as_written(self):
        blocks, marks = marked_blocks()
        self.assertEqual(len(blocks), marks, "a readme-test mark not followed by a code block")
        self.assertGreaterEqual(len(blocks), 5)
        langs = {lang for lang, _ in blocks}
        self.assertLessEqual(langs, {"bash", "python"}, langs)
        self.run_cli("--quiet")  # spikemesh-demo.h5, as scripts/demo.sh makes it
        bash = "\n".join(code for lang, code in blocks if lang == "bash")
        self.sh("set -euxo pipefail\n" + bash)
        for produced in ("bias.h5", "bias-sweep.png", "suite/suite.h5", "suite/report.md",
                         "net.h5", "spikemesh-landscape.h5", "spikemesh-landscape-landscape.png"):
            self.assertTrue(os.path.exists(self.path(produced)), produced)
        # Everything the examples wrote in the checkout's root is ignored by git (.gitignore).
        made = sorted(n for n in os.listdir(self.dir) if n not in ("build", "tools"))
        self.assertIn("spikemesh-demo.h5", made)
        shown = [n + "/" if os.path.isdir(self.path(n)) else n for n in made]
        p = subprocess.run(["git", "-C", SRC, "check-ignore", "--no-index", *shown],
                           capture_output=True, text=True)
        ignored = set(p.stdout.split())
        self.assertEqual([n for n in shown if n not in ignored], [], "not in .gitignore")
        pandas_checked = False
        for lang, code in blocks:
            if lang != "python":
                continue
            check = ""
            if "pd.DataFrame" in code:  # the recipe must give str, not bytes
                pandas_checked = True
                check = ("\nassert all(type(v) is str for v in df['precision']), "
                         "list(df['precision'])\n"
                         "assert list(df['bias']) == [1.0, 1.5, 1.9, 1.99], list(df['bias'])\n"
                         "assert str(df['points'].dtype) == 'int64', df['points'].dtype\n")
            p = subprocess.run(["/usr/bin/python3", "-c", code + check], cwd=self.dir,
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, f"{code}\n--- stderr\n{p.stderr[-4000:]}")
        self.assertTrue(pandas_checked, "the README's pandas recipe is not marked readme-test")
