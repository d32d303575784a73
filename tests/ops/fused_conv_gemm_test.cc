// Copyright onnxedge authors.
// Differential tests of the convolution engine and of the com.onnxedge fused ops, for every ISA
// this CPU has (generic, AVX2, AVX-512): Conv / FusedConv (activation, residual input Z) against
// a naive double-precision convolution followed by the activation's definition, over dense,
// 1x1, grouped and depthwise (3x3, 5x5, strides 1 and 2) layers whose sizes cover the GEMM tile
// remainders and the depthwise vector widths; FusedGemm against a naive product, for 2-D and
// N-D A.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "isa_param_test.h"
#include "ops/conv/conv_nhwc.h"
#include "ops/conv/conv_nhwc_direct.h"
#include "ops/conv/depthwise.h"
#include "ops/op_test_util.h"
#include "runtime/thread_pool.h"
#include "test_random.h"

namespace onnxedge {
namespace {

using testing::OpTest;

std::vector<float> Random(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  return testing::RandomUniform(n, seed, lo, hi);
}

// The activations by their ONNX definitions, in double.
struct Act {
  std::string name;
  std::vector<float> params;
};

double ApplyRef(double x, const Act& a) {
  if (a.name.empty()) return x;
  if (a.name == "Relu") return x < 0 ? 0 : x;
  if (a.name == "Clip") return std::min<double>(std::max<double>(x, a.params[0]), a.params[1]);
  if (a.name == "LeakyRelu") return x < 0 ? a.params[0] * x : x;
  if (a.name == "Sigmoid") return 1 / (1 + std::exp(-x));
  if (a.name == "Silu") return x / (1 + std::exp(-x));
  if (a.name == "HardSigmoid") {
    return std::min(1.0, std::max(0.0, a.params[0] * x + a.params[1]));
  }
  if (a.name == "HardSwish") return x * std::min(1.0, std::max(0.0, x / 6 + 0.5));
  if (a.name == "Gelu") return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  if (a.name == "GeluTanh") {
    return 0.5 * x * (1 + std::tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
  }
  ADD_FAILURE() << "unknown activation " << a.name;
  return x;
}

std::vector<Act> AllActs() {
  return {{"", {}},        {"Relu", {}},    {"Clip", {-0.5f, 0.6f}},        {"LeakyRelu", {0.2f}},
          {"Sigmoid", {}}, {"Silu", {}},    {"HardSigmoid", {0.25f, 0.5f}}, {"HardSwish", {}},
          {"Gelu", {}},    {"GeluTanh", {}}};
}

void ExpectNear(const std::vector<float>& got, const std::vector<double>& want, double tol,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << what << " at " << i;
  }
}

class IsaTest : public testing::IsaParamTest {};

// --- Conv / FusedConv -------------------------------------------------------------------------

struct Conv2D {
  int64_t n, c, m, group, h, w, kh, kw, stride, pad, dilation = 1;
};

std::vector<double> NaiveConv2D(const Conv2D& cc, const std::vector<float>& x,
                                const std::vector<float>& w, const std::vector<float>& b,
                                int64_t* oh_out, int64_t* ow_out) {
  const int64_t ekh = (cc.kh - 1) * cc.dilation + 1, ekw = (cc.kw - 1) * cc.dilation + 1;
  const int64_t oh = (cc.h + 2 * cc.pad - ekh) / cc.stride + 1;
  const int64_t ow = (cc.w + 2 * cc.pad - ekw) / cc.stride + 1;
  *oh_out = oh;
  *ow_out = ow;
  const int64_t cg = cc.c / cc.group, mg = cc.m / cc.group;
  std::vector<double> y(static_cast<size_t>(cc.n * cc.m * oh * ow));
  for (int64_t n = 0; n < cc.n; ++n) {
    for (int64_t m = 0; m < cc.m; ++m) {
      const int64_t g = m / mg;
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          double acc = b[static_cast<size_t>(m)];
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t ki = 0; ki < cc.kh; ++ki) {
              const int64_t ih = i * cc.stride - cc.pad + ki * cc.dilation;
              if (ih < 0 || ih >= cc.h) continue;
              for (int64_t kj = 0; kj < cc.kw; ++kj) {
                const int64_t iw = j * cc.stride - cc.pad + kj * cc.dilation;
                if (iw < 0 || iw >= cc.w) continue;
                acc +=
                    static_cast<double>(
                        x[static_cast<size_t>(((n * cc.c + g * cg + c) * cc.h + ih) * cc.w + iw)]) *
                    w[static_cast<size_t>(((m * cg + c) * cc.kh + ki) * cc.kw + kj)];
              }
            }
          }
          y[static_cast<size_t>(((n * cc.m + m) * oh + i) * ow + j)] = acc;
        }
      }
    }
  }
  return y;
}

// [n, c, h, w] -> [n, h, w, c] (to_nhwc) or back.
template <typename T>
std::vector<T> Permute(const std::vector<T>& v, int64_t n, int64_t c, int64_t h, int64_t w,
                       bool to_nhwc) {
  std::vector<T> out(v.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const size_t nchw = static_cast<size_t>(((i * c + j) * h + y) * w + x);
          const size_t nhwc = static_cast<size_t>(((i * h + y) * w + x) * c + j);
          if (to_nhwc) {
            out[nhwc] = v[nchw];
          } else {
            out[nchw] = v[nhwc];
          }
        }
  return out;
}

