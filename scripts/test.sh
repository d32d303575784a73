#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit/op tests, the ONNX conformance suite
# and the whole-model tests. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j 1
