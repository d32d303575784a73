// Copyright onnxedge authors.
// Winograd F(4x4, 3x3) (ops/conv/winograd.h), for every ISA this CPU has: RunWinogradNhwc and
// the NCHW convolution engine's Winograd path (RunConvF32 with Winograd weights) against an
// independent direct 3x3 convolution in double precision, over image sizes that are not
// multiples of the 4x4 tile (1, 2, 3, 5, 7, 9, 14, 15), zero / symmetric / asymmetric pads,
// channel counts around the GEMM tile and transform widths (1, 3, 16, 17, 64, 65), batch 2,
// bias or none, residual, every activation, 1 and 3 threads, and sizes 0 (no channels, no
// images).
//
// Tolerance: Winograd rounds differently from a direct sum (the transforms scale terms by up
// to 8 x 1/6 and cancel), so the error bound is relative to the magnitude sum of each output,
// mag = |bias| + |residual| + sum over taps and channels of |w| |x|:
//   |got - want| <= 1e-5 * mag   (before the activation; every activation here has slope <= 1.5,
//   so after it the bound is 1.5e-5 * mag). The largest ratio seen is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "test_random.h"
#include "isa_param_test.h"
#include "core/cpu_features.h"
#include "ops/conv/conv_f32.h"
#include "ops/conv/winograd.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {
namespace {

using kernels::Activation;

constexpr double kTol = 1e-5;

std::vector<float> Random(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  return testing::RandomUniform(n, seed, lo, hi);
}

// The activations by their ONNX definitions, in double.
double ActRef(double x, const Activation& a) {
  switch (a.kind) {
    case kernels::ActivationKind::kNone: return x;
    case kernels::ActivationKind::kRelu: return x < 0 ? 0 : x;
    case kernels::ActivationKind::kClip: return std::min<double>(std::max<double>(x, a.alpha), a.beta);
    case kernels::ActivationKind::kLeakyRelu: return x < 0 ? a.alpha * x : x;
    case kernels::ActivationKind::kSigmoid: return 1 / (1 + std::exp(-x));
    case kernels::ActivationKind::kSilu: return x / (1 + std::exp(-x));
    case kernels::ActivationKind::kHardSigmoid:
      return std::min(1.0, std::max(0.0, a.alpha * x + a.beta));
    case kernels::ActivationKind::kHardSwish: return x * std::min(1.0, std::max(0.0, x / 6 + 0.5));
    case kernels::ActivationKind::kGeluErf: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case kernels::ActivationKind::kGeluTanh:
      return 0.5 * x * (1 + std::tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
  }
  return x;
}

std::vector<Activation> AllActivations() {
  return {Activation::None(),          Activation::Relu(),
          Activation::Clip(-0.5f, 0.6f), Activation::LeakyRelu(0.2f),
          Activation::Sigmoid(),       Activation::Silu(),
          Activation::HardSigmoid(0.25f, 0.5f), Activation::HardSwish(),
          Activation::GeluErf(),       Activation::GeluTanh()};
}

struct Case {
  int64_t n = 0, h = 0, w = 0, c = 0, m = 0;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;  // pads: top, left, bottom, right
  bool bias = true;
  bool residual = false;
  Activation act;
  int threads = 1;

  int64_t oh() const { return h + pt + pb - 2; }
  int64_t ow() const { return w + pl + pr - 2; }
  std::string Name() const {
    return "n=" + std::to_string(n) + " " + std::to_string(h) + "x" + std::to_string(w) +
           " c=" + std::to_string(c) + " m=" + std::to_string(m) + " pads=" + std::to_string(pt) +
           "," + std::to_string(pl) + "," + std::to_string(pb) + "," + std::to_string(pr) +
           (bias ? " bias" : "") + (residual ? " +z" : "") + " act=" +
           std::to_string(static_cast<int>(act.kind)) + " threads=" + std::to_string(threads) +
           " isa=" + IsaName(MaxIsa());
  }
};

// A case with bias, no residual, no activation, one thread.
Case MakeCase(int64_t n, int64_t h, int64_t w, int64_t c, int64_t m, int64_t pt, int64_t pl,
              int64_t pb, int64_t pr) {
  Case k;
  k.n = n;
  k.h = h;
  k.w = w;
  k.c = c;
  k.m = m;
  k.pt = pt;
  k.pl = pl;
  k.pb = pb;
  k.pr = pr;
  return k;
}

// Data of one case in NHWC (x [n,h,w,c], y/z [n,oh,ow,m]); W [m,c,3,3].
struct Data {
  std::vector<float> x, w, b, z;
  std::vector<double> want, mag;  // after the activation; magnitude sums
};

Data MakeData(const Case& k, uint32_t seed) {
  Data d;
  d.x = Random(static_cast<size_t>(k.n * k.h * k.w * k.c), seed);
  const float ws = 3.f / std::sqrt(static_cast<float>(std::max<int64_t>(1, k.c * 9)));
  d.w = Random(static_cast<size_t>(k.m * k.c * 9), seed + 1, -ws, ws);
  if (k.bias) d.b = Random(static_cast<size_t>(k.m), seed + 2);
  const size_t ny = static_cast<size_t>(k.n * k.oh() * k.ow() * k.m);
  if (k.residual) d.z = Random(ny, seed + 3);
  d.want.resize(ny);
  d.mag.resize(ny);
  for (int64_t n = 0; n < k.n; ++n) {
    for (int64_t i = 0; i < k.oh(); ++i) {
      for (int64_t j = 0; j < k.ow(); ++j) {
        for (int64_t m = 0; m < k.m; ++m) {
          double acc = k.bias ? d.b[static_cast<size_t>(m)] : 0.0;
          double mag = std::fabs(acc);
          for (int64_t a = 0; a < 3; ++a) {
            const int64_t ih = i - k.pt + a;
            if (ih < 0 || ih >= k.h) continue;
            for (int64_t b = 0; b < 3; ++b) {
              const int64_t iw = j - k.pl + b;
              if (iw < 0 || iw >= k.w) continue;
              for (int64_t c = 0; c < k.c; ++c) {
                const double xv = d.x[static_cast<size_t>(((n * k.h + ih) * k.w + iw) * k.c + c)];
                const double wv = d.w[static_cast<size_t>(((m * k.c + c) * 3 + a) * 3 + b)];
                acc += xv * wv;
                mag += std::fabs(xv * wv);
              }
            }
          }
          const size_t o = static_cast<size_t>(((n * k.oh() + i) * k.ow() + j) * k.m + m);
          if (k.residual) {
            acc += d.z[o];
            mag += std::fabs(d.z[o]);
          }
          d.want[o] = ActRef(acc, k.act);
          d.mag[o] = mag;
        }
      }
    }
  }
  return d;
}

// NHWC [n, p, m] <-> NCHW [n, m, p].
std::vector<float> ToNchw(const std::vector<float>& v, int64_t n, int64_t p, int64_t ch) {
  std::vector<float> r(v.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = 0; q < p; ++q)
      for (int64_t k = 0; k < ch; ++k) r[(i * ch + k) * p + q] = v[(i * p + q) * ch + k];
  return r;
}

// Checks got (layout as `want`) and returns the largest |error| / mag.
double Check(const std::vector<float>& got, const Data& d, const std::string& what) {
  EXPECT_EQ(got.size(), d.want.size()) << what;
  double worst = 0;
  for (size_t i = 0; i < got.size() && i < d.want.size(); ++i) {
    const double err = std::fabs(got[i] - d.want[i]);
    const double bound = 1.5 * kTol * d.mag[i] + 1e-7;
    if (!(err <= bound)) {
      ADD_FAILURE() << what << " at " << i << ": got " << got[i] << " want " << d.want[i]
                    << " (bound " << bound << ")";
      return worst;
    }
    worst = std::max(worst, err / std::max(d.mag[i], 1e-30));
  }
  return worst;
}

double RunNhwc(const Case& k, uint32_t seed) {
  const Data d = MakeData(k, seed);
  WinogradWeights ww;
  PrepareWinogradWeights(d.w.data(), k.m, k.c, &ww);
  WinogradArgs a;
  a.batch = k.n;
  a.h = k.h;
  a.w = k.w;
  a.c = k.c;
  a.m = k.m;
  a.pad_top = k.pt;
  a.pad_left = k.pl;
  a.oh = k.oh();
  a.ow = k.ow();
  a.x = d.x.data();
  a.bias = k.bias ? d.b.data() : nullptr;
  a.residual = k.residual ? d.z.data() : nullptr;
  a.activation = k.act;
  std::vector<float> y(d.want.size(), std::nanf(""));
  a.y = y.data();
  ThreadPool pool(k.threads);
  RunWinogradNhwc(ww, a, &pool);
  return Check(y, d, "RunWinogradNhwc " + k.Name());
}

// Through the NCHW engine: PrepareConvF32Weights with hints that select Winograd, RunConvF32.
double RunEngine(const Case& k, uint32_t seed) {
  const Data d = MakeData(k, seed);
  ConvF32Hints hints;
  hints.unit_stride_dilation = true;
  hints.out_h = k.oh();
  hints.out_w = k.ow();
  ConvF32Weights cw;
  ThreadPool pool(k.threads);
  PrepareConvF32Weights(d.w.data(), Shape{k.m, k.c, 3, 3}, 1, &cw, &pool, &hints);
  EXPECT_TRUE(cw.winograd != nullptr) << "Winograd not chosen for " << k.Name();
  EXPECT_TRUE(cw.packed.empty()) << "im2col weights kept next to Winograd's";
  WindowGeometry g;
  g.spatial_rank = 2;
  g.in = {1, k.h, k.w};
  g.out = {1, k.oh(), k.ow()};
  g.kernel = {1, 3, 3};
  g.pad_begin = {0, k.pt, k.pl};
  g.pad_end = {0, k.pb, k.pr};
  const std::vector<float> x = ToNchw(d.x, k.n, k.h * k.w, k.c);
  const std::vector<float> z = k.residual ? ToNchw(d.z, k.n, k.oh() * k.ow(), k.m) : d.z;
  std::vector<float> y(d.want.size(), std::nanf(""));
  ConvF32Args a;
  a.geometry = &g;
  a.batch = k.n;
  a.in_channels = k.c;
  a.x = x.data();
  a.bias = k.bias ? d.b.data() : nullptr;
  a.residual = k.residual ? z.data() : nullptr;
  a.activation = k.act;
  a.y = y.data();
  RunConvF32(cw, a, &pool);
  // Back to NHWC to compare with the reference.
  std::vector<float> got(y.size());
  const int64_t p = k.oh() * k.ow();
  for (int64_t i = 0; i < k.n; ++i)
    for (int64_t q = 0; q < p; ++q)
      for (int64_t c = 0; c < k.m; ++c) got[(i * p + q) * k.m + c] = y[(i * k.m + c) * p + q];
  return Check(got, d, "RunConvF32 (Winograd) " + k.Name());
}

// Shapes: every size pair and pad set, channel pairs rotating through the list.
std::vector<Case> ShapeCases() {
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{1, 1}, {2, 3}, {3, 5},  {5, 7},
                                                          {7, 9}, {9, 14}, {14, 15}, {15, 2}};
  const std::vector<std::array<int64_t, 4>> pads = {{0, 0, 0, 0}, {1, 1, 1, 1}, {1, 0, 2, 1},
                                                    {0, 2, 1, 0}};
  const std::vector<std::pair<int64_t, int64_t>> channels = {{1, 1},   {3, 17},  {16, 16},
                                                             {17, 3},  {64, 65}, {65, 64},
                                                             {16, 64}, {3, 1},   {65, 17}};
  std::vector<Case> cases;
  size_t i = 0;
  for (auto [h, w] : sizes) {
    for (const auto& p : pads) {
      Case k = MakeCase(2, h, w, 0, 0, p[0], p[1], p[2], p[3]);
      if (k.oh() < 1 || k.ow() < 1) continue;
      k.c = channels[i % channels.size()].first;
      k.m = channels[i % channels.size()].second;
      k.bias = i % 3 != 1;
      k.threads = i % 4 == 3 ? 3 : 1;
      cases.push_back(k);
      ++i;
    }
  }
  return cases;
}

// Epilogues: every activation, with and without residual, on one ragged shape.
std::vector<Case> EpilogueCases() {
  std::vector<Case> cases;
  for (const Activation& act : AllActivations()) {
    for (bool residual : {false, true}) {
      Case k = MakeCase(2, 14, 15, 33, 65, 1, 0, 2, 1);
      k.act = act;
      k.residual = residual;
      k.bias = !residual;
      cases.push_back(k);
    }
  }
  return cases;
}

class WinogradTest : public testing::IsaParamTest {};

TEST_P(WinogradTest, NhwcMatchesDirectConvolution) {
  double worst = 0;
  uint32_t seed = 100;
  for (const Case& k : ShapeCases()) worst = std::max(worst, RunNhwc(k, seed += 7));
  for (const Case& k : EpilogueCases()) worst = std::max(worst, RunNhwc(k, seed += 7));
  // Sizes 0: no input channels (y = act(bias + residual)), no images.
  Case empty_c = MakeCase(2, 5, 7, 0, 17, 1, 1, 1, 1);
  empty_c.residual = true;
  empty_c.act = Activation::Sigmoid();
  worst = std::max(worst, RunNhwc(empty_c, seed += 7));
  worst = std::max(worst, RunNhwc(MakeCase(0, 5, 7, 16, 16, 1, 1, 1, 1), seed += 7));
  // A 56x56x64 ResNet-18 layer, in several chunks, 2 threads.
  Case big = MakeCase(1, 56, 56, 64, 64, 1, 1, 1, 1);
  big.threads = 2;
  big.residual = true;
  big.act = Activation::Relu();
  worst = std::max(worst, RunNhwc(big, seed += 7));
  // 16 tiles (14x14) and 13 tiles over 2 threads: split evenly, with partial slivers.
  for (int64_t hw : {14, 13}) {
    Case even = MakeCase(1, hw, hw, 64, 40, 1, 1, 1, 1);
    even.threads = 2;
    worst = std::max(worst, RunNhwc(even, seed += 7));
  }
  std::printf("[ winograd ] %s: largest |error| / magnitude sum = %.3g (bound %.3g)\n",
              IsaName(MaxIsa()), worst, 1.5 * kTol);
}

TEST_P(WinogradTest, ConvEngineWinogradPathMatchesDirectConvolution) {
  double worst = 0;
  uint32_t seed = 900;
  for (const Case& k : ShapeCases()) {
    if (!WinogradWorthIt(k.c, k.m, k.oh(), k.ow())) continue;  // the engine would not choose it
    worst = std::max(worst, RunEngine(k, seed += 7));
  }
  for (const Case& k : EpilogueCases()) worst = std::max(worst, RunEngine(k, seed += 7));
  std::printf("[ winograd ] engine %s: largest |error| / magnitude sum = %.3g\n",
              IsaName(MaxIsa()), worst);
}

TEST(WinogradChoice, EnvironmentSwitchesItOff) {
  ConvF32Hints hints;
  hints.unit_stride_dilation = true;
  const std::vector<float> w = Random(64 * 64 * 9, 5);
  ConvF32Weights on, off;
  PrepareConvF32Weights(w.data(), Shape{64, 64, 3, 3}, 1, &on, nullptr, &hints);
  EXPECT_TRUE(on.winograd != nullptr);
  setenv("ONNXEDGE_WINOGRAD", "0", 1);
  PrepareConvF32Weights(w.data(), Shape{64, 64, 3, 3}, 1, &off, nullptr, &hints);
  unsetenv("ONNXEDGE_WINOGRAD");
  EXPECT_TRUE(off.winograd == nullptr);
  EXPECT_EQ(off.packed.size(), 1u);
  // Strided, grouped or non-3x3 layers never take it.
  ConvF32Weights grouped, strided;
  PrepareConvF32Weights(w.data(), Shape{64, 32, 3, 3}, 2, &grouped, nullptr, &hints);
  EXPECT_TRUE(grouped.winograd == nullptr);
  ConvF32Hints s2;
  PrepareConvF32Weights(w.data(), Shape{64, 64, 3, 3}, 1, &strided, nullptr, &s2);
  EXPECT_TRUE(strided.winograd == nullptr);
}

INSTANTIATE_TEST_SUITE_P(Isas, WinogradTest, ::testing::ValuesIn(AvailableIsas()),
                         testing::IsaParamName);

}  // namespace
}  // namespace onnxedge::ops
