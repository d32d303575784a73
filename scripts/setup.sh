#!/usr/bin/env bash
# Installs every system dependency of onnxedge with apt. Idempotent: packages already present
# are skipped, so a second run does nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libprotobuf-dev protobuf-compiler
  libonnx-dev libonnx-testdata python3-onnx
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev
  python3 python3-numpy python3-torch python3-torchvision
  clang-14 libclang-rt-14-dev  # sanitizer build and libFuzzer (scripts/test.sh, scripts/fuzz.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