// Runs Conv (act == nullptr, no residual) or FusedConv and compares with the definition. With
// channels_last, FusedConv(channels_last = 1) runs on the NHWC input (and Z), and its NHWC
// output is permuted back before the comparison.
void RunConv(const Conv2D& cc, const Act* act, bool residual, int threads, uint32_t seed,
             bool channels_last = false) {
  static const Act kNone;
  if (channels_last && !act) act = &kNone;
  const Shape xs{cc.n, cc.c, cc.h, cc.w}, ws{cc.m, cc.c / cc.group, cc.kh, cc.kw};
  auto x = Random(static_cast<size_t>(cc.n * cc.c * cc.h * cc.w), seed);
  // Weights scaled so outputs span about -4..4 (where the activations differ from linear).
  const float wscale = 3.f / std::sqrt(static_cast<float>(cc.c / cc.group * cc.kh * cc.kw));
  auto w = Random(static_cast<size_t>(ws[0] * ws[1] * ws[2] * ws[3]), seed + 1, -wscale, wscale);
  auto b = Random(static_cast<size_t>(cc.m), seed + 2);
  int64_t oh = 0, ow = 0;
  auto want = NaiveConv2D(cc, x, w, b, &oh, &ow);
  const Shape ys{cc.n, cc.m, oh, ow};
  std::vector<float> z;
  if (residual) {
    z = Random(want.size(), seed + 3);
    for (size_t i = 0; i < want.size(); ++i) want[i] += z[i];
  }
  if (act) {
    for (double& v : want) v = ApplyRef(v, *act);
  }
  OpTest t(act ? "FusedConv" : "Conv", act ? 1 : 11, act ? "com.onnxedge" : "");
  const Shape xs_run = channels_last ? Shape{cc.n, cc.h, cc.w, cc.c} : xs;
  const Shape ys_run = channels_last ? Shape{cc.n, oh, ow, cc.m} : ys;
  if (channels_last) {
    x = Permute(x, cc.n, cc.c, cc.h, cc.w, true);
    if (residual) z = Permute(z, cc.n, cc.m, oh, ow, true);
    t.Attr("channels_last", int64_t{1});
  }
  t.Input("x", Tensor::FromVector<float>(xs_run, x))
      .ConstantInput("w", Tensor::FromVector<float>(ws, w))
      .ConstantInput("b", Tensor::FromVector<float>({cc.m}, b));
  if (residual) t.Input("z", Tensor::FromVector<float>(ys_run, z));
  t.Attr("group", cc.group)
      .Attr("strides", std::vector<int64_t>{cc.stride, cc.stride})
      .Attr("dilations", std::vector<int64_t>{cc.dilation, cc.dilation})
      .Attr("pads", std::vector<int64_t>{cc.pad, cc.pad, cc.pad, cc.pad});
  if (act && !act->name.empty()) {
    t.Attr("activation", act->name);
    if (!act->params.empty()) t.Attr("activation_params", act->params);
  }
  t.Output("y");
  SessionOptions opts;
  opts.intra_op_threads = threads;
  auto r = t.Run(opts);
  const std::string what = "c=" + std::to_string(cc.c) + " m=" + std::to_string(cc.m) +
                           " g=" + std::to_string(cc.group) + " " + std::to_string(cc.h) + "x" +
                           std::to_string(cc.w) + " k=" + std::to_string(cc.kh) + "x" +
                           std::to_string(cc.kw) + " s=" + std::to_string(cc.stride) +
                           " p=" + std::to_string(cc.pad) + " d=" + std::to_string(cc.dilation) +
                           " act=" + (act ? act->name : "conv") + (residual ? " +z" : "") +
                           (channels_last ? " nhwc" : "") + " isa=" + IsaName(MaxIsa());
  ASSERT_TRUE(r.ok()) << what << ": " << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  ASSERT_EQ(y.shape(), ys_run) << what;
  std::vector<float> got = y.ToVector<float>();
  if (channels_last) got = Permute(got, cc.n, cc.m, oh, ow, false);
  ExpectNear(got, want, 2e-5 * std::sqrt(static_cast<double>(cc.c * cc.kh * cc.kw)), what);
}

std::vector<Conv2D> DenseCases() {
  return {
      // n, c, m, group, h, w, kh, kw, stride, pad
      {1, 3, 7, 1, 9, 11, 3, 3, 1, 1},      // m: tile remainder; columns: panel remainder
      {1, 16, 17, 1, 8, 8, 3, 3, 1, 1},     // 64 columns, m = 6 * 2 + 5
      {2, 8, 12, 1, 5, 7, 1, 1, 1, 0},      // pointwise, batch 2
      {1, 12, 6, 1, 17, 17, 1, 1, 2, 0},    // 1x1 stride 2
      {1, 6, 13, 1, 16, 16, 5, 5, 2, 2},    // 5x5 stride 2
      {1, 8, 8, 2, 10, 10, 3, 3, 1, 1},     // groups
      {1, 4, 9, 1, 12, 13, 3, 3, 1, 2, 2},  // dilation 2
      {1, 64, 40, 1, 6, 6, 3, 3, 1, 1},     // K = 576 crosses the 256 K block
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 0},       // everything 1
      {1, 5, 6, 1, 4, 4, 3, 3, 1, 1},       // m = tile (6), 16 columns = one panel
      {1, 5, 5, 1, 3, 5, 3, 3, 1, 1},       // m = tile - 1, 15 columns
      {1, 5, 7, 1, 1, 17, 3, 3, 1, 1},      // m = tile + 1, 17 columns
      {1, 24, 64, 1, 3, 7, 1, 1, 1, 0},     // pointwise, 64 rows: full AVX-512 tiles
      {0, 3, 4, 1, 5, 5, 3, 3, 1, 1},       // batch 0
      // Stride 2 with output rows wider than a 16-column panel (whole-panel deinterleave in
      // the im2col packing), 3 input channels as in first layers, unpadded and padded.
      {1, 3, 8, 1, 9, 70, 3, 3, 2, 1},
      {1, 3, 16, 1, 12, 77, 6, 6, 2, 2},
      {1, 2, 7, 1, 5, 65, 2, 2, 2, 0},
  };
}

std::vector<Conv2D> DepthwiseCases() {
  std::vector<Conv2D> cases;
  // Widths around the vector widths (8, 16, 32) and the narrow-plane threshold; both kernels
  // and strides; channel multiplier 2 once.
  for (int64_t k : {3, 5}) {
    for (int64_t s : {1, 2}) {
      for (int64_t w : {1, 5, 8, 16, 17, 31, 33, 70}) {
        cases.push_back({1, 3, 3, 3, w + 2, w, k, k, s, k / 2});
      }
    }
  }
  cases.push_back({2, 4, 8, 4, 9, 9, 3, 3, 1, 1});       // multiplier 2, batch 2
  cases.push_back({1, 5, 5, 5, 12, 14, 3, 3, 1, 0});     // unpadded
  cases.push_back({1, 2, 2, 2, 11, 40, 3, 3, 2, 1, 2});  // dilation 2
  cases.push_back({0, 3, 3, 3, 6, 6, 3, 3, 1, 1});       // batch 0
  cases.push_back({1, 2, 2, 2, 4, 150, 3, 3, 1, 1});     // short: channels-last blocks
  cases.push_back({1, 2, 2, 2, 4, 133, 5, 5, 1, 2});
  // Channels-last in several bands of output rows (scratch over 512 KiB), strides 1 and 2.
  cases.push_back({1, 3, 3, 3, 200, 50, 3, 3, 1, 1});
  cases.push_back({1, 2, 2, 2, 301, 40, 3, 3, 2, 1});
  // Wider than 56 output columns: the padded-plane rows (up to 128 at stride 1) and the
  // direct rows with border columns (wider, or strided).
  cases.push_back({1, 3, 3, 3, 20, 100, 3, 3, 1, 1});
  cases.push_back({1, 2, 2, 2, 8, 150, 3, 3, 1, 1});
  cases.push_back({1, 2, 2, 2, 9, 133, 5, 5, 1, 2});
  cases.push_back({1, 2, 2, 2, 9, 150, 3, 3, 2, 1});
  // Small planes (channels-last blocks of 16): channel counts around the block, a multiplier
  // that makes one block read 8 input planes, one row, stride 2 and dilation 2.
  cases.push_back({1, 17, 17, 17, 7, 7, 3, 3, 1, 1});
  cases.push_back({2, 33, 33, 33, 14, 13, 3, 3, 1, 1});
  cases.push_back({1, 10, 20, 10, 9, 6, 3, 3, 2, 1});
  cases.push_back({1, 16, 16, 16, 1, 12, 3, 3, 1, 1});
  cases.push_back({1, 16, 32, 16, 29, 30, 5, 5, 2, 2});
  cases.push_back({1, 7, 7, 7, 10, 11, 3, 3, 1, 2, 2});
  return cases;
}

