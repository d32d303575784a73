// Copyright onnxedge authors.
// Edge cases of the elementwise ops beyond the ONNX conformance data: broadcasting (including
// the pre-opset-7 attributes), integer corner cases, NaN handling, 16-bit floats, Cast's string
// formatting and parsing, empty tensors, large (multi-threaded) tensors, and error reporting.
// Expected values come from hand computation or from naive loops written here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "ops/common/op_util.h"
#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

using testing::OpTest;

using Result = StatusOr<std::vector<NamedValue>>;

const Tensor& Out(const Result& r, size_t i = 0) { return (*r)[i].value.tensor(); }

template <typename T>
std::vector<T> OutVec(const Result& r, size_t i = 0) {
  return Out(r, i).ToVector<T>();
}

// Runs a one-input op on x at `opset`.
Result Unary(const std::string& op, const Tensor& x, int opset = 17) {
  return OpTest(op, opset).Input("x", x).Output("y").Run();
}

Result Binary(const std::string& op, const Tensor& a, const Tensor& b, int opset = 17) {
  return OpTest(op, opset).Input("a", a).Input("b", b).Output("c").Run();
}

void ExpectErrorMentions(const Result& r, const std::string& what) {
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("node 'node'"), std::string::npos) << r.status().message();
}

// Index of output element `o` (row-major over out_shape) in an input of shape `in` under numpy
// broadcasting: the reference the broadcast tests compare against.
int64_t BroadcastIndex(int64_t o, const Shape& out, const Shape& in) {
  int64_t idx = 0, stride = 1;
  for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
    const int64_t coord = o % out[static_cast<size_t>(d)];
    o /= out[static_cast<size_t>(d)];
    const int64_t id = d - static_cast<int64_t>(out.size() - in.size());
    if (id < 0) continue;
    const int64_t dim = in[static_cast<size_t>(id)];
    if (dim != 1) idx += coord * stride;
    stride *= dim;
  }
  return idx;
}

std::vector<float> Iota(int64_t n, float start = 0.f, float step = 1.f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + step * static_cast<float>(i);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Unary math

TEST(ElementwiseUnary, AbsAndNegWrapAtIntegerMinimum) {
  auto a = Unary("Abs", Tensor::FromVector<int8_t>({4}, {-128, -5, 0, 127}));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(OutVec<int8_t>(a), (std::vector<int8_t>{-128, 5, 0, 127}));
  auto n = Unary("Neg", Tensor::FromVector<int32_t>({3}, {INT32_MIN, -3, 7}));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(n), (std::vector<int32_t>{INT32_MIN, 3, -7}));
  auto u = Unary("Abs", Tensor::FromVector<uint16_t>({2}, {65535, 3}));
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(OutVec<uint16_t>(u), (std::vector<uint16_t>{65535, 3}));
}

