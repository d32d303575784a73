#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit/op tests, the ONNX conformance suite
# and the whole-model tests. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j 1
# The aarch64 cross build, its unit/op tests and a conformance subset under qemu (docs/arm.md).
# ONNXEDGE_SKIP_ARM=1 leaves it out (setup.sh then installs no ARM packages either).
# Only on x86-64 hosts (a native arm64 machine runs the normal tests above).
if [ "${ONNXEDGE_SKIP_ARM:-0}" != 1 ] && [ "$(dpkg --print-architecture)" = amd64 ]; then
  scripts/test_arm.sh --build
fi
