#!/usr/bin/env bash
# Latency of each whole-model test model at every optimization level, as ratios against level
# "disabled" measured in the same round (levels interleaved, ROUNDS rounds, the minimum latency of
# each level kept), single-threaded. Prints a markdown table (docs/performance.md).
#
# usage: benchmarks/optimizer_levels.sh [BUILD_DIR] [ROUNDS] [ITERATIONS]
# MODELS="a b" limits the models. The models come from the `models` test's cache (BUILD_DIR/models; run ctest -R models first).
set -euo pipefail
build="${1:-build}"
rounds="${2:-3}"
iters="${3:-20}"
bin="$build/onnxedge"
levels=(disabled basic extended all)
echo "| model | nodes disabled / basic / extended / all | min ms disabled | basic | extended | all |"
echo "|---|---|---|---|---|---|"
for name in ${MODELS:-resnet18 mobilenet_v2 transformer_encoder yolo_tiny}; do
  model="$build/models/$name/model.onnx"
  declare -A best=()
  declare -A nodes=()
  for level in "${levels[@]}"; do
    if [ "$level" = disabled ]; then
      nodes[$level]="$("$bin" optimize "$model" /tmp/oe_levels_$$.onnx --level basic --json |
        sed 's/.*"nodes_before":\([0-9]*\).*/\1/')"
    else
      nodes[$level]="$("$bin" optimize "$model" /tmp/oe_levels_$$.onnx --level "$level" --json |
        sed 's/.*"nodes_after":\([0-9]*\).*/\1/')"
    fi
  done
  rm -f /tmp/oe_levels_$$.onnx
  for ((r = 0; r < rounds; r++)); do
    for level in "${levels[@]}"; do
      t="$("$bin" bench "$model" --threads 1 --iterations "$iters" --warmup 3 --json \
        --level "$level" | sed 's/.*"min":\([0-9.]*\).*/\1/')"
      if [ -z "${best[$level]:-}" ] || awk "BEGIN{exit !($t < ${best[$level]})}"; then
        best[$level]="$t"
      fi
    done
  done
  ratio() { awk "BEGIN{printf \"%.1f (%.2f)\", $1, $1 / ${best[disabled]}}"; }
  printf "| %s | %s / %s / %s / %s | %.1f | %s | %s | %s |\n" "$name" "${nodes[disabled]}" \
    "${nodes[basic]}" "${nodes[extended]}" "${nodes[all]}" "${best[disabled]}" \
    "$(ratio "${best[basic]}")" "$(ratio "${best[extended]}")" "$(ratio "${best[all]}")"
  unset best nodes
done
