// Copyright onnxedge authors.
// com.onnxedge FusedExpandDepthwise against the pair it replaces (FusedConv 1x1 followed by
// FusedConv depthwise, each checked against the definition in fused_conv_gemm_test.cc), for
// every ISA this CPU has, within float rounding (2e-5 relative; a wrong row, column, channel,
// pad or activation is off by far more). Shapes cover several bands with a remainder, bands
// of one output row (maps wider than the band budget), channel groups with a remainder, 3x3 and
// 5x5, strides 1 and 2, asymmetric pads, batch 2, 1 and 2 threads, no biases, and every
// activation on either side.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "isa_param_test.h"
#include "ops/op_test_util.h"
#include "test_random.h"

namespace onnxedge {
namespace {

using testing::OpTest;

struct Act {
  std::string name;
  std::vector<float> params;
};

std::vector<Act> AllActs() {
  return {{"", {}},        {"Relu", {}}, {"Clip", {-0.5f, 0.6f}},        {"LeakyRelu", {0.2f}},
          {"Sigmoid", {}}, {"Silu", {}}, {"HardSigmoid", {0.25f, 0.5f}}, {"HardSwish", {}},
          {"Gelu", {}},    {"GeluTanh", {}}};
}

struct Case {
  int64_t n, c, e, h, w, k, s;
  std::vector<int64_t> pads;  // top, left, bottom, right
  bool bias = true;
};

std::string Describe(const Case& c, const Act& a1, const Act& a2, int threads) {
  std::string p;
  for (int64_t v : c.pads) p += std::to_string(v) + ",";
  return "n=" + std::to_string(c.n) + " c=" + std::to_string(c.c) + " e=" + std::to_string(c.e) +
         " " + std::to_string(c.h) + "x" + std::to_string(c.w) + " k=" + std::to_string(c.k) +
         " s=" + std::to_string(c.s) + " pads=" + p + " act1=" + a1.name + " act2=" + a2.name +
         " threads=" + std::to_string(threads) + " isa=" + IsaName(MaxIsa());
}

void SetAct(OpTest& t, const Act& a, const std::string& prefix) {
  if (a.name.empty()) return;
  t.Attr(prefix + "activation", a.name);
  if (!a.params.empty()) t.Attr(prefix + "activation_params", a.params);
}

StatusOr<std::vector<float>> RunOne(OpTest& t, int threads) {
  SessionOptions opts;
  opts.intra_op_threads = threads;
  auto r = t.Run(opts);
  if (!r.ok()) return r.status();
  return (*r)[0].value.tensor().ToVector<float>();
}

// Runs the fused op and the separate pair on the same data; expects equal outputs.
void Check(const Case& c, const Act& a1, const Act& a2, int threads, uint32_t seed) {
  const std::string what = Describe(c, a1, a2, threads);
  const auto x = testing::RandomUniform(static_cast<size_t>(c.n * c.c * c.h * c.w), seed, -2, 2);
  const float s1 = 2.f / std::sqrt(static_cast<float>(c.c));
  const auto w1 = testing::RandomUniform(static_cast<size_t>(c.e * c.c), seed + 1, -s1, s1);
  const auto b1 = testing::RandomUniform(static_cast<size_t>(c.e), seed + 2, -1, 1);
  const float s2 = 2.f / static_cast<float>(c.k);
  const auto w2 = testing::RandomUniform(static_cast<size_t>(c.e * c.k * c.k), seed + 3, -s2, s2);
  const auto b2 = testing::RandomUniform(static_cast<size_t>(c.e), seed + 4, -1, 1);
  const Tensor xt = Tensor::FromVector<float>({c.n, c.c, c.h, c.w}, x);
  const Tensor w1t = Tensor::FromVector<float>({c.e, c.c, 1, 1}, w1);
  const Tensor w2t = Tensor::FromVector<float>({c.e, 1, c.k, c.k}, w2);
  const Tensor b1t = Tensor::FromVector<float>({c.e}, b1);
  const Tensor b2t = Tensor::FromVector<float>({c.e}, b2);

  // The pair.
  OpTest ex("FusedConv", 1, "com.onnxedge");
  ex.Input("x", xt).ConstantInput("w", w1t);
  if (c.bias) ex.ConstantInput("b", b1t);
  SetAct(ex, a1, "");
  ex.Output("y");
  auto mid = RunOne(ex, threads);
  ASSERT_TRUE(mid.ok()) << what << ": " << mid.status().ToString();
  const int64_t oh = (c.h + c.pads[0] + c.pads[2] - c.k) / c.s + 1;
  const int64_t ow = (c.w + c.pads[1] + c.pads[3] - c.k) / c.s + 1;
  OpTest dw("FusedConv", 1, "com.onnxedge");
  dw.Input("x", Tensor::FromVector<float>({c.n, c.e, c.h, c.w}, *mid)).ConstantInput("w", w2t);
  if (c.bias) dw.ConstantInput("b", b2t);
  dw.Attr("group", c.e)
      .Attr("strides", std::vector<int64_t>{c.s, c.s})
      .Attr("pads", c.pads);
  SetAct(dw, a2, "");
  dw.Output("y");
  auto want = RunOne(dw, threads);
  ASSERT_TRUE(want.ok()) << what << ": " << want.status().ToString();

  // The fused op.
  OpTest f("FusedExpandDepthwise", 1, "com.onnxedge");
  f.Input("x", xt).ConstantInput("w1", w1t);
  if (c.bias) {
    f.ConstantInput("b1", b1t);
  } else {
    f.OmittedInput();
  }
  f.ConstantInput("w2", w2t);
  if (c.bias) {
    f.ConstantInput("b2", b2t);
  } else {
    f.OmittedInput();
  }
  f.Attr("strides", std::vector<int64_t>{c.s, c.s})
      .Attr("pads", c.pads)
      .Attr("kernel_shape", std::vector<int64_t>{c.k, c.k});
  SetAct(f, a1, "expand_");
  SetAct(f, a2, "");
  f.Output("y");
  auto got = RunOne(f, threads);
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
  ASSERT_EQ(got->size(), static_cast<size_t>(c.n * c.e * oh * ow)) << what;
  ASSERT_EQ(got->size(), want->size()) << what;
  // Within float rounding: the GEMM tiles split K over accumulator sets by tile shape, and the
  // fused op's column blocks (bands) fall into different tiles than the 1x1 layer's.
  for (size_t i = 0; i < got->size(); ++i) {
    const float g = (*got)[i], r = (*want)[i];
    ASSERT_NEAR(g, r, 2e-5 * (1 + std::fabs(r))) << what << " at " << i;
  }
}

class FusedExpandDepthwiseTest : public testing::IsaParamTest {};

TEST_P(FusedExpandDepthwiseTest, EqualsTheSeparatePairOnEveryShape) {
  const Act clip{"Clip", {0.f, 6.f}};
  const std::vector<Case> cases = {
      // Two bands with a remainder (4096 expanded columns per band: 108 output rows at 37
      // wide), 30 channels = a group of 24 and one of 6.
      {1, 8, 30, 131, 37, 3, 1, {1, 1, 1, 1}},
      {1, 8, 30, 131, 37, 3, 2, {1, 1, 1, 1}},
      {2, 5, 13, 67, 45, 5, 1, {2, 2, 2, 2}},
      {1, 6, 48, 70, 51, 5, 2, {2, 1, 1, 2}},
      // Bands of one output row (a row wider than the band budget).
      {1, 3, 7, 5, 2050, 3, 1, {1, 1, 1, 1}},
      {1, 3, 7, 6, 2051, 3, 2, {0, 1, 1, 0}},
      // Many bands, each keeping the previous band's last rows (4 at 5x5 stride 1, 3 at
      // stride 2, 2 at 3x3 stride 1 with bands of 8 rows and a remainder of 2).
      {1, 4, 12, 40, 1030, 5, 1, {2, 2, 2, 2}},
      {1, 4, 12, 41, 1030, 5, 2, {2, 2, 2, 2}},
      {1, 4, 30, 50, 300, 3, 1, {1, 1, 1, 1}},
      // Small odd maps, no padding, no biases, batch 2.
      {2, 4, 9, 7, 11, 3, 1, {0, 0, 0, 0}, false},
      {2, 4, 9, 9, 13, 5, 2, {0, 0, 0, 0}},
      {1, 16, 96, 24, 112, 3, 2, {1, 1, 1, 1}},  // MobileNetV2's features.2, cropped
  };
  uint32_t seed = 500;
  for (int threads : {1, 2}) {
    for (const Case& c : cases) {
      Check(c, clip, clip, threads, seed += 10);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_P(FusedExpandDepthwiseTest, EveryActivationOnEitherSide) {
  const Case c{1, 5, 11, 13, 19, 3, 1, {1, 1, 1, 1}};
  const Case c2{1, 5, 11, 13, 19, 3, 2, {1, 1, 1, 1}};
  uint32_t seed = 700;
  for (const Act& a : AllActs()) {
    Check(c, a, Act{"Relu", {}}, 2, seed += 10);
    Check(c2, Act{"Clip", {0.f, 6.f}}, a, 1, seed += 10);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, FusedExpandDepthwiseTest, ::testing::ValuesIn(AvailableIsas()),
                         testing::IsaParamName);

TEST(FusedExpandDepthwise, ErrorsNameTheProblem) {
  const Tensor x = Tensor::FromVector<float>({1, 2, 4, 4}, std::vector<float>(32, 1.f));
  const Tensor w1 = Tensor::FromVector<float>({3, 2, 1, 1}, std::vector<float>(6, 0.5f));
  const Tensor w2 = Tensor::FromVector<float>({3, 1, 3, 3}, std::vector<float>(27, 0.5f));
  auto run = [&](const Tensor& xin, const Tensor& w2in, std::vector<int64_t> pads,
                 std::vector<int64_t> strides, bool w1_const) {
    OpTest f("FusedExpandDepthwise", 1, "com.onnxedge");
    f.Input("x", xin);
    if (w1_const) {
      f.ConstantInput("w1", w1);
    } else {
      f.Input("w1", w1);
    }
    f.OmittedInput().ConstantInput("w2", w2in).OmittedInput();
    f.Attr("pads", pads).Attr("strides", strides).Output("y");
    return f.Run();
  };
  auto ok = run(x, w2, {1, 1, 1, 1}, {1, 1}, true);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  // All-ones input, W1 0.5, W2 0.5: each output is 0.5 * (taps inside) * (2 * 0.5).
  EXPECT_EQ((*ok)[0].value.tensor().ToVector<float>()[0], 2.f);  // corner: 4 taps
  EXPECT_EQ((*ok)[0].value.tensor().ToVector<float>()[5], 4.5f);  // inside: 9 taps
  auto bad_pad = run(x, w2, {3, 1, 1, 1}, {1, 1}, true);
  ASSERT_FALSE(bad_pad.ok());
  EXPECT_NE(bad_pad.status().message().find("pads"), std::string::npos);
  auto bad_stride = run(x, w2, {1, 1, 1, 1}, {1, 2}, true);
  ASSERT_FALSE(bad_stride.ok());
  EXPECT_NE(bad_stride.status().message().find("strides"), std::string::npos);
  auto not_const = run(x, w2, {1, 1, 1, 1}, {1, 1}, false);
  ASSERT_FALSE(not_const.ok());
  EXPECT_NE(not_const.status().message().find("constant"), std::string::npos);
  const Tensor bad_w2 = Tensor::FromVector<float>({3, 2, 3, 3}, std::vector<float>(54, 0.5f));
  auto w2_shape = run(x, bad_w2, {1, 1, 1, 1}, {1, 1}, true);
  ASSERT_FALSE(w2_shape.ok());
  EXPECT_NE(w2_shape.status().message().find("W2"), std::string::npos);
  const Tensor x3 = Tensor::FromVector<float>({1, 3, 4, 4}, std::vector<float>(48, 1.f));
  auto channels = run(x3, w2, {1, 1, 1, 1}, {1, 1}, true);
  ASSERT_FALSE(channels.ok());
  EXPECT_NE(channels.status().message().find("input X"), std::string::npos);
  const Tensor tiny = Tensor::FromVector<float>({1, 2, 1, 1}, std::vector<float>(2, 1.f));
  auto small = run(tiny, w2, {0, 0, 0, 0}, {1, 1}, true);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("smaller"), std::string::npos);
}

}  // namespace
}  // namespace onnxedge
