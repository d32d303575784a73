#!/usr/bin/env bash
# A model above protobuf's 2 GiB limit through `onnxedge optimize` (opt-in: ONNXEDGE_TEST_2GB=1;
# it needs about 4.5 GiB of disk under TMPDIR and ~5 GiB of memory).
#
# A MatMul chain y = x W0 W1 ... W8 with x [1, 8192], eight 8192x8192 float weights and a last
# 8192x64 one (2 GiB + 2 MiB of initializers) is generated as external data, written in 32 MiB
# pieces so the generator never holds a whole weight. `onnxedge optimize` (no --external-data)
# must write the optimized model with external data on its own, with its note on stderr; the
# saved model must pass Debian's ONNX checker given its path, and onnxedge and onnxruntime-node
# must reproduce the float64 reference y (computed by numpy from the mapped data file) within
# 1e-4 + 1e-4 |y|. Prints the time, peak RSS and file sizes of each step (docs/optimizer.md).
#
# Usage: tests/optimizer/run_large_model_test.sh ONNXEDGE_BINARY
# Exits 77 (skipped) without ONNXEDGE_TEST_2GB=1; the ORT step is skipped (noted) without
# onnxruntime-node.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$1"

if [ "${ONNXEDGE_TEST_2GB:-0}" != 1 ]; then
  echo "2 GiB model test: opt-in, set ONNXEDGE_TEST_2GB=1 (needs ~4.5 GiB of disk); skipped"
  exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/onnxedge_2gb.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/out" "$work/inputs" "$work/expected" "$work/run"

# Runs the command under GNU time; TIMED becomes "<seconds> s, peak RSS <MiB> MiB".
timed() {
  local log="$work/time.log"
  if ! /usr/bin/time -f '%e %M' -o "$log" "$@"; then
    echo "FAIL: $*" >&2
    tail -3 "$log" >&2
    exit 1
  fi
  local secs kib
  read -r secs kib < <(tail -1 "$log")
  TIMED="$secs s, peak RSS $((kib / 1024)) MiB"
}

timed /usr/bin/python3 - "$work" <<'PY'
import os, sys, numpy as np, onnx
from onnx import helper, TensorProto
work = sys.argv[1]
D, OUT = 8192, 64
shapes = [(D, D)] * 8 + [(D, OUT)]
data_path = os.path.join(work, "in", "big.onnx.data")
inits, nodes, prev, offset = [], [], "x", 0
with open(data_path, "wb") as f:
    for i, (k, n) in enumerate(shapes):
        rng = np.random.default_rng(1000 + i)
        a = np.float32(np.sqrt(3.0 / k))  # variance 1/k per weight: |y| stays O(|x|)
        for r in range(0, k, 1024):
            block = (rng.random((min(1024, k - r), n), dtype=np.float32) * 2 - 1) * a
            f.write(block.tobytes())
        t = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=[k, n])
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "big.onnx.data"), ("offset", str(offset)),
                           ("length", str(k * n * 4))):
            e = t.external_data.add(); e.key = key; e.value = value
        offset += k * n * 4
        inits.append(t)
        out = "y" if i == len(shapes) - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [out], name=f"mm{i}"))
        prev = out
graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, D])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, OUT])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
with open(os.path.join(work, "in", "big.onnx"), "wb") as f:
    f.write(model.SerializeToString())
x = (np.random.default_rng(7).random((1, D), dtype=np.float32) * 2 - 1)
np.save(os.path.join(work, "inputs", "x.npy"), x)
# float64 reference, one mapped weight at a time
y = x.astype(np.float64)
mm = np.memmap(data_path, dtype=np.float32, mode="r")
off = 0
for k, n in shapes:
    y = y @ mm[off:off + k * n].reshape(k, n).astype(np.float64)
    off += k * n
np.save(os.path.join(work, "expected", "output_0.npy"), y.astype(np.float32))
np.save(os.path.join(work, "expected", "ref64.npy"), y)
PY
echo "generate: $TIMED; input data file $(stat -c %s "$work/in/big.onnx.data") bytes"

# Optimize: the inline model would exceed 2 GiB, so the saver must switch to external data.
timed "$bin" optimize "$work/in/big.onnx" "$work/out/big_opt.onnx" --level basic \
  2> "$work/optimize.err" > "$work/optimize.out"
opt="$TIMED"
if ! grep -q "above protobuf's 2 GiB limit" "$work/optimize.err"; then
  echo "FAIL: optimize printed no note about automatic external data:"
  cat "$work/optimize.err"
  exit 1
fi
model_bytes="$(stat -c %s "$work/out/big_opt.onnx")"
data_bytes="$(stat -c %s "$work/out/big_opt.onnx.data")"
echo "optimize (automatic external data): $opt; model $model_bytes bytes, data $data_bytes bytes"
echo "  $(cat "$work/optimize.err")"
[ "$(ls "$work/out")" = "$(printf 'big_opt.onnx\nbig_opt.onnx.data')" ] || {
  echo "FAIL: unexpected files in the output folder: $(ls -a "$work/out")"
  exit 1
}

timed /usr/bin/python3 -c 'import onnx, sys; onnx.checker.check_model(sys.argv[1])' \
  "$work/out/big_opt.onnx"
echo "onnx checker (path): ok, $TIMED"

timed "$bin" run "$work/out/big_opt.onnx" --input "x=$work/inputs/x.npy" \
  --output-dir "$work/run" --threads 2 > /dev/null
own="$TIMED"
/usr/bin/python3 - "$work/run/y.npy" "$work/expected/ref64.npy" <<'PY'
import sys, numpy as np
got, ref = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2])
err = np.abs(got - ref)
bad = int((err > 1e-4 + 1e-4 * np.abs(ref)).sum())
print(f"onnxedge vs float64 reference: max abs error {err.max():.2e} (|y| max {np.abs(ref).max():.2f}), {bad} mismatches")
sys.exit(1 if bad else 0)
PY
echo "onnxedge run: $own"

ort_dir="${ORT_NODE_DIR:-$root/tools/ort_ref/node_modules/onnxruntime-node}"
if [ -f "$ort_dir/package.json" ]; then
  export ORT_NODE_DIR="$ort_dir"
  timed node "$here/ort_check.js" "$work/out/big_opt.onnx" "$work/inputs" "$work/expected" \
    1e-4 1e-4 > "$work/ort.out" || { cat "$work/ort.out"; exit 1; }
  echo "onnxruntime-node: $(cat "$work/ort.out"), $TIMED"
else
  echo "onnxruntime-node not found in $ort_dir: ORT step skipped"
fi
echo "PASS"
