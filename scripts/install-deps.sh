#!/usr/bin/env bash
# Installs what spikemesh needs on a Debian 12 machine, and only what is missing (idempotent).
#   scripts/install-deps.sh            build dependencies (CLI11, HDF5, GoogleTest, ...)
#   scripts/install-deps.sh --python   also h5py, matplotlib, pandas (plots, HDF5 readers)
#   scripts/install-deps.sh --torch    also PyTorch CPU (peer benchmark, weight export)
#   scripts/install-deps.sh --perf-model  NVIDIA's nvdisasm wheel (PyPI) into build/tools/pip when
#                                      the CUDA toolkit has none (static GPU performance model)
#   scripts/install-deps.sh --test     everything the test suite uses: the above, OpenMPI,
#                                      clang with libFuzzer (fuzz targets), the nvdisasm wheel
set -euo pipefail
perf_model=0
want=(cmake ninja-build g++ libcli11-dev libhdf5-dev hdf5-tools libgtest-dev libgmock-dev
      libbenchmark-dev ccache python3-numpy python3-h5py libgmp-dev libmpfr-dev libmpfi-dev)
for arg in "$@"; do
  case "$arg" in
    --python) want+=(python3-matplotlib python3-pandas) ;;
    --torch) want+=(python3-matplotlib python3-torch) ;;
    --perf-model) perf_model=1 ;;
    --test) perf_model=1
            want+=(python3-matplotlib python3-pandas python3-torch libopenmpi-dev openmpi-bin clang-14
                   libclang-rt-14-dev libaec-dev zlib1g-dev) ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --python, --torch, --perf-model or --test)" >&2; exit 2 ;;
  esac
done
# nvdisasm for bench/perf_model (only where nvcc is, and the toolkit lacks nvdisasm): NVIDIA's
# PyPI wheel, pinned, into a git-ignored folder of the checkout.
install_nvdisasm() {
  local root dest
  root="$(cd "$(dirname "$0")/.." && pwd)"
  dest="$root/build/tools/pip"
  [ -x /usr/local/cuda/bin/nvcc ] || return 0
  [ -x /usr/local/cuda/bin/nvdisasm ] && return 0
  compgen -G "$dest/nvidia/*/bin/nvdisasm" >/dev/null && return 0
  echo "install-deps.sh: installing nvidia-cuda-nvdisasm (PyPI) into $dest"
  python3 -m pip install --quiet --disable-pip-version-check --target "$dest" \
    nvidia-cuda-nvdisasm==13.5.37
}
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all Debian packages present"
  [ "$perf_model" -eq 1 ] && install_nvdisasm
  exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$perf_model" -eq 1 ] && install_nvdisasm
exit 0
