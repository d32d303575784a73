#!/usr/bin/env bash
# Runs the aarch64 build (scripts/build_arm.sh) under qemu user-mode emulation: the unit and op
# tests (kernel differential tests included, NEON and portable paths), a smoke run of the CLI,
# and a subset of the ONNX conformance cases checked against the same expectations file as x86.
#
# Usage: scripts/test_arm.sh [--build]   (--build: run scripts/build_arm.sh first, only the
#                                          targets tested here)
# Environment: BUILD_DIR (default build-arm), QEMU (default qemu-aarch64),
#              ARM_GTEST_FILTER (default: every test except the CLI ones, see below),
#              ARM_CONFORMANCE=full to run every conformance case instead of the subset.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build-arm}"
QEMU="${QEMU:-qemu-aarch64}"

if [ "${1:-}" = "--build" ]; then
  scripts/build_arm.sh onnxedge_unit_tests onnxedge_conformance onnxedge_cli
fi
for exe in tests/onnxedge_unit_tests tests/onnxedge_conformance onnxedge; do
  if [ ! -x "$BUILD_DIR/$exe" ]; then
    echo "test_arm: $BUILD_DIR/$exe not found: run scripts/build_arm.sh first" >&2
    exit 2
  fi
done
# The arm64 loader and libraries come from Debian's multiarch packages (libc6:arm64 and the
# ones scripts/setup.sh installs), found through the normal /lib paths and ld.so.cache, so qemu
# needs no -L prefix.
run() { "$QEMU" "$@"; }

start=$SECONDS
echo "== arm: unit and op tests under $QEMU"
# CliTest and OptimizeCli exec the CLI binary from the test process, and the load-peak tests
# (Session.Loading*) re-execute the test binary for a fresh process; qemu-user does not follow
# exec into another aarch64 binary without binfmt_misc, so those are left out (the CLI gets the
# smoke test below instead).
run "$BUILD_DIR/tests/onnxedge_unit_tests" --gtest_brief=1 \
  --gtest_filter="${ARM_GTEST_FILTER:--Cli*:OptimizeCli*:Session.Loading*}"

echo "== arm: CLI smoke test"
case_dir=/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding
run "$BUILD_DIR/onnxedge" --version
run "$BUILD_DIR/onnxedge" check "$case_dir"

echo "== arm: ONNX conformance subset"
# Ops with ISA-specific kernels, on the GEMM path or using the vectorised math (vecmath,
# activations), plus common elementwise and layout ops.
# The expectations file applies to the cases that run: a listed case that passes, or an unlisted
# one that fails, fails the run.
FILTERS=(
  node/test_conv node/test_gemm node/test_matmul node/test_softmax node/test_logsoftmax
  node/test_relu node/test_add node/test_resize node/test_averagepool node/test_maxpool
  node/test_lstm node/test_gru node/test_rnn node/test_batchnorm node/test_sigmoid
  node/test_tanh node/test_exp node/test_einsum node/test_qlinear node/test_matmulinteger
  node/test_convinteger node/test_hardswish node/test_instancenorm node/test_erf node/test_gelu
  node/test_elu node/test_selu node/test_leakyrelu node/test_hardsigmoid node/test_softplus
  pytorch-converted/test_Conv pytorch-converted/test_Linear pytorch-converted/test_Softmax
  pytorch-operator/
)
args=()
if [ "${ARM_CONFORMANCE:-subset}" != full ]; then
  for f in "${FILTERS[@]}"; do args+=(--filter "$f"); done
fi
run "$BUILD_DIR/tests/onnxedge_conformance" --expectations tests/conformance/expectations.txt \
  --timeout 120 "${args[@]}"
echo "arm: tests under qemu took $((SECONDS - start)) s"
