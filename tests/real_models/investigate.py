#!/usr/bin/python3
"""The measurements behind the tolerances of tests/real_models (docs/real_models.md). Not part of
the test: run after real_models.py, on its work folder (inputs and outputs are read from there).

usage: investigate.py WORK CACHE ort-levels
         ORT at optimization level "disabled" against ORT "all" (what the test compares with),
         next to onnxedge against ORT "all", per output: how much ORT disagrees with itself.
       investigate.py WORK CACHE isnet-resize-ulp
         ISNet's noise floor: ORT on the model with every Resize output multiplied by
         (1 + 2^-23), i.e. moved by about one ulp as a different but correct Resize might round,
         against ORT on the original, next to onnxedge against ORT.
       investigate.py WORK CACHE isnet-dql [N]
         The first N (default 31) DynamicQuantizeLinear nodes of ISNet in both engines: where
         their float inputs first differ, where the uint8 outputs first differ, and whether each
         engine's y, scale and zero point follow the ONNX definition on its own input exactly.
         Writes about 1 GB of .npy files under WORK/investigate.
"""
import glob
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def sanitize(name):  # the file name onnxedge's `run` and ort_ref.js give an output
    s = re.sub(r"[/\\:]", "_", name) or "_"
    return "_" + s[1:] if s.startswith(".") else s


def ort(plan, path):
    with open(path, "w") as f:
        json.dump(plan, f)
    subprocess.run(["node", os.path.join(HERE, "ort_ref.js"), path], check=True)


def models(cache):
    return {
        "yolox_nano": cache + "/yolox_nano/yolox_nano.onnx",
        "ocr_det": cache + "/paddleocr/ch_PP-OCRv4_det_infer.onnx",
        "ocr_rec": cache + "/paddleocr/ch_PP-OCRv4_rec_infer.onnx",
        "ocr_cls": cache + "/paddleocr/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "silero_vad": cache + "/silero_vad/silero_vad_v5.onnx",
        "isnet_small": cache + "/isnet/isnet_small.onnx",
    }


def ort_levels(work, cache):
    out = os.path.join(work, "investigate", "ort_disabled")
    plan = []
    for case, model in models(cache).items():
        runs = []
        for d in sorted(glob.glob(os.path.join(work, case, "inputs", "*"))):
            runs.append({"inputs": {f[:-4]: os.path.join(d, f) for f in os.listdir(d)},
                         "output_dir": os.path.join(out, case, os.path.basename(d))})
        if not runs:
            continue
        if case == "silero_vad":  # state and sr are given to the first run only
            for r in runs[1:]:
                r["inputs"].setdefault("sr", runs[0]["inputs"]["sr"])
        plan.append({"model": model, "opt_level": "disabled", "runs": runs,
                     "carry": {"stateN": "state"} if case == "silero_vad" else {}})
    ort(plan, os.path.join(work, "investigate", "ort_disabled.json"))
    for case in models(cache):
        worst = {}
        for d in sorted(glob.glob(os.path.join(out, case, "*"))):
            k = os.path.basename(d)
            for f in os.listdir(d):
                a = np.load(os.path.join(d, f)).astype(np.float64)
                b = np.load(os.path.join(work, case, "ort", k, f)).astype(np.float64)
                o = np.load(os.path.join(work, case, "onnxedge", k, f)).astype(np.float64)
                w = worst.setdefault(f[:-4], [0.0, 0.0])
                w[0] = max(w[0], float(np.abs(a - b).max()))
                w[1] = max(w[1], float(np.abs(o - b).max()))
        for name, (self_err, oe_err) in sorted(worst.items()):
            print("%-12s %-18s max |ORT disabled - ORT all| %.3g   max |onnxedge - ORT all| %.3g"
                  % (case, name, self_err, oe_err))


