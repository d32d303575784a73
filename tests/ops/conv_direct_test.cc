// Copyright onnxedge authors.
// The direct convolution for layers with few input channels (ops/conv/conv_direct.h), on every
// ISA this CPU has: the engine (PrepareConvF32Weights with a session's hints + RunConvF32)
// against a double-precision definition over generated shapes (output widths around the vector
// and step widths, channel counts around the register blocks, kernels 1 to 7, strides 1 to 3,
// asymmetric pads, batch 2, bias, residual, every activation, 1 to 3 threads), with unwritten
// outputs poisoned; the choice of path; and Conv / FusedConv sessions that must take the path.
#include "ops/conv/conv_direct.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "isa_param_test.h"
#include "ops/conv/conv_f32.h"
#include "ops/op_test_util.h"
#include "runtime/thread_pool.h"
#include "test_random.h"

namespace onnxedge {
namespace {

using testing::OpTest;

struct Case {
  int64_t n, c, m, h, w, kh, kw, sh, sw;
  int64_t pt, pl, pb, pr;
};

std::string Describe(const Case& k) {
  return "n=" + std::to_string(k.n) + " c=" + std::to_string(k.c) + " m=" + std::to_string(k.m) +
         " " + std::to_string(k.h) + "x" + std::to_string(k.w) + " k=" + std::to_string(k.kh) +
         "x" + std::to_string(k.kw) + " s=" + std::to_string(k.sh) + "," + std::to_string(k.sw) +
         " pads=" + std::to_string(k.pt) + "," + std::to_string(k.pl) + "," + std::to_string(k.pb) +
         "," + std::to_string(k.pr) + " isa=" + IsaName(MaxIsa());
}

int64_t OutH(const Case& k) { return (k.h + k.pt + k.pb - k.kh) / k.sh + 1; }
int64_t OutW(const Case& k) { return (k.w + k.pl + k.pr - k.kw) / k.sw + 1; }

// The definition in double: bias (may be empty) + window sum (+ z), then the activation.
std::vector<double> Reference(const Case& k, const std::vector<float>& x,
                              const std::vector<float>& w, const std::vector<float>& b,
                              const std::vector<float>& z, const kernels::Activation& act) {
  const int64_t oh_n = OutH(k), ow_n = OutW(k);
  std::vector<double> y(static_cast<size_t>(k.n * k.m * oh_n * ow_n));
  size_t o = 0;
  for (int64_t n = 0; n < k.n; ++n) {
    for (int64_t m = 0; m < k.m; ++m) {
      for (int64_t oh = 0; oh < oh_n; ++oh) {
        for (int64_t ow = 0; ow < ow_n; ++ow, ++o) {
          double acc = b.empty() ? 0.0 : b[static_cast<size_t>(m)];
          for (int64_t c = 0; c < k.c; ++c) {
            for (int64_t i = 0; i < k.kh; ++i) {
              const int64_t ih = oh * k.sh - k.pt + i;
              if (ih < 0 || ih >= k.h) continue;
              for (int64_t j = 0; j < k.kw; ++j) {
                const int64_t iw = ow * k.sw - k.pl + j;
                if (iw < 0 || iw >= k.w) continue;
                acc += static_cast<double>(
                           x[static_cast<size_t>(((n * k.c + c) * k.h + ih) * k.w + iw)]) *
                       w[static_cast<size_t>(((m * k.c + c) * k.kh + i) * k.kw + j)];
              }
            }
          }
          if (!z.empty()) acc += z[o];
          y[o] = acc;
        }
      }
    }
  }
  for (double& v : y) {
    switch (act.kind) {
      case kernels::ActivationKind::kSigmoid:
        v = 1 / (1 + std::exp(-v));
        break;
      case kernels::ActivationKind::kSilu:
        v = v / (1 + std::exp(-v));
        break;
      default:
        v = kernels::ApplyActivation(static_cast<float>(v), act);
    }
  }
  return y;
}

std::vector<kernels::Activation> AllActivations() {
  using kernels::Activation;
  return {Activation::None(),
          Activation::Relu(),
          Activation::Clip(-0.5f, 0.6f),
          Activation::LeakyRelu(0.2f),
          Activation::Sigmoid(),
          Activation::Silu(),
          Activation::HardSigmoid(0.25f, 0.5f),
          Activation::HardSwish()};
}

ops::WindowGeometry Geometry(const Case& k) {
  ops::WindowGeometry g;
  g.spatial_rank = 2;
  g.in = {1, k.h, k.w};
  g.kernel = {1, k.kh, k.kw};
  g.stride = {1, k.sh, k.sw};
  g.pad_begin = {0, k.pt, k.pl};
  g.pad_end = {0, k.pb, k.pr};
  g.out = {1, OutH(k), OutW(k)};
  return g;
}

// Prepares the weights as a session with static shapes does, checks the direct path was chosen
// (AVX2 and up), runs the engine and compares every output with the definition.
// With `force_direct`, a layer the rule leaves on the GEMM path gets the direct weights anyway
// (on AVX2 and up), so the kernels are checked on every shape, 1x1 and stride 3 included.
void RunEngine(const Case& k, bool bias, bool residual, const kernels::Activation& act, int threads,
               uint32_t seed, bool force_direct = false) {
  const std::string what = Describe(k) + " act=" + std::to_string(static_cast<int>(act.kind)) +
                           (bias ? " +b" : "") + (residual ? " +z" : "") +
                           " threads=" + std::to_string(threads);
  const ops::WindowGeometry g = Geometry(k);
  const auto x = testing::RandomUniform(static_cast<size_t>(k.n * k.c * k.h * k.w), seed, -1, 1);
  const float ws = 3.f / std::sqrt(static_cast<float>(k.c * k.kh * k.kw));
  const auto w =
      testing::RandomUniform(static_cast<size_t>(k.m * k.c * k.kh * k.kw), seed + 1, -ws, ws);
  const auto b = bias ? testing::RandomUniform(static_cast<size_t>(k.m), seed + 2, -1, 1)
                      : std::vector<float>();
  const size_t y_size = static_cast<size_t>(k.n * k.m * g.out_size());
  const auto z = residual ? testing::RandomUniform(y_size, seed + 3, -1, 1) : std::vector<float>();
  ops::ConvF32Hints hints;
  hints.stride_h = k.sh;
  hints.stride_w = k.sw;
  hints.out_h = g.out[1];
  hints.out_w = g.out[2];
  ops::ConvF32Weights prepared;
  ops::PrepareConvF32Weights(w.data(), {k.m, k.c, k.kh, k.kw}, 1, &prepared, nullptr, &hints);
  // The cases here keep M <= 96 and K <= kDirectMaxK: strides up to 2 with overlapping
  // windows, and M <= 32 or K <= 160, take the direct path.
  const int64_t kk = k.c * k.kh * k.kw;
  const int64_t phase_taps = ((k.kh + k.sh - 1) / k.sh) * ((k.kw + k.sw - 1) / k.sw);
  const bool pointwise = k.kh == 1 && k.kw == 1 && k.sh == 1 && k.sw == 1;
  const bool chosen =
      MaxIsa() >= Isa::kAvx2 &&
      (pointwise || (k.sh <= 2 && k.sw <= 2 && phase_taps >= 2)) &&
      (k.m <= ops::kDirectSmallM ||
       kk <= (k.kh == 3 && k.kw == 3 && k.sh == 1 && k.sw == 1 ? ops::kDirectSmallK
                                                               : ops::kDirectSmallKNoWinograd));
  ASSERT_EQ(prepared.direct != nullptr, chosen) << what;
  if (force_direct && !chosen && MaxIsa() >= Isa::kAvx2) {
    auto direct = std::make_shared<ops::DirectConvWeights>();
    ops::PrepareDirectConvWeights(w.data(), {k.m, k.c, k.kh, k.kw}, k.sh, k.sw, direct.get());
    prepared.direct = std::move(direct);
  }
  const bool want_direct = prepared.direct != nullptr;
  std::vector<float> y(y_size, std::numeric_limits<float>::quiet_NaN());  // unwritten: NaN
  ops::ConvF32Args args;
  args.geometry = &g;
  args.batch = k.n;
  args.in_channels = k.c;
  args.x = x.data();
  args.bias = bias ? b.data() : nullptr;
  args.y = y.data();
  args.residual = residual ? z.data() : nullptr;
  args.activation = act;
  ThreadPool pool(threads);
  const uint64_t runs = ops::DirectConvRunCount();
  ops::RunConvF32(prepared, args, &pool);
  if (want_direct) {
    ASSERT_GT(ops::DirectConvRunCount(), runs) << what;
  }
  const auto want = Reference(k, x, w, b, z, act);
  // Float sums of up to K products of magnitude <= 3 / sqrt(K): errors well below 1e-5 relative.
  const double tol = 2e-5 * std::sqrt(static_cast<double>(k.c * k.kh * k.kw));
  for (size_t i = 0; i < y.size(); ++i) {
    ASSERT_NEAR(y[i], want[i], tol * (1 + std::fabs(want[i]))) << what << " at " << i;
  }
}

class DirectConvIsaTest : public testing::IsaParamTest {};

// Output widths around the vector (8, 16) and column-step (32, 48, 64) widths, register-block
// remainders in M, every kernel size 1 to 7 (6 included, square and not), strides 1 to 3.
TEST_P(DirectConvIsaTest, MatchesTheDefinitionOnGeneratedShapes) {
  uint32_t seed = 7000;
  const int64_t widths[] = {1, 5, 8, 15, 16, 17, 31, 33, 47, 48, 49, 63, 64, 65, 100};
  const int64_t ms[] = {1, 3, 4, 5, 8, 9, 12, 13, 16, 17, 20, 24, 28, 32, 33};
  int i = 0;
  for (int64_t kk = 1; kk <= 7; ++kk) {
    for (int64_t s = 1; s <= 3; ++s) {
      for (int rep = 0; rep < 3; ++rep, ++i) {
        Case k;
        k.n = i % 5 == 0 ? 2 : 1;
        // C from 1 to 12 (fewer for 7x7, so K stays small enough for M = 33).
        k.c = 1 + (i * 5) % std::min<int64_t>(12, ops::kDirectSmallK / (kk * kk));
        k.m = ms[(i * 7) % 15];
        k.kh = kk;
        k.kw = rep == 2 ? 1 + (kk + 2) % 7 : kk;  // one non-square kernel per pair
        k.sh = s;
        k.sw = rep == 1 && s > 1 ? s - 1 : s;  // and one with unequal strides
        k.pt = (i % 3) % k.kh;
        k.pl = (kk / 2) % k.kw;
        k.pb = (i % 2) % k.kh;
        k.pr = ((i + 1) % 4) % k.kw;
        const int64_t ow = widths[(i * 4) % 15];
        const int64_t oh = 1 + (i * 3) % 6;
        k.w = (ow - 1) * k.sw + k.kw - k.pl - k.pr;
        k.h = (oh - 1) * k.sh + k.kh - k.pt - k.pb;
        if (k.w < 1 || k.h < 1) {
          k.pl = k.pr = k.pt = k.pb = 0;
          k.w = (ow - 1) * k.sw + k.kw;
          k.h = (oh - 1) * k.sh + k.kh;
        }
        const auto acts = AllActivations();
        RunEngine(k, i % 4 != 3, i % 3 == 1, acts[static_cast<size_t>(i) % acts.size()], 1 + i % 3,
                  seed, /*force_direct=*/true);
        seed += 4;
        if (HasFatalFailure()) return;
      }
    }
  }
}

// The network stems the path is for, with and without the residual, every activation.
TEST_P(DirectConvIsaTest, MatchesTheDefinitionOnStems) {
  const Case stems[] = {
      {1, 12, 16, 26, 26, 3, 3, 1, 1, 1, 1, 1, 1},   // YOLOX-nano's Focus conv (208 scaled down)
      {1, 3, 16, 52, 52, 6, 6, 2, 2, 2, 2, 2, 2},    // Focus as one 6x6 stride-2 conv
      {1, 3, 32, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1},    // MobileNetV2
      {2, 3, 64, 30, 30, 7, 7, 2, 2, 3, 3, 3, 3},    // ResNet conv1, batch 2
      {1, 3, 16, 40, 36, 6, 6, 2, 2, 2, 2, 2, 2},    // YOLO-tiny style 6x6 stride 2
      {1, 128, 32, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1},  // M <= 32 with the largest K (1152)
      {1, 64, 20, 14, 13, 3, 3, 2, 2, 1, 0, 1, 1},   // many phase planes (256)
      {1, 17, 96, 9, 20, 3, 3, 1, 1, 0, 1, 2, 1},    // M = 96 with K = 153
      {1, 5, 40, 1, 30, 3, 3, 1, 1, 1, 1, 1, 1},     // one output row: channel blocks split
  };
  uint32_t seed = 9000;
  for (const Case& k : stems) {
    for (const kernels::Activation& act : AllActivations()) {
      for (bool residual : {false, true}) {
        RunEngine(k, true, residual, act, residual ? 2 + (k.h == 1) : 1, seed);
        seed += 4;
        if (HasFatalFailure()) return;
      }
    }
  }
}

// 1x1 stride-1 layers with few output channels, in place over H * W pixels: pixel counts around
// the 16-pixel vectors (the last H * W % 16 pixels go through a padded copy), several chunks of
// pixels (K = 144: 448-pixel chunks; 3249 = 7 chunks + a ragged one + a 1-pixel tail), M around
// the 4/8/12/16-channel blocks up to 96, large K, batch 2, the residual, every activation, 1 to
// 3 threads (a 1-row map: the channel blocks split across threads).
TEST_P(DirectConvIsaTest, PointwiseRunsInPlace) {
  uint32_t seed = 9500;
  int i = 0;
  const auto acts = AllActivations();
  // n, c, m, h, w, 1, 1, strides, pads
  const Case cases[] = {
      {1, 3, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},    {1, 7, 16, 1, 5, 1, 1, 1, 1, 0, 0, 0, 0},
      {2, 16, 24, 3, 5, 1, 1, 1, 1, 0, 0, 0, 0},  {1, 9, 17, 4, 4, 1, 1, 1, 1, 0, 0, 0, 0},
      {1, 32, 12, 1, 17, 1, 1, 1, 1, 0, 0, 0, 0}, {1, 24, 32, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0},
      {1, 144, 24, 57, 57, 1, 1, 1, 1, 0, 0, 0, 0}, {2, 576, 20, 6, 8, 1, 1, 1, 1, 0, 0, 0, 0},
      {1, 40, 1, 12, 4, 1, 1, 1, 1, 0, 0, 0, 0},  {1, 64, 28, 16, 48, 1, 1, 1, 1, 0, 0, 0, 0},
      {1, 16, 96, 9, 13, 1, 1, 1, 1, 0, 0, 0, 0}, {1, 64, 81, 1, 40, 1, 1, 1, 1, 0, 0, 0, 0},
  };
  for (const Case& k : cases) {
    for (bool residual : {false, true}) {
      RunEngine(k, i % 3 != 2, residual, acts[static_cast<size_t>(i) % acts.size()], 1 + i % 3,
                seed);
      seed += 4;
      ++i;
      if (HasFatalFailure()) return;
    }
  }
}

// Conv and FusedConv sessions (static shapes) take the path: the hints carry the strides.
TEST_P(DirectConvIsaTest, SessionsTakeThePath) {
  const int64_t n = 2, c = 3, m = 20, h = 19, w = 23, k = 6, s = 2;
  const auto x = testing::RandomUniform(static_cast<size_t>(n * c * h * w), 11, -1, 1);
  const auto wt = testing::RandomUniform(static_cast<size_t>(m * c * k * k), 12, -0.3f, 0.3f);
  const auto b = testing::RandomUniform(static_cast<size_t>(m), 13, -1, 1);
  const Case cs{n, c, m, h, w, k, k, s, s, 2, 1, 1, 2};
  const int64_t oh = OutH(cs), ow = OutW(cs);
  const auto z = testing::RandomUniform(static_cast<size_t>(n * m * oh * ow), 14, -1, 1);
  for (bool fused : {false, true}) {
    OpTest t(fused ? "FusedConv" : "Conv", fused ? 1 : 11, fused ? "com.onnxedge" : "");
    t.Input("x", Tensor::FromVector<float>({n, c, h, w}, x))
        .ConstantInput("w", Tensor::FromVector<float>({m, c, k, k}, wt))
        .ConstantInput("b", Tensor::FromVector<float>({m}, b));
    if (fused) t.Input("z", Tensor::FromVector<float>({n, m, oh, ow}, z));
    t.Attr("strides", std::vector<int64_t>{s, s}).Attr("pads", std::vector<int64_t>{2, 1, 1, 2});
    if (fused) t.Attr("activation", std::string("Silu"));
    t.Output("y");
    SessionOptions o;
    o.intra_op_threads = 2;
    const uint64_t runs = ops::DirectConvRunCount();
    auto r = t.Run(o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ops::DirectConvRunCount() > runs, MaxIsa() >= Isa::kAvx2) << IsaName(MaxIsa());
    const auto want = Reference(cs, x, wt, b, fused ? z : std::vector<float>(),
                                fused ? kernels::Activation::Silu() : kernels::Activation::None());
    const auto got = (*r)[0].value.tensor().ToVector<float>();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::fabs(want[i])))
          << "fused=" << fused << " at " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, DirectConvIsaTest, ::testing::ValuesIn(AvailableIsas()),
                         testing::IsaParamName);

// Which layers get the direct weights: 2-D, group 1, strides known (dilation 1), K small.
TEST(DirectConv, PreparesTheWeightsForTheChosenPath) {
  if (MaxIsa() < Isa::kAvx2) GTEST_SKIP() << "no direct kernel for this CPU";
  std::vector<float> w(128 * 130 * 9, 0.5f);
  ops::ConvF32Hints s1;
  s1.stride_h = s1.stride_w = 1;
  ops::ConvF32Hints s2;
  s2.stride_h = s2.stride_w = 2;
  ops::ConvF32Hints s3;
  s3.stride_h = s3.stride_w = 3;
  ops::ConvF32Hints unknown;  // dilation != 1 or not 2-D: strides 0
  struct Want {
    Shape shape;
    int64_t group;
    const ops::ConvF32Hints* hints;
    bool direct;
  };
  for (const Want& c :
       {Want{{16, 12, 3, 3}, 1, &s1, true}, Want{{32, 3, 3, 3}, 1, &s2, true},
        Want{{16, 3, 6, 6}, 1, &s2, true}, Want{{64, 3, 7, 7}, 1, &s2, true},
        Want{{16, 12, 3, 3}, 1, &unknown, false}, Want{{16, 12, 3, 3}, 1, nullptr, false},
        Want{{16, 6, 3, 3}, 2, &s1, false},     // grouped
        Want{{16, 12, 1, 1}, 1, &s1, true},     // 1x1 stride 1: in place
        Want{{32, 576, 1, 1}, 1, &s1, true},    // M <= 32: any K
        Want{{96, 288, 1, 1}, 1, &s1, true},    // M <= 96 with K <= 288 (no Winograd)
        Want{{33, 289, 1, 1}, 1, &s1, false},   // the GEMM path
        Want{{64, 32, 3, 3}, 1, &s2, true},     // 3x3 stride 2, K = 288
        Want{{64, 33, 3, 3}, 1, &s2, false},    // K = 297
        Want{{97, 12, 1, 1}, 1, &s1, false},
        Want{{16, 12, 1, 1}, 1, &s2, false},    // 1x1 stride 2: the GEMM path
        Want{{32, 128, 3, 3}, 1, &s1, true},    // M <= 32, K = 1152
        Want{{32, 129, 3, 3}, 1, &s1, false},   // K over kDirectMaxK
        Want{{96, 17, 3, 3}, 1, &s1, true},     // M <= 96, K = 153
        Want{{96, 18, 3, 3}, 1, &s1, false},    // K = 162
        Want{{97, 3, 3, 3}, 1, &s2, false},     // M over kDirectMaxM
        Want{{32, 3, 2, 2}, 1, &s2, false},     // 2x2 stride 2: no overlap
        Want{{32, 3, 3, 3}, 1, &s3, false}}) {  // stride 3
    ops::ConvF32Weights prepared;
    ops::PrepareConvF32Weights(w.data(), c.shape, c.group, &prepared, nullptr, c.hints);
    EXPECT_EQ(prepared.direct != nullptr, c.direct) << ShapeToString(c.shape);
    // The GEMM panels stay (the fallback below AVX2); bytes() counts both forms.
    EXPECT_EQ(prepared.packed.size(), static_cast<size_t>(c.group));
    if (!prepared.direct) continue;
    EXPECT_EQ(prepared.bytes(), prepared.packed[0].bytes() + prepared.direct->bytes());
    EXPECT_EQ(prepared.direct->taps, c.shape[1] * c.shape[2] * c.shape[3]);
  }
  // Weight layout: block 0, tap t, channel i at t * width + i; stride 2 splits a 3x3 kernel
  // into phases (0,0): 2x2 taps, (0,1): 2x1, (1,0): 1x2, (1,1): 1x1.
  std::vector<float> w1(5 * 1 * 9);
  for (size_t i = 0; i < w1.size(); ++i) w1[i] = static_cast<float>(i);
  ops::DirectConvWeights d;
  ops::PrepareDirectConvWeights(w1.data(), {5, 1, 3, 3}, 2, 2, &d);
  EXPECT_EQ(d.planes, 4);
  EXPECT_EQ(d.ka, 2);
  ASSERT_EQ(d.taps, 9);
  EXPECT_EQ(d.block_width(0), 8);
  // Taps of phase (0,0): (a,b) = (0,0), (0,1), (1,0), (1,1) -> W taps (0,0), (0,2), (2,0), (2,2).
  EXPECT_EQ(d.tap_plane[3], 0);
  EXPECT_EQ(d.w[3 * 8 + 0], w1[8]);          // channel 0, tap (2,2)
  EXPECT_EQ(d.w[3 * 8 + 4], w1[4 * 9 + 8]);  // channel 4
  EXPECT_EQ(d.w[3 * 8 + 5], 0.f);            // past M: zero
  // Phase (1,1) is the last tap: W tap (1,1).
  EXPECT_EQ(d.tap_plane[8], 3);
  EXPECT_EQ(d.w[8 * 8 + 1], w1[9 + 4]);
}

}  // namespace
}  // namespace onnxedge
