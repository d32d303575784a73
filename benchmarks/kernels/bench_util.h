// Copyright onnxedge authors.
// Shared pieces of the kernel benchmarks: seeded random buffers, the FLOP counter, and the
// registry of "pairs" (an onnxedge benchmark and its reference, e.g. OpenBLAS) that main.cc
// turns into a ratio table after the run.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace onnxedge::bench {

inline std::vector<float> RandomFloats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

/// Sets the "GFLOP/s" rate counter for `flops_per_iter` floating-point operations per iteration.
inline void SetFlops(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops_per_iter * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

/// Common settings: single-threaded cases are timed in the calling thread's CPU time (other
/// processes on a shared machine disturb it less), multi-threaded ones in real time.
inline void Configure(benchmark::internal::Benchmark* b, int threads) {
  b->MinTime(0.1)->Unit(benchmark::kMicrosecond);
  if (threads > 1) b->UseRealTime();
}

/// Registers a benchmark compared against a reference: both appear in the final ratio table
/// under `group` / `label` (`mine` / `reference` name the two columns).
void AddPair(const std::string& group, const std::string& label, const std::string& mine,
             const std::string& reference);

}  // namespace onnxedge::bench