TEST_P(IsaTest, ConvMatchesDefinition) {
  uint32_t seed = 100;
  for (const Conv2D& cc : DenseCases()) RunConv(cc, nullptr, false, 2, seed++);
  for (const Conv2D& cc : DepthwiseCases()) RunConv(cc, nullptr, false, 2, seed++);
}

TEST_P(IsaTest, FusedConvEveryActivationAndResidual) {
  uint32_t seed = 200;
  int i = 0;
  for (const Act& act : AllActs()) {
    // Dense and depthwise layers, with and without Z, 1 and 3 threads.
    const std::vector<Conv2D> cases = {DenseCases()[static_cast<size_t>(i) % DenseCases().size()],
                                       {1, 16, 17, 1, 8, 8, 3, 3, 1, 1},
                                       {1, 6, 6, 6, 20, 35, 3, 3, 1, 1},
                                       {1, 4, 4, 4, 7, 7, 5, 5, 2, 2},
                                       {1, 20, 20, 20, 7, 7, 3, 3, 1, 1}};
    for (const Conv2D& cc : cases) {
      RunConv(cc, &act, false, 1 + 2 * (i % 2), seed++);
      RunConv(cc, &act, true, 2, seed++);
    }
    ++i;
  }
}

// Channels-last FusedConv (group 1 and depthwise) against the NCHW definition: pixel counts
// around the 6-row tiles (1, 5, 6, 7, 49), channel counts around the 16-column panels (1, 3,
// 16, 17, 65), pads, strides, dilations, batch 2, K across the 256 K block, and every
// activation with and without the residual, at 1 and 3 threads.
std::vector<Conv2D> ChannelsLastCases() {
  std::vector<Conv2D> cases;
  // n, c, m, group, h, w, kh, kw, stride, pad, dilation
  for (int64_t px : {1, 5, 6, 7}) cases.push_back({1, 3, 17, 1, 1, px, 1, 1, 1, 0});
  for (int64_t cm : {1, 3, 16, 17, 65}) {
    cases.push_back({1, cm, 65 - cm + 1, 1, 7, 7, 1, 1, 1, 0});  // 49 pixels, pointwise
    cases.push_back({2, cm, cm, 1, 7, 7, 3, 3, 1, 1});           // 3x3 pad 1, batch 2
    cases.push_back({1, cm, cm, cm, 7, 7, 3, 3, 1, 1});          // depthwise
  }
  cases.push_back({1, 3, 16, 1, 13, 12, 3, 3, 2, 1});    // stride 2, the 3-channel first layer
  cases.push_back({1, 8, 9, 1, 12, 13, 3, 3, 1, 2, 2});  // dilation 2
  cases.push_back({1, 12, 6, 1, 17, 17, 1, 1, 2, 0});    // 1x1 stride 2
  cases.push_back({1, 6, 13, 1, 16, 16, 5, 5, 2, 2});    // 5x5 stride 2
  cases.push_back({1, 64, 40, 1, 6, 6, 3, 3, 1, 1});     // K = 576 crosses the K block
  cases.push_back({1, 24, 70, 1, 30, 30, 1, 1, 1, 0});   // several pixel chunks
  cases.push_back({0, 3, 4, 1, 5, 5, 3, 3, 1, 1});       // batch 0
  cases.push_back({1, 33, 33, 33, 14, 13, 3, 3, 2, 1});  // depthwise stride 2, 3 blocks
  cases.push_back({1, 16, 16, 16, 9, 10, 5, 5, 1, 2});   // depthwise 5x5
  cases.push_back({2, 7, 7, 7, 10, 11, 3, 3, 1, 2, 2});  // depthwise dilation 2, batch 2
  cases.push_back({1, 3, 3, 3, 200, 50, 3, 3, 1, 1});    // depthwise, several bands
  // At most kNhwcSmallM (8) output channels: the dot-product path. Pixel counts off the 4-pixel
  // block (169, 99), K off the 8-float vector (13 + m, 90), pointwise and general windows.
  for (int64_t m : {1, 2, 4, 5, 8}) cases.push_back({1, 13 + m, m, 1, 13, 13, 1, 1, 1, 0});
  cases.push_back({1, 10, 3, 1, 11, 9, 3, 3, 2, 1});
  cases.push_back({2, 64, 1, 1, 9, 11, 1, 1, 1, 0});
  cases.push_back({1, 64, 9, 1, 9, 11, 1, 1, 1, 0});  // 9: back on the GEMM
  // 3x3 stride 1 with C, M >= 32: Winograd on the channels-last image (ChooseWinograd); ragged
  // 4x4 tiles, padded and unpadded.
  cases.push_back({1, 32, 40, 1, 9, 11, 3, 3, 1, 1});
  cases.push_back({1, 33, 32, 1, 10, 6, 3, 3, 1, 0});
  return cases;
}

TEST_P(IsaTest, ChannelsLastFusedConvMatchesDefinition) {
  uint32_t seed = 400;
  int i = 0;
  for (const Conv2D& cc : ChannelsLastCases()) {
    RunConv(cc, nullptr, false, 1 + 2 * (i % 2), seed++, true);
    RunConv(cc, nullptr, true, 2, seed++, true);
    ++i;
  }
  for (const Act& act : AllActs()) {
    for (const Conv2D& cc :
         {Conv2D{1, 17, 17, 1, 7, 7, 3, 3, 1, 1}, Conv2D{2, 5, 18, 1, 3, 2, 1, 1, 1, 0},
          Conv2D{1, 20, 20, 20, 7, 7, 3, 3, 1, 1}, Conv2D{1, 32, 35, 1, 6, 9, 3, 3, 1, 1},
          Conv2D{1, 19, 5, 1, 6, 5, 1, 1, 1, 0}}) {
      RunConv(cc, &act, false, 1 + 2 * (i % 2), seed++, true);
      RunConv(cc, &act, true, 2, seed++, true);
      ++i;
    }
  }
}

