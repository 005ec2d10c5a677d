#!/usr/bin/env bash
# Strong scaling: the same run on 1 and on 2 MPI ranks (one OpenMP thread per rank), with
# identical counts checked. Target (bench/README.md, Targets): >= 1.8x on 2 cores.
#   bash bench/scaling.sh [path/to/spikemesh] [points-per-axis]
set -euo pipefail
bin=${1:-build/spikemesh}
m=${2:-12007}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(run --dim 2 --train-per-axis 4 --bias 1.9 --labels random --points-per-axis "$m" --threads 1 --quiet --json)
"$bin" "${args[@]}" --out "$tmp/one.h5" >"$tmp/one.json"
mpirun -np 2 --oversubscribe "$bin" "${args[@]}" --out "$tmp/two.h5" >"$tmp/two.json"
/usr/bin/python3 - "$tmp/one.json" "$tmp/two.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["spike_count"] == b["spike_count"] and a["points"] == b["points"], "counts differ"
rel = abs(a["f_integral"] - b["f_integral"]) / max(abs(a["f_integral"]), 1e-300)
print(f"points {a['points']:.4g}: 1 rank {a['wall_seconds']:.3f} s, 2 ranks {b['wall_seconds']:.3f} s, "
      f"speed-up {a['wall_seconds'] / b['wall_seconds']:.2f}x; spike_count identical "
      f"({a['spike_count']}); f_integral relative difference {rel:.1e}")
PY
