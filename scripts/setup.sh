#!/usr/bin/env bash
# Installs every system dependency of onnxedge with apt, and onnxruntime-node (the reference engine
# of tests/real_models) with npm into tools/ort_ref/node_modules. Idempotent: packages already
# present are skipped, so a second run does nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libprotobuf-dev protobuf-compiler
  libonnx-dev libonnx-testdata python3-onnx
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev
  python3 python3-numpy python3-torch python3-torchvision
  python3-pil fonts-dejavu-core espeak-ng
)
# tests/real_models runs onnxruntime-node: Debian's nodejs and npm unless node is already there
# (e.g. from NodeSource, whose nodejs package bundles npm and conflicts with Debian's npm).
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
else
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node 1.30 from the committed lock file. No package script runs: its install script
# would download GPU binaries, and the CPU library it needs is inside the package.
ort_dir="$(cd "$(dirname "$0")/.." && pwd)/tools/ort_ref"
stamp="$ort_dir/node_modules/.onnxedge-lock-sha256"
want="$(sha256sum "$ort_dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup: onnxruntime-node already installed in tools/ort_ref"
else
  echo "setup: npm ci in tools/ort_ref (onnxruntime-node)"
  (cd "$ort_dir" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund)
  echo "$want" > "$stamp"
fi
