#!/usr/bin/env bash
# Demo of the onnxedge CLI on YOLOX-nano: `onnxedge inspect` then `onnxedge bench`.
# Builds build/onnxedge first if it is missing.
#
# Usage: scripts/demo.sh [MODEL]   (default: ../shared/models/yolox_nano/yolox_nano.onnx,
#                                   relative to the repository root)
# Extra bench flags can be passed in BENCH_FLAGS, e.g. BENCH_FLAGS="--threads 4 --iterations 100".
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL="${1:-../shared/models/yolox_nano/yolox_nano.onnx}"
CLI=build/onnxedge

if [ ! -f "$MODEL" ]; then
  echo "demo: model not found: $MODEL (expected YOLOX-nano at ../shared/models/yolox_nano/" \
       "relative to $(pwd); pass another model as the first argument)" >&2
  exit 2
fi

if [ ! -x "$CLI" ]; then
  echo "demo: $CLI not found, building it first"
  scripts/build.sh
fi

echo "== $CLI inspect $MODEL"
"$CLI" inspect "$MODEL"
echo
echo "== $CLI bench $MODEL ${BENCH_FLAGS:-}"
# shellcheck disable=SC2086  # BENCH_FLAGS is a list of flags: split it.
"$CLI" bench "$MODEL" ${BENCH_FLAGS:-}
