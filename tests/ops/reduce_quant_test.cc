// Copyright onnxedge authors.
// Tests for the reductions, softmax family, quantization ops, Einsum, Det and the loss ops.
// Expected values come from hand computation or from naive formulas written here, independent
// of the kernels' collapsed-stride / GEMM implementations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/common/softmax_util.h"
#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

using testing::OpTest;

constexpr float kInf = std::numeric_limits<float>::infinity();

template <typename T>
std::vector<T> Out(const StatusOr<std::vector<NamedValue>>& r, size_t i = 0) {
  return r.ok() ? (*r)[i].value.tensor().ToVector<T>() : std::vector<T>{};
}
Shape OutShape(const StatusOr<std::vector<NamedValue>>& r, size_t i = 0) {
  return r.ok() ? (*r)[i].value.tensor().shape() : Shape{-1};
}
bool MessageHas(const Status& s, const std::string& what) {
  return s.message().find(what) != std::string::npos;
}

std::vector<float> RandomFloats(size_t n, std::mt19937& rng, float lo = -3.f, float hi = 3.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reductions

// Naive reduction over `axes` (any order) by walking every input index. Returns the output in
// row-major order of the kept dims.
std::vector<double> NaiveReduce(const std::vector<float>& x, const Shape& shape,
                                const std::vector<int64_t>& axes, const std::string& kind) {
  const size_t rank = shape.size();
  std::vector<bool> red(rank, false);
  for (int64_t a : axes) red[static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(rank) : a)] = true;
  Shape out_dims;
  for (size_t d = 0; d < rank; ++d) out_dims.push_back(red[d] ? 1 : shape[d]);
  const int64_t out_n = ShapeElementCount(out_dims);
  std::vector<std::vector<double>> groups(static_cast<size_t>(out_n));
  std::vector<int64_t> idx(rank, 0);
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i), o = 0, mul = 1;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      const int64_t id = rem % shape[static_cast<size_t>(d)];
      rem /= shape[static_cast<size_t>(d)];
      if (!red[static_cast<size_t>(d)]) o += id * mul;
      mul *= out_dims[static_cast<size_t>(d)];
    }
    groups[static_cast<size_t>(o)].push_back(x[i]);
  }
  std::vector<double> out;
  for (const auto& g : groups) {
    double r = 0;
    if (kind == "ReduceSum") {
      for (double v : g) r += v;
    } else if (kind == "ReduceMean") {
      for (double v : g) r += v;
      r /= static_cast<double>(g.size());
    } else if (kind == "ReduceMax") {
      r = -INFINITY;
      for (double v : g) r = std::max(r, v);
    } else if (kind == "ReduceMin") {
      r = INFINITY;
      for (double v : g) r = std::min(r, v);
    } else if (kind == "ReduceProd") {
      r = 1;
      for (double v : g) r *= v;
    } else if (kind == "ReduceL1") {
      for (double v : g) r += std::fabs(v);
    } else if (kind == "ReduceL2") {
      for (double v : g) r += v * v;
      r = std::sqrt(r);
    } else if (kind == "ReduceLogSum") {
      for (double v : g) r += v;
      r = std::log(r);
    } else if (kind == "ReduceLogSumExp") {
      for (double v : g) r += std::exp(v);
      r = std::log(r);
    } else if (kind == "ReduceSumSquare") {
      for (double v : g) r += v * v;
    }
    out.push_back(r);
  }
  return out;
}

void ExpectNear(const std::vector<float>& got, const std::vector<double>& want, double rtol,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isinf(want[i]) || std::isnan(want[i])) {
      EXPECT_EQ(std::isnan(got[i]), std::isnan(want[i])) << what << " element " << i;
      if (!std::isnan(want[i])) EXPECT_EQ(got[i], want[i]) << what << " element " << i;
      continue;
    }
    EXPECT_NEAR(got[i], want[i], rtol * (1 + std::fabs(want[i]))) << what << " element " << i;
  }
}

const char* kReduceOps[] = {"ReduceSum", "ReduceMean", "ReduceMax",    "ReduceMin",
                            "ReduceProd", "ReduceL1",  "ReduceL2",     "ReduceLogSum",
                            "ReduceLogSumExp", "ReduceSumSquare"};

