#!/usr/bin/env bash
# Builds onnxedge (Release) into build/. The CLI is build/onnxedge.
# Extra arguments are passed to cmake's configure step (e.g. -DONNXEDGE_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "${launcher[@]}" "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)"