// The channels-last depthwise kernel (depthwise_nhwc_impl.h, AVX2 and AVX-512; the generic ISA
// runs the block path): output widths around its 8-pixel step (1, 2, 7, 8, 9, 16, 23) for the
// unrolled 3x3 / 5x5 stride-1 / stride-2 variants, channel counts around the 8- and 16-lane
// vectors, windows of the runtime-shaped loop (1x3, 3x1, 7x7, 2x2 stride 2, dilation 2), rows
// cut into channel chunks (few rows, 200 and 256 channels, a ragged last chunk), and every
// activation with the residual on chunked rows, at 1 to 3 threads.
TEST_P(IsaTest, ChannelsLastDepthwiseCoversTheKernelSteps) {
  using namespace onnxedge::ops;  // NOLINT: the engine's internal API
  const bool vector_isa = GetParam() >= onnxedge::Isa::kAvx2;
  EXPECT_EQ(SelectDepthwiseNhwc(3, 3, 1, 1) != nullptr, vector_isa);
  EXPECT_EQ(SelectDepthwiseNhwc(7, 1, 3, 2) != nullptr, vector_isa);
  EXPECT_EQ(SelectDepthwiseNhwc(kDepthwiseNhwcMaxKh + 1, 1, 1, 1), nullptr);
  uint32_t seed = 900;
  int i = 0;
  std::vector<Conv2D> cases;
  // n, c, m, group, h, w, kh, kw, stride, pad, dilation
  for (int64_t k : {3, 5}) {
    for (int64_t s : {1, 2}) {
      for (int64_t w : {1, 2, 7, 8, 9, 16, 23}) {
        cases.push_back({1, 24, 24, 24, w + 1, w * s, k, k, s, k / 2});
      }
    }
  }
  for (int64_t c : {1, 5, 8, 9, 16, 31, 48}) cases.push_back({1, c, c, c, 7, 7, 3, 3, 1, 1});
  cases.push_back({1, 12, 12, 12, 6, 9, 1, 3, 1, 1});
  cases.push_back({1, 12, 12, 12, 9, 6, 3, 1, 1, 1});
  cases.push_back({2, 20, 20, 20, 9, 9, 7, 7, 1, 3});
  cases.push_back({1, 20, 20, 20, 10, 12, 2, 2, 2, 0});
  cases.push_back({1, 17, 17, 17, 8, 9, 3, 3, 2, 2, 2});
  cases.push_back({1, 256, 256, 256, 3, 5, 3, 3, 1, 1});
  cases.push_back({1, 200, 200, 200, 4, 4, 5, 5, 2, 2});
  for (const Conv2D& cc : cases) {
    RunConv(cc, nullptr, false, 1 + (i % 3), seed++, true);
    ++i;
  }
  for (const Act& act : AllActs()) {
    RunConv(Conv2D{1, 200, 200, 200, 2, 9, 3, 3, 1, 1}, &act, true, 1 + (i % 3), seed++, true);
    ++i;
  }
}

// The in-place channels-last tiles (ops/conv/conv_nhwc_direct.h; AVX-512 and AVX2, the generic
// ISA runs the same cases on the packing GEMM): output channel counts around every tile width and
// panel grouping (1 to 4 panels, 6 = 3 + 3, 7 = 4 + 3, 9 = 3 x 3, 16 = 4 x 4 and a 15-column
// last panel), pixel counts around every tile height and across chunks and images, runs
// cut by the left and right borders (a window wider than the image cuts both), rows above and
// below the image, 1x1 windows off the input grid, vertical dilation, and every activation with
// and without the residual, at 1 to 3 threads.
TEST_P(IsaTest, ChannelsLastInPlaceTilesMatchDefinition) {
  using namespace onnxedge::ops;  // NOLINT: the engine's internal API
  {
    ConvNhwcWeights w;
    const std::vector<float> wt = Random(16 * 8 * 9, 1);
    ConvF32Hints no_winograd;
    PrepareConvNhwcWeights(wt.data(), {16, 8, 3, 3}, 1, &w, nullptr, &no_winograd);
    ConvNhwcArgs args;
    EXPECT_EQ(UseConvNhwcDirect(w, args), GetParam() >= onnxedge::Isa::kAvx2);
    args.dilation_w = 2;
    EXPECT_FALSE(UseConvNhwcDirect(w, args));
    // K = 4608 with 64 output channels: a group of 4 panels holds 1.2 MiB of weights, too
    // large for the AVX-512 tiles (the packing GEMM blocks K); AVX2's 1-panel groups hold 288 KiB.
    ConvNhwcWeights big;
    const std::vector<float> wb = Random(64 * 512 * 9, 2);
    PrepareConvNhwcWeights(wb.data(), {64, 512, 3, 3}, 1, &big, nullptr, &no_winograd);
    ConvNhwcArgs plain;
    EXPECT_EQ(UseConvNhwcDirect(big, plain), GetParam() == onnxedge::Isa::kAvx2);
  }
  uint32_t seed = 1300;
  int i = 0;
  std::vector<Conv2D> cases;
  // n, c, m, group, h, w, kh, kw, stride, pad, dilation
  for (int64_t m : {9, 16, 17, 31, 32, 33, 48, 49, 64, 65, 96, 112, 144, 255}) {
    cases.push_back({1, 5, m, 1, 9, 7, 3, 3, 2, 1});   // 20 pixels: less than one tile
    cases.push_back({1, 24, m, 1, 7, 7, 1, 1, 1, 0});  // 49 pixels, pointwise
  }
  // Pixel counts around every tile height, the shorter tiles of a chunk's last pixels
  // included (1 panel: 24, 12, 6 rows; 2: 12, 6, 3; 3: 8, 4, 2; 4: 6, 3, 1).
  for (int64_t px : {1, 3, 6, 7, 8, 12, 13, 23, 24, 25, 48, 49}) {
    cases.push_back({1, 16, 9, 1, 1, px, 1, 1, 1, 0});
    cases.push_back({1, 16, 20, 1, 1, px, 1, 1, 1, 0});
    cases.push_back({1, 3, 40, 1, 1, px, 1, 1, 1, 0});
    cases.push_back({1, 5, 64, 1, 1, px, 1, 1, 1, 0});
  }
  cases.push_back({2, 8, 24, 1, 15, 17, 3, 3, 2, 1});   // batch 2: tiles across images
  cases.push_back({1, 16, 32, 1, 40, 40, 3, 3, 2, 1});  // several chunks
  cases.push_back({1, 3, 16, 1, 20, 21, 6, 6, 2, 2});   // 6x6 stride-2 stem
  cases.push_back({1, 4, 18, 1, 6, 3, 5, 5, 1, 2});     // window wider than the image
  cases.push_back({1, 10, 36, 1, 9, 8, 1, 1, 2, 0});    // 1x1 stride 2
  cases.push_back({1, 7, 20, 1, 9, 9, 1, 1, 1, 1});     // 1x1 padded
  cases.push_back({1, 6, 40, 1, 8, 7, 3, 3, 2, 2, 2});  // dilation 2 (GEMM path)
  cases.push_back({1, 40, 70, 1, 6, 5, 3, 3, 2, 1});    // K = 360, 5 panels
  for (const Conv2D& cc : cases) {
    RunConv(cc, nullptr, i % 2 == 1, 1 + (i % 3), seed++, true);
    ++i;
  }
  for (const Act& act : AllActs()) {
    for (const Conv2D& cc :
         {Conv2D{1, 12, 16, 1, 9, 8, 3, 3, 2, 1}, Conv2D{1, 9, 33, 1, 5, 7, 1, 1, 1, 0},
          Conv2D{2, 5, 50, 1, 4, 6, 3, 3, 1, 1}, Conv2D{1, 20, 64, 1, 3, 9, 1, 1, 1, 0}}) {
      RunConv(cc, &act, true, 1 + (i % 3), seed++, true);
      RunConv(cc, &act, false, 2, seed++, true);
      ++i;
    }
  }
}

