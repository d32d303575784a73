#!/usr/bin/python3
"""Per-node profile of onnxruntime-node on MODEL with compare_ort.py's seeded inputs.

Usage: ort_profile.py MODEL [--threads N] [--runs 30] [--shape INPUT=1x3x224x224] [--top 25]
Set it beside `ONNXEDGE_PROFILE=cpu build/onnxedge bench MODEL --threads N` (same inputs' shapes).
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_ort import make_inputs  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--runs", default="30")
    ap.add_argument("--top", default="25")
    ap.add_argument("--shape", action="append", default=[], help="INPUT=1x3x224x224")
    args = ap.parse_args()
    shapes = {}
    for s in args.shape:
        name, _, dims = s.partition("=")
        shapes[name] = [int(d) for d in dims.split("x")]
    with tempfile.TemporaryDirectory() as inputs:
        make_inputs(args.model, shapes, inputs)
        here = os.path.dirname(os.path.abspath(__file__))
        return subprocess.call(["node", os.path.join(here, "ort_profile.js"), args.model,
                                "--inputs", inputs, "--threads", args.threads,
                                "--runs", args.runs, "--top", args.top])


if __name__ == "__main__":
    sys.exit(main())
