// Copyright onnxedge authors.
// SGEMM GFLOP/s: onnxedge against OpenBLAS cblas_sgemm in the same process, row-major
// C[M,N] = A[M,K] * B[K,N], beta = 0.
//   onnxedge           kernels::Gemm: packs both operands every call, as a BLAS call does.
//   onnxedge_prepacked B (the weights) packed once beforehand, as the MatMul/Gemm ops run.
//   openblas           cblas_sgemm, its thread count set with openblas_set_num_threads.
// Shapes: square 64..2048, and the skinny shapes of transformer inference (M = tokens 1..128,
// N x K from d_model 768/256 and the 4x feed-forward).
#include <cblas.h>

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
  for (int64_t n : {64, 128, 256, 384, 512, 768, 1024, 1536, 2048}) {
    Register("SGEMM square MxNxK, 1 thread, GFLOP/s", {n, n, n}, 1, false);
  }
  const GemmShape nk[] = {{0, 768, 768}, {0, 3072, 768}, {0, 768, 3072},
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