// How the in-place tiles' tasks are cut: every split covers the pixels exactly once in whole
// chunks; one thread keeps the cache-sized chunks; with 2 or 3 threads no thread gets more
// than 6 % over a fair share plus one 24-row block of work, also on maps where the cache-sized
// split was lopsided (a 7x7 map with 10 panels: 8 of them for one thread).
TEST_P(IsaTest, ChannelsLastInPlaceTasksSplitEvenly) {
  using namespace onnxedge::ops;  // NOLINT: the engine's internal API
  if (NhwcDirectMaxPanels() == 0) GTEST_SKIP() << "no in-place tiles on this ISA";
  struct Case {
    int64_t pixels, k, panels;
  };
  for (const Case& c : {Case{49, 160, 10}, Case{49, 960, 60}, Case{100, 1152, 8},
                        Case{6400, 144, 2}, Case{1, 64, 3}, Case{400, 576, 5}}) {
    for (int64_t threads : {1, 2, 3}) {
      const NhwcTaskSplit s = SplitNhwcDirectTasks(c.pixels, c.k, c.panels, threads);
      ASSERT_GT(s.chunk, 0);
      EXPECT_GE(s.chunk * s.chunks, c.pixels);
      EXPECT_LT(s.chunk * (s.chunks - 1), c.pixels);
      if (threads == 1) {
        EXPECT_EQ(s.chunk % 24, 0);
        continue;
      }
      // Work per thread under ParallelFor's equal contiguous pieces, from the split's order.
      const int64_t most = NhwcDirectMaxPanels();
      int64_t group = std::min(c.panels, most);
      if (most == 4 && c.panels > 4 && c.panels % 4 != 0 && c.panels % 3 == 0) group = 3;
      const int64_t groups = (c.panels + group - 1) / group, tasks = s.chunks * groups;
      const int64_t piece = (tasks + threads - 1) / threads;
      int64_t worst = 0;
      for (int64_t t0 = 0; t0 < tasks; t0 += piece) {
        int64_t work = 0;
        for (int64_t t = t0; t < std::min(tasks, t0 + piece); ++t) {
          const int64_t ch = s.group_major ? t % s.chunks : t / groups;
          const int64_t g = s.group_major ? t / s.chunks : t % groups;
          work +=
              std::min(s.chunk, c.pixels - ch * s.chunk) * std::min(group, c.panels - g * group);
        }
        worst = std::max(worst, work);
      }
      const int64_t total = c.pixels * c.panels;
      EXPECT_LE(worst, total * 106 / 100 / threads + 24 * group)
          << c.pixels << "x" << c.panels << " on " << threads;
    }
  }
}

// The channels-last GEMM path (layers whose weights are too large for the in-place tiles, and
// every layer on the generic ISA) cuts the pixels into chunks of whole slivers shared evenly:
// every pixel is in one chunk, the chunks' sliver counts differ by at most one, and the output
// matches the definition at 1 to 3 threads.
TEST_P(IsaTest, ChannelsLastGemmSharesSliversEvenly) {
  using namespace onnxedge::ops;  // NOLINT: the engine's internal API
  constexpr int64_t kMr = kernels::kGemmMr;
  // ResNet-18's 7x7 x 512 layers (K = 4608) on two threads: 24 + 25 rows, not 30 + 19.
  GemmPlan p = PlanConvNhwcGemm(49, 32, 4608, 2);
  ASSERT_EQ(p.chunks, 2);
  EXPECT_EQ(p.ChunkBegin(1, 49), 24);
  EXPECT_EQ(p.ChunkBegin(2, 49), 49);
  EXPECT_EQ(p.n_splits, 1);
  for (int64_t pixels : {1, 7, 49, 98, 500, 3136}) {
    for (int64_t panels : {1, 3, 32}) {
      for (int64_t threads : {1, 2, 3}) {
        p = PlanConvNhwcGemm(pixels, panels, 576, threads);
        ASSERT_GE(p.chunks, 1);
        EXPECT_EQ(p.ChunkBegin(0, pixels), 0);
        EXPECT_EQ(p.ChunkBegin(p.chunks, pixels), pixels);
        int64_t fewest = pixels, most = 0;
        for (int64_t c = 0; c < p.chunks; ++c) {
          const int64_t b = p.ChunkBegin(c, pixels), e = p.ChunkBegin(c + 1, pixels);
          EXPECT_EQ(b % kMr, 0);
          EXPECT_LE(e - b, p.MaxChunkRows());
          const int64_t slivers = (e - b + kMr - 1) / kMr;
          fewest = std::min(fewest, slivers);
          most = std::max(most, slivers);
        }
        EXPECT_LE(most - fewest, 1) << pixels << " pixels, " << threads << " threads";
        if (threads > 1 && p.slivers >= threads) {
          EXPECT_EQ(p.chunks % threads, 0);
        }
        EXPECT_GE(p.split_panels * p.n_splits, panels);
        EXPECT_LT(p.split_panels * (p.n_splits - 1), panels);
      }
    }
  }
  uint32_t seed = 950;
  for (const Conv2D& cc :
       {Conv2D{1, 24, 256, 1, 7, 7, 3, 3, 1, 1}, Conv2D{2, 16, 40, 1, 7, 7, 3, 3, 1, 1},
        Conv2D{1, 8, 112, 1, 9, 5, 3, 3, 2, 1}, Conv2D{1, 32, 48, 1, 1, 1, 1, 1, 1, 0}}) {
    const Shape ws{cc.m, cc.c, cc.kh, cc.kw};
    auto x = Random(static_cast<size_t>(cc.n * cc.c * cc.h * cc.w), seed++);
    auto w = Random(static_cast<size_t>(cc.m * cc.c * cc.kh * cc.kw), seed++, -0.2f, 0.2f);
    auto b = Random(static_cast<size_t>(cc.m), seed++);
    int64_t oh = 0, ow = 0;
    const std::vector<double> nchw = NaiveConv2D(cc, x, w, b, &oh, &ow);
    const std::vector<double> want = Permute(nchw, cc.n, cc.m, oh, ow, true);
    const std::vector<float> x_nhwc = Permute(x, cc.n, cc.c, cc.h, cc.w, true);
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      ConvNhwcWeights prepared;
      PrepareConvNhwcWeights(w.data(), ws, 1, &prepared, &pool, nullptr);
      ASSERT_GT(prepared.packed.K, 0);
      std::vector<float> y(want.size(), -7.f);
      ConvNhwcArgs a;
      a.batch = cc.n;
      a.h = cc.h;
      a.w = cc.w;
      a.c = cc.c;
      a.m = cc.m;
      a.stride_h = a.stride_w = cc.stride;
      a.pad_top = a.pad_left = cc.pad;
      a.oh = oh;
      a.ow = ow;
      a.x = x_nhwc.data();
      a.bias = b.data();
      a.y = y.data();
      RunConvNhwcGemm(prepared, a, &pool);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], want[i], 1e-4 * (1 + std::fabs(want[i])))
            << "case " << seed << " at " << i << ", " << threads << " threads";
      }
    }
  }
}

