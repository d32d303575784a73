#!/usr/bin/env bash
# Cross-compiles onnxedge for aarch64 Linux into build-arm/ (Release) with Debian's
# g++-aarch64-linux-gnu and cmake/aarch64-linux-gnu.cmake. Needs scripts/setup.sh's packages;
# unpacks the arm64 ONNX CMake package into build-arm/sysroot on first use (scripts/arm_sysroot.sh).
#
# Usage: scripts/build_arm.sh [TARGET...]   (default: everything). Extra cmake configure
# arguments go in CMAKE_ARGS. Run the result with scripts/test_arm.sh or see docs/arm.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build-arm}"
export ONNXEDGE_ARM_SYSROOT="${ONNXEDGE_ARM_SYSROOT:-$PWD/$BUILD_DIR/sysroot}"
scripts/arm_sysroot.sh "$ONNXEDGE_ARM_SYSROOT"
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments: split it.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" \
  -DONNXEDGE_ARM_SYSROOT="$ONNXEDGE_ARM_SYSROOT" "${launcher[@]}" ${CMAKE_ARGS:-}
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}"
