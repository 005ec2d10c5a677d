#!/usr/bin/env bash
# Fresh Debian machine -> every test: installs what is missing (PyTorch and matplotlib for the
# weight-export and plot tests, OpenMPI for the MPI tests, clang/libFuzzer for the fuzz smoke
# run), builds, runs ctest, then a short fuzz run. GPU tests report "skipped" without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
preset=$(bash scripts/build.sh | tail -n 1)
ctest --preset "$preset" -j 2 --timeout 900
bash scripts/fuzz.sh 3000 120