// The channels-last engine takes Winograd exactly where the NCHW engine does (ChooseWinograd),
// so the cases above with C >= 32, M >= 16 and a 3x3 stride-1 window run it; layers with at most
// kNhwcSmallM output channels get the dot-product rows.
TEST(ConvNhwc, PreparesTheWeightsForTheChosenPath) {
  using namespace onnxedge::ops;  // NOLINT: the engine's internal API
  ConvF32Hints unit;
  unit.unit_stride_dilation = true;
  ConvF32Hints strided;
  const Shape w33{40, 32, 3, 3};
  std::vector<float> w(static_cast<size_t>(40 * 33 * 9));
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i);
  struct Case {
    Shape shape;
    const ConvF32Hints* hints;
    bool winograd;
  };
  for (const Case& c :
       {Case{w33, &unit, true}, Case{w33, &strided, false}, Case{w33, nullptr, false},
        Case{Shape{16, 32, 3, 3}, &unit, true}, Case{Shape{32, 16, 3, 3}, &unit, false},
        Case{Shape{40, 33, 1, 1}, &unit, false}}) {
    ConvNhwcWeights prepared;
    PrepareConvNhwcWeights(w.data(), c.shape, 1, &prepared, nullptr, c.hints);
    EXPECT_EQ(prepared.winograd != nullptr, c.winograd) << ShapeToString(c.shape);
    EXPECT_EQ(prepared.winograd != nullptr, ChooseWinograd(c.shape, 1, c.hints));
    // One copy of the weights: the GEMM panels only without Winograd.
    EXPECT_EQ(prepared.packed.K == 0, c.winograd) << ShapeToString(c.shape);
  }
  // Small maps (under 12 Winograd tiles) take the in-place tiles instead where the CPU has
  // them (AVX-512); 14x14 (16 tiles) keeps Winograd.
  EXPECT_EQ(NhwcDirectBeatsWinograd(10, 10), MaxIsa() >= Isa::kAvx512);
  EXPECT_FALSE(NhwcDirectBeatsWinograd(14, 14));
  EXPECT_FALSE(NhwcDirectBeatsWinograd(0, 0));  // unknown size
  for (int64_t hw : {10, 14}) {
    ConvF32Hints sized = unit;
    sized.out_h = sized.out_w = hw;
    ConvNhwcWeights prepared;
    PrepareConvNhwcWeights(w.data(), w33, 1, &prepared, nullptr, &sized);
    EXPECT_EQ(prepared.winograd != nullptr, !NhwcDirectBeatsWinograd(hw, hw)) << hw;
    EXPECT_EQ(prepared.packed.K == 0, prepared.winograd != nullptr) << hw;
  }
  // Few output channels: W^T rows for the dot-product kernel, no GEMM panels.
  for (int64_t m : {1, 8, 9}) {
    ConvNhwcWeights prepared;
    const Shape ws{m, 5, 3, 3};
    PrepareConvNhwcWeights(w.data(), ws, 1, &prepared, nullptr, &unit);
    EXPECT_EQ(prepared.rows.size(), m <= kNhwcSmallM ? static_cast<size_t>(m * 45) : 0u);
    EXPECT_EQ(prepared.packed.K == 0, m <= kNhwcSmallM);
    if (m != 1) continue;
    // Row 0, k = tap * C + channel: k 5 is W[0][0] tap 1, k 9 is W[0][4] tap 1.
    EXPECT_EQ(prepared.rows[5], w[1]);
    EXPECT_EQ(prepared.rows[9], w[4 * 9 + 1]);
  }
}

// The depthwise cases above with 3x3 and 5x5 windows at strides 1 and 2 (dilation 1) run the
// direct plane kernels on AVX2 and AVX-512 and the row / channels-last paths otherwise; this
// pins which shapes have a direct kernel, so the differential cases cover both.
TEST_P(IsaTest, DepthwiseDirectKernelCoversSquareOddWindows) {
  using namespace onnxedge::ops;  // NOLINT: the engine's internal API
  const bool vector_isa = GetParam() >= onnxedge::Isa::kAvx2;
  for (int64_t k : {3, 5}) {
    for (int64_t s : {1, 2}) {
      EXPECT_EQ(SelectDepthwiseDirect(k, k, s, s) != nullptr, vector_isa) << k << " " << s;
    }
  }
  EXPECT_EQ(SelectDepthwiseDirect(3, 3, 1, 2), nullptr);
  EXPECT_EQ(SelectDepthwiseDirect(7, 7, 1, 1), nullptr);
  EXPECT_EQ(SelectDepthwiseDirect(1, 3, 1, 1), nullptr);
  EXPECT_EQ(SelectDepthwiseDirect(3, 3, 3, 3), nullptr);
}