TEST(ReduceOps, RandomShapesAndAxesMatchNaiveFormula) {
  std::mt19937 rng(1234);
  const std::vector<Shape> shapes = {{5},          {3, 4},       {2, 3, 4},    {4, 1, 3, 2},
                                     {2, 3, 2, 3}, {1, 7, 1, 5}, {3, 2, 1, 2, 3}};
  for (const Shape& shape : shapes) {
    const int64_t rank = static_cast<int64_t>(shape.size());
    const size_t n = static_cast<size_t>(ShapeElementCount(shape));
    // Every subset of axes, with some written negative.
    for (int64_t mask = 0; mask < (int64_t{1} << rank); ++mask) {
      std::vector<int64_t> axes;
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (mask & (int64_t{1} << d)) axes.push_back((d + mask) % 2 ? d - rank : d);
      }
      for (const char* op : kReduceOps) {
        const std::string kind = op;
        // Positive inputs keep LogSum defined; Prod stays near 1.
        std::vector<float> x =
            kind == "ReduceProd" ? RandomFloats(n, rng, 0.8f, 1.25f)
                                 : RandomFloats(n, rng, kind == "ReduceLogSum" ? 0.1f : -3.f, 3.f);
        const std::vector<int64_t> all_axes = [&] {
          std::vector<int64_t> a;
          for (int64_t d = 0; d < rank; ++d) a.push_back(d);
          return a;
        }();
        const std::vector<double> want = NaiveReduce(x, shape, axes.empty() ? all_axes : axes, kind);
        for (int64_t keepdims : {0, 1}) {
          // Opset 13 (axes attribute except for ReduceSum) and 18 (axes input).
          for (int opset : {13, 18}) {
            OpTest t(kind, opset);
            t.Attr("keepdims", keepdims).Input("x", Tensor::FromVector<float>(shape, x));
            const bool axes_input = opset >= 18 || kind == "ReduceSum";
            if (!axes.empty()) {
              if (axes_input) {
                t.Input("axes", Tensor::FromVector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
              } else {
                t.Attr("axes", axes);
              }
            }
            auto r = t.Output("y").Run();
            const std::string what = kind + " shape " + ShapeToString(shape) + " mask " +
                                     std::to_string(mask) + " keepdims " +
                                     std::to_string(keepdims) + " opset " + std::to_string(opset);
            ASSERT_TRUE(r.ok()) << what << ": " << r.status().ToString();
            Shape want_shape;
            for (int64_t d = 0; d < rank; ++d) {
              bool reduced = axes.empty();
              for (int64_t a : axes) reduced |= (a < 0 ? a + rank : a) == d;
              if (!reduced) want_shape.push_back(shape[static_cast<size_t>(d)]);
              else if (keepdims) want_shape.push_back(1);
            }
            EXPECT_EQ(OutShape(r), want_shape) << what;
            ExpectNear(Out<float>(r), want, 2e-5, what);
          }
        }
      }
    }
  }
}

