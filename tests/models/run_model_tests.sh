#!/usr/bin/env bash
# Whole-model tests: exports ResNet-18, MobileNetV2, a transformer encoder, a YOLO-style
# detector and a small Hugging Face-style BERT (with a padding attention_mask) from PyTorch
# (scripts/export_models.py, seeded random weights, PyTorch's outputs as the reference) and
# checks that onnxedge reproduces every output within 1e-4.
#
# Usage: tests/models/run_model_tests.sh ONNXEDGE_BINARY CACHE_DIR
# The exported models are cached in CACHE_DIR and re-exported when the export script changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$1"
cache="$2"
export_script="$root/scripts/export_models.py"

if ! /usr/bin/python3 -c "import torch, torchvision, onnx" 2>/dev/null; then
  echo "model tests: python3-torch, python3-torchvision and python3-onnx are required" >&2
  echo "(scripts/setup.sh installs them)" >&2
  exit 1
fi

stamp="$cache/.export_stamp"
want="$(sha256sum "$export_script" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -rf "$cache"
  mkdir -p "$cache"
  /usr/bin/python3 "$export_script" "$cache" 2> "$cache/export.log" || {
    cat "$cache/export.log" >&2
    exit 1
  }
  echo "$want" > "$stamp"
fi

status=0
for name in resnet18 mobilenet_v2 transformer_encoder yolo_tiny bert_tiny_hf; do
  if out="$("$bin" check "$cache/$name" --rtol 1e-4 --atol 1e-4)"; then
    echo "PASS $name $out"
  else
    echo "FAIL $name $out"
    status=1
  fi
done
exit $status
