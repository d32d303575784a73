#!/usr/bin/env bash
# Installs every system dependency of onnxedge with apt, and onnxruntime-node (the reference engine
# of tests/real_models, tests/optimizer and benchmarks/) with npm into tools/ort_ref/node_modules.
# Idempotent: packages already present are skipped, so a second run does nothing.
#
# Also installs the aarch64 cross toolchain, qemu and the arm64 multiarch libraries for the ARM
# build (scripts/build_arm.sh, docs/arm.md); set ONNXEDGE_SKIP_ARM=1 to leave them out.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libprotobuf-dev protobuf-compiler
  libonnx-dev libonnx-testdata python3-onnx
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev
  python3 python3-numpy python3-torch python3-torchvision
  python3-pil fonts-dejavu-core espeak-ng
  clang-14 libclang-rt-14-dev  # sanitizer build and libFuzzer (scripts/test.sh, scripts/fuzz.sh)
)
# tests/real_models runs onnxruntime-node: Debian's nodejs and npm unless node is already there
# (e.g. from NodeSource, whose nodejs package bundles npm and conflicts with Debian's npm).
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  PACKAGES+=(nodejs npm)
fi
# Multi-Arch: same packages, co-installable with the amd64 ones (dpkg needs the versions of both
# to match: apt upgrades the amd64 one alongside when they differ). libonnx-dev:arm64 is not
# co-installable (its libonnxifi dependency ships /usr/lib/libonnxifi.so), so
# scripts/arm_sysroot.sh unpacks it into build-arm/sysroot instead; its runtime library
# libonnx1:arm64 installs fine.
ARM_PACKAGES=(
  g++-aarch64-linux-gnu qemu-user
  libprotobuf-dev:arm64 libgtest-dev:arm64 libonnx1:arm64
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# The cross build is for x86-64 hosts; a native arm64 machine builds with scripts/build.sh.
if [ "$(dpkg --print-architecture)" != amd64 ]; then ONNXEDGE_SKIP_ARM=1; fi

need_update=0
if [ "${ONNXEDGE_SKIP_ARM:-0}" != 1 ]; then
  PACKAGES+=("${ARM_PACKAGES[@]}")
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "setup: enabling the arm64 architecture for the cross build's libraries"
    $SUDO dpkg --add-architecture arm64
    need_update=1
  fi
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
  need_update=1
fi
if [ "$need_update" = 1 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -ne 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${ONNXEDGE_SKIP_ARM:-0}" != 1 ]; then
  # No-op when build-arm/sysroot already holds the current version. Runs as the calling user
  # (apt-get download needs no root), so the checkout keeps its owner.
  scripts/arm_sysroot.sh
fi

# onnxruntime-node 1.30 from the committed lock file. No package script runs: its install script
# would download GPU binaries, and the CPU library it needs is inside the package.
ort_dir="$(pwd)/tools/ort_ref"
stamp="$ort_dir/node_modules/.onnxedge-lock-sha256"
want="$(sha256sum "$ort_dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup: onnxruntime-node already installed in tools/ort_ref"
else
  echo "setup: npm ci in tools/ort_ref (onnxruntime-node)"
  (cd "$ort_dir" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund)
  echo "$want" > "$stamp"
fi