def isnet_resize_ulp(work, cache):
    model = onnx.load(models(cache)["isnet_small"])
    model.graph.initializer.append(numpy_helper.from_array(
        np.array(np.float32(1) + np.float32(2 ** -23), np.float32), "one_ulp_up"))
    nodes = []
    for n in list(model.graph.node):
        nodes.append(n)
        if n.op_type == "Resize":
            out = n.output[0]
            n.output[0] = out + "_before_ulp"
            nodes.append(helper.make_node("Mul", [out + "_before_ulp", "one_ulp_up"], [out],
                                          name=out + "_ulp"))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    base = os.path.join(work, "investigate")
    os.makedirs(base, exist_ok=True)
    onnx.save(model, os.path.join(base, "isnet_resize_ulp.onnx"))
    inp = os.path.join(work, "isnet_small", "inputs", "000", "input.npy")
    ort([{"model": os.path.join(base, "isnet_resize_ulp.onnx"),
          "runs": [{"inputs": {"input": inp}, "output_dir": os.path.join(base, "isnet_ulp")}]}],
        os.path.join(base, "isnet_ulp.json"))
    for f in sorted(os.listdir(os.path.join(base, "isnet_ulp"))):
        p = np.load(os.path.join(base, "isnet_ulp", f)).astype(np.float64)
        r = np.load(os.path.join(work, "isnet_small", "ort", "000", f)).astype(np.float64)
        o = np.load(os.path.join(work, "isnet_small", "onnxedge", "000", f)).astype(np.float64)
        row = []
        for g in (p, o):
            d = np.abs(g - r)
            row += [d.max(), d.mean(), d.mean() / np.abs(r).mean(), np.mean((g > 0.5) == (r > 0.5))]
        print("%-11s ORT(Resize +1 ulp) vs ORT: max %.3g mean %.3g mean/mean|ref| %.3g same side "
              "%.4f | onnxedge vs ORT: max %.3g mean %.3g mean/mean|ref| %.3g same side %.4f"
              % ((f[:-4],) + tuple(row)))


def dql_definition(x):
    """DynamicQuantizeLinear as the ONNX operator definition writes it, in float32."""
    x = x.astype(np.float32)
    hi = np.float32(max(0.0, float(x.max())))
    lo = np.float32(min(0.0, float(x.min())))
    scale = np.float32((hi - lo) / np.float32(255))
    zp = np.uint8(np.clip(np.round(np.float32(0) - lo / scale), 0, 255))
    y = np.clip(np.round(x / scale) + np.float32(zp), 0, 255).astype(np.uint8)
    return y, scale, zp


def isnet_dql(work, cache, count=31):
    model = onnx.load(models(cache)["isnet_small"])
    dql = [n for n in model.graph.node if n.op_type == "DynamicQuantizeLinear"][:count]
    del model.graph.output[:]
    for n in dql:
        for name, t in zip([n.input[0]] + list(n.output),
                           [TensorProto.FLOAT, TensorProto.UINT8, TensorProto.FLOAT,
                            TensorProto.UINT8]):
            model.graph.output.append(helper.make_tensor_value_info(name, t, None))
    base = os.path.join(work, "investigate")
    os.makedirs(base, exist_ok=True)
    path = os.path.join(base, "isnet_dql.onnx")
    onnx.save(model, path)
    inp = os.path.join(work, "isnet_small", "inputs", "000", "input.npy")
    binary = os.path.join(ROOT, "build", "onnxedge")
    subprocess.run([binary, "run", path, "--input", "input=" + inp, "--output-dir",
                    os.path.join(base, "dql_onnxedge")], check=True, stdout=subprocess.DEVNULL)
    ort([{"model": path, "runs": [{"inputs": {"input": inp},
                                   "output_dir": os.path.join(base, "dql_ort")}]}],
        os.path.join(base, "dql.json"))
    for i, n in enumerate(dql):
        def load(eng, name):
            return np.load(os.path.join(base, "dql_" + eng, sanitize(name) + ".npy"))
        line = "%3d %-45s" % (i, n.input[0][:45])
        xs = {e: load(e, n.input[0]) for e in ("onnxedge", "ort")}
        line += " x differ %8d" % np.count_nonzero(xs["onnxedge"] != xs["ort"])
        line += " y differ %6d |" % np.count_nonzero(load("onnxedge", n.output[0]) !=
                                                   load("ort", n.output[0]))
        for e in ("onnxedge", "ort"):
            y, scale, zp = dql_definition(xs[e])
            line += " %s: y != definition %d, scale %s, zp %s |" % (
                e, np.count_nonzero(load(e, n.output[0]) != y),
                "ok" if load(e, n.output[1]).item() == scale else "DIFFERS",
                "ok" if load(e, n.output[2]).item() == zp else "DIFFERS")
        print(line)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    work, cache, what = sys.argv[1:4]
    os.makedirs(os.path.join(work, "investigate"), exist_ok=True)
    if what == "ort-levels":
        ort_levels(work, cache)
    elif what == "isnet-resize-ulp":
        isnet_resize_ulp(work, cache)
    elif what == "isnet-dql":
        isnet_dql(work, cache, int(sys.argv[4]) if len(sys.argv) > 4 else 31)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