TEST(ReduceOps, EmptySetReductionsGiveIdentities) {
  // Reducing axis 1 of size 0: every output folds no element.
  const Tensor x = *Tensor::Allocate(DataType::kFloat, {2, 0, 3});
  struct Case {
    const char* op;
    float want;
  };
  for (const Case& c : {Case{"ReduceSum", 0.f}, Case{"ReduceProd", 1.f}, Case{"ReduceMax", -kInf},
                        Case{"ReduceMin", kInf}, Case{"ReduceL1", 0.f}, Case{"ReduceL2", 0.f},
                        Case{"ReduceSumSquare", 0.f}, Case{"ReduceLogSum", -kInf},
                        Case{"ReduceLogSumExp", -kInf}}) {
    auto r = OpTest(c.op, 18)
                 .Input("x", x)
                 .Input("axes", Tensor::FromVector<int64_t>({1}, {1}))
                 .Output("y")
                 .Run();
    ASSERT_TRUE(r.ok()) << c.op << ": " << r.status().ToString();
    EXPECT_EQ(OutShape(r), (Shape{2, 1, 3})) << c.op;
    EXPECT_EQ(Out<float>(r), std::vector<float>(6, c.want)) << c.op;
  }
  auto mean = OpTest("ReduceMean", 18)
                  .Input("x", x)
                  .Input("axes", Tensor::FromVector<int64_t>({1}, {1}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(mean.ok());
  EXPECT_TRUE(std::isnan(Out<float>(mean)[0]));
  // Integers have no infinity: max of nothing is the lowest value, min the highest.
  const Tensor xi = *Tensor::Allocate(DataType::kInt32, {0, 2});
  auto mx = OpTest("ReduceMax", 13).Attr("axes", std::vector<int64_t>{0}).Input("x", xi).Output("y").Run();
  auto mn = OpTest("ReduceMin", 13).Attr("axes", std::vector<int64_t>{0}).Input("x", xi).Output("y").Run();
  ASSERT_TRUE(mx.ok() && mn.ok());
  EXPECT_EQ(Out<int32_t>(mx), std::vector<int32_t>(2, std::numeric_limits<int32_t>::lowest()));
  EXPECT_EQ(Out<int32_t>(mn), std::vector<int32_t>(2, std::numeric_limits<int32_t>::max()));
  // A zero-size kept dim gives an empty output.
  auto e = OpTest("ReduceSum", 13)
               .Attr("keepdims", int64_t{0})
               .Input("x", *Tensor::Allocate(DataType::kFloat, {0, 4}))
               .Input("axes", Tensor::FromVector<int64_t>({1}, {1}))
               .Output("y")
               .Run();
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(OutShape(e), (Shape{0}));
}

TEST(ReduceOps, NoopWithEmptyAxes) {
  const Tensor x = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  const Tensor empty = Tensor::FromVector<int64_t>({0}, {});
  auto noop = OpTest("ReduceSum", 13)
                  .Attr("noop_with_empty_axes", int64_t{1})
                  .Input("x", x)
                  .Input("axes", empty)
                  .Output("y")
                  .Run();
  ASSERT_TRUE(noop.ok()) << noop.status().ToString();
  EXPECT_EQ(OutShape(noop), (Shape{2, 2}));
  EXPECT_EQ(Out<float>(noop), (std::vector<float>{1, 2, 3, 4}));
  // Without the flag, empty axes (or an omitted input) reduce everything.
  auto all = OpTest("ReduceMax", 18).Input("x", x).Input("axes", empty).Output("y").Run();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(OutShape(all), (Shape{1, 1}));
  EXPECT_EQ(Out<float>(all), std::vector<float>{4});
  auto omitted = OpTest("ReduceL1", 18).Attr("keepdims", int64_t{0}).Input("x", x).Output("y").Run();
  ASSERT_TRUE(omitted.ok());
  EXPECT_EQ(OutShape(omitted), Shape{});
  EXPECT_EQ(Out<float>(omitted), std::vector<float>{10});
}

TEST(ReduceOps, IntegerBoolAndHalfTypes) {
  auto s = OpTest("ReduceSum", 11)
               .Attr("axes", std::vector<int64_t>{-1})
               .Input("x", Tensor::FromVector<int64_t>({2, 3}, {1, -2, 3, 4000000000LL, 5, 6}))
               .Output("y")
               .Run();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Out<int64_t>(s), (std::vector<int64_t>{2, 4000000011LL}));
  auto m = OpTest("ReduceMean", 11)
               .Attr("axes", std::vector<int64_t>{0})
               .Input("x", Tensor::FromVector<int32_t>({2, 2}, {1, 4, 2, 7}))
               .Output("y")
               .Run();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Out<int32_t>(m), (std::vector<int32_t>{1, 5}));  // 3/2 and 11/2 truncate
  auto b = OpTest("ReduceMax", 20)
               .Attr("keepdims", int64_t{0})
               .Input("x", Tensor::FromVector<bool>({2, 2}, {false, true, false, false}))
               .Input("axes", Tensor::FromVector<int64_t>({1}, {1}))
               .Output("y")
               .Run();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(Out<bool>(b), (std::vector<bool>{true, false}));
  auto bmin = OpTest("ReduceMin", 20)
                  .Input("x", Tensor::FromVector<bool>({3}, {true, true, false}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(bmin.ok());
  EXPECT_EQ(Out<bool>(bmin), std::vector<bool>{false});
  auto h = OpTest("ReduceSumSquare", 13)
               .Input("x", Tensor::FromVector<Float16>({3}, {Float16(1.f), Float16(2.f), Float16(-3.f)}))
               .Output("y")
               .Run();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(static_cast<float>(Out<Float16>(h)[0]), 14.f);
  auto sumbool = OpTest("ReduceSum", 13)
                     .Input("x", Tensor::FromVector<bool>({1}, {true}))
                     .Output("y")
                     .Run();
  EXPECT_FALSE(sumbool.ok());
}

TEST(ReduceOps, LogSumExpIsStableAndPropagatesNan) {
  auto r = OpTest("ReduceLogSumExp", 13)
               .Attr("axes", std::vector<int64_t>{1})
               .Attr("keepdims", int64_t{0})
               .Input("x", Tensor::FromVector<float>({3, 2}, {1000, 1000, -1000, -1000, kInf, 1}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok());
  const auto y = Out<float>(r);
  EXPECT_NEAR(y[0], 1000 + std::log(2.f), 1e-3);
  EXPECT_NEAR(y[1], -1000 + std::log(2.f), 1e-3);
  EXPECT_EQ(y[2], kInf);
  auto nan = OpTest("ReduceMax", 13)
                 .Input("x", Tensor::FromVector<float>({3}, {1, std::nanf(""), 2}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(nan.ok());
  EXPECT_TRUE(std::isnan(Out<float>(nan)[0]));
}

TEST(ReduceOps, LargeReductionsSplitAcrossThreads) {
  // Integer-valued floats sum exactly whatever the association order.
  const int64_t n = 200003;
  std::vector<float> x(static_cast<size_t>(n));
  double want = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[static_cast<size_t>(i)] = static_cast<float>(i % 7) - 3.f;
    want += x[static_cast<size_t>(i)];
  }
  SessionOptions opts;
  opts.intra_op_threads = 4;
  auto r = OpTest("ReduceSum", 13).Input("x", Tensor::FromVector<float>({n}, x)).Output("y").Run(opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Out<float>(r)[0], static_cast<float>(want));
  // Two long rows (few outputs): also split.
  auto r2 = OpTest("ReduceMax", 13)
                .Attr("axes", std::vector<int64_t>{1})
                .Input("x", Tensor::FromVector<float>({1, n}, x))
                .Output("y")
                .Run(opts);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Out<float>(r2)[0], 3.f);
  // Reduce the outer axis of a tall matrix (kept innermost dim, many reduced rows).
  auto r3 = OpTest("ReduceMean", 13)
                .Attr("axes", std::vector<int64_t>{0})
                .Input("x", Tensor::FromVector<float>({n, 1}, x))
                .Output("y")
                .Run(opts);
  ASSERT_TRUE(r3.ok());
  EXPECT_NEAR(Out<float>(r3)[0], want / static_cast<double>(n), 1e-5);
}

TEST(ReduceOps, ErrorsNameAttributeOrInput) {
  const Tensor x = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  auto bad_keep = OpTest("ReduceSum", 13).Attr("keepdims", int64_t{2}).Input("x", x).Output("y").Load();
  ASSERT_FALSE(bad_keep.ok());
  EXPECT_TRUE(MessageHas(bad_keep.status(), "keepdims")) << bad_keep.status().ToString();
  auto attr_axes = OpTest("ReduceMean", 18)
                       .Attr("axes", std::vector<int64_t>{0})
                       .Input("x", x)
                       .Output("y")
                       .Load();
  ASSERT_FALSE(attr_axes.ok());
  EXPECT_TRUE(MessageHas(attr_axes.status(), "'axes'")) << attr_axes.status().ToString();
  auto range = OpTest("ReduceSum", 13)
                   .Input("x", x)
                   .Input("axes", Tensor::FromVector<int64_t>({1}, {2}))
                   .Output("y")
                   .Run();
  ASSERT_FALSE(range.ok());
  EXPECT_TRUE(MessageHas(range.status(), "node 'node' (ReduceSum)")) << range.status().ToString();
  EXPECT_TRUE(MessageHas(range.status(), "axes")) << range.status().ToString();
  auto dup = OpTest("ReduceProd", 13)
                 .Attr("axes", std::vector<int64_t>{1, -1})
                 .Input("x", x)
                 .Output("y")
                 .Run();
  EXPECT_FALSE(dup.ok());
  auto float_axes = OpTest("ReduceSum", 13)
                        .Input("x", x)
                        .Input("axes", Tensor::FromVector<float>({1}, {0}))
                        .Output("y")
                        .Run();
  EXPECT_FALSE(float_axes.ok());
}

TEST(ArgReduceOps, KeepdimsNegativeAxisAndSelectLast) {
  const Tensor x = Tensor::FromVector<float>({2, 3}, {1, 5, 5, 7, 2, 7});
  auto a = OpTest("ArgMax", 13).Attr("axis", int64_t{-1}).Input("x", x).Output("y").Run();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(OutShape(a), (Shape{2, 1}));
  EXPECT_EQ(Out<int64_t>(a), (std::vector<int64_t>{1, 0}));
  auto last = OpTest("ArgMax", 13)
                  .Attr("axis", int64_t{1})
                  .Attr("keepdims", int64_t{0})
                  .Attr("select_last_index", int64_t{1})
                  .Input("x", x)
                  .Output("y")
                  .Run();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(OutShape(last), (Shape{2}));
  EXPECT_EQ(Out<int64_t>(last), (std::vector<int64_t>{2, 2}));
  auto mn = OpTest("ArgMin", 13).Attr("keepdims", int64_t{0}).Input("x", x).Output("y").Run();
  ASSERT_TRUE(mn.ok());
  EXPECT_EQ(Out<int64_t>(mn), (std::vector<int64_t>{0, 1, 0}));
  // Strided (inner > 1) path on integers, and NaN counting as the maximum.
  auto i3 = OpTest("ArgMin", 13)
                .Attr("axis", int64_t{1})
                .Input("x", Tensor::FromVector<int8_t>({1, 3, 2}, {4, -1, -5, 9, 0, -1}))
                .Output("y")
                .Run();
  ASSERT_TRUE(i3.ok());
  EXPECT_EQ(Out<int64_t>(i3), (std::vector<int64_t>{1, 0}));
  auto nan = OpTest("ArgMax", 13)
                 .Input("x", Tensor::FromVector<float>({3}, {1, std::nanf(""), 3}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(nan.ok());
  EXPECT_EQ(Out<int64_t>(nan), std::vector<int64_t>{1});
  auto empty = OpTest("ArgMax", 13)
                   .Attr("axis", int64_t{1})
                   .Input("x", *Tensor::Allocate(DataType::kFloat, {2, 0}))
                   .Output("y")
                   .Run();
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(MessageHas(empty.status(), "size 0"));
  auto bad_axis = OpTest("ArgMin", 13).Attr("axis", int64_t{2}).Input("x", x).Output("y").Run();
  ASSERT_FALSE(bad_axis.ok());
  EXPECT_TRUE(MessageHas(bad_axis.status(), "axis"));
}

// ---------------------------------------------------------------------------------------------
// Softmax family

// Naive softmax of the vectors of `n` elements strided by `inner`.
std::vector<double> NaiveSoftmax(const std::vector<float>& x, int64_t outer, int64_t n,
                                 int64_t inner, const std::string& op) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t i) { return static_cast<size_t>((o * n + i) * inner + j); };
      double m = -INFINITY, s = 0;
      int64_t arg = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (x[at(i)] > m) {
          m = x[at(i)];
          arg = i;
        }
      }
      for (int64_t i = 0; i < n; ++i) s += std::exp(x[at(i)] - m);
      for (int64_t i = 0; i < n; ++i) {
        if (op == "Softmax") y[at(i)] = std::exp(x[at(i)] - m) / s;
        else if (op == "LogSoftmax") y[at(i)] = x[at(i)] - m - std::log(s);
        else y[at(i)] = i == arg ? 1 : 0;
      }
    }
  }
  return y;
}