// com.onnxedge MaxPool (channels_last) against the standard MaxPool on the permuted input,
// NaN included, with pads, strides, dilation and ceil_mode.
// On every ISA (the vector max rows of AVX2 / AVX-512 and the portable loop), channel counts
// around the 8- and 16-lane vectors, NaNs propagating from either side of the max.
TEST_P(IsaTest, MaxPoolNhwcMatchesTheNchwMaxPool) {
  struct Case {
    int64_t n, c, h, w, k, s, p, d, ceil;
  };
  uint32_t seed = 500;
  for (const Case& cs : {Case{1, 3, 7, 7, 3, 2, 1, 1, 0}, Case{2, 17, 8, 9, 3, 1, 1, 1, 0},
                         Case{1, 16, 13, 13, 5, 1, 2, 1, 0}, Case{1, 5, 9, 10, 2, 2, 0, 1, 1},
                         Case{1, 4, 9, 9, 3, 1, 2, 2, 0}, Case{1, 1, 1, 1, 1, 1, 0, 1, 0},
                         // SPP blocks: stride 1, windows as large as the map.
                         Case{1, 16, 13, 13, 13, 1, 6, 1, 0}, Case{2, 9, 13, 11, 9, 1, 4, 1, 0},
                         // SPPF (YOLOX-nano): 5x5 stride 1 on 13x13 x 128; lane remainders.
                         Case{1, 128, 13, 13, 5, 1, 2, 1, 0}, Case{1, 33, 6, 7, 3, 1, 1, 1, 0},
                         Case{1, 8, 5, 5, 3, 2, 1, 1, 0}, Case{1, 31, 4, 4, 2, 1, 0, 1, 0}}) {
    auto x = Random(static_cast<size_t>(cs.n * cs.c * cs.h * cs.w), seed++);
    x[x.size() / 2] = std::numeric_limits<float>::quiet_NaN();
    x[x.size() / 3] = std::numeric_limits<float>::quiet_NaN();
    x[x.size() - 1] = std::numeric_limits<float>::quiet_NaN();
    auto run = [&](bool nhwc) {
      OpTest t("MaxPool", nhwc ? 1 : 12, nhwc ? "com.onnxedge" : "");
      t.Input("x", Tensor::FromVector<float>(
                       nhwc ? Shape{cs.n, cs.h, cs.w, cs.c} : Shape{cs.n, cs.c, cs.h, cs.w},
                       nhwc ? Permute(x, cs.n, cs.c, cs.h, cs.w, true) : x))
          .Attr("kernel_shape", std::vector<int64_t>{cs.k, cs.k})
          .Attr("strides", std::vector<int64_t>{cs.s, cs.s})
          .Attr("dilations", std::vector<int64_t>{cs.d, cs.d})
          .Attr("pads", std::vector<int64_t>{cs.p, cs.p, cs.p, cs.p})
          .Attr("ceil_mode", cs.ceil);
      if (nhwc) t.Attr("channels_last", int64_t{1});
      t.Output("y");
      SessionOptions o;
      o.intra_op_threads = 2;
      return t.Run(o);
    };
    auto want = run(false);
    auto got = run(true);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const Tensor& a = (*want)[0].value.tensor();
    const Tensor& b = (*got)[0].value.tensor();
    ASSERT_EQ(b.shape(), (Shape{a.dim(0), a.dim(2), a.dim(3), a.dim(1)}));
    auto bv = Permute(b.ToVector<float>(), a.dim(0), a.dim(1), a.dim(2), a.dim(3), false);
    auto av = a.ToVector<float>();
    for (size_t i = 0; i < av.size(); ++i) {
      if (std::isnan(av[i])) {
        EXPECT_TRUE(std::isnan(bv[i])) << i;
      } else {
        EXPECT_EQ(av[i], bv[i]) << i;
      }
    }
  }
}

TEST(FusedConv, ChannelsLastRefusesUnsupportedGroupings) {
  // group 2 with 2 input channels per group: not a channels-last grouping.
  OpTest t("FusedConv", 1, "com.onnxedge");
  t.Input("x", Tensor::FromVector<float>({1, 3, 3, 4}, std::vector<float>(36, 1.f)))
      .ConstantInput("w", Tensor::FromVector<float>({4, 2, 1, 1}, std::vector<float>(8, 1.f)))
      .Attr("group", int64_t{2})
      .Attr("channels_last", int64_t{1})
      .Output("y");
  auto r = t.Run(SessionOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("channels_last"), std::string::npos)
      << r.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Isas, IsaTest, ::testing::ValuesIn(AvailableIsas()),
                         testing::IsaParamName);

TEST(FusedConv, ErrorsNameTheProblem) {
  auto x = Tensor::FromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  auto w = Tensor::FromVector<float>({1, 1, 1, 1}, {2.f});
  {
    auto r = OpTest("FusedConv", 1, "com.onnxedge")
                 .Attr("activation", "Elu")
                 .Input("x", x)
                 .ConstantInput("w", w)
                 .Output("y")
                 .Run();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("activation"), std::string::npos) << r.status().ToString();
  }
  {  // Gelu takes no parameters.
    auto r = OpTest("FusedConv", 1, "com.onnxedge")
                 .Attr("activation", "Gelu")
                 .Attr("activation_params", std::vector<float>{1.f})
                 .Input("x", x)
                 .ConstantInput("w", w)
                 .Output("y")
                 .Run();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("Gelu"), std::string::npos) << r.status().ToString();
  }
  {
    auto r = OpTest("FusedConv", 1, "com.onnxedge")
                 .Attr("activation", "Relu")
                 .Input("x", x)
                 .ConstantInput("w", w)
                 .OmittedInput()
                 .Input("z", Tensor::FromVector<float>({1, 1, 2, 2}, std::vector<float>(4, 0.f)))
                 .Output("y")
                 .Run();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("input Z"), std::string::npos) << r.status().ToString();
  }
  {
    // Relu without params works; the value checks the fused activation.
    auto r = OpTest("FusedConv", 1, "com.onnxedge")
                 .Attr("activation", "Clip")
                 .Attr("activation_params", std::vector<float>{0.f, 1.5f})
                 .Input("x", x)
                 .ConstantInput("w", w)
                 .Output("y")
                 .Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), std::vector<float>(9, 1.5f));
  }
}

TEST(FusedConv, DoubleReferencePathAppliesActivationAndResidual) {
  auto x = Tensor::FromVector<double>({1, 1, 2, 2}, {1, -2, 3, -4});
  auto w = Tensor::FromVector<double>({1, 1, 1, 1}, {2});
  auto z = Tensor::FromVector<double>({1, 1, 2, 2}, {0.5, 0.5, -10, 0.5});
  auto r = OpTest("FusedConv", 1, "com.onnxedge")
               .Attr("activation", "Relu")
               .Input("x", x)
               .ConstantInput("w", w)
               .OmittedInput()
               .Input("z", z)
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<double>(), (std::vector<double>{2.5, 0, 0, 0}));
}

// --- FusedGemm --------------------------------------------------------------------------------

