#!/usr/bin/env bash
# Fresh Debian machine -> every test: installs what is missing (with PyTorch and matplotlib for
# the weight-export and plot tests), builds, runs ctest. GPU tests report "skipped" without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --torch
preset=$(bash scripts/build.sh | tail -n 1)
ctest --preset "$preset" -j 2 --timeout 900
