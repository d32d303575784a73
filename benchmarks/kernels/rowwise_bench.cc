// Copyright onnxedge authors.
// Element-wise and row kernels: the vectorised unary functions (kernels/vecmath.h: the SiLU and
// Sigmoid epilogues of most detectors, GELU of the encoders), Softmax rows (attention) and
// LayerNorm rows. Rates are in M elements/s (the counter named GFLOP/s counts thousands of
// elements here, so the shared table prints millions per second).
// References, in this process: the scalar libm formula (std::exp etc.) in a plain loop, which the
// compiler may auto-vectorise only where libm allows, and a two-pass scalar softmax / layernorm.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kernels/norm.h"
#include "kernels/vecmath.h"
#include "ops/common/softmax_util.h"

namespace onnxedge::bench {
namespace {

constexpr int64_t kUnaryN = 16384;  // 64 KiB: in L2, as an epilogue's output rows are

float RefUnary(kernels::UnaryFn fn, float x) {
  switch (fn) {
    case kernels::UnaryFn::kExp:
      return std::exp(x);
    case kernels::UnaryFn::kTanh:
      return std::tanh(x);
    case kernels::UnaryFn::kErf:
      return std::erf(x);
    case kernels::UnaryFn::kSigmoid:
      return 1.f / (1.f + std::exp(-x));
    case kernels::UnaryFn::kSilu:
      return x / (1.f + std::exp(-x));
    case kernels::UnaryFn::kGeluErf:
      return 0.5f * x * (1.f + std::erf(x * 0.70710678f));
    default:
      return x;
  }
}

void RunUnary(benchmark::State& state, kernels::UnaryFn fn, bool reference) {
  // Inputs in [-8, 8]: the range activations live in, away from the saturated tails.
  std::vector<float> x = RandomFloats(kUnaryN, 7);
  for (float& v : x) v *= 8.f;
  std::vector<float> y(kUnaryN);
  for (auto _ : state) {
    if (reference) {
      for (int64_t i = 0; i < kUnaryN; ++i) y[static_cast<size_t>(i)] = RefUnary(fn, x[static_cast<size_t>(i)]);
    } else {
      kernels::ApplyUnary(fn, x.data(), y.data(), kUnaryN);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, 1e3 * static_cast<double>(kUnaryN));
}

void RefSoftmax(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float m = *std::max_element(xr, xr + n);
    float s = 0.f;
    for (int64_t j = 0; j < n; ++j) s += (yr[j] = std::exp(xr[j] - m));
    const float inv = 1.f / s;
    for (int64_t j = 0; j < n; ++j) yr[j] *= inv;
  }
}

void RunSoftmax(benchmark::State& state, int64_t rows, int64_t n, bool reference) {
  const std::vector<float> x = RandomFloats(static_cast<size_t>(rows * n), 11);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    if (reference) {
      RefSoftmax(x.data(), y.data(), rows, n);
    } else {
      ops::SoftmaxRowsF32(x.data(), y.data(), rows, n, false);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, 1e3 * static_cast<double>(rows * n));
}

void RefLayerNorm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows,
                  int64_t d) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    double mean = 0;
    for (int64_t j = 0; j < d; ++j) mean += xr[j];
    mean /= static_cast<double>(d);
    double var = 0;
    for (int64_t j = 0; j < d; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    const float inv = static_cast<float>(1.0 / std::sqrt(var / static_cast<double>(d) + 1e-5));
    for (int64_t j = 0; j < d; ++j) {
      yr[j] = (xr[j] - static_cast<float>(mean)) * inv * gamma[j] + beta[j];
    }
  }
}

void RunLayerNorm(benchmark::State& state, int64_t rows, int64_t d, bool reference) {
  const std::vector<float> x = RandomFloats(static_cast<size_t>(rows * d), 13);
  const std::vector<float> gamma = RandomFloats(static_cast<size_t>(d), 14);
  const std::vector<float> beta = RandomFloats(static_cast<size_t>(d), 15);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    if (reference) {
      RefLayerNorm(x.data(), gamma.data(), beta.data(), y.data(), rows, d);
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        kernels::LayerNormRowArgs a;
        a.x = x.data() + r * d;
        a.d = d;
        a.gamma = gamma.data();
        a.beta = beta.data();
        a.epsilon = 1e-5f;
        a.y = y.data() + r * d;
        kernels::LayerNormRowF32(a);
      }
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, 1e3 * static_cast<double>(rows * d));
}

// Registers "PREFIX/onnxedge/LABEL" and "PREFIX/REF_NAME/LABEL" (run(state, false) and
// run(state, true)) as one pair of the ratio table under `group`.
template <typename Run>
void RegisterPairOf(const std::string& group, const std::string& prefix, const std::string& ref_name,
                    const std::string& label, Run run) {
  const std::string mine = prefix + "/onnxedge/" + label;
  const std::string ref = prefix + "/" + ref_name + "/" + label;
  Configure(benchmark::RegisterBenchmark(mine.c_str(),
                                         [=](benchmark::State& st) { run(st, false); }),
            1);
  Configure(benchmark::RegisterBenchmark(ref.c_str(),
                                         [=](benchmark::State& st) { run(st, true); }),
            1);
  AddPair(group, label, mine, ref);
}

}  // namespace

void RegisterRowwiseBenchmarks() {
  for (kernels::UnaryFn fn :
       {kernels::UnaryFn::kExp, kernels::UnaryFn::kTanh, kernels::UnaryFn::kErf,
        kernels::UnaryFn::kSigmoid, kernels::UnaryFn::kSilu, kernels::UnaryFn::kGeluErf}) {
    RegisterPairOf("Unary functions, 1 thread, M elements/s (reference: the libm formula, "
                   "scalar loop)",
                   "unary", "libm", kernels::UnaryFnName(fn),
                   [=](benchmark::State& st, bool ref) { RunUnary(st, fn, ref); });
  }
  struct Rows {
    const char* name;
    int64_t rows, n;
  };
  for (const Rows& r : {Rows{"128x128 (attention)", 128, 128}, Rows{"8x1000 (classifier)", 8, 1000}}) {
    RegisterPairOf("Softmax rows, 1 thread, M elements/s (reference: two-pass scalar loop)",
                   "softmax", "scalar", r.name,
                   [=](benchmark::State& st, bool ref) { RunSoftmax(st, r.rows, r.n, ref); });
  }
  for (const Rows& r : {Rows{"128x256 (transformer)", 128, 256}, Rows{"128x768 (BERT)", 128, 768}}) {
    RegisterPairOf("LayerNorm rows, 1 thread, M elements/s (reference: two-pass scalar loop, "
                   "float64 statistics)",
                   "layernorm", "scalar", r.name,
                   [=](benchmark::State& st, bool ref) { RunLayerNorm(st, r.rows, r.n, ref); });
  }
}

}  // namespace onnxedge::bench
