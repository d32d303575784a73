#!/usr/bin/env bash
# Runs each libFuzzer target (tests/fuzz) for SECONDS (default 60), one after the other, with
# the ONNX conformance models of libonnx-testdata plus the committed regression inputs as seed
# corpus. Needs a build made with -DONNXEDGE_FUZZ=ON (clang); scripts/test.sh makes one in
# build-asan/. New corpus entries stay in BUILD_DIR/fuzz-corpus/<target> between local runs;
# a crashing input is written to BUILD_DIR/fuzz-artifacts/ and the script fails: copy it into
# tests/fuzz/regressions/<target>/ once fixed. The mutation seed is fixed (FUZZ_SEED, default 1)
# so a CI run explores the same inputs each time; set FUZZ_SEED=0 for a random one.
#
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
build="${2:-build-asan}"
seeds="$build/fuzz-seeds"
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds.tmp"
  n=0
  while IFS= read -r f; do
    cp "$f" "$seeds.tmp/$n.onnx"
    n=$((n + 1))
  done < <(find /usr/share/libonnx-testdata/data -name model.onnx | sort)
  mv "$seeds.tmp" "$seeds"
fi
mkdir -p "$build/fuzz-artifacts"
for target in loader shape_inference; do
  corpus="$build/fuzz-corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${secs}s"
  # -rss_limit_mb / -malloc_limit_mb: any single allocation over 1 GiB is a finding, since the
  # targets load under a 64 MiB memory limit. -timeout: an input taking 10 s is a finding.
  log="$build/fuzz-artifacts/$target.log"
  if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" \
      "$build/tests/fuzz/${target}_fuzzer" -max_total_time="$secs" -timeout=10 \
      -seed="${FUZZ_SEED:-1}" \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$target-" \
      "$corpus" "$seeds" "tests/fuzz/regressions/$target" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target found a problem; the input is in $build/fuzz-artifacts/" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)" \
    "$log" || true
done
