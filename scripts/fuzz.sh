#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + fuzzer instrumentation) and runs each
# for RUNS executions (default 100000) from a seed corpus; fails on any crash or sanitizer report.
#   scripts/fuzz.sh [RUNS [SECONDS]]   SECONDS caps each target's time (default: no cap)
#   CI runs a short version: scripts/fuzz.sh 3000 120
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100000}
max_time=${2:-0}
b=build/fuzz
cmake -S . -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DSPIKEMESH_FUZZ=ON -DSPIKEMESH_ENABLE_CUDA=OFF \
  -DSPIKEMESH_MPI=OFF -DSPIKEMESH_BUILD_TESTS=OFF -DSPIKEMESH_BUILD_BENCH=OFF \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$b" -j "$(nproc)" --target spikemesh_fuzz_config spikemesh_fuzz_weights spikemesh_cli >/dev/null

seeds="$b/seeds"
rm -rf "$seeds" && mkdir -p "$seeds/config" "$seeds/weights" "$b/corpus/config" "$b/corpus/weights"
printf 'dim = 3\ntrain-per-axis = 3\nbias = 2.5\npoints-per-axis = [11]\n' >"$seeds/config/a.toml"
printf 'construction = "sigmoid-spike"\ndim = 1\nK = 50.0\nL = 50.0\ntau = 0.5\n' >"$seeds/config/b.toml"
printf 'construction = "prelu-spike"\nalpha = 0.3\nextra-depth = 3\nbox = [-0.5, 1.5]\n' >"$seeds/config/c.toml"
printf 'labels = "checkerboard"\ntask = "classify"\ncentring = "vertex"\n' >"$seeds/config/d.toml"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export SPIKEMESH_PARSE_TIMEOUT=0.5 # libhdf5 can loop on crafted files; the parser child is killed
for args in "--dim 1 --train-per-axis 3" "--construction prelu-spike" "--construction sigmoid-spike --dim 1 --train-per-axis 3 --task approximate"; do
  # shellcheck disable=SC2086
  "$b/spikemesh" run $args --points-per-axis 3 --quiet --out "$seeds/weights/w$RANDOM.h5"
done
# A weight file is parsed in a forked child (host/io/network_reader.cpp): the child's sanitizer
# report or crash becomes an "invalid file" error in the fuzzer process, which then exits 0.
# Such a death still prints the sanitizer's report into the log and, through libFuzzer's
# handlers inherited by the child, leaves a crash-/oom-/leak-/timeout- file in the artifacts:
# either fails the run.
reports='ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer|==[0-9]+== ?ERROR'
status=0
for t in config weights; do
  echo "fuzz_$t: $runs runs"
  rm -rf "$b/artifacts/$t" && mkdir -p "$b/artifacts/$t"
  if ! "$b/tests/fuzz/spikemesh_fuzz_$t" -runs="$runs" -max_total_time="$max_time" \
      -max_len=65536 -rss_limit_mb=4096 -timeout=30 \
      -artifact_prefix="$b/artifacts/$t/" \
      -print_final_stats=1 "$b/corpus/$t" "$seeds/$t" >"$b/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t: FAILED (see $b/fuzz_$t.log)"; tail -n 40 "$b/fuzz_$t.log"; status=1
  elif grep -qE "$reports" "$b/fuzz_$t.log" || [ -n "$(ls -A "$b/artifacts/$t")" ]; then
    echo "fuzz_$t: FAILED: a (child) process died with a sanitizer report or crash:"
    { grep -E "$reports" "$b/fuzz_$t.log" | sort | uniq -c | sort -rn | head -n 20; } || true
    { ls "$b/artifacts/$t" | head -n 10; } || true
    echo "(see $b/fuzz_$t.log and $b/artifacts/$t)"; status=1
  else
    grep -E 'stat::number_of_executed_units|Done' "$b/fuzz_$t.log" | tail -n 2
  fi
done
exit $status
