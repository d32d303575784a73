// Copyright onnxedge authors.
// SGEMM GFLOP/s: onnxedge against OpenBLAS cblas_sgemm in the same process, row-major
// C[M,N] = A[M,K] * B[K,N], beta = 0.
//   onnxedge           kernels::Gemm: packs both operands every call, as a BLAS call does.
//   onnxedge_prepacked B (the weights) packed once beforehand, as the MatMul/Gemm ops run.
//   openblas           cblas_sgemm, its thread count set with openblas_set_num_threads.
// Shapes: square 64..2048, and the skinny shapes of transformer inference (M = tokens 1..128,
// N x K from d_model 768/256 and the 4x feed-forward).
#include <cblas.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <memory>
#include <string>

#include "bench_util.h"
#include "kernels/gemm.h"
#include "runtime/thread_pool.h"

namespace onnxedge::bench {
namespace {

struct GemmShape {
  int64_t m, n, k;
};

enum class Engine { kOnnxedge, kPrepacked, kOpenblas };

const char* EngineName(Engine e) {
  switch (e) {
    case Engine::kOnnxedge:
      return "onnxedge";
    case Engine::kPrepacked:
      return "onnxedge_prepacked";
    default:
      return "openblas";
  }
}

void RunGemm(benchmark::State& state, Engine engine, GemmShape s, int threads) {
  const auto a = RandomFloats(static_cast<size_t>(s.m * s.k), 1);
  const auto b = RandomFloats(static_cast<size_t>(s.k * s.n), 2);
  std::vector<float> c(static_cast<size_t>(s.m * s.n));
  std::unique_ptr<ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<ThreadPool>(threads);
  if (engine == Engine::kOpenblas) {
    openblas_set_num_threads(threads);
    for (auto _ : state) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.m),
                  static_cast<int>(s.n), static_cast<int>(s.k), 1.f, a.data(),
                  static_cast<int>(s.k), b.data(), static_cast<int>(s.n), 0.f, c.data(),
                  static_cast<int>(s.n));
      benchmark::DoNotOptimize(c.data());
    }
  } else if (engine == Engine::kPrepacked) {
    kernels::PackedB pb;
    kernels::PackB(b.data(), s.n, false, s.k, s.n, &pb, nullptr);
    for (auto _ : state) {
      kernels::GemmPrepackedB(a.data(), s.k, false, s.m, pb, 1.f, 0.f, c.data(), s.n, pool.get());
      benchmark::DoNotOptimize(c.data());
    }
  } else {
    for (auto _ : state) {
      kernels::Gemm(false, false, s.m, s.n, s.k, 1.f, a.data(), s.k, b.data(), s.n, 0.f, c.data(),
                    s.n, pool.get());
      benchmark::DoNotOptimize(c.data());
    }
  }
  SetFlops(state,
           2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k));
}

#if defined(__x86_64__)
// The FMA peak of one core, measured: independent multiply-add chains (more than latency x
// ports, so the FMA units never wait), in registers only. GEMM GFLOP/s divided by this is the
// "fraction of peak" that needs no clock-speed assumption (the clock under load is unknown on
// a shared machine). Only this function is built for AVX-512 / AVX2 (target attribute), and it
// runs only when the CPU has them.
constexpr int kChains = 12;
constexpr int64_t kPeakIters = 1 << 16;

__attribute__((target("avx512f"))) float FmaLoopAvx512(float seed) {
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(seed + static_cast<float>(j));
  const __m512 mul = _mm512_set1_ps(0.999f), add = _mm512_set1_ps(1e-3f);
  for (int64_t i = 0; i < kPeakIters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], mul, add);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < kChains; ++j) sum = _mm512_add_ps(sum, acc[j]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  return lanes[0] + lanes[15];
}

__attribute__((target("avx2,fma"))) float FmaLoopAvx2(float seed) {
  __m256 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_set1_ps(seed + static_cast<float>(j));
  const __m256 mul = _mm256_set1_ps(0.999f), add = _mm256_set1_ps(1e-3f);
  for (int64_t i = 0; i < kPeakIters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], mul, add);
  }
  __m256 sum = acc[0];
  for (int j = 1; j < kChains; ++j) sum = _mm256_add_ps(sum, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  return lanes[0] + lanes[7];
}

