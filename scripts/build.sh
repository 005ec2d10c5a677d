#!/usr/bin/env bash
# Configures and builds spikemesh: with the preset given, else "ci" (CUDA compiled for sm_90 as
# well) when nvcc is installed, else "cpu"; the build goes to build/<preset>/. Then points the
# stable paths at it, which README.md, bench/ and docs/ use:
#   build/spikemesh -> build/<preset>/spikemesh      (the program)
#   build/bench     -> build/<preset>/bench          (the benchmarks)
# Prints the paths on stderr and the preset name on the last line of stdout.
#   scripts/build.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-}
if [ -z "$preset" ]; then
  preset=cpu
  if [ -x /usr/local/cuda/bin/nvcc ]; then
    preset=ci
  fi
fi
cmake --preset "$preset" >&2
cmake --build --preset "$preset" -j "$(nproc)" >&2
ln -sfn "$preset/spikemesh" build/spikemesh
if [ -d "build/$preset/bench" ]; then
  ln -sfn "$preset/bench" build/bench
fi
echo "built build/spikemesh -> build/$preset/spikemesh" >&2
echo "$preset"
