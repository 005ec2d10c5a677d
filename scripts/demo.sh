#!/usr/bin/env bash
# Fresh Debian machine -> the embedded default run: installs what is missing, builds, runs
# `spikemesh` (2-D ReLU spike classification, ~1e8 mesh points) and writes spikemesh-demo.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh > /dev/null
build/spikemesh "$@"
