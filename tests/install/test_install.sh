#!/usr/bin/env bash
# cmake --install into a temporary prefix, then use what was installed: the binary (list and a
# tiny run), the tools and docs in place, and find_package(spikemesh) from a consumer project.
#   test_install.sh BUILD_DIR CMAKE_COMMAND
set -euo pipefail
build=$1
cmake=${2:-cmake}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log"

for f in bin/spikemesh share/spikemesh/tools/plot.py share/spikemesh/tools/export_torch.py \
         share/doc/spikemesh/README.md share/doc/spikemesh/math.md \
         share/doc/spikemesh/hdf5-schema.md include/spikemesh/case.hpp \
         lib/cmake/spikemesh/spikemeshConfig.cmake lib/cmake/spikemesh/spikemeshTargets.cmake; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
[ -x "$prefix/share/spikemesh/tools/plot.py" ] || { echo "plot.py not executable"; exit 1; }

cd "$tmp"
"$prefix/bin/spikemesh" list | grep relu-spike > /dev/null
"$prefix/bin/spikemesh" run --dim 1 --train-per-axis 6 --bias 0.9 --points-per-axis 100003 \
  --out "$tmp/r.h5" --json --quiet > "$tmp/r.json"
/usr/bin/python3 - "$tmp/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert abs(r["spike_volume_exact"] - 0.2) < 1e-15, r["spike_volume_exact"]  # rho_1(0.1) = 0.2
assert abs(r["spike_volume"] - 0.2) <= 10 / 100003, r["spike_volume"]  # the surface bound
PY
[ -s "$tmp/r.h5" ]

# The installed suite plots with the installed tools/plot.py (not the source tree's): a marker
# line put at the top of the installed copy must run.
sed -i '2i open("'"$tmp"'/installed-plot-ran", "w").close()' "$prefix/share/spikemesh/tools/plot.py"
"$prefix/bin/spikemesh" suite --quick --out "$tmp/suite" --quiet
[ -e "$tmp/installed-plot-ran" ] || { echo "the installed suite did not use the installed plot.py"; exit 1; }
[ -s "$tmp/suite/bias-sweep-sweep.png" ]

"$cmake" -S "$here/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$tmp/consumer-configure.log" ||
  { cat "$tmp/consumer-configure.log"; exit 1; }
"$cmake" --build "$tmp/consumer" > "$tmp/consumer-build.log" ||
  { cat "$tmp/consumer-build.log"; exit 1; }
"$tmp/consumer/consumer"
echo "install test: ok"
