#!/bin/bash
# CPU time (user+sys) per steady-state run of two onnxedge CLI builds, interleaved, 1 thread:
# (CPU of `bench` with 22 timed runs - CPU with 2 timed runs) / 20. CPU time, not wall time,
# because wall time on a shared machine mostly measures the other tenants.
# Usage: cpu_ab.sh BEFORE_BIN AFTER_BIN MODEL [ROUNDS]
set -euo pipefail
a="$1"; b="$2"; m="$3"; rounds="${4:-5}"
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'; }
for r in $(seq "$rounds"); do
  for bin in "$a" "$b"; do
    lo=$(cpu "$bin" bench "$m" --threads 1 --iterations 2 --warmup 0)
    hi=$(cpu "$bin" bench "$m" --threads 1 --iterations 22 --warmup 0)
    echo "$r $bin $(python3 -c "print(round(($hi - $lo) / 20 * 1000, 1))") ms/run"
  done
done