const char* kPeakName = "peak_fma/threads:1";

void RunPeak(benchmark::State& state) {
  const bool avx512 = MaxIsa() >= Isa::kAvx512;
  if (MaxIsa() < Isa::kAvx2) {
    state.SkipWithError("no AVX2");
    return;
  }
  for (auto _ : state) {
    float seed = 1.f;
    benchmark::DoNotOptimize(seed);  // an opaque argument: the call cannot be hoisted
    float r = avx512 ? FmaLoopAvx512(seed) : FmaLoopAvx2(seed);
    benchmark::DoNotOptimize(r);
  }
  SetFlops(state, 2.0 * kChains * (avx512 ? 16 : 8) * static_cast<double>(kPeakIters));
  state.SetLabel(avx512 ? "avx512" : "avx2");
}
#endif

std::string Name(Engine e, GemmShape s, int threads) {
  return std::string("sgemm/") + EngineName(e) + "/" + std::to_string(s.m) + "x" +
         std::to_string(s.n) + "x" + std::to_string(s.k) + "/threads:" + std::to_string(threads);
}

void Register(const std::string& group, GemmShape s, int threads, bool prepacked) {
  for (Engine e : {Engine::kOnnxedge, Engine::kPrepacked, Engine::kOpenblas}) {
    if (e == Engine::kPrepacked && !prepacked) continue;
    Configure(
        benchmark::RegisterBenchmark(Name(e, s, threads).c_str(),
                                     [=](benchmark::State& st) { RunGemm(st, e, s, threads); }),
        threads);
  }
  const std::string label =
      std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
  AddPair(group + " (onnxedge packs A and B per call vs OpenBLAS)", label,
          Name(Engine::kOnnxedge, s, threads), Name(Engine::kOpenblas, s, threads));
  if (prepacked) {
    AddPair(group + " (onnxedge with B prepacked vs OpenBLAS)", label,
            Name(Engine::kPrepacked, s, threads), Name(Engine::kOpenblas, s, threads));
  }
}

}  // namespace

void RegisterGemmBenchmarks() {
#if defined(__x86_64__)
  Configure(benchmark::RegisterBenchmark(kPeakName, RunPeak), 1);
#endif
  for (int64_t n : {64, 128, 256, 384, 512, 768, 1024, 1536, 2048}) {
    const GemmShape s{n, n, n};
    Register("SGEMM square MxNxK, 1 thread, GFLOP/s", s, 1, true);
#if defined(__x86_64__)
    AddPair("SGEMM square, 1 thread: onnxedge (packs per call) vs measured FMA peak of one core",
            std::to_string(n) + "^3", Name(Engine::kOnnxedge, s, 1), kPeakName);
    AddPair("SGEMM square, 1 thread: OpenBLAS vs measured FMA peak of one core",
            std::to_string(n) + "^3", Name(Engine::kOpenblas, s, 1), kPeakName);
#endif
  }
  const GemmShape nk[] = {{0, 768, 768}, {0, 2304, 768}, {0, 3072, 768}, {0, 768, 3072},
                          {0, 256, 256}, {0, 1024, 256}, {0, 256, 1024}};
  for (GemmShape s : nk) {
    for (int64_t m : {1, 2, 4, 8, 16, 32, 64, 128}) {
      Register("SGEMM skinny MxNxK, 1 thread, GFLOP/s", {m, s.n, s.k}, 1, true);
    }
  }
  for (int64_t n : {256, 1024, 2048}) {
    Register("SGEMM square MxNxK, 2 threads, GFLOP/s", {n, n, n}, 2, false);
  }
  for (GemmShape s : {GemmShape{1, 768, 768},
                      {128, 768, 768},
                      {128, 3072, 768},
                      {128, 768, 3072},
                      {128, 256, 256}}) {
    Register("SGEMM skinny MxNxK, 2 threads, GFLOP/s", s, 2, true);
  }
}

}  // namespace onnxedge::bench