TEST(SoftmaxOps, Opset13SingleAxisVsOpset11Coercion) {
  std::mt19937 rng(7);
  const Shape shape = {2, 3, 4};
  const auto x = RandomFloats(24, rng);
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    for (int64_t axis : {0, 1, 2, -1, -2}) {
      const int64_t a = axis < 0 ? axis + 3 : axis;
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < a; ++d) outer *= shape[static_cast<size_t>(d)];
      for (int64_t d = a + 1; d < 3; ++d) inner *= shape[static_cast<size_t>(d)];
      auto r13 = OpTest(op, 13).Attr("axis", axis).Input("x", Tensor::FromVector<float>(shape, x)).Output("y").Run();
      ASSERT_TRUE(r13.ok()) << r13.status().ToString();
      ExpectNear(Out<float>(r13), NaiveSoftmax(x, outer, shape[static_cast<size_t>(a)], inner, op),
                 1e-5, std::string(op) + " opset 13 axis " + std::to_string(axis));
      // Opset 11: one row per prod(dims[:axis]), spanning all later dims.
      auto r11 = OpTest(op, 11).Attr("axis", axis).Input("x", Tensor::FromVector<float>(shape, x)).Output("y").Run();
      ASSERT_TRUE(r11.ok()) << r11.status().ToString();
      ExpectNear(Out<float>(r11), NaiveSoftmax(x, outer, 24 / outer, 1, op), 1e-5,
                 std::string(op) + " opset 11 axis " + std::to_string(axis));
    }
  }
  // Defaults: axis 1 (coerced) before 13, -1 from 13.
  auto d11 = OpTest("Softmax", 11).Input("x", Tensor::FromVector<float>(shape, x)).Output("y").Run();
  auto d13 = OpTest("Softmax", 13).Input("x", Tensor::FromVector<float>(shape, x)).Output("y").Run();
  ExpectNear(Out<float>(d11), NaiveSoftmax(x, 2, 12, 1, "Softmax"), 1e-5, "default 11");
  ExpectNear(Out<float>(d13), NaiveSoftmax(x, 6, 4, 1, "Softmax"), 1e-5, "default 13");
}

