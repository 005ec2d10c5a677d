#!/usr/bin/env bash
# The GPU checks in one run, ON the device machine, with nothing to install or decide there
# (docs/gpu-checklist.md). Prepare .gpu/ here first (the workplace GPU preparation step)
# then, with .gpu carried:                      OUT=$OUT bash bench/gpu_check.sh
# Each step has its own time limit and the whole stays under 9.5 minutes: a step that would
# start past the budget is skipped and says so. Logs and JSON go to $OUT (default /tmp/gpu-check).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
B=${SPIKEMESH_GPU_BUILD:-/tmp/spikemesh-build}
budget=${GPU_CHECK_BUDGET_S:-570}
start=$(date +%s)
status=0

step() { # step NAME LIMIT_S COMMAND...
  local name=$1 limit=$2
  shift 2
  local now=$(($(date +%s) - start))
  if [ $((now + limit)) -gt "$budget" ]; then
    echo "== $name: SKIPPED (would pass the ${budget}s budget at ${now}s)"
    return
  fi
  echo "== $name (limit ${limit}s, at ${now}s)"
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  tail -n 25 "$out/$name.log"
  echo "== $name: rc=$rc after $(($(date +%s) - start))s"
  [ "$rc" -eq 0 ] || status=1
}

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$out/gpu.txt"
date -u +%FT%TZ | tee -a "$out/gpu.txt"
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
export LD_LIBRARY_PATH="${SPIKEMESH_DEPS_PREFIX:-/tmp/spikemesh-deps}/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"

# 1. Build for sm_90 and the GPU tests (CudaParity.*, CudaTest.*, DeviceStats.*).
step build-and-test 330 env OUT="$out" SPIKEMESH_GPU_BUILD="$B" bash "$root/.gpu/build-and-test.sh"
T=$B/tests/spikemesh_gpu_tests
# 2. compute-sanitizer on the kernels' tests (filters: the tool is slow).
step memcheck 90 "$sanitizer" --tool memcheck --error-exitcode 9 "$T" \
  --gtest_filter='CudaParity.SubRanges*:CudaTest.Certify*:CudaTest.Landscape*:CudaTest.Sample*:DeviceStats.*'
step racecheck 90 "$sanitizer" --tool racecheck --error-exitcode 9 "$T" \
  --gtest_filter='CudaParity.SubRanges*:CudaTest.CertifyBounds*:CudaTest.LandscapeMatches*:DeviceStats.FlushEveryTile*'
step synccheck 45 "$sanitizer" --tool synccheck --error-exitcode 9 "$T" \
  --gtest_filter='CudaParity.SubRanges*:CudaTest.CertifyBounds*:DeviceStats.FlushEveryTile*'
# 3. Speed: the evaluator timed with CUDA events, then the peers on the same GPU.
step bench-cuda 90 "$B/bench/spikemesh_bench_cuda" --benchmark_out="$out/bench_cuda.json" \
  --benchmark_out_format=json
step gpu-peers 150 python3 "$root/bench/peers/gpu_peers.py" --bin "$B/spikemesh" --points 1e8
# 4. If time is left: certify on the device.
step bench-certify 60 "$B/bench/spikemesh_bench_certify" --backend cuda --quick
echo "gpu_check.sh: done in $(($(date +%s) - start))s, status $status; logs in $out"
exit "$status"
