#!/usr/bin/python3
"""Interleaved latency comparison of onnxedge and onnxruntime-node on the same inputs.

For every model and thread count, one persistent worker per engine loads the model once
(benchmarks/models/onnxedge_worker.cc, benchmarks/models/ort_worker.js); the driver then asks
them for single runs in alternating order (A B, B A, A B, ...) so that machine noise hits both
engines alike. Reports p50/p90/min per engine, the p50 ratio onnxedge / ORT, and peak RSS.

After every run the driver waits until that engine's process is idle again (its threads' CPU
time, summed from /proc/PID/task/*/schedstat, advances by less than 2 ms over a 10 ms window;
at most 1 s), so a worker pool that keeps spinning after a run (onnxruntime's default) does not take a
core from the other engine's next run. The CPU time an engine burns between returning from a
run and going idle is reported too ("post-run CPU", median over the timed runs): the cost of
idle spinning that ORT users complain about. `--no-settle` restores back-to-back runs.

Usage: compare_ort.py --worker BIN --model NAME=PATH [...] [--threads 1,2] [--runs 30]
                      [--warmup 5] [--shape NAME:INPUT=1x3x224x224] [--no-settle] [--json OUT]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
NP_TYPES = {
    onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.UINT8: np.uint8, onnx.TensorProto.INT8: np.int8,
    onnx.TensorProto.BOOL: np.bool_,
}


def make_inputs(model_path, shapes, out_dir, seed=1234):
    """Seeded random inputs for every graph input that is not an initializer."""
    model = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(seed)
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        if vi.name in shapes:
            shape = shapes[vi.name]
        else:
            shape = [d.dim_value if d.HasField("dim_value") else 1 for d in tt.shape.dim]
        dtype = NP_TYPES.get(tt.elem_type)
        if dtype is None:
            raise SystemExit(f"{model_path}: input '{vi.name}' has an unsupported type")
        if dtype in (np.int64, np.int32):
            data = rng.integers(0, 100, size=shape).astype(dtype)  # valid token ids / indices
        elif dtype == np.bool_:
            data = rng.integers(0, 2, size=shape).astype(dtype)
        else:
            data = rng.random(size=shape).astype(dtype)
        np.save(os.path.join(out_dir, f"{vi.name}.npy"), data)


class Worker:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            err = self.proc.stderr.read()
            raise RuntimeError(f"{argv[0]} failed to start: {line} {err.strip()}")

    def cpu_ns(self):
        """CPU time of all the worker's threads so far, in nanoseconds."""
        total = 0
        task_dir = f"/proc/{self.proc.pid}/task"
        for tid in os.listdir(task_dir):
            try:
                with open(f"{task_dir}/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # the thread ended between listdir and open
        return total

    def settle(self, quiet_ns=2_000_000, window_s=0.010, limit_s=1.0):
        """Waits until the worker is idle; returns the CPU ns it used meanwhile.

        Some kernels (this VM's among them) account a running thread's time only at scheduler
        ticks, in 4 ms steps, so a window must span several ticks: a thread spinning through a
        10 ms window shows at least one 4 ms step there, an idle process none."""
        start = last = self.cpu_ns()
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            time.sleep(window_s)
            now = self.cpu_ns()
            if now - last < quiet_ns:
                return now - start
            last = now
        return last - start

    def ask(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        if not line or line.startswith("error"):
            raise RuntimeError(f"worker answered '{line}' to '{cmd}': {self.proc.stderr.read()}")
        return float(line)

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


def percentile(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def compare(name, path, threads, args, shapes, level):
    with tempfile.TemporaryDirectory() as inputs:
        make_inputs(path, shapes, inputs)
        oe = Worker([args.worker, path, "--threads", str(threads), "--inputs", inputs,
                     "--level", level])
        ort = Worker(["node", os.path.join(HERE, "ort_worker.js"), path, "--threads",
                      str(threads), "--inputs", inputs, "--opt-level", "all"])
        post = {id(oe): [], id(ort): []}

        def run(worker, times=None):
            ms = worker.ask("run")
            spent = worker.settle() if args.settle else 0
            if times is not None:
                times.append(ms)
                post[id(worker)].append(spent / 1e6)

        try:
            for i in range(args.warmup):
                run(oe)
                run(ort)
            t_oe, t_ort = [], []
            for i in range(args.runs):
                if i % 2 == 0:
                    run(oe, t_oe)
                    run(ort, t_ort)
                else:
                    run(ort, t_ort)
                    run(oe, t_oe)
            rss_oe, rss_ort = oe.ask("rss"), ort.ask("rss")
        finally:
            oe.close()
            ort.close()
    row = {
        "model": name, "threads": threads, "runs": args.runs, "onnxedge_level": level,
        "onnxedge_p50_ms": statistics.median(t_oe), "ort_p50_ms": statistics.median(t_ort),
        "onnxedge_p90_ms": percentile(t_oe, 0.9), "ort_p90_ms": percentile(t_ort, 0.9),
        "onnxedge_min_ms": min(t_oe), "ort_min_ms": min(t_ort),
        "onnxedge_peak_rss_mib": rss_oe / 1024, "ort_peak_rss_mib": rss_ort / 1024,
        "settle": args.settle,
        "onnxedge_post_run_cpu_ms": statistics.median(post[id(oe)]),
        "ort_post_run_cpu_ms": statistics.median(post[id(ort)]),
    }
    row["ratio_p50"] = row["onnxedge_p50_ms"] / row["ort_p50_ms"]
    return row


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", required=True, help="path of the built onnxedge_worker")
    p.add_argument("--model", action="append", required=True, help="NAME=PATH (repeatable)")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--level", default="all", help="onnxedge optimization level")
    p.add_argument("--shape", action="append", default=[],
                   help="MODEL:INPUT=DxDxD for dynamic dims (repeatable)")
    p.add_argument("--no-settle", dest="settle", action="store_false",
                   help="run back to back, without waiting for each engine to go idle")
    p.add_argument("--json", help="write the results as JSON to this file")
    args = p.parse_args()
    if args.runs < 30:
        print("note: fewer than 30 timed runs per engine", file=sys.stderr)
    shapes = {}
    for s in args.shape:
        key, dims = s.split("=", 1)
        model_name, input_name = key.split(":", 1)
        shapes.setdefault(model_name, {})[input_name] = [int(d) for d in dims.split("x")]
    rows = []
    header = (f"{'model':<22} {'thr':>3} {'onnxedge p50':>13} {'ORT p50':>9} {'ratio':>6} "
              f"{'onnxedge RSS':>13} {'ORT RSS':>9} {'post-run CPU ms':>16}")
    print(header)
    print("-" * len(header))
    for spec in args.model:
        name, path = spec.split("=", 1)
        for threads in [int(t) for t in args.threads.split(",")]:
            try:
                row = compare(name, path, threads, args, shapes.get(name, {}), args.level)
            except (RuntimeError, OSError) as e:
                print(f"{name:<22} {threads:>3} error: {e}")
                rows.append({"model": name, "threads": threads, "error": str(e)})
                continue
            rows.append(row)
            print(f"{name:<22} {threads:>3} {row['onnxedge_p50_ms']:>10.2f} ms "
                  f"{row['ort_p50_ms']:>6.2f} ms {row['ratio_p50']:>6.2f} "
                  f"{row['onnxedge_peak_rss_mib']:>9.1f} MiB {row['ort_peak_rss_mib']:>5.1f} MiB "
                  f"{row['onnxedge_post_run_cpu_ms']:>7.2f} /{row['ort_post_run_cpu_ms']:>6.2f}",
                  flush=True)
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rows, f, indent=1)
        os.replace(tmp, args.json)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
