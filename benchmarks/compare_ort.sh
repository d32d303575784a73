#!/usr/bin/env bash
# Compares onnxedge with onnxruntime-node 1.30 on the benchmark models, interleaved run by run.
#
# Usage: benchmarks/compare_ort.sh [--threads 1,2] [--models resnet18,mobilenet_v2,...]
#                                  [--runs 30] [--warmup 5] [--level all] [--out DIR]
#                                  [--no-settle]
#
# Installs onnxruntime-node with npm if missing (tools/ort_ref), builds onnxedge if needed,
# exports the PyTorch models (scripts/export_models.py, cached in build/models), then prints a
# table of p50 latency, the onnxedge/ORT ratio and peak RSS, and writes it as JSON to
# DIR/compare_ort.json (default DIR: build/benchmarks). yolox_nano is read from the shared
# folder: $ONNXEDGE_SHARED_DIR, else ../shared next to the checkout (docs/real_models.md).
# After each run the driver waits for that engine to go idle (its pool may keep spinning), and
# reports the CPU time it burned meanwhile; --no-settle runs back to back (compare_ort.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

threads="1,2"
models="resnet18,mobilenet_v2,transformer_encoder,bert_base_encoder,yolo_tiny,yolox_nano,paddle_det,paddle_rec"
runs=30
warmup=5
level=all
out="build/benchmarks"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --level) level="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-settle) extra+=(--no-settle); shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "compare_ort.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ ! -d tools/ort_ref/node_modules/onnxruntime-node ]; then
  echo "compare_ort.sh: installing onnxruntime-node 1.30.0 into tools/ort_ref" >&2
  (cd tools/ort_ref && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund >&2)
fi
# Always bring the worker up to date: a stale binary would measure old code.
if [ -f build/build.ninja ]; then
  ninja -C build onnxedge_worker >&2
else
  scripts/build.sh >&2
fi

model_args=()
export_list=()
for m in ${models//,/ }; do
  case "$m" in
    yolox_nano)
      path="${ONNXEDGE_SHARED_DIR:-$root/../shared}/models/yolox_nano/yolox_nano.onnx"
      if [ ! -f "$path" ]; then
        echo "compare_ort.sh: $path not found; skipping yolox_nano" >&2
        continue
      fi
      model_args+=(--model "yolox_nano=$path") ;;
    paddle_det|paddle_rec)
      cache="${ONNXEDGE_MODEL_CACHE:-$HOME/.cache/onnxedge/models}"
      scripts/fetch_models.sh "$cache" >&2
      file="$cache/paddleocr/ch_PP-OCRv4_${m#paddle_}_infer.onnx"
      if [ ! -f "$file" ]; then
        echo "compare_ort.sh: $file not found (scripts/fetch_models.sh); skipping $m" >&2
        continue
      fi
      model_args+=(--model "$m=$file") ;;
    *)
      export_list+=("$m")
      model_args+=(--model "$m=$root/build/models/$m/model.onnx") ;;
  esac
done

for m in "${export_list[@]}"; do
  if [ ! -f "build/models/$m/model.onnx" ]; then
    mkdir -p build/models
    if ! /usr/bin/python3 scripts/export_models.py build/models --models "$m" \
        > build/models/export.log 2>&1; then
      echo "compare_ort.sh: could not export '$m' (build/models/export.log):" >&2
      tail -n 3 build/models/export.log >&2
      exit 1
    fi
  fi
done

mkdir -p "$out"
/usr/bin/python3 benchmarks/models/compare_ort.py --worker build/benchmarks/onnxedge_worker \
  "${model_args[@]}" --threads "$threads" --runs "$runs" --warmup "$warmup" --level "$level" \
  --shape paddle_det:x=1x3x640x640 --shape paddle_rec:x=1x3x48x320 \
  "${extra[@]}" --json "$out/compare_ort.json"
echo "results: $out/compare_ort.json" >&2
