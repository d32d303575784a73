#!/bin/bash
# Compares two onnxedge CLIs (or one under two ONNXEDGE_MAX_ISA settings) on the one-op models
# of make_vector_op_models.py: single-threaded min latency over R alternating rounds.
# Usage: scripts/compare_vector_ops.sh BASE_CLI NEW_CLI MODEL_DIR [ROUNDS] [BASE_ENV]
#   BASE_ENV, e.g. ONNXEDGE_MAX_ISA=generic, is applied to the base run only.
set -euo pipefail
base=$1 new=$2 dir=$3 rounds=${4:-5} base_env=${5:-X_UNUSED=1}
min_of() { "$@" --threads 1 --iterations 30 --warmup 3 --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_ms"]["min"])'; }
printf '%-32s %10s %10s %7s\n' model base_ms new_ms ratio
for m in "$dir"/*.onnx; do
  b=1e9 n=1e9
  for _ in $(seq "$rounds"); do
    b=$(/usr/bin/python3 -c "print(min($b, $(export "$base_env"; min_of "$base" bench "$m")))")
    n=$(/usr/bin/python3 -c "print(min($n, $(min_of "$new" bench "$m")))")
  done
  printf '%-32s %10.4f %10.4f %7.2f\n' "$(basename "$m" .onnx)" "$b" "$n" \
    "$(/usr/bin/python3 -c "print($b / $n)")"
done
