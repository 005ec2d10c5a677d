#!/usr/bin/env bash
# Installs what spikemesh needs on a Debian 12 machine, and only what is missing (idempotent).
#   scripts/install-deps.sh            build dependencies (CLI11, HDF5, GoogleTest, ...)
#   scripts/install-deps.sh --python   also h5py + matplotlib (plots, HDF5 reader tests)
#   scripts/install-deps.sh --torch    also PyTorch CPU (peer benchmark, weight export)
#   scripts/install-deps.sh --test     everything the test suite uses: the above, OpenMPI,
#                                      clang with libFuzzer (fuzz targets)
set -euo pipefail
want=(cmake ninja-build g++ libcli11-dev libhdf5-dev hdf5-tools libgtest-dev libgmock-dev
      libbenchmark-dev ccache python3-numpy python3-h5py libgmp-dev libmpfr-dev libmpfi-dev)
for arg in "$@"; do
  case "$arg" in
    --python) want+=(python3-matplotlib) ;;
    --torch) want+=(python3-matplotlib python3-torch) ;;
    --test) want+=(python3-matplotlib python3-torch libopenmpi-dev openmpi-bin clang-14
                   libclang-rt-14-dev libaec-dev zlib1g-dev) ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --python, --torch or --test)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all dependencies present"
  exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
