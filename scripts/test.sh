#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit/op tests, the ONNX conformance suite,
# the bad-model corpus and the whole-model tests; then the same unit, conformance and bad-model
# tests built with clang under AddressSanitizer + UndefinedBehaviorSanitizer, and each libFuzzer
# target for 60 s (docs/security.md). This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j 1

# Sanitizers. One clang build serves the tests and the fuzzers (-fsanitize=fuzzer-no-link only
# adds coverage counters); -O1 keeps its compile time down. The model-level tests (models,
# real_models, optimizer_ort: driven by PyTorch and onnxruntime-node) stay with the normal build.
# Reports go to files, so that one from a forked child (the conformance and bad-model runners
# isolate each case in a child) fails the stage even where the case was expected to fail anyway:
# zero reports are allowed.
CXX=clang++-14 BUILD_DIR=build-asan scripts/build.sh -DONNXEDGE_SANITIZE=ON -DONNXEDGE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG"
reports="$PWD/build-asan/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1" \
UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1" \
  ctest --test-dir build-asan --output-on-failure -j 1 -E '^(models|real_models|optimizer_ort)$'
if [ -n "$(ls -A "$reports")" ]; then
  cat "$reports"/*
  echo "test.sh: sanitizer reports above (files in $reports)" >&2
  exit 1
fi
scripts/fuzz.sh 60 build-asan

# The aarch64 cross build, its unit/op tests and a conformance subset under qemu (docs/arm.md).
# ONNXEDGE_SKIP_ARM=1 leaves it out (setup.sh then installs no ARM packages either).
# Only on x86-64 hosts (a native arm64 machine runs the normal tests above).
if [ "${ONNXEDGE_SKIP_ARM:-0}" != 1 ] && [ "$(dpkg --print-architecture)" = amd64 ]; then
  scripts/test_arm.sh --build
fi