void RunFusedGemm(const Shape& a_shape, int64_t n, bool trans_b, const Act& act, bool bias,
                  bool constant_b, uint32_t seed) {
  const int64_t k = a_shape.back();
  int64_t m = 1;
  for (size_t i = 0; i + 1 < a_shape.size(); ++i) m *= a_shape[i];
  auto a = Random(static_cast<size_t>(m * k), seed, -2.f, 2.f);
  auto b = Random(static_cast<size_t>(k * n), seed + 1, -2.f / std::sqrt(static_cast<float>(k)),
                  2.f / std::sqrt(static_cast<float>(k)));
  auto c = Random(static_cast<size_t>(n), seed + 2);
  std::vector<double> want(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        acc += static_cast<double>(a[static_cast<size_t>(i * k + p)]) *
               b[static_cast<size_t>(trans_b ? j * k + p : p * n + j)];
      }
      const double v = 1.5 * acc + (bias ? 0.5 * c[static_cast<size_t>(j)] : 0.0);
      want[static_cast<size_t>(i * n + j)] = ApplyRef(v, act);
    }
  }
  OpTest t("FusedGemm", 1, "com.onnxedge");
  t.Input("a", Tensor::FromVector<float>(a_shape, a));
  const Shape bs = trans_b ? Shape{n, k} : Shape{k, n};
  if (constant_b) {
    t.ConstantInput("b", Tensor::FromVector<float>(bs, b));
  } else {
    t.Input("b", Tensor::FromVector<float>(bs, b));
  }
  if (bias) t.ConstantInput("c", Tensor::FromVector<float>({n}, c));
  t.Attr("alpha", 1.5f).Attr("beta", 0.5f).Attr("transB", int64_t{trans_b ? 1 : 0});
  if (!act.name.empty()) {
    t.Attr("activation", act.name);
    if (!act.params.empty()) t.Attr("activation_params", act.params);
  }
  t.Output("y");
  auto r = t.Run();
  const std::string what = "a=" + ShapeToString(a_shape) + " n=" + std::to_string(n) +
                           " act=" + act.name + " isa=" + IsaName(MaxIsa());
  ASSERT_TRUE(r.ok()) << what << ": " << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  Shape ys(a_shape.begin(), a_shape.end() - 1);
  ys.push_back(n);
  ASSERT_EQ(y.shape(), ys) << what;
  ExpectNear(y.ToVector<float>(), want, 1e-5 * std::sqrt(static_cast<double>(k)) + 1e-6, what);
}

TEST_P(IsaTest, FusedGemmMatchesDefinition) {
  uint32_t seed = 300;
  for (const Act& act : AllActs()) {
    RunFusedGemm({7, 33}, 17, false, act, true, true, seed++);
    const bool has_c = seed % 2 == 0;
    RunFusedGemm({2, 3, 40}, 65, true, act, true, has_c, seed++);
    RunFusedGemm({1, 1, 300}, 48, false, act, false, true, seed++);
  }
  RunFusedGemm({0, 5}, 3, false, {"Relu", {}}, true, true, seed++);  // empty M
}

// The GELU epilogue applies the Gelu op's own function (kernels/vecmath.h) to each finished
// block of C, so FusedGemm(activation = Gelu | GeluTanh) equals Gemm followed by Gelu bit for
// bit: tile remainders in M and N (7 x 17, 130 x 70), a 3-D A, K across the K block (300), M
// across the 72-row block and N across the 512-column block with a partial last panel
// (150 x 600), products large enough to split across threads, 1 and 3 threads, constant and
// runtime B.
TEST_P(IsaTest, FusedGemmGeluEqualsGemmThenGeluExactly) {
  struct Case {
    Shape a;
    int64_t n;
    bool constant_b;
  };
  uint32_t seed = 700;
  for (const char* approximate : {"none", "tanh"}) {
    for (const Case& c :
         {Case{{7, 33}, 17, true}, Case{{130, 64}, 70, false}, Case{{2, 5, 300}, 48, true},
          Case{{128, 256}, 160, true}, Case{{150, 40}, 600, true}}) {
      for (int threads : {1, 3}) {
        const int64_t k = c.a.back(), m = ShapeElementCount(c.a) / k;
        auto a = Tensor::FromVector<float>(c.a, Random(static_cast<size_t>(m * k), seed, -2, 2));
        const float s = 3.f / std::sqrt(static_cast<float>(k));
        auto b = Tensor::FromVector<float>({k, c.n},
                                           Random(static_cast<size_t>(k * c.n), seed + 1, -s, s));
        auto bias = Tensor::FromVector<float>({c.n}, Random(static_cast<size_t>(c.n), seed + 2));
        ++seed;
        SessionOptions opts;
        opts.intra_op_threads = threads;
        auto add_inputs = [&](OpTest& t) {
          t.Input("a", a);
          if (c.constant_b) {
            t.ConstantInput("b", b);
          } else {
            t.Input("b", b);
          }
          t.ConstantInput("c", bias).Attr("alpha", 0.75f).Attr("beta", 1.25f).Output("y");
        };
        // Gemm is 2-D only: the 3-D case multiplies the same rows as [m, k].
        OpTest gemm("Gemm", 13);
        gemm.Input("a", Tensor::FromVector<float>({m, k}, a.ToVector<float>()));
        if (c.constant_b) {
          gemm.ConstantInput("b", b);
        } else {
          gemm.Input("b", b);
        }
        gemm.ConstantInput("c", bias).Attr("alpha", 0.75f).Attr("beta", 1.25f).Output("h");
        auto h = gemm.Run(opts);
        ASSERT_TRUE(h.ok()) << h.status().ToString();
        auto gelu = OpTest("Gelu", 20)
                        .Attr("approximate", approximate)
                        .Input("h", (*h)[0].value.tensor())
                        .Output("y")
                        .Run(opts);
        ASSERT_TRUE(gelu.ok()) << gelu.status().ToString();
        OpTest fused("FusedGemm", 1, "com.onnxedge");
        add_inputs(fused);
        fused.Attr("activation", std::string(approximate) == "tanh" ? "GeluTanh" : "Gelu");
        auto y = fused.Run(opts);
        ASSERT_TRUE(y.ok()) << y.status().ToString();
        const std::vector<float> want = (*gelu)[0].value.tensor().ToVector<float>();
        const std::vector<float> got = (*y)[0].value.tensor().ToVector<float>();
        ASSERT_EQ(got.size(), want.size());
        size_t differ = 0;
        for (size_t i = 0; i < got.size(); ++i) differ += got[i] != want[i];
        EXPECT_EQ(differ, 0u) << "a=" << ShapeToString(c.a) << " n=" << c.n
                              << " approximate=" << approximate << " threads=" << threads
                              << " isa=" << IsaName(MaxIsa());
      }
    }
  }
}

TEST(FusedGemm, RankAboveTwoNeedsTransAZero) {
  auto r = OpTest("FusedGemm", 1, "com.onnxedge")
               .Attr("transA", int64_t{1})
               .Input("a", Tensor::FromVector<float>({1, 2, 2}, {1, 2, 3, 4}))
               .Input("b", Tensor::FromVector<float>({2, 2}, {1, 0, 0, 1}))
               .Output("y")
               .Run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("2-D"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace onnxedge