TEST(SoftmaxOps, Float32RowKernelsMatchNaiveForEveryTailLength) {
  std::mt19937 rng(11);
  for (bool force_generic : {false, true}) {
    ops::SoftmaxForceGeneric(force_generic);
    for (int64_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000}) {
      const int64_t rows = 3;
      auto x = RandomFloats(static_cast<size_t>(rows * n), rng, -40.f, 40.f);
      for (const char* op : {"Softmax", "LogSoftmax"}) {
        auto r = OpTest(op, 13).Input("x", Tensor::FromVector<float>({rows, n}, x)).Output("y").Run();
        ASSERT_TRUE(r.ok());
        const auto got = Out<float>(r);
        const auto want = NaiveSoftmax(x, rows, n, 1, op);
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], 1e-6 + 2e-6 * std::fabs(want[i]))
              << op << " n " << n << " element " << i << " generic " << force_generic;
        }
      }
    }
  }
  ops::SoftmaxForceGeneric(false);
}

TEST(SoftmaxOps, LargeValuesNanHalfAndEmpty) {
  auto big = OpTest("Softmax", 13)
                 .Input("x", Tensor::FromVector<float>({3}, {10000, 10001, 10002}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(big.ok());
  ExpectNear(Out<float>(big), NaiveSoftmax({0, 1, 2}, 1, 3, 1, "Softmax"), 1e-6, "shifted");
  auto nan = OpTest("LogSoftmax", 13)
                 .Input("x", Tensor::FromVector<float>({2, 3}, {1, std::nanf(""), 2, 1, 2, 3}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(nan.ok());
  const auto yn = Out<float>(nan);
  EXPECT_TRUE(std::isnan(yn[0]) && std::isnan(yn[2]));
  EXPECT_NEAR(yn[5], 3 - 3 - std::log(std::exp(-2.) + std::exp(-1.) + 1), 1e-6);
  // Hardmax: ties go to the first index.
  auto hard = OpTest("Hardmax", 13)
                  .Input("x", Tensor::FromVector<float>({2, 3}, {3, 3, 1, 0, 2, 2}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(hard.ok());
  EXPECT_EQ(Out<float>(hard), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  std::vector<Float16> h = {Float16(1.f), Float16(2.f), Float16(3.f), Float16(4.f)};
  auto half = OpTest("Softmax", 13).Attr("axis", int64_t{0}).Input("x", Tensor::FromVector<Float16>({2, 2}, h)).Output("y").Run();
  ASSERT_TRUE(half.ok());
  const auto yh = Out<Float16>(half);
  const float p = static_cast<float>(1 / (1 + std::exp(2.)));
  EXPECT_NEAR(static_cast<float>(yh[0]), p, 1e-3);
  EXPECT_NEAR(static_cast<float>(yh[3]), 1 - p, 1e-3);
  auto empty = OpTest("Softmax", 13).Input("x", *Tensor::Allocate(DataType::kFloat, {0, 5})).Output("y").Run();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(OutShape(empty), (Shape{0, 5}));
  auto zero_axis = OpTest("Softmax", 13).Input("x", *Tensor::Allocate(DataType::kFloat, {2, 0})).Output("y").Run();
  ASSERT_TRUE(zero_axis.ok());
  auto bad = OpTest("Softmax", 13).Attr("axis", int64_t{3}).Input("x", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4})).Output("y").Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(MessageHas(bad.status(), "axis")) << bad.status().ToString();
  auto bad11 = OpTest("LogSoftmax", 11).Attr("axis", int64_t{-4}).Input("x", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4})).Output("y").Run();
  ASSERT_FALSE(bad11.ok());
  EXPECT_TRUE(MessageHas(bad11.status(), "'axis'")) << bad11.status().ToString();
  auto ints = OpTest("Softmax", 13).Input("x", Tensor::FromVector<int32_t>({2}, {1, 2})).Output("y").Run();
  EXPECT_FALSE(ints.ok());
}

}  // namespace
}  // namespace onnxedge
