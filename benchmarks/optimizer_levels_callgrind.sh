#!/usr/bin/env bash
# Deterministic companion of optimizer_levels.sh for loaded machines: instructions executed by
# one single-threaded Session::Run (valgrind callgrind, collection toggled on Session::Run only,
# so loading and optimizing are excluded) per model and level, as ratios against "disabled".
#
# usage: benchmarks/optimizer_levels_callgrind.sh [BUILD_DIR] [MODEL ...]
set -euo pipefail
build="${1:-build}"
shift || true
models=("${@:-transformer_encoder yolo_tiny}")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "| model | Ir disabled (M) | basic | extended | all |"
echo "|---|---|---|---|---|"
for name in ${models[*]}; do
  declare -A ir=()
  for level in disabled basic extended all; do
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" --toggle-collect='*Session::Run*' \
      "$build/onnxedge" run "$build/models/$name/model.onnx" --threads 1 --level "$level" \
      > /dev/null 2> "$out/log"
    ir[$level]="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log")"
  done
  r() { awk "BEGIN{printf \"%.3f\", ${ir[$1]} / ${ir[disabled]}}"; }
  printf "| %s | %.1f | %s | %s | %s |\n" "$name" "$(awk "BEGIN{print ${ir[disabled]} / 1e6}")" \
    "$(r basic)" "$(r extended)" "$(r all)"
  unset ir
done