TEST(ElementwiseUnary, RoundIsHalfToEven) {
  auto r = Unary("Round", Tensor::FromVector<float>(
                              {8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4999f, -2.6f}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutVec<float>(r), (std::vector<float>{0.f, 2.f, 2.f, -0.f, -2.f, -2.f, 2.f, -3.f}));
  // Float16 goes through float and back.
  auto h = Unary("Round", Tensor::FromVector<Float16>({2}, {Float16(3.5f), Float16(4.5f)}));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(static_cast<float>(OutVec<Float16>(h)[0]), 4.f);
  EXPECT_EQ(static_cast<float>(OutVec<Float16>(h)[1]), 4.f);
}

TEST(ElementwiseUnary, SignKeepsNaNAndHandlesUnsigned) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = Unary("Sign", Tensor::FromVector<float>({4}, {-3.f, 0.f, 2.f, nan}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto v = OutVec<float>(r);
  EXPECT_EQ(v[0], -1.f);
  EXPECT_EQ(v[1], 0.f);
  EXPECT_EQ(v[2], 1.f);
  EXPECT_TRUE(std::isnan(v[3]));
  auto u = Unary("Sign", Tensor::FromVector<uint8_t>({2}, {0, 200}));
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(OutVec<uint8_t>(u), (std::vector<uint8_t>{0, 1}));
}

TEST(ElementwiseUnary, MathFunctionsMatchStd) {
  const std::vector<float> x = {0.1f, 0.5f, 0.9f, -0.3f};
  struct Case {
    const char* op;
    double (*f)(double);
  };
  const Case cases[] = {{"Acos", std::acos},   {"Asin", std::asin},   {"Atan", std::atan},
                        {"Cos", std::cos},     {"Sin", std::sin},     {"Tan", std::tan},
                        {"Asinh", std::asinh}, {"Atanh", std::atanh}, {"Cosh", std::cosh},
                        {"Sinh", std::sinh},   {"Exp", std::exp},     {"Tanh", std::tanh},
                        {"Erf", std::erf},     {"Ceil", std::ceil},   {"Floor", std::floor}};
  for (const Case& c : cases) {
    auto r = Unary(c.op, Tensor::FromVector<float>({4}, x));
    ASSERT_TRUE(r.ok()) << c.op << ": " << r.status().ToString();
    auto v = OutVec<float>(r);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(v[i], c.f(x[i]), 1e-6) << c.op << "(" << x[i] << ")";
    }
  }
  auto ac = Unary("Acosh", Tensor::FromVector<double>({2}, {1.0, 10.0}));
  ASSERT_TRUE(ac.ok()) << ac.status().ToString();
  EXPECT_DOUBLE_EQ(OutVec<double>(ac)[1], std::log(10.0 + std::sqrt(99.0)));
}

TEST(ElementwiseUnary, LogSqrtReciprocalSpecialValues) {
  auto l = Unary("Log", Tensor::FromVector<float>({3}, {0.f, -1.f, std::exp(2.f)}));
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(OutVec<float>(l)[0], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(OutVec<float>(l)[1]));
  EXPECT_NEAR(OutVec<float>(l)[2], 2.f, 1e-6);
  auto s = Unary("Sqrt", Tensor::FromVector<double>({2}, {-4.0, 2.25}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(std::isnan(OutVec<double>(s)[0]));
  EXPECT_EQ(OutVec<double>(s)[1], 1.5);
  auto rc = Unary("Reciprocal", Tensor::FromVector<float>({2}, {0.f, -4.f}));
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(OutVec<float>(rc),
            (std::vector<float>{std::numeric_limits<float>::infinity(), -0.25f}));
}

TEST(ElementwiseUnary, ErfOnIntegersTruncates) {
  auto r = Unary("Erf", Tensor::FromVector<int32_t>({3}, {-5, 0, 3}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // erf(-5) = -0.99999999999846 -> 0 after truncation toward zero; erf(3) = 0.99997 -> 0.
  EXPECT_EQ(OutVec<int32_t>(r), (std::vector<int32_t>{0, 0, 0}));
}

TEST(ElementwiseUnary, NotAndBitwiseNot) {
  auto n = Unary("Not", Tensor::FromVector<bool>({3}, {true, false, true}));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(OutVec<bool>(n), (std::vector<bool>{false, true, false}));
  auto b = Unary("BitwiseNot", Tensor::FromVector<uint8_t>({2}, {0x0f, 0}), 18);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(OutVec<uint8_t>(b), (std::vector<uint8_t>{0xf0, 0xff}));
  auto s = Unary("BitwiseNot", Tensor::FromVector<int16_t>({2}, {0, -1}), 18);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(OutVec<int16_t>(s), (std::vector<int16_t>{-1, 0}));
}

TEST(ElementwiseUnary, EmptyAndScalarTensors) {
  auto e = Unary("Exp", *Tensor::Allocate(DataType::kFloat, {2, 0, 3}));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Out(e).shape(), (Shape{2, 0, 3}));
  auto s = Unary("Neg", Tensor::Scalar<float>(2.5f));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(Out(s).shape(), Shape{});
  EXPECT_EQ(OutVec<float>(s), std::vector<float>{-2.5f});
}

TEST(ElementwiseUnary, UnsupportedTypeIsRunErrorNamingInput) {
  ExpectErrorMentions(Unary("Sqrt", Tensor::FromVector<int32_t>({1}, {4})), "input 0");
  ExpectErrorMentions(Unary("Not", Tensor::FromVector<float>({1}, {1.f})), "element type float");
}

TEST(ElementwiseUnary, IsInfFlagsAndIsNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::FromVector<float>({4}, {inf, -inf, nan, 1.f});
  auto both = OpTest("IsInf", 10).Input("x", x).Output("y").Run();
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(OutVec<bool>(both), (std::vector<bool>{true, true, false, false}));
  auto pos =
      OpTest("IsInf", 10).Attr("detect_negative", int64_t{0}).Input("x", x).Output("y").Run();
  ASSERT_TRUE(pos.ok()) << pos.status().ToString();
  EXPECT_EQ(OutVec<bool>(pos), (std::vector<bool>{true, false, false, false}));
  auto none = OpTest("IsInf", 10)
                  .Attr("detect_negative", int64_t{0})
                  .Attr("detect_positive", int64_t{0})
                  .Input("x", x)
                  .Output("y")
                  .Run();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(OutVec<bool>(none), (std::vector<bool>{false, false, false, false}));
  auto isnan = Unary("IsNaN", Tensor::FromVector<Float16>({2}, {Float16(nan), Float16(1.f)}));
  ASSERT_TRUE(isnan.ok()) << isnan.status().ToString();
  EXPECT_EQ(OutVec<bool>(isnan), (std::vector<bool>{true, false}));
  EXPECT_EQ(Out(isnan).dtype(), DataType::kBool);
}

// ---------------------------------------------------------------------------------------------
// Activations

TEST(ElementwiseActivation, ReluKeepsNaNAndSupportsInts) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = Unary("Relu", Tensor::FromVector<float>({3}, {-1.f, 2.f, nan}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutVec<float>(r)[0], 0.f);
  EXPECT_EQ(OutVec<float>(r)[1], 2.f);
  EXPECT_TRUE(std::isnan(OutVec<float>(r)[2]));
  auto i = Unary("Relu", Tensor::FromVector<int8_t>({2}, {-7, 7}), 14);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(OutVec<int8_t>(i), (std::vector<int8_t>{0, 7}));
  // Opset 1 with its consumed_inputs attribute.
  auto v1 = OpTest("Relu", 1)
                .Attr("consumed_inputs", std::vector<int64_t>{0})
                .Input("x", Tensor::FromVector<float>({2}, {-1.f, 1.f}))
                .Output("y")
                .Run();
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(OutVec<float>(v1), (std::vector<float>{0.f, 1.f}));
}

TEST(ElementwiseActivation, ParameterisedActivations) {
  const std::vector<float> x = {-2.f, -0.5f, 0.f, 0.5f, 3.f};
  // Generic so that both OpTest temporaries and the references Attr() returns bind.
  auto run = [&](auto&& t) {
    return t.Input("x", Tensor::FromVector<float>({5}, x)).Output("y").Run();
  };
  auto check = [&](const Result& r, auto ref, const char* name) {
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    auto v = OutVec<float>(r);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(v[i], ref(static_cast<double>(x[i])), 1e-6) << name << "(" << x[i] << ")";
    }
  };
  check(
      run(OpTest("LeakyRelu", 16).Attr("alpha", 0.1f)),
      [](double v) { return v < 0 ? 0.1 * v : v; }, "LeakyRelu");
  check(
      run(OpTest("Elu", 6).Attr("alpha", 2.f)),
      [](double v) { return v < 0 ? 2.0 * (std::exp(v) - 1) : v; }, "Elu");
  check(
      run(OpTest("Selu", 6)),
      [](double v) {
        const double a = 1.67326319217681884765625, g = 1.05070102214813232421875;
        return v > 0 ? g * v : g * (a * std::exp(v) - a);
      },
      "Selu");
  check(
      run(OpTest("Celu", 12).Attr("alpha", 2.f)),
      [](double v) { return std::max(0.0, v) + std::min(0.0, 2.0 * (std::exp(v / 2.0) - 1)); },
      "Celu");
  check(
      run(OpTest("HardSigmoid", 6).Attr("alpha", 0.5f).Attr("beta", 0.6f)),
      [](double v) { return std::max(0.0, std::min(1.0, 0.5 * v + 0.6)); }, "HardSigmoid");
  check(
      run(OpTest("HardSwish", 14)),
      [](double v) { return v * std::max(0.0, std::min(1.0, v / 6 + 0.5)); }, "HardSwish");
  check(
      run(OpTest("ThresholdedRelu", 10).Attr("alpha", 0.5f)),
      [](double v) { return v > 0.5 ? v : 0.0; }, "ThresholdedRelu");
  check(
      run(OpTest("Shrink", 9).Attr("lambd", 0.4f).Attr("bias", 0.25f)),
      [](double v) { return v < -0.4 ? v + 0.25 : (v > 0.4 ? v - 0.25 : 0.0); }, "Shrink");
  check(
      run(OpTest("Softsign", 1)), [](double v) { return v / (1 + std::fabs(v)); }, "Softsign");
  check(
      run(OpTest("Softplus", 1)), [](double v) { return std::log(1 + std::exp(v)); }, "Softplus");
  check(
      run(OpTest("Sigmoid", 13)), [](double v) { return 1 / (1 + std::exp(-v)); }, "Sigmoid");
  check(
      run(OpTest("Mish", 18)), [](double v) { return v * std::tanh(std::log(1 + std::exp(v))); },
      "Mish");
  check(
      run(OpTest("Gelu", 20)),
      [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, "Gelu");
  check(
      run(OpTest("Gelu", 20).Attr("approximate", "tanh")),
      [](double v) {
        return 0.5 * v *
               (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
      },
      "Gelu tanh");
}

TEST(ElementwiseActivation, SeluOpset1Defaults) {
  auto r =
      OpTest("Selu", 1).Input("x", Tensor::FromVector<float>({2}, {-1.f, 1.f})).Output("y").Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(OutVec<float>(r)[0], 1.0507 * 1.6732 * (std::exp(-1.0) - 1), 1e-6);
  EXPECT_NEAR(OutVec<float>(r)[1], 1.0507, 1e-6);
}

TEST(ElementwiseActivation, ExtremeInputsDoNotOverflow) {
  const Tensor x = Tensor::FromVector<float>({2}, {-100.f, 100.f});
  auto sp = Unary("Softplus", x);
  ASSERT_TRUE(sp.ok()) << sp.status().ToString();
  EXPECT_NEAR(OutVec<float>(sp)[0], std::exp(-100.0), 1e-40);
  EXPECT_EQ(OutVec<float>(sp)[1], 100.f);
  auto sg = Unary("Sigmoid", x);
  ASSERT_TRUE(sg.ok()) << sg.status().ToString();
  // sigmoid(-100) = 3.7e-44 is subnormal: Run flushes it to zero (core/denormals.h).
  EXPECT_EQ(OutVec<float>(sg)[0], 0.f);
  EXPECT_EQ(OutVec<float>(sg)[1], 1.f);
  auto mish = Unary("Mish", x, 18);
  ASSERT_TRUE(mish.ok()) << mish.status().ToString();
  EXPECT_EQ(OutVec<float>(mish)[1], 100.f);
}

TEST(ElementwiseActivation, ShrinkOnIntegers) {
  auto r = OpTest("Shrink", 9)
               .Attr("lambd", 1.5f)
               .Attr("bias", 1.5f)
               .Input("x", Tensor::FromVector<int32_t>({5}, {-3, -1, 0, 1, 4}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // -3 + 1.5 = -1.5 -> -1; 4 - 1.5 = 2.5 -> 2 (truncation toward zero).
  EXPECT_EQ(OutVec<int32_t>(r), (std::vector<int32_t>{-1, 0, 0, 0, 2}));
}

TEST(ElementwiseActivation, BadAttributesFailAtLoad) {
  auto gelu = OpTest("Gelu", 20)
                  .Attr("approximate", "fast")
                  .Input("x", Tensor::Scalar<float>(1))
                  .Output("y")
                  .Load();
  ASSERT_FALSE(gelu.ok());
  EXPECT_NE(gelu.status().message().find("approximate"), std::string::npos)
      << gelu.status().message();
  auto celu =
      OpTest("Celu", 12).Attr("alpha", 0.f).Input("x", Tensor::Scalar<float>(1)).Output("y").Load();
  ASSERT_FALSE(celu.ok());
  EXPECT_NE(celu.status().message().find("alpha"), std::string::npos) << celu.status().message();
}

TEST(ElementwiseActivation, PReluBroadcastsSlopeOntoX) {
  std::vector<float> x = Iota(12, -6.f);
  auto r = OpTest("PRelu", 16)
               .Input("x", Tensor::FromVector<float>({2, 3, 2}, x))
               .Input("slope", Tensor::FromVector<float>({3, 1}, {0.1f, 0.2f, 0.3f}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto v = OutVec<float>(r);
  for (size_t i = 0; i < 12; ++i) {
    const float slope = 0.1f * static_cast<float>((i / 2) % 3 + 1);
    EXPECT_FLOAT_EQ(v[i], x[i] < 0 ? x[i] * slope : x[i]) << i;
  }
  // A slope that would grow the output is rejected (unidirectional broadcasting).
  ExpectErrorMentions(OpTest("PRelu", 16)
                          .Input("x", Tensor::FromVector<float>({3}, {1, 2, 3}))
                          .Input("slope", Tensor::FromVector<float>({2, 3}, Iota(6)))
                          .Output("y")
                          .Run(),
                      "slope shape");
}

TEST(ElementwiseActivation, PReluBeforeOpset7IsPerChannel) {
  std::vector<float> x(12, -1.f);
  auto r = OpTest("PRelu", 6)
               .Input("x", Tensor::FromVector<float>({2, 3, 2}, x))
               .Input("slope", Tensor::FromVector<float>({3}, {1.f, 2.f, 3.f}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutVec<float>(r), (std::vector<float>{-1, -1, -2, -2, -3, -3, -1, -1, -2, -2, -3, -3}));
  auto i = OpTest("PRelu", 9)
               .Input("x", Tensor::FromVector<int32_t>({3}, {-4, 0, 5}))
               .Input("slope", Tensor::FromVector<int32_t>({1}, {3}))
               .Output("y")
               .Run();
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(i), (std::vector<int32_t>{-12, 0, 5}));
}

TEST(ElementwiseActivation, ClipAttributesAndInputs) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::FromVector<float>({5}, {-5.f, -1.f, 0.f, 2.f, nan});
  auto v6 = OpTest("Clip", 6).Attr("min", -2.f).Input("x", x).Output("y").Run();
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  auto a = OutVec<float>(v6);
  EXPECT_EQ(std::vector<float>(a.begin(), a.end() - 1), (std::vector<float>{-2, -1, 0, 2}));
  EXPECT_TRUE(std::isnan(a[4]));
  auto v13 = OpTest("Clip", 13)
                 .Input("x", x)
                 .OmittedInput()
                 .Input("max", Tensor::Scalar<float>(1.f))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(v13.ok()) << v13.status().ToString();
  a = OutVec<float>(v13);
  EXPECT_EQ(std::vector<float>(a.begin(), a.end() - 1), (std::vector<float>{-5, -1, 0, 1}));
  // min > max: everything becomes max.
  auto inv = OpTest("Clip", 13)
                 .Input("x", Tensor::FromVector<int64_t>({3}, {-9, 0, 9}))
                 .Input("min", Tensor::Scalar<int64_t>(3))
                 .Input("max", Tensor::Scalar<int64_t>(1))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(OutVec<int64_t>(inv), (std::vector<int64_t>{1, 1, 1}));
  // No bounds at all: identity.
  auto none =
      OpTest("Clip", 12).Input("x", Tensor::FromVector<uint8_t>({2}, {0, 255})).Output("y").Run();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(OutVec<uint8_t>(none), (std::vector<uint8_t>{0, 255}));
  ExpectErrorMentions(OpTest("Clip", 13)
                          .Input("x", x)
                          .Input("min", Tensor::FromVector<float>({2}, {0.f, 1.f}))
                          .Output("y")
                          .Run(),
                      "min");
  ExpectErrorMentions(
      OpTest("Clip", 13).Input("x", x).Input("min", Tensor::Scalar<double>(0.0)).Output("y").Run(),
      "same element type");
}

// ---------------------------------------------------------------------------------------------
// Binary arithmetic

TEST(ElementwiseBinary, BroadcastsAgainstNaiveReference) {
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {{{2, 1, 3}, {1, 4, 1}}, {{4, 1}, {3}},          {{1}, {2, 3}},
                        {{2, 3, 4}, {2, 3, 4}}, {{3, 1, 5}, {3, 2, 1}}, {{}, {2, 2}},
                        {{5, 1, 1, 2}, {3, 1}}};
  for (const Case& c : cases) {
    const int64_t na = ShapeElementCount(c.a), nb = ShapeElementCount(c.b);
    const std::vector<float> a = Iota(na, 1.f), b = Iota(nb, 0.5f, 0.25f);
    auto r = Binary("Sub", Tensor::FromVector<float>(c.a, a), Tensor::FromVector<float>(c.b, b));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Shape out = Out(r).shape();
    auto v = OutVec<float>(r);
    for (int64_t o = 0; o < ShapeElementCount(out); ++o) {
      const float want = a[static_cast<size_t>(BroadcastIndex(o, out, c.a))] -
                         b[static_cast<size_t>(BroadcastIndex(o, out, c.b))];
      ASSERT_EQ(v[static_cast<size_t>(o)], want)
          << ShapeToString(c.a) << " - " << ShapeToString(c.b) << " at " << o;
    }
  }
}

// The float32 fast path of Add/Sub/Mul/Div (kernels::ApplyBinary) on every ISA this CPU has,
// for each broadcast pattern (same shape, scalar either side, row and column broadcast, general)
// with inner lengths around the 8-lane and 32-element tiles: exact IEEE results.
TEST(ElementwiseBinary, Float32FastPathEveryIsaAndBroadcastPattern) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-3.f, 3.f);
  struct Case {
    Shape a, b;
  };
  std::vector<Case> cases;
  for (int64_t n : {0, 1, 7, 8, 9, 31, 32, 33, 100}) {
    cases.push_back({{3, n}, {3, n}});  // same shape
    cases.push_back({{3, n}, {}});      // scalar b
    cases.push_back({{}, {2, n}});      // scalar a
    cases.push_back({{4, n}, {n}});     // row broadcast
    cases.push_back({{n}, {4, n}});
    cases.push_back({{n, 5}, {n, 1}});  // column broadcast
    cases.push_back({{n, 1}, {n, 9}});
    cases.push_back({{2, 1, n}, {3, 1}});  // general: both sides broadcast
    // Short rows that repeat along the dim above (PeriodicRows below 64 floats a row).
    cases.push_back({{2, 70, n}, {2, 1, n}});
    cases.push_back({{3, 1, 1, n}, {3, 4, 5, n}});
  }
  cases.push_back({{1, 3, 9, 11, 2}, {1, 3, 1, 1, 2}});  // YOLO's anchor scaling
  cases.push_back({{2, 300, 63}, {2, 1, 63}});
  cases.push_back({{2, 3, 64}, {2, 1, 64}});
  cases.push_back({{1000, 3}, {3}});
  cases.push_back({{5}, {700, 5}});
  const char* ops[] = {"Add", "Sub", "Mul", "Div"};
  for (Isa isa : AvailableIsas()) {
    ScopedMaxIsa cap(isa);
    for (const Case& c : cases) {
      std::vector<float> a(static_cast<size_t>(ShapeElementCount(c.a)));
      std::vector<float> b(static_cast<size_t>(ShapeElementCount(c.b)));
      for (float& v : a) v = dist(rng);
      for (float& v : b) v = dist(rng);
      if (b.size() > 2) b[2] = 0.f;  // x/0 gives +-inf or NaN on every path
      for (int op = 0; op < 4; ++op) {
        auto r = Binary(ops[op], Tensor::FromVector<float>(c.a, a),
                        Tensor::FromVector<float>(c.b, b), 14);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        const Shape out = Out(r).shape();
        ASSERT_EQ(out, ops::BroadcastShapes({&c.a, &c.b}, "").value());
        auto v = OutVec<float>(r);
        for (int64_t o = 0; o < ShapeElementCount(out); ++o) {
          const float x = a[static_cast<size_t>(BroadcastIndex(o, out, c.a))];
          const float y = b[static_cast<size_t>(BroadcastIndex(o, out, c.b))];
          const float want = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
          const float got = v[static_cast<size_t>(o)];
          ASSERT_TRUE(got == want || (std::isnan(got) && std::isnan(want)))
              << ops[op] << " " << ShapeToString(c.a) << " , " << ShapeToString(c.b) << " at "
              << o << " on " << IsaName(isa) << ": " << got << " vs " << want;
        }
      }
    }
  }
}

TEST(ElementwiseBinary, IntegerDivisionTruncatesAndNeverTraps) {
  auto r = Binary("Div", Tensor::FromVector<int32_t>({6}, {-7, 7, -7, 5, INT32_MIN, 0}),
                  Tensor::FromVector<int32_t>({6}, {2, -2, -2, 0, -1, 3}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(r), (std::vector<int32_t>{-3, -3, 3, 0, INT32_MIN, 0}));
  auto u = Binary("Div", Tensor::FromVector<uint8_t>({2}, {250, 7}),
                  Tensor::FromVector<uint8_t>({2}, {3, 0}));
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(OutVec<uint8_t>(u), (std::vector<uint8_t>{83, 0}));
  auto f = Binary("Div", Tensor::FromVector<float>({2}, {1.f, -1.f}),
                  Tensor::FromVector<float>({2}, {0.f, 4.f}));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(OutVec<float>(f), (std::vector<float>{std::numeric_limits<float>::infinity(), -0.25f}));
}

TEST(ElementwiseBinary, IntegerOverflowWraps) {
  auto m = Binary("Mul", Tensor::FromVector<int32_t>({1}, {INT32_MAX}),
                  Tensor::FromVector<int32_t>({1}, {2}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(m), std::vector<int32_t>{-2});
  auto a = Binary("Add", Tensor::FromVector<uint16_t>({1}, {65535}),
                  Tensor::FromVector<uint16_t>({1}, {2}));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(OutVec<uint16_t>(a), std::vector<uint16_t>{1});
  auto s = Binary("Sub", Tensor::FromVector<int64_t>({1}, {INT64_MIN}),
                  Tensor::FromVector<int64_t>({1}, {1}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(OutVec<int64_t>(s), std::vector<int64_t>{INT64_MAX});
  auto m16 = Binary("Mul", Tensor::FromVector<uint16_t>({1}, {65535}),
                    Tensor::FromVector<uint16_t>({1}, {65535}));
  ASSERT_TRUE(m16.ok()) << m16.status().ToString();
  EXPECT_EQ(OutVec<uint16_t>(m16), std::vector<uint16_t>{1});
}

TEST(ElementwiseBinary, Float16AndBFloat16ComputeInFloat) {
  auto h = Binary("Add", Tensor::FromVector<Float16>({2}, {Float16(1.f), Float16(2048.f)}),
                  Tensor::FromVector<Float16>({2}, {Float16(0.5f), Float16(1.f)}));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(static_cast<float>(OutVec<Float16>(h)[0]), 1.5f);
  // 2049 is not a float16: ties to even gives 2048.
  EXPECT_EQ(static_cast<float>(OutVec<Float16>(h)[1]), 2048.f);
  auto b = Binary("Mul", Tensor::FromVector<BFloat16>({1}, {BFloat16(3.f)}),
                  Tensor::FromVector<BFloat16>({1}, {BFloat16(-0.5f)}));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(static_cast<float>(OutVec<BFloat16>(b)[0]), -1.5f);
}

TEST(ElementwiseBinary, ModSignConventions) {
  const Tensor a = Tensor::FromVector<int32_t>({6}, {7, -7, 7, -7, 5, INT32_MIN});
  const Tensor b = Tensor::FromVector<int32_t>({6}, {3, 3, -3, -3, 0, -1});
  auto py = OpTest("Mod", 13).Input("a", a).Input("b", b).Output("c").Run();
  ASSERT_TRUE(py.ok()) << py.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(py), (std::vector<int32_t>{1, 2, -2, -1, 0, 0}));
  auto c = OpTest("Mod", 13).Attr("fmod", int64_t{1}).Input("a", a).Input("b", b).Output("c").Run();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(c), (std::vector<int32_t>{1, -1, 1, -1, 0, 0}));
  auto f = OpTest("Mod", 13)
               .Attr("fmod", int64_t{1})
               .Input("a", Tensor::FromVector<double>({2}, {-5.5, 5.5}))
               .Input("b", Tensor::FromVector<double>({1}, {2.0}))
               .Output("c")
               .Run();
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(OutVec<double>(f), (std::vector<double>{-1.5, 1.5}));
  ExpectErrorMentions(OpTest("Mod", 13)
                          .Input("a", Tensor::FromVector<float>({1}, {1.f}))
                          .Input("b", Tensor::FromVector<float>({1}, {1.f}))
                          .Output("c")
                          .Run(),
                      "fmod");
  auto bad =
      OpTest("Mod", 13).Attr("fmod", int64_t{2}).Input("a", a).Input("b", b).Output("c").Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fmod"), std::string::npos) << bad.status().message();
}

TEST(ElementwiseBinary, PowMixedTypes) {
  auto ii = Binary("Pow", Tensor::FromVector<int64_t>({5}, {3, -2, 2, 1, -1}),
                   Tensor::FromVector<int64_t>({5}, {4, 3, -1, -5, -3}), 15);
  ASSERT_TRUE(ii.ok()) << ii.status().ToString();
  EXPECT_EQ(OutVec<int64_t>(ii), (std::vector<int64_t>{81, -8, 0, 1, -1}));
  // 3^39 needs 62 bits: exact, where a double pow would round.
  auto big = Binary("Pow", Tensor::FromVector<int64_t>({1}, {3}),
                    Tensor::FromVector<int32_t>({1}, {39}), 15);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(OutVec<int64_t>(big), std::vector<int64_t>{4052555153018976267LL});
  auto fi = Binary("Pow", Tensor::FromVector<float>({2}, {2.f, -2.f}),
                   Tensor::FromVector<uint8_t>({2}, {10, 3}), 15);
  ASSERT_TRUE(fi.ok()) << fi.status().ToString();
  EXPECT_EQ(OutVec<float>(fi), (std::vector<float>{1024.f, -8.f}));
  auto if_ = Binary("Pow", Tensor::FromVector<int32_t>({2}, {9, 2}),
                    Tensor::FromVector<float>({2}, {0.5f, -1.f}), 15);
  ASSERT_TRUE(if_.ok()) << if_.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(if_), (std::vector<int32_t>{3, 0}));
  // The square fast path and the general path agree with std::pow.
  auto sq = Binary("Pow", Tensor::FromVector<float>({3}, {-3.f, 0.5f, 1e20f}),
                   Tensor::Scalar<float>(2.f), 15);
  ASSERT_TRUE(sq.ok()) << sq.status().ToString();
  EXPECT_EQ(OutVec<float>(sq),
            (std::vector<float>{9.f, 0.25f, std::numeric_limits<float>::infinity()}));
  auto frac = Binary("Pow", Tensor::FromVector<float>({2}, {-8.f, 8.f}),
                     Tensor::Scalar<float>(1.f / 3.f), 15);
  ASSERT_TRUE(frac.ok()) << frac.status().ToString();
  EXPECT_TRUE(std::isnan(OutVec<float>(frac)[0]));
  EXPECT_NEAR(OutVec<float>(frac)[1], 2.f, 1e-6);
}

TEST(ElementwiseBinary, BitShiftAndBitwise) {
  const Tensor x = Tensor::FromVector<uint8_t>({4}, {1, 0x80, 0xff, 3});
  const Tensor n = Tensor::FromVector<uint8_t>({4}, {7, 1, 8, 0});
  auto l = OpTest("BitShift", 11)
               .Attr("direction", "LEFT")
               .Input("x", x)
               .Input("n", n)
               .Output("y")
               .Run();
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(OutVec<uint8_t>(l), (std::vector<uint8_t>{0x80, 0, 0, 3}));
  auto r = OpTest("BitShift", 11)
               .Attr("direction", "RIGHT")
               .Input("x", x)
               .Input("n", n)
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutVec<uint8_t>(r), (std::vector<uint8_t>{0, 0x40, 0, 3}));
  auto l64 = OpTest("BitShift", 11)
                 .Attr("direction", "LEFT")
                 .Input("x", Tensor::FromVector<uint64_t>({2}, {1, 1}))
                 .Input("n", Tensor::FromVector<uint64_t>({2}, {63, 64}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(l64.ok()) << l64.status().ToString();
  EXPECT_EQ(OutVec<uint64_t>(l64), (std::vector<uint64_t>{uint64_t{1} << 63, 0}));
  auto bad = OpTest("BitShift", 11)
                 .Attr("direction", "left")
                 .Input("x", x)
                 .Input("n", n)
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("direction"), std::string::npos) << bad.status().message();

  const Tensor a = Tensor::FromVector<int16_t>({2, 2}, {0x0f0f, -1, 0, 0x00ff});
  const Tensor b = Tensor::FromVector<int16_t>({2}, {0x00ff, 0x7000});
  auto band = Binary("BitwiseAnd", a, b, 18);
  auto bor = Binary("BitwiseOr", a, b, 18);
  auto bxor = Binary("BitwiseXor", a, b, 18);
  ASSERT_TRUE(band.ok() && bor.ok() && bxor.ok()) << band.status().ToString();
  EXPECT_EQ(OutVec<int16_t>(band), (std::vector<int16_t>{0x000f, 0x7000, 0, 0}));
  EXPECT_EQ(OutVec<int16_t>(bor), (std::vector<int16_t>{0x0fff, -1, 0x00ff, 0x70ff}));
  EXPECT_EQ(OutVec<int16_t>(bxor), (std::vector<int16_t>{0x0ff0, -1 ^ 0x7000, 0x00ff, 0x70ff}));
}

TEST(ElementwiseBinary, TypeMismatchAndShapeErrors) {
  ExpectErrorMentions(
      Binary("Mul", Tensor::FromVector<float>({1}, {1.f}), Tensor::FromVector<double>({1}, {1.0})),
      "same element type");
  ExpectErrorMentions(Binary("Div", Tensor::FromVector<float>({2, 3}, Iota(6)),
                             Tensor::FromVector<float>({2}, {1.f, 2.f})),
                      "cannot be broadcast");
  ExpectErrorMentions(
      Binary("Add", Tensor::FromVector<bool>({1}, {true}), Tensor::FromVector<bool>({1}, {true})),
      "element type bool");
}

TEST(ElementwiseBinary, EmptyBroadcast) {
  auto r = Binary("Mul", *Tensor::Allocate(DataType::kFloat, {0, 1, 3}),
                  Tensor::FromVector<float>({2, 1}, {1.f, 2.f}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Out(r).shape(), (Shape{0, 2, 3}));
  // A zero-size dim against a 1: fine; against 2: error.
  ExpectErrorMentions(Binary("Mul", *Tensor::Allocate(DataType::kFloat, {0}),
                             Tensor::FromVector<float>({2}, {1.f, 2.f})),
                      "cannot be broadcast");
}

// ---------------------------------------------------------------------------------------------
// Legacy (opset < 7) broadcasting

TEST(ElementwiseLegacy, BroadcastAttributeWithAxis) {
  auto r = OpTest("Add", 6)
               .Attr("broadcast", int64_t{1})
               .Attr("axis", int64_t{1})
               .Input("a", Tensor::FromVector<float>({2, 3, 2}, Iota(12)))
               .Input("b", Tensor::FromVector<float>({3}, {100.f, 200.f, 300.f}))
               .Output("c")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto v = OutVec<float>(r);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(v[i], static_cast<float>(i) + 100.f * static_cast<float>((i / 2) % 3 + 1)) << i;
  }
  // Without axis B aligns to A's trailing dims; a size-1 dim of B broadcasts.
  auto t = OpTest("Mul", 6)
               .Attr("broadcast", int64_t{1})
               .Input("a", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
               .Input("b", Tensor::FromVector<float>({1, 2}, {10, 100}))
               .Output("c")
               .Run();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(OutVec<float>(t), (std::vector<float>{10, 200, 30, 400}));
  // Opset 1 with consumed_inputs and a one-element B.
  auto v1 = OpTest("Sub", 1)
                .Attr("broadcast", int64_t{1})
                .Attr("consumed_inputs", std::vector<int64_t>{0, 0})
                .Input("a", Tensor::FromVector<float>({3}, {1, 2, 3}))
                .Input("b", Tensor::FromVector<float>({1, 1}, {1}))
                .Output("c")
                .Run();
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(OutVec<float>(v1), (std::vector<float>{0, 1, 2}));
  auto cmp = OpTest("Greater", 1)
                 .Attr("broadcast", int64_t{1})
                 .Attr("axis", int64_t{0})
                 .Input("a", Tensor::FromVector<float>({2, 2}, {1, 5, 1, 5}))
                 .Input("b", Tensor::FromVector<float>({2}, {2, 0}))
                 .Output("c")
                 .Run();
  ASSERT_TRUE(cmp.ok()) << cmp.status().ToString();
  EXPECT_EQ(OutVec<bool>(cmp), (std::vector<bool>{false, true, true, true}));
}

TEST(ElementwiseLegacy, MismatchedShapesAreErrors) {
  // broadcast=0 needs equal shapes.
  ExpectErrorMentions(OpTest("Add", 6)
                          .Input("a", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                          .Input("b", Tensor::FromVector<float>({2}, {1, 2}))
                          .Output("c")
                          .Run(),
                      "broadcast");
  // axis places B past A's end.
  ExpectErrorMentions(OpTest("Add", 6)
                          .Attr("broadcast", int64_t{1})
                          .Attr("axis", int64_t{1})
                          .Input("a", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                          .Input("b", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                          .Output("c")
                          .Run(),
                      "axis");
  // B's dim neither equal nor 1.
  ExpectErrorMentions(OpTest("Div", 6)
                          .Attr("broadcast", int64_t{1})
                          .Input("a", Tensor::FromVector<float>({2, 3}, Iota(6)))
                          .Input("b", Tensor::FromVector<float>({2}, {1, 2}))
                          .Output("c")
                          .Run(),
                      "legacy broadcast");
}

// ---------------------------------------------------------------------------------------------
// Variadic

TEST(ElementwiseVariadic, MaxMinSumMeanOfThreeBroadcastInputs) {
  const Tensor a = Tensor::FromVector<float>({2, 1}, {1.f, 6.f});
  const Tensor b = Tensor::FromVector<float>({3}, {2.f, 5.f, 8.f});
  const Tensor c = Tensor::FromVector<float>({1, 1}, {4.f});
  auto run = [&](const char* op) {
    return OpTest(op, 13).Input("a", a).Input("b", b).Input("c", c).Output("y").Run();
  };
  auto mx = run("Max"), mn = run("Min"), sm = run("Sum"), me = run("Mean");
  ASSERT_TRUE(mx.ok() && mn.ok() && sm.ok() && me.ok()) << mx.status().ToString();
  EXPECT_EQ(Out(mx).shape(), (Shape{2, 3}));
  EXPECT_EQ(OutVec<float>(mx), (std::vector<float>{4, 5, 8, 6, 6, 8}));
  EXPECT_EQ(OutVec<float>(mn), (std::vector<float>{1, 1, 1, 2, 4, 4}));
  EXPECT_EQ(OutVec<float>(sm), (std::vector<float>{7, 10, 13, 12, 15, 18}));
  auto mean = OutVec<float>(me);
  const float want[] = {7.f / 3, 10.f / 3, 13.f / 3, 4.f, 5.f, 6.f};
  for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(mean[i], want[i]);
}

TEST(ElementwiseVariadic, NaNPropagatesAndSingleInputCopies) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto mx = OpTest("Max", 13)
                .Input("a", Tensor::FromVector<float>({3}, {nan, 1.f, 2.f}))
                .Input("b", Tensor::FromVector<float>({3}, {0.f, nan, 1.f}))
                .Output("y")
                .Run();
  ASSERT_TRUE(mx.ok()) << mx.status().ToString();
  EXPECT_TRUE(std::isnan(OutVec<float>(mx)[0]));
  EXPECT_TRUE(std::isnan(OutVec<float>(mx)[1]));
  EXPECT_EQ(OutVec<float>(mx)[2], 2.f);
  auto mn = OpTest("Min", 13)
                .Input("a", Tensor::FromVector<float>({2}, {1.f, nan}))
                .Input("b", Tensor::FromVector<float>({2}, {nan, 0.f}))
                .Output("y")
                .Run();
  ASSERT_TRUE(mn.ok()) << mn.status().ToString();
  EXPECT_TRUE(std::isnan(OutVec<float>(mn)[0]));
  EXPECT_TRUE(std::isnan(OutVec<float>(mn)[1]));
  auto one =
      OpTest("Mean", 13).Input("a", Tensor::FromVector<double>({2}, {1.5, -2.0})).Output("y").Run();
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(OutVec<double>(one), (std::vector<double>{1.5, -2.0}));
  auto ints = OpTest("Min", 13)
                  .Input("a", Tensor::FromVector<uint64_t>({2}, {UINT64_MAX, 3}))
                  .Input("b", Tensor::FromVector<uint64_t>({1}, {4}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  EXPECT_EQ(OutVec<uint64_t>(ints), (std::vector<uint64_t>{4, 3}));
}

TEST(ElementwiseVariadic, Errors) {
  ExpectErrorMentions(OpTest("Sum", 13)
                          .Input("a", Tensor::FromVector<float>({2}, {1, 2}))
                          .Input("b", Tensor::FromVector<float>({2}, {1, 2}))
                          .Input("c", Tensor::FromVector<float>({3}, {1, 2, 3}))
                          .Output("y")
                          .Run(),
                      "cannot be broadcast");
  ExpectErrorMentions(OpTest("Max", 13)
                          .Input("a", Tensor::FromVector<float>({2}, {1, 2}))
                          .Input("b", Tensor::FromVector<int32_t>({2}, {1, 2}))
                          .Output("y")
                          .Run(),
                      "same element type");
  ExpectErrorMentions(
      OpTest("Sum", 13).Input("a", Tensor::FromVector<int32_t>({2}, {1, 2})).Output("y").Run(),
      "element type int32");
}

// ---------------------------------------------------------------------------------------------
// Comparison and logic

TEST(ElementwiseCompare, NumericStringsAndBools) {
  auto eq = Binary("Equal", Tensor::FromVector<std::string>({3}, {"a", "bb", ""}),
                   Tensor::FromVector<std::string>({1}, {"bb"}), 19);
  ASSERT_TRUE(eq.ok()) << eq.status().ToString();
  EXPECT_EQ(Out(eq).dtype(), DataType::kBool);
  EXPECT_EQ(OutVec<bool>(eq), (std::vector<bool>{false, true, false}));
  auto eqb = Binary("Equal", Tensor::FromVector<bool>({2}, {true, false}),
                    Tensor::FromVector<bool>({2, 1}, {true, false}), 13);
  ASSERT_TRUE(eqb.ok()) << eqb.status().ToString();
  EXPECT_EQ(OutVec<bool>(eqb), (std::vector<bool>{true, false, false, true}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor a = Tensor::FromVector<float>({4}, {1.f, 2.f, 3.f, nan});
  const Tensor b = Tensor::Scalar<float>(2.f);
  const std::pair<const char*, std::vector<bool>> cases[] = {
      {"Greater", {false, false, true, false}},
      {"Less", {true, false, false, false}},
      {"GreaterOrEqual", {false, true, true, false}},
      {"LessOrEqual", {true, true, false, false}},
      {"Equal", {false, true, false, false}}};
  for (const auto& [op, want] : cases) {
    auto r = Binary(op, a, b, 16);
    ASSERT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    EXPECT_EQ(OutVec<bool>(r), want) << op;
  }
  auto i8 = Binary("Less", Tensor::FromVector<int8_t>({2}, {-128, 5}),
                   Tensor::FromVector<int8_t>({2}, {127, 5}), 13);
  ASSERT_TRUE(i8.ok()) << i8.status().ToString();
  EXPECT_EQ(OutVec<bool>(i8), (std::vector<bool>{true, false}));
  auto h = Binary("Greater", Tensor::FromVector<Float16>({1}, {Float16(1.5f)}),
                  Tensor::FromVector<Float16>({1}, {Float16(1.25f)}), 13);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(OutVec<bool>(h), std::vector<bool>{true});
}

TEST(ElementwiseCompare, LogicOpsBroadcast) {
  const Tensor a = Tensor::FromVector<bool>({2, 2}, {false, false, true, true});
  const Tensor b = Tensor::FromVector<bool>({2}, {false, true});
  auto a_ = Binary("And", a, b), o_ = Binary("Or", a, b), x_ = Binary("Xor", a, b);
  ASSERT_TRUE(a_.ok() && o_.ok() && x_.ok()) << a_.status().ToString();
  EXPECT_EQ(OutVec<bool>(a_), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(OutVec<bool>(o_), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(OutVec<bool>(x_), (std::vector<bool>{false, true, true, false}));
  ExpectErrorMentions(
      Binary("And", Tensor::FromVector<int32_t>({1}, {1}), Tensor::FromVector<int32_t>({1}, {1})),
      "element type int32");
}

TEST(ElementwiseCompare, WhereBroadcastsThreeWays) {
  const Shape sc = {2, 1, 1}, sx = {1, 3, 1}, sy = {1, 1, 2};
  const std::vector<bool> cond = {true, false};
  const std::vector<float> x = {1, 2, 3}, y = {-1, -2};
  auto r = OpTest("Where", 16)
               .Input("c", Tensor::FromVector<bool>(sc, cond))
               .Input("x", Tensor::FromVector<float>(sx, x))
               .Input("y", Tensor::FromVector<float>(sy, y))
               .Output("z")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Shape out = {2, 3, 2};
  EXPECT_EQ(Out(r).shape(), out);
  auto v = OutVec<float>(r);
  for (int64_t o = 0; o < 12; ++o) {
    const bool c = cond[static_cast<size_t>(BroadcastIndex(o, out, sc))];
    const float want = c ? x[static_cast<size_t>(BroadcastIndex(o, out, sx))]
                         : y[static_cast<size_t>(BroadcastIndex(o, out, sy))];
    EXPECT_EQ(v[static_cast<size_t>(o)], want) << o;
  }
  auto s = OpTest("Where", 9)
               .Input("c", Tensor::FromVector<bool>({2}, {false, true}))
               .Input("x", Tensor::FromVector<std::string>({2}, {"x0", "x1"}))
               .Input("y", Tensor::FromVector<std::string>({1}, {"y"}))
               .Output("z")
               .Run();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(OutVec<std::string>(s), (std::vector<std::string>{"y", "x1"}));
  ExpectErrorMentions(OpTest("Where", 16)
                          .Input("c", Tensor::FromVector<int32_t>({1}, {1}))
                          .Input("x", Tensor::FromVector<float>({1}, {1}))
                          .Input("y", Tensor::FromVector<float>({1}, {1}))
                          .Output("z")
                          .Run(),
                      "condition");
}

// ---------------------------------------------------------------------------------------------
// Cast

Result Cast(const Tensor& x, DataType to, int opset = 13) {
  return OpTest("Cast", opset).Attr("to", static_cast<int64_t>(to)).Input("x", x).Output("y").Run();
}

TEST(ElementwiseCast, FloatToIntegerTruncatesAndWraps) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto i32 = Cast(Tensor::FromVector<float>({4}, {2.9f, -2.9f, 1e10f, nan}), DataType::kInt64);
  ASSERT_TRUE(i32.ok()) << i32.status().ToString();
  EXPECT_EQ(OutVec<int64_t>(i32), (std::vector<int64_t>{2, -2, 10000000000LL, INT64_MIN}));
  auto u8 = Cast(Tensor::FromVector<double>({3}, {300.0, -1.0, 255.9}), DataType::kUint8);
  ASSERT_TRUE(u8.ok()) << u8.status().ToString();
  EXPECT_EQ(OutVec<uint8_t>(u8), (std::vector<uint8_t>{44, 255, 255}));
  auto u64 = Cast(Tensor::FromVector<double>({1}, {1.8446744073709550e19}), DataType::kUint64);
  ASSERT_TRUE(u64.ok()) << u64.status().ToString();
  EXPECT_EQ(OutVec<uint64_t>(u64), std::vector<uint64_t>{18446744073709549568ULL});
  auto narrow = Cast(Tensor::FromVector<int32_t>({2}, {257, -129}), DataType::kInt8);
  ASSERT_TRUE(narrow.ok()) << narrow.status().ToString();
  EXPECT_EQ(OutVec<int8_t>(narrow), (std::vector<int8_t>{1, 127}));
}

TEST(ElementwiseCast, BoolConversions) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto b = Cast(Tensor::FromVector<float>({4}, {0.f, -0.f, 0.1f, nan}), DataType::kBool);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(OutVec<bool>(b), (std::vector<bool>{false, false, true, true}));
  auto f = Cast(Tensor::FromVector<bool>({2}, {true, false}), DataType::kFloat16);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(static_cast<float>(OutVec<Float16>(f)[0]), 1.f);
  EXPECT_EQ(static_cast<float>(OutVec<Float16>(f)[1]), 0.f);
  auto s = Cast(Tensor::FromVector<bool>({2}, {true, false}), DataType::kString);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(OutVec<std::string>(s), (std::vector<std::string>{"True", "False"}));
}

TEST(ElementwiseCast, DoubleTo16BitFloatsRoundsOnce) {
  // 1 + 2^-11 + 2^-40 lies just above the float16 midpoint between 1 and 1 + 2^-10. Rounding to
  // float first would land exactly on the midpoint and then tie to even (1.0).
  const double d = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  auto h = Cast(Tensor::FromVector<double>({1}, {d}), DataType::kFloat16);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(OutVec<Float16>(h)[0].bits, 0x3C01);
  const double e = 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40);
  auto b = Cast(Tensor::FromVector<double>({1}, {e}), DataType::kBfloat16);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(OutVec<BFloat16>(b)[0].bits, 0x3F81);
  // Overflow goes to infinity; float32 -> bfloat16 rounds to nearest even.
  auto inf = Cast(Tensor::FromVector<double>({1}, {1e300}), DataType::kFloat16);
  ASSERT_TRUE(inf.ok()) << inf.status().ToString();
  EXPECT_EQ(OutVec<Float16>(inf)[0].bits, 0x7C00);
  auto rne = Cast(Tensor::FromVector<float>({1}, {0.48033666610717773f}), DataType::kBfloat16);
  ASSERT_TRUE(rne.ok()) << rne.status().ToString();
  EXPECT_EQ(OutVec<BFloat16>(rne)[0].bits, 0x3EF6);  // bits 0x3EF5EEB0 round up.
}

TEST(ElementwiseCast, NumbersToStringsLikeNumpy) {
  const float inf = std::numeric_limits<float>::infinity();
  auto f = Cast(Tensor::FromVector<float>(
                    {12}, {100.f, 1e16f, 1e-5f, 1.5e-5f, 0.0001f, -0.f, 123456789.f, inf, -inf,
                           std::numeric_limits<float>::quiet_NaN(), 0.1f, 0.6048455238342285f}),
                DataType::kString);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(OutVec<std::string>(f),
            (std::vector<std::string>{"100.0", "1e+16", "1e-05", "1.5e-05", "1e-04", "-0.0",
                                      "123456790.0", "INF", "-INF", "NaN", "0.1", "0.6048455"}));
  auto d = Cast(Tensor::FromVector<double>({3}, {0.1, 1e-7, 1e300}), DataType::kString);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(OutVec<std::string>(d), (std::vector<std::string>{"0.1", "1e-07", "1e+300"}));
  auto h =
      Cast(Tensor::FromVector<Float16>({3}, {Float16(0.1f), Float16(65504.f), Float16(0.3333f)}),
           DataType::kString);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(OutVec<std::string>(h), (std::vector<std::string>{"0.1", "65500.0", "0.3333"}));
  auto i = Cast(Tensor::FromVector<int64_t>({2}, {INT64_MIN, 42}), DataType::kString);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(OutVec<std::string>(i), (std::vector<std::string>{"-9223372036854775808", "42"}));
}

TEST(ElementwiseCast, StringsToNumbers) {
  auto f = Cast(Tensor::FromVector<std::string>(
                    {8}, {" 1.5 ", "+INF", "-inf", "NaN", "1e400", "1E2", "-0.25", "+Infinity"}),
                DataType::kFloat);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto v = OutVec<float>(f);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(v[0], 1.5f);
  EXPECT_EQ(v[1], inf);
  EXPECT_EQ(v[2], -inf);
  EXPECT_TRUE(std::isnan(v[3]));
  EXPECT_EQ(v[4], inf);
  EXPECT_EQ(v[5], 100.f);
  EXPECT_EQ(v[6], -0.25f);
  EXPECT_EQ(v[7], inf);
  auto i = Cast(Tensor::FromVector<std::string>({4}, {"100.5", "-7", "+12", "9223372036854775807"}),
                DataType::kInt64);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(OutVec<int64_t>(i), (std::vector<int64_t>{100, -7, 12, INT64_MAX}));
  auto b =
      Cast(Tensor::FromVector<std::string>({4}, {"true", "FALSE", "0", "2.5"}), DataType::kBool);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(OutVec<bool>(b), (std::vector<bool>{true, false, false, true}));
  auto h = Cast(Tensor::FromVector<std::string>({1}, {"0.1"}), DataType::kFloat16);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(OutVec<Float16>(h)[0].bits, Float16(0.1f).bits);
  ExpectErrorMentions(Cast(Tensor::FromVector<std::string>({2}, {"1", "abc"}), DataType::kFloat),
                      "\"abc\" (element 1)");
  ExpectErrorMentions(Cast(Tensor::FromVector<std::string>({1}, {"+-1"}), DataType::kInt32),
                      "cannot parse");
  // Round trip: float -> string -> float is exact.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1e6f, 1e6f);
  std::vector<float> xs(64);
  for (float& x : xs) x = dist(rng) * std::pow(10.f, static_cast<float>(rng() % 20) - 10.f);
  auto s = Cast(Tensor::FromVector<float>({64}, xs), DataType::kString);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto back = Cast(Out(s), DataType::kFloat);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(OutVec<float>(back), xs);
}

TEST(ElementwiseCast, Opset1TypeNamesCastLikeAndErrors) {
  auto v1 = OpTest("Cast", 1)
                .Attr("to", "INT32")
                .Input("x", Tensor::FromVector<float>({2}, {1.9f, -1.9f}))
                .Output("y")
                .Run();
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(OutVec<int32_t>(v1), (std::vector<int32_t>{1, -1}));
  auto bad1 = OpTest("Cast", 1)
                  .Attr("to", "FLOAT8")
                  .Input("x", Tensor::Scalar<float>(1))
                  .Output("y")
                  .Load();
  ASSERT_FALSE(bad1.ok());
  EXPECT_NE(bad1.status().message().find("'to'"), std::string::npos) << bad1.status().message();
  auto bad = OpTest("Cast", 13)
                 .Attr("to", int64_t{14})
                 .Input("x", Tensor::Scalar<float>(1))
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'to'"), std::string::npos) << bad.status().message();
  auto like = OpTest("CastLike", 15)
                  .Input("x", Tensor::FromVector<int32_t>({2}, {3, -4}))
                  .Input("like", Tensor::FromVector<double>({0}, {}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(like.ok()) << like.status().ToString();
  EXPECT_EQ(Out(like).dtype(), DataType::kDouble);
  EXPECT_EQ(OutVec<double>(like), (std::vector<double>{3.0, -4.0}));
  auto same = Cast(Tensor::FromVector<std::string>({1}, {"keep"}), DataType::kString);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(OutVec<std::string>(same), std::vector<std::string>{"keep"});
}

// ---------------------------------------------------------------------------------------------
// Large tensors: the threaded paths (flat split of one long row, many short rows, scalar
// operands) against naive loops.

TEST(ElementwiseLarge, ThreadedBroadcastMatchesNaive) {
  SessionOptions opts;
  opts.intra_op_threads = 4;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {{{1, 200003}, {1, 200003}},
                        {{307, 1001}, {1001}},
                        {{20, 1, 500}, {20, 1}},
                        {{150001}, {}},
                        {{3, 70001}, {3, 1}},
                        {{1, 3, 80, 80, 2}, {1, 3, 1, 1, 2}},  // short repeating rows
                        {{3, 1, 5}, {3, 20001, 5}},
                        {{20011, 7}, {7}}};
  for (const Case& c : cases) {
    std::vector<float> a(static_cast<size_t>(ShapeElementCount(c.a)));
    std::vector<float> b(static_cast<size_t>(ShapeElementCount(c.b)));
    for (float& v : a) v = dist(rng);
    for (float& v : b) v = dist(rng);
    auto r = OpTest("Mul", 14)
                 .Input("a", Tensor::FromVector<float>(c.a, a))
                 .Input("b", Tensor::FromVector<float>(c.b, b))
                 .Output("c")
                 .Run(opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Shape out = Out(r).shape();
    const float* p = Out(r).data<float>();
    for (int64_t o = 0; o < ShapeElementCount(out); ++o) {
      const float want = a[static_cast<size_t>(BroadcastIndex(o, out, c.a))] *
                         b[static_cast<size_t>(BroadcastIndex(o, out, c.b))];
      ASSERT_EQ(p[o], want) << ShapeToString(c.a) << " * " << ShapeToString(c.b) << " at " << o;
    }
  }
  // Unary and variadic over many elements.
  std::vector<float> x(100000);
  for (float& v : x) v = dist(rng);
  auto t =
      OpTest("Tanh", 13).Input("x", Tensor::FromVector<float>({100000}, x)).Output("y").Run(opts);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  // The vectorised tanh (kernels/vecmath) is within 2 ulp of libm's.
  for (size_t i = 0; i < x.size(); ++i) {
    const float want = std::tanh(x[i]);
    const float ulp = std::nextafter(std::fabs(want), INFINITY) - std::fabs(want);
    ASSERT_NEAR(Out(t).data<float>()[i], want, 2 * ulp) << i;
  }
  auto s = OpTest("Sum", 13)
               .Input("a", Tensor::FromVector<float>({100, 1000}, std::vector<float>(100000, 1.f)))
               .Input("b", Tensor::FromVector<float>({1000}, Iota(1000)))
               .Input("c", Tensor::FromVector<float>({100, 1}, Iota(100)))
               .Output("y")
               .Run(opts);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int64_t i = 0; i < 100000; ++i) {
    ASSERT_EQ(Out(s).data<float>()[i], 1.f + static_cast<float>(i % 1000 + i / 1000)) << i;
  }
}

}  // namespace
}  // namespace onnxedge
