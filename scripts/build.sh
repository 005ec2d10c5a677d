#!/usr/bin/env bash
# Configures and builds spikemesh with the right preset: "ci" (CUDA compiled for sm_90 as well)
# when nvcc is installed, else "cpu". Prints the preset name on the last line of stdout.
#   scripts/build.sh            -> build/<preset>/
set -euo pipefail
cd "$(dirname "$0")/.."
preset=cpu
if [ -x /usr/local/cuda/bin/nvcc ]; then
  preset=ci
fi
cmake --preset "$preset" >&2
cmake --build --preset "$preset" -j "$(nproc)" >&2
echo "$preset"
