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

#include "core/cpu_features.h"
#include "ops/common/quant_util.h"
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
  for (int64_t a : axes)
    red[static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(rank) : a)] = true;
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
      if (!std::isnan(want[i])) {
        EXPECT_EQ(got[i], want[i]) << what << " element " << i;
      }
      continue;
    }
    EXPECT_NEAR(got[i], want[i], rtol * (1 + std::fabs(want[i]))) << what << " element " << i;
  }
}

const char* kReduceOps[] = {"ReduceSum",       "ReduceMean",     "ReduceMax", "ReduceMin",
                            "ReduceProd",      "ReduceL1",       "ReduceL2",  "ReduceLogSum",
                            "ReduceLogSumExp", "ReduceSumSquare"};

TEST(ReduceOps, RandomShapesAndAxesMatchNaiveFormula) {
  std::mt19937 rng(1234);
  const std::vector<Shape> shapes = {{5},          {3, 4},       {2, 3, 4},      {4, 1, 3, 2},
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
        const std::vector<double> want =
            NaiveReduce(x, shape, axes.empty() ? all_axes : axes, kind);
        for (int64_t keepdims : {0, 1}) {
          // Opset 13 (axes attribute except for ReduceSum) and 18 (axes input).
          for (int opset : {13, 18}) {
            OpTest t(kind, opset);
            t.Attr("keepdims", keepdims).Input("x", Tensor::FromVector<float>(shape, x));
            const bool axes_input = opset >= 18 || kind == "ReduceSum";
            if (!axes.empty()) {
              if (axes_input) {
                t.Input("axes",
                        Tensor::FromVector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
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
              if (!reduced) {
                want_shape.push_back(shape[static_cast<size_t>(d)]);
              } else if (keepdims) {
                want_shape.push_back(1);
              }
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
  auto mx = OpTest("ReduceMax", 13)
                .Attr("axes", std::vector<int64_t>{0})
                .Input("x", xi)
                .Output("y")
                .Run();
  auto mn = OpTest("ReduceMin", 13)
                .Attr("axes", std::vector<int64_t>{0})
                .Input("x", xi)
                .Output("y")
                .Run();
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
  auto omitted =
      OpTest("ReduceL1", 18).Attr("keepdims", int64_t{0}).Input("x", x).Output("y").Run();
  ASSERT_TRUE(omitted.ok());
  EXPECT_EQ(OutShape(omitted), Shape{});
  EXPECT_EQ(Out<float>(omitted), std::vector<float>{10});
}

// The kernel keeps the plan of the last shape and axes: one session run with shapes and axes
// inputs that change, repeat and change back gets each result right.
TEST(ReduceOps, OneSessionFollowsChangingShapesAndAxes) {
  auto s = OpTest("ReduceSum", 18)
               .Input("x", Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}))
               .Input("axes", Tensor::FromVector<int64_t>({1}, {0}))
               .Output("y")
               .Load();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  struct Case {
    Shape shape;
    std::vector<int64_t> axes;
  };
  for (const Case& c : {Case{{2, 3}, {0}}, Case{{2, 3}, {0}}, Case{{2, 3}, {1}},
                        Case{{3, 2}, {1}}, Case{{2, 3}, {0, 1}}, Case{{2, 3}, {0}},
                        Case{{4, 1}, {0}}}) {
    std::vector<float> xv(static_cast<size_t>(c.shape[0] * c.shape[1]));
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>(i * i % 7) - 2.f;
    const Tensor x = Tensor::FromVector<float>(c.shape, xv);
    const Tensor axes = Tensor::FromVector<int64_t>({static_cast<int64_t>(c.axes.size())}, c.axes);
    auto r = (*s)->Run({{"x", x}, {"axes", axes}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const bool rows = c.axes.size() == 1 && c.axes[0] == 0;  // sum over dim 0
    const bool cols = c.axes.size() == 1 && c.axes[0] == 1;
    std::vector<float> want;
    if (rows) {
      for (int64_t j = 0; j < c.shape[1]; ++j) {
        float acc = 0;
        for (int64_t i = 0; i < c.shape[0]; ++i) acc += xv[static_cast<size_t>(i * c.shape[1] + j)];
        want.push_back(acc);
      }
    } else if (cols) {
      for (int64_t i = 0; i < c.shape[0]; ++i) {
        float acc = 0;
        for (int64_t j = 0; j < c.shape[1]; ++j) acc += xv[static_cast<size_t>(i * c.shape[1] + j)];
        want.push_back(acc);
      }
    } else {
      float acc = 0;
      for (float v : xv) acc += v;
      want.push_back(acc);
    }
    const Shape want_shape = rows ? Shape{1, c.shape[1]} : cols ? Shape{c.shape[0], 1} : Shape{1, 1};
    EXPECT_EQ((*r)[0].value.tensor().shape(), want_shape) << ShapeToString(c.shape);
    EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), want) << ShapeToString(c.shape);
  }
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
  auto h =
      OpTest("ReduceSumSquare", 13)
          .Input("x", Tensor::FromVector<Float16>({3}, {Float16(1.f), Float16(2.f), Float16(-3.f)}))
          .Output("y")
          .Run();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(static_cast<float>(Out<Float16>(h)[0]), 14.f);
  auto sumbool =
      OpTest("ReduceSum", 13).Input("x", Tensor::FromVector<bool>({1}, {true})).Output("y").Run();
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
  auto r =
      OpTest("ReduceSum", 13).Input("x", Tensor::FromVector<float>({n}, x)).Output("y").Run(opts);
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

TEST(ReduceOps, WideKeptInnerDimIsTiled) {
  // [3, 9000] reduced over axis 0: the kept inner dim spans several tiles of outputs.
  std::mt19937 rng(31);
  const auto x = RandomFloats(3 * 9000, rng);
  SessionOptions opts;
  opts.intra_op_threads = 3;
  for (const char* op : {"ReduceSum", "ReduceLogSumExp", "ReduceMin"}) {
    auto r = OpTest(op, 11)
                 .Attr("axes", std::vector<int64_t>{0})
                 .Attr("keepdims", int64_t{0})
                 .Input("x", Tensor::FromVector<float>({3, 9000}, x))
                 .Output("y")
                 .Run(opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectNear(Out<float>(r), NaiveReduce(x, {3, 9000}, {0}, op), 1e-5, op);
  }
}

TEST(ReduceOps, ErrorsNameAttributeOrInput) {
  const Tensor x = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  auto bad_keep =
      OpTest("ReduceSum", 13).Attr("keepdims", int64_t{2}).Input("x", x).Output("y").Load();
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
        if (op == "Softmax") {
          y[at(i)] = std::exp(x[at(i)] - m) / s;
        } else if (op == "LogSoftmax") {
          y[at(i)] = x[at(i)] - m - std::log(s);
        } else {
          y[at(i)] = i == arg ? 1 : 0;
        }
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
      auto r13 = OpTest(op, 13)
                     .Attr("axis", axis)
                     .Input("x", Tensor::FromVector<float>(shape, x))
                     .Output("y")
                     .Run();
      ASSERT_TRUE(r13.ok()) << r13.status().ToString();
      ExpectNear(Out<float>(r13), NaiveSoftmax(x, outer, shape[static_cast<size_t>(a)], inner, op),
                 1e-5, std::string(op) + " opset 13 axis " + std::to_string(axis));
      // Opset 11: one row per prod(dims[:axis]), spanning all later dims.
      auto r11 = OpTest(op, 11)
                     .Attr("axis", axis)
                     .Input("x", Tensor::FromVector<float>(shape, x))
                     .Output("y")
                     .Run();
      ASSERT_TRUE(r11.ok()) << r11.status().ToString();
      ExpectNear(Out<float>(r11), NaiveSoftmax(x, outer, 24 / outer, 1, op), 1e-5,
                 std::string(op) + " opset 11 axis " + std::to_string(axis));
    }
  }
  // Defaults: axis 1 (coerced) before 13, -1 from 13.
  auto d11 =
      OpTest("Softmax", 11).Input("x", Tensor::FromVector<float>(shape, x)).Output("y").Run();
  auto d13 =
      OpTest("Softmax", 13).Input("x", Tensor::FromVector<float>(shape, x)).Output("y").Run();
  ExpectNear(Out<float>(d11), NaiveSoftmax(x, 2, 12, 1, "Softmax"), 1e-5, "default 11");
  ExpectNear(Out<float>(d13), NaiveSoftmax(x, 6, 4, 1, "Softmax"), 1e-5, "default 13");
}

// Every row kernel this CPU has (portable, AVX2, AVX-512), tails of every length against 8-
// and 16-lane vectors and the 32-wide unrolled loops.
TEST(SoftmaxOps, Float32RowKernelsMatchNaiveForEveryTailLength) {
  std::mt19937 rng(11);
  for (Isa isa : AvailableIsas()) {
    ScopedMaxIsa cap(isa);
    const std::string isa_name = IsaName(isa);
    for (int64_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 100, 128, 1000}) {
      const int64_t rows = 3;
      auto x = RandomFloats(static_cast<size_t>(rows * n), rng, -40.f, 40.f);
      for (const char* op : {"Softmax", "LogSoftmax"}) {
        auto r =
            OpTest(op, 13).Input("x", Tensor::FromVector<float>({rows, n}, x)).Output("y").Run();
        ASSERT_TRUE(r.ok());
        const auto got = Out<float>(r);
        const auto want = NaiveSoftmax(x, rows, n, 1, op);
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], 1e-6 + 2e-6 * std::fabs(want[i]))
              << op << " n " << n << " element " << i << " isa " << isa_name;
        }
      }
    }
    // Strided axis (inner 19 = 8 + 8 + 3 lanes): the column kernels.
    const auto xs = RandomFloats(2 * 5 * 19, rng, -40.f, 40.f);
    for (const char* op : {"Softmax", "LogSoftmax"}) {
      auto r = OpTest(op, 13)
                   .Attr("axis", int64_t{1})
                   .Input("x", Tensor::FromVector<float>({2, 5, 19}, xs))
                   .Output("y")
                   .Run();
      ASSERT_TRUE(r.ok());
      const auto got = Out<float>(r);
      const auto want = NaiveSoftmax(xs, 2, 5, 19, op);
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-6 + 2e-6 * std::fabs(want[i]))
            << op << " strided element " << i << " isa " << isa_name;
      }
    }
  }
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
  auto half = OpTest("Softmax", 13)
                  .Attr("axis", int64_t{0})
                  .Input("x", Tensor::FromVector<Float16>({2, 2}, h))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(half.ok());
  const auto yh = Out<Float16>(half);
  const float p = static_cast<float>(1 / (1 + std::exp(2.)));
  EXPECT_NEAR(static_cast<float>(yh[0]), p, 1e-3);
  EXPECT_NEAR(static_cast<float>(yh[3]), 1 - p, 1e-3);
  auto empty = OpTest("Softmax", 13)
                   .Input("x", *Tensor::Allocate(DataType::kFloat, {0, 5}))
                   .Output("y")
                   .Run();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(OutShape(empty), (Shape{0, 5}));
  auto zero_axis = OpTest("Softmax", 13)
                       .Input("x", *Tensor::Allocate(DataType::kFloat, {2, 0}))
                       .Output("y")
                       .Run();
  ASSERT_TRUE(zero_axis.ok());
  auto bad = OpTest("Softmax", 13)
                 .Attr("axis", int64_t{3})
                 .Input("x", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(MessageHas(bad.status(), "axis")) << bad.status().ToString();
  auto bad11 = OpTest("LogSoftmax", 11)
                   .Attr("axis", int64_t{-4})
                   .Input("x", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                   .Output("y")
                   .Run();
  ASSERT_FALSE(bad11.ok());
  EXPECT_TRUE(MessageHas(bad11.status(), "'axis'")) << bad11.status().ToString();
  auto ints =
      OpTest("Softmax", 13).Input("x", Tensor::FromVector<int32_t>({2}, {1, 2})).Output("y").Run();
  EXPECT_FALSE(ints.ok());
}

// ---------------------------------------------------------------------------------------------
// Quantization

// Round half to even, written independently of the kernels (floor and parity).
double RoundHalfEven(double v) {
  const double f = std::floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}
template <typename Q>
Q Saturate(double v) {
  v = std::min<double>(std::max<double>(v, std::numeric_limits<Q>::lowest()),
                       std::numeric_limits<Q>::max());
  return static_cast<Q>(v);
}

TEST(QuantizeLinearOp, RoundsHalfToEvenAndSaturates) {
  const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.f, -300.f, 3.49f};
  auto u = OpTest("QuantizeLinear", 13)
               .Input("x", Tensor::FromVector<float>({8}, x))
               .Input("s", Tensor::Scalar<float>(1.f))
               .Input("z", Tensor::Scalar<uint8_t>(0))
               .Output("y")
               .Run();
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(Out<uint8_t>(u), (std::vector<uint8_t>{0, 2, 2, 0, 0, 255, 0, 3}));
  auto i = OpTest("QuantizeLinear", 13)
               .Input("x", Tensor::FromVector<float>({8}, x))
               .Input("s", Tensor::Scalar<float>(1.f))
               .Input("z", Tensor::Scalar<int8_t>(-1))
               .Output("y")
               .Run();
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(Out<int8_t>(i), (std::vector<int8_t>{-1, 1, 1, -1, -3, 127, -128, 2}));
  // No zero point: uint8 with zero point 0. x / 0.5 = 2x.
  auto nz = OpTest("QuantizeLinear", 10)
                .Input("x", Tensor::FromVector<float>({3}, {0.25f, 0.75f, -1.f}))
                .Input("s", Tensor::Scalar<float>(0.5f))
                .Output("y")
                .Run();
  ASSERT_TRUE(nz.ok());
  EXPECT_EQ(Out<uint8_t>(nz), (std::vector<uint8_t>{0, 2, 0}));
}

TEST(QuantizeLinearOp, PerAxisBlockedAndOutputDtype) {
  std::mt19937 rng(3);
  const auto x = RandomFloats(12, rng, -20.f, 20.f);
  // Per axis along dim 1 of [2, 3, 2].
  const std::vector<float> sc = {0.5f, 0.25f, 2.f};
  const std::vector<int8_t> zp = {0, 5, -7};
  auto r = OpTest("QuantizeLinear", 13)
               .Input("x", Tensor::FromVector<float>({2, 3, 2}, x))
               .Input("s", Tensor::FromVector<float>({3}, sc))
               .Input("z", Tensor::FromVector<int8_t>({3}, zp))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<int8_t> want;
  for (int i = 0; i < 12; ++i) {
    const int c = (i / 2) % 3;
    want.push_back(Saturate<int8_t>(RoundHalfEven(static_cast<double>(x[i] / sc[c])) + zp[c]));
  }
  EXPECT_EQ(Out<int8_t>(r), want);
  // Negative axis: same as axis 1 here.
  auto neg = OpTest("QuantizeLinear", 13)
                 .Attr("axis", int64_t{-2})
                 .Input("x", Tensor::FromVector<float>({2, 3, 2}, x))
                 .Input("s", Tensor::FromVector<float>({3}, sc))
                 .Input("z", Tensor::FromVector<int8_t>({3}, zp))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(Out<int8_t>(neg), want);
  // Blocked (opset 21): x [2, 5], blocks of 2 along axis 1 -> scale [2, 3]; int16 output from
  // output_dtype without a zero point.
  const std::vector<float> bs = {0.01f, 0.02f, 0.04f, 0.5f, 1.f, 2.f};
  auto blk = OpTest("QuantizeLinear", 21)
                 .Attr("axis", int64_t{1})
                 .Attr("block_size", int64_t{2})
                 .Attr("output_dtype", int64_t{5})
                 .Input("x", Tensor::FromVector<float>(
                                 {2, 5}, std::vector<float>(x.begin(), x.begin() + 10)))
                 .Input("s", Tensor::FromVector<float>({2, 3}, bs))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(blk.ok()) << blk.status().ToString();
  std::vector<int16_t> wblk;
  for (int i = 0; i < 10; ++i) {
    const float s = bs[static_cast<size_t>((i / 5) * 3 + (i % 5) / 2)];
    wblk.push_back(Saturate<int16_t>(RoundHalfEven(static_cast<double>(x[i] / s))));
  }
  EXPECT_EQ(Out<int16_t>(blk), wblk);
  // float16 input and scale (opset 19): 3 / 2 = 1.5 -> 2, 5 / 2 = 2.5 -> 2.
  auto h = OpTest("QuantizeLinear", 19)
               .Input("x", Tensor::FromVector<Float16>({2}, {Float16(3.f), Float16(5.f)}))
               .Input("s", Tensor::Scalar<Float16>(Float16(2.f)))
               .Output("y")
               .Run();
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(Out<uint8_t>(h), (std::vector<uint8_t>{2, 2}));
}

TEST(QuantizeLinearOp, ErrorsNameTheInputs) {
  const Tensor x = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto len = OpTest("QuantizeLinear", 13)
                 .Input("x", x)
                 .Input("s", Tensor::FromVector<float>({2}, {1, 1}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(len.ok());
  EXPECT_TRUE(MessageHas(len.status(), "'y_scale'")) << len.status().ToString();
  auto zshape = OpTest("QuantizeLinear", 13)
                    .Input("x", x)
                    .Input("s", Tensor::FromVector<float>({3}, {1, 1, 1}))
                    .Input("z", Tensor::Scalar<uint8_t>(0))
                    .Output("y")
                    .Run();
  ASSERT_FALSE(zshape.ok());
  EXPECT_TRUE(MessageHas(zshape.status(), "'y_zero_point'")) << zshape.status().ToString();
  auto old = OpTest("QuantizeLinear", 10)
                 .Input("x", x)
                 .Input("s", Tensor::FromVector<float>({3}, {1, 1, 1}))
                 .Output("y")
                 .Run();
  EXPECT_FALSE(old.ok());
  auto dtype = OpTest("QuantizeLinear", 21)
                   .Attr("output_dtype", int64_t{1})
                   .Input("x", x)
                   .Input("s", Tensor::Scalar<float>(1.f))
                   .Output("y")
                   .Load();
  ASSERT_FALSE(dtype.ok());
  EXPECT_TRUE(MessageHas(dtype.status(), "output_dtype")) << dtype.status().ToString();
  auto blk = OpTest("QuantizeLinear", 21)
                 .Attr("block_size", int64_t{2})
                 .Input("x", x)
                 .Input("s", Tensor::FromVector<float>({2, 1}, {1, 1}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(blk.ok());
  EXPECT_TRUE(MessageHas(blk.status(), "block_size")) << blk.status().ToString();
}

TEST(DequantizeLinearOp, PerTensorPerAxisInt32BlockedAndHalf) {
  auto t = OpTest("DequantizeLinear", 13)
               .Input("x", Tensor::FromVector<uint8_t>({4}, {0, 3, 128, 255}))
               .Input("s", Tensor::Scalar<float>(0.5f))
               .Input("z", Tensor::Scalar<uint8_t>(128))
               .Output("y")
               .Run();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Out<float>(t), (std::vector<float>{-64.f, -62.5f, 0.f, 63.5f}));
  auto a = OpTest("DequantizeLinear", 13)
               .Attr("axis", int64_t{-1})
               .Input("x", Tensor::FromVector<int8_t>({2, 2}, {-128, 127, 10, -10}))
               .Input("s", Tensor::FromVector<float>({2}, {1.f, 0.25f}))
               .Input("z", Tensor::FromVector<int8_t>({2}, {-1, 1}))
               .Output("y")
               .Run();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(Out<float>(a), (std::vector<float>{-127.f, 31.5f, 11.f, -2.75f}));
  auto i32 = OpTest("DequantizeLinear", 13)
                 .Input("x", Tensor::FromVector<int32_t>({2}, {-1000000, 7}))
                 .Input("s", Tensor::Scalar<float>(0.5f))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(i32.ok());
  EXPECT_EQ(Out<float>(i32), (std::vector<float>{-500000.f, 3.5f}));
  // Blocked along axis 0 of [3, 2] with blocks of 2: scale [2, 2].
  auto blk = OpTest("DequantizeLinear", 21)
                 .Attr("axis", int64_t{0})
                 .Attr("block_size", int64_t{2})
                 .Input("x", Tensor::FromVector<uint8_t>({3, 2}, {10, 20, 30, 40, 50, 60}))
                 .Input("s", Tensor::FromVector<float>({2, 2}, {1.f, 2.f, 3.f, 4.f}))
                 .Input("z", Tensor::FromVector<uint8_t>({2, 2}, {0, 10, 20, 30}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(blk.ok()) << blk.status().ToString();
  EXPECT_EQ(Out<float>(blk), (std::vector<float>{10, 20, 30, 60, 90, 120}));
  auto h = OpTest("DequantizeLinear", 19)
               .Input("x", Tensor::FromVector<int8_t>({2}, {3, -4}))
               .Input("s", Tensor::Scalar<Float16>(Float16(0.5f)))
               .Output("y")
               .Run();
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ((*h)[0].value.tensor().dtype(), DataType::kFloat16);
  EXPECT_EQ(static_cast<float>(Out<Float16>(h)[1]), -2.f);
  auto bad = OpTest("DequantizeLinear", 13)
                 .Input("x", Tensor::FromVector<uint8_t>({2}, {1, 2}))
                 .Input("s", Tensor::Scalar<float>(1.f))
                 .Input("z", Tensor::Scalar<int8_t>(0))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(MessageHas(bad.status(), "x_zero_point"));
}

TEST(DynamicQuantizeLinearOp, ScaleZeroPointAndDegenerateInputs) {
  const std::vector<float> x = {0, 2, -3, -2.5f, 1.34f, 0.5f};
  auto r = OpTest("DynamicQuantizeLinear", 11)
               .Input("x", Tensor::FromVector<float>({6}, x))
               .Output("y")
               .Output("s")
               .Output("z")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float scale = 5.f / 255.f;  // (2 - (-3)) / 255
  EXPECT_FLOAT_EQ(Out<float>(r, 1)[0], scale);
  EXPECT_EQ(Out<uint8_t>(r, 2)[0], 153);  // round(3 / scale) = round(153.0)
  std::vector<uint8_t> want;
  for (float v : x) want.push_back(Saturate<uint8_t>(RoundHalfEven(v / scale) + 153));
  EXPECT_EQ(Out<uint8_t>(r), want);
  // All positive: min is clamped to 0, zero point 0.
  auto pos = OpTest("DynamicQuantizeLinear", 11)
                 .Input("x", Tensor::FromVector<float>({2}, {1.f, 2.55f}))
                 .Output("y")
                 .Output("s")
                 .Output("z")
                 .Run();
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(Out<uint8_t>(pos, 2)[0], 0);
  EXPECT_EQ(Out<uint8_t>(pos), (std::vector<uint8_t>{100, 255}));
  auto zeros = OpTest("DynamicQuantizeLinear", 11)
                   .Input("x", Tensor::FromVector<float>({3}, {0, 0, 0}))
                   .Output("y")
                   .Output("s")
                   .Output("z")
                   .Run();
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(Out<float>(zeros, 1)[0], 0.f);
  EXPECT_EQ(Out<uint8_t>(zeros), (std::vector<uint8_t>{0, 0, 0}));
  auto empty = OpTest("DynamicQuantizeLinear", 11)
                   .Input("x", *Tensor::Allocate(DataType::kFloat, {0, 3}))
                   .Output("y")
                   .Output("s")
                   .Output("z")
                   .Run();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(OutShape(empty), (Shape{0, 3}));
}

// Naive batched integer matmul with per-row (A) / per-column (B) zero points, int64 sums.
template <typename TA, typename TB>
std::vector<int64_t> NaiveIntMatMul(const std::vector<TA>& a, const std::vector<TB>& b,
                                    int64_t batch, int64_t m, int64_t k, int64_t n,
                                    const std::vector<int>& azp, const std::vector<int>& bzp,
                                    bool b_shared) {
  std::vector<int64_t> y;
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        int64_t s = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          const int64_t av = a[static_cast<size_t>((bi * m + i) * k + kk)] -
                             azp[static_cast<size_t>(azp.size() == 1 ? 0 : i)];
          const int64_t bv = b[static_cast<size_t>(((b_shared ? 0 : bi) * k + kk) * n + j)] -
                             bzp[static_cast<size_t>(bzp.size() == 1 ? 0 : j)];
          s += av * bv;
        }
        y.push_back(s);
      }
    }
  }
  return y;
}

TEST(MatMulIntegerOp, ZeroPointsBroadcastAndNoInt16Saturation) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  const int64_t batch = 3, m = 4, k = 37, n = 9;
  std::vector<uint8_t> a(static_cast<size_t>(batch * m * k));
  std::vector<int8_t> b(static_cast<size_t>(k * n));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : b) v = static_cast<int8_t>(s8(rng));
  const std::vector<int> azp = {3, 200, 0, 128}, bzp = {-5, 0, 7, -128, 127, 1, 2, 3, 4};
  std::vector<uint8_t> azp8(azp.begin(), azp.end());
  std::vector<int8_t> bzp8(bzp.begin(), bzp.end());
  auto r = OpTest("MatMulInteger", 10)
               .Input("a", Tensor::FromVector<uint8_t>({batch, m, k}, a))
               .Input("b", Tensor::FromVector<int8_t>({k, n}, b))
               .Input("az", Tensor::FromVector<uint8_t>({m}, azp8))
               .Input("bz", Tensor::FromVector<int8_t>({n}, bzp8))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutShape(r), (Shape{batch, m, n}));
  const auto want = NaiveIntMatMul(a, b, batch, m, k, n, azp, bzp, true);
  const auto got = Out<int32_t>(r);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << i;
  // 255 * 127 + 255 * 127 = 64770 overflows int16 pair sums (the AVX2 u8s8 trap); must be exact.
  auto sat = OpTest("MatMulInteger", 10)
                 .Input("a", Tensor::FromVector<uint8_t>({1, 2}, {255, 255}))
                 .Input("b", Tensor::FromVector<int8_t>({2, 1}, {127, 127}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(sat.ok());
  EXPECT_EQ(Out<int32_t>(sat), std::vector<int32_t>{64770});
  // 1-D operands and batch broadcasting [2, 1, 2, 3] x [3, 3, 1].
  auto v = OpTest("MatMulInteger", 10)
               .Input("a", Tensor::FromVector<int8_t>({3}, {1, -2, 3}))
               .Input("b", Tensor::FromVector<int8_t>({3}, {4, 5, -6}))
               .Output("y")
               .Run();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(OutShape(v), Shape{});
  EXPECT_EQ(Out<int32_t>(v), std::vector<int32_t>{4 - 10 - 18});
  std::vector<int8_t> a4(12), b4(9);
  for (auto& x : a4) x = static_cast<int8_t>(s8(rng));
  for (auto& x : b4) x = static_cast<int8_t>(s8(rng));
  auto bc = OpTest("MatMulInteger", 10)
                .Input("a", Tensor::FromVector<int8_t>({2, 1, 2, 3}, a4))
                .Input("b", Tensor::FromVector<int8_t>({3, 3, 1}, b4))
                .Output("y")
                .Run();
  ASSERT_TRUE(bc.ok()) << bc.status().ToString();
  EXPECT_EQ(OutShape(bc), (Shape{2, 3, 2, 1}));
  const auto gbc = Out<int32_t>(bc);
  for (int64_t p = 0; p < 2; ++p) {
    for (int64_t q = 0; q < 3; ++q) {
      for (int64_t i = 0; i < 2; ++i) {
        int64_t s = 0;
        for (int64_t kk = 0; kk < 3; ++kk)
          s += a4[static_cast<size_t>(p * 6 + i * 3 + kk)] * b4[static_cast<size_t>(q * 3 + kk)];
        EXPECT_EQ(gbc[static_cast<size_t>((p * 3 + q) * 2 + i)], s);
      }
    }
  }
  auto bad = OpTest("MatMulInteger", 10)
                 .Input("a", Tensor::FromVector<uint8_t>({2, 2}, {1, 2, 3, 4}))
                 .Input("b", Tensor::FromVector<uint8_t>({2, 2}, {1, 2, 3, 4}))
                 .Input("az", Tensor::FromVector<uint8_t>({3}, {1, 2, 3}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(MessageHas(bad.status(), "a_zero_point")) << bad.status().ToString();
}

TEST(MatMulIntegerOp, EveryKernelPathAndTileRemainderMatchesNaive) {
  // Row blocks of 4 (+3, 2, 1 remainders), column blocks of 16 / 8 / scalar tails, odd K.
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  struct Dims {
    int64_t m, k, n;
  };
  for (bool generic : {false, true}) {
    ops::IntGemmForceGeneric(generic);
    for (const Dims& d : {Dims{1, 1, 1}, Dims{5, 1, 17}, Dims{1, 2, 33}, Dims{7, 64, 16},
                          Dims{18, 33, 300}, Dims{3, 0, 4}}) {
      std::vector<int8_t> a(static_cast<size_t>(d.m * d.k));
      std::vector<uint8_t> b(static_cast<size_t>(d.k * d.n));
      for (auto& v : a) v = static_cast<int8_t>(s8(rng));
      for (auto& v : b) v = static_cast<uint8_t>(u8(rng));
      auto r = OpTest("MatMulInteger", 10)
                   .Input("a", Tensor::FromVector<int8_t>({d.m, d.k}, a))
                   .Input("b", Tensor::FromVector<uint8_t>({d.k, d.n}, b))
                   .Input("az", Tensor::Scalar<int8_t>(-128))
                   .Input("bz", Tensor::Scalar<uint8_t>(255))
                   .Output("y")
                   .Run();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const auto want = NaiveIntMatMul(a, b, 1, d.m, d.k, d.n, {-128}, {255}, true);
      const auto got = Out<int32_t>(r);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << d.m << "x" << d.k << "x" << d.n << " generic " << generic;
      }
    }
  }
  ops::IntGemmForceGeneric(false);
}

TEST(QLinearMatMulOp, RequantizesWithTiesToEvenAndSaturation) {
  // a_scale * b_scale / y_scale = 0.5: acc 3 -> 1.5 -> 2, acc 5 -> 2.5 -> 2, then + zero point.
  auto r = OpTest("QLinearMatMul", 10)
               .Input("a", Tensor::FromVector<uint8_t>({2, 1}, {3, 5}))
               .Input("as", Tensor::Scalar<float>(1.f))
               .Input("az", Tensor::Scalar<uint8_t>(0))
               .Input("b", Tensor::FromVector<uint8_t>({1, 2}, {1, 255}))
               .Input("bs", Tensor::Scalar<float>(0.5f))
               .Input("bz", Tensor::Scalar<uint8_t>(0))
               .Input("ys", Tensor::Scalar<float>(1.f))
               .Input("yz", Tensor::Scalar<int8_t>(-3))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Row 0: 3*1*0.5=1.5->2, 3*255*0.5=382.5->382 -> saturate; row 1: 2.5->2, 637.5 -> sat.
  EXPECT_EQ(Out<int8_t>(r), (std::vector<int8_t>{-1, 127, -1, 127}));
  // Random, per-column b parameters, against the formula.
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> u8(0, 255);
  const int64_t m = 3, k = 20, n = 4;
  std::vector<uint8_t> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : b) v = static_cast<uint8_t>(u8(rng));
  const std::vector<float> bs = {0.01f, 0.02f, 0.005f, 0.03f};
  const std::vector<uint8_t> bz = {120, 128, 0, 255};
  auto q = OpTest("QLinearMatMul", 10)
               .Input("a", Tensor::FromVector<uint8_t>({m, k}, a))
               .Input("as", Tensor::FromVector<float>({1}, {0.02f}))
               .Input("az", Tensor::FromVector<uint8_t>({1}, {130}))
               .Input("b", Tensor::FromVector<uint8_t>({k, n}, b))
               .Input("bs", Tensor::FromVector<float>({n}, bs))
               .Input("bz", Tensor::FromVector<uint8_t>({n}, bz))
               .Input("ys", Tensor::Scalar<float>(0.7f))
               .Input("yz", Tensor::Scalar<uint8_t>(100))
               .Output("y")
               .Run();
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const auto acc =
      NaiveIntMatMul(a, b, 1, m, k, n, {130}, std::vector<int>(bz.begin(), bz.end()), true);
  std::vector<uint8_t> want;
  for (int64_t i = 0; i < m * n; ++i) {
    const float mult = (0.02f * bs[static_cast<size_t>(i % n)]) / 0.7f;
    want.push_back(Saturate<uint8_t>(
        RoundHalfEven(static_cast<double>(acc[static_cast<size_t>(i)]) * mult) + 100));
  }
  EXPECT_EQ(Out<uint8_t>(q), want);
}

TEST(QLinearMatMulOp, HalfScalesAndPerMatrixParameters) {
  // Opset 21 allows float16 scales: 0.5 * 0.25 / 0.125 = 1 exactly.
  auto h = OpTest("QLinearMatMul", 21)
               .Input("a", Tensor::FromVector<int8_t>({1, 2}, {3, -4}))
               .Input("as", Tensor::Scalar<Float16>(Float16(0.5f)))
               .Input("az", Tensor::Scalar<int8_t>(0))
               .Input("b", Tensor::FromVector<int8_t>({2, 1}, {5, 6}))
               .Input("bs", Tensor::Scalar<Float16>(Float16(0.25f)))
               .Input("bz", Tensor::Scalar<int8_t>(1))
               .Input("ys", Tensor::Scalar<Float16>(Float16(0.125f)))
               .Input("yz", Tensor::Scalar<int8_t>(2))
               .Output("y")
               .Run();
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(Out<int8_t>(h), std::vector<int8_t>{3 * 4 - 4 * 5 + 2});
  // a's scale and zero point per matrix and row ([2, 2, 1] for a of shape [2, 2, 3]).
  const std::vector<uint8_t> a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  auto pm = OpTest("QLinearMatMul", 10)
                .Input("a", Tensor::FromVector<uint8_t>({2, 2, 3}, a))
                .Input("as", Tensor::FromVector<float>({2, 2, 1}, {1, 2, 0.5f, 1}))
                .Input("az", Tensor::FromVector<uint8_t>({2, 2, 1}, {1, 0, 7, 10}))
                .Input("b", Tensor::FromVector<uint8_t>({3, 1}, {1, 1, 1}))
                .Input("bs", Tensor::Scalar<float>(1.f))
                .Input("bz", Tensor::Scalar<uint8_t>(0))
                .Input("ys", Tensor::Scalar<float>(1.f))
                .Input("yz", Tensor::Scalar<uint8_t>(0))
                .Output("y")
                .Run();
  ASSERT_TRUE(pm.ok()) << pm.status().ToString();
  // Row sums minus 3 * zero point, times the row's scale: (6-3)*1, 15*2, (24-21)*0.5=1.5->2,
  // (33-30)*1.
  EXPECT_EQ(Out<uint8_t>(pm), (std::vector<uint8_t>{3, 30, 2, 3}));
}

// Naive N-D convolution on int64 with zero points, padding contributing 0.
struct NaiveConvSpec {
  Shape x, w;
  std::vector<int64_t> strides, dilations, pads;  // pads: begins then ends
  int64_t group = 1;
};
std::pair<Shape, std::vector<int64_t>> NaiveConv(const NaiveConvSpec& sp,
                                                 const std::vector<int64_t>& x,
                                                 const std::vector<int64_t>& w) {
  const size_t k = sp.x.size() - 2;
  const int64_t N = sp.x[0], C = sp.x[1], M = sp.w[0], cg = C / sp.group, mg = M / sp.group;
  Shape out = {N, M};
  for (size_t d = 0; d < k; ++d) {
    const int64_t ext = sp.dilations[d] * (sp.w[d + 2] - 1) + 1;
    out.push_back((sp.x[d + 2] + sp.pads[d] + sp.pads[d + k] - ext) / sp.strides[d] + 1);
  }
  const Shape os(out.begin() + 2, out.end()), ks(sp.w.begin() + 2, sp.w.end()),
      is(sp.x.begin() + 2, sp.x.end());
  const int64_t osz = ShapeElementCount(os), ksz = ShapeElementCount(ks),
                isz = ShapeElementCount(is);
  std::vector<int64_t> y;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / mg;
      for (int64_t o = 0; o < osz; ++o) {
        int64_t s = 0;
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t kk = 0; kk < ksz; ++kk) {
            int64_t orem = o, krem = kk, off = 0, mul = 1;
            bool inside = true;
            for (size_t d = k; d-- > 0;) {
              const int64_t oi = orem % os[d], ki = krem % ks[d];
              orem /= os[d];
              krem /= ks[d];
              const int64_t p = oi * sp.strides[d] - sp.pads[d] + ki * sp.dilations[d];
              if (p < 0 || p >= is[d]) inside = false;
              off += p * mul;
              mul *= is[d];
            }
            if (!inside) continue;
            s += x[static_cast<size_t>((n * C + g * cg + c) * isz + off)] *
                 w[static_cast<size_t>((m * cg + c) * ksz + kk)];
          }
        }
        y.push_back(s);
      }
    }
  }
  return {out, y};
}

TEST(ConvIntegerOp, MatchesNaiveConvolutionAcrossGeometries) {
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  const std::vector<NaiveConvSpec> specs = {
      {{1, 1, 7}, {2, 1, 3}, {2}, {1}, {1, 0}, 1},
      {{2, 4, 6, 5}, {6, 2, 3, 2}, {1, 2}, {2, 1}, {1, 0, 2, 1}, 2},
      {{1, 3, 9, 9}, {3, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 3},  // depthwise
      {{1, 2, 4, 3, 5}, {2, 2, 2, 2, 3}, {1, 1, 2}, {1, 1, 1}, {0, 1, 1, 1, 0, 1}, 1},
      {{1, 5, 20, 20}, {4, 5, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1},
  };
  for (size_t si = 0; si < 2 * specs.size(); ++si) {
    const auto& sp = specs[si % specs.size()];
    ops::IntGemmForceGeneric(si >= specs.size());
    const int64_t xn = ShapeElementCount(sp.x), wn = ShapeElementCount(sp.w);
    std::vector<uint8_t> x(static_cast<size_t>(xn));
    std::vector<int8_t> w(static_cast<size_t>(wn));
    for (auto& v : x) v = static_cast<uint8_t>(u8(rng));
    for (auto& v : w) v = static_cast<int8_t>(s8(rng));
    const uint8_t xz = 117;
    std::vector<int8_t> wz(static_cast<size_t>(sp.w[0]));
    for (auto& v : wz) v = static_cast<int8_t>(s8(rng) / 4);
    std::vector<int64_t> xs(x.begin(), x.end()), ws(w.begin(), w.end());
    for (auto& v : xs) v -= xz;
    const int64_t per_m = wn / sp.w[0];
    for (int64_t i = 0; i < wn; ++i)
      ws[static_cast<size_t>(i)] -= wz[static_cast<size_t>(i / per_m)];
    const auto [shape, want] = NaiveConv(sp, xs, ws);
    for (bool constant_w : {false, true}) {
      OpTest t("ConvInteger", 10);
      t.Attr("strides", sp.strides)
          .Attr("dilations", sp.dilations)
          .Attr("pads", sp.pads)
          .Attr("group", sp.group)
          .Input("x", Tensor::FromVector<uint8_t>(sp.x, x));
      if (constant_w) {
        t.ConstantInput("w", Tensor::FromVector<int8_t>(sp.w, w))
            .ConstantInput("xz", Tensor::Scalar<uint8_t>(xz))
            .ConstantInput("wz", Tensor::FromVector<int8_t>({sp.w[0]}, wz));
      } else {
        t.Input("w", Tensor::FromVector<int8_t>(sp.w, w))
            .Input("xz", Tensor::Scalar<uint8_t>(xz))
            .Input("wz", Tensor::FromVector<int8_t>({sp.w[0]}, wz));
      }
      SessionOptions opts;
      opts.intra_op_threads = 3;
      auto r = t.Output("y").Run(opts);
      ASSERT_TRUE(r.ok()) << ShapeToString(sp.x) << ": " << r.status().ToString();
      EXPECT_EQ(OutShape(r), shape) << ShapeToString(sp.x);
      const auto got = Out<int32_t>(r);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << ShapeToString(sp.x) << " element " << i;
      }
    }
  }
  ops::IntGemmForceGeneric(false);
}

TEST(ConvIntegerOp, AutoPadShapesAndErrors) {
  const Tensor x = Tensor::FromVector<uint8_t>({1, 1, 5, 5}, std::vector<uint8_t>(25, 1));
  const Tensor w = Tensor::FromVector<uint8_t>({1, 1, 3, 3}, std::vector<uint8_t>(9, 1));
  auto upper = OpTest("ConvInteger", 10)
                   .Attr("auto_pad", "SAME_UPPER")
                   .Attr("strides", std::vector<int64_t>{2, 2})
                   .Input("x", x)
                   .Input("w", w)
                   .Output("y")
                   .Run();
  ASSERT_TRUE(upper.ok()) << upper.status().ToString();
  EXPECT_EQ(OutShape(upper), (Shape{1, 1, 3, 3}));
  // Total padding 2 per dim, 1 each side: corners see 4 ones, edges 6, centre 9.
  EXPECT_EQ(Out<int32_t>(upper), (std::vector<int32_t>{4, 6, 4, 6, 9, 6, 4, 6, 4}));
  // Stride 2 on a 4-wide input: total pad 1 goes to the end (UPPER) or the start (LOWER).
  const Tensor x4 = Tensor::FromVector<uint8_t>({1, 1, 1, 4}, {1, 2, 3, 4});
  const Tensor w2 = Tensor::FromVector<uint8_t>({1, 1, 1, 3}, {1, 1, 1});
  auto u4 = OpTest("ConvInteger", 10)
                .Attr("auto_pad", "SAME_UPPER")
                .Attr("strides", std::vector<int64_t>{1, 2})
                .Input("x", x4)
                .Input("w", w2)
                .Output("y")
                .Run();
  auto l4 = OpTest("ConvInteger", 10)
                .Attr("auto_pad", "SAME_LOWER")
                .Attr("strides", std::vector<int64_t>{1, 2})
                .Input("x", x4)
                .Input("w", w2)
                .Output("y")
                .Run();
  ASSERT_TRUE(u4.ok() && l4.ok());
  EXPECT_EQ(Out<int32_t>(u4), (std::vector<int32_t>{6, 7}));  // [1,2,3], [3,4,pad]
  EXPECT_EQ(Out<int32_t>(l4), (std::vector<int32_t>{3, 9}));  // [pad,1,2], [2,3,4]
  auto valid = OpTest("ConvInteger", 10)
                   .Attr("auto_pad", "VALID")
                   .Input("x", x)
                   .Input("w", w)
                   .Output("y")
                   .Run();
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(OutShape(valid), (Shape{1, 1, 3, 3}));
  auto bad_pad = OpTest("ConvInteger", 10)
                     .Attr("auto_pad", "SAME")
                     .Input("x", x)
                     .Input("w", w)
                     .Output("y")
                     .Load();
  ASSERT_FALSE(bad_pad.ok());
  EXPECT_TRUE(MessageHas(bad_pad.status(), "auto_pad"));
  auto group = OpTest("ConvInteger", 10)
                   .Attr("group", int64_t{2})
                   .Input("x", x)
                   .Input("w", w)
                   .Output("y")
                   .Run();
  ASSERT_FALSE(group.ok());
  EXPECT_TRUE(MessageHas(group.status(), "group")) << group.status().ToString();
  auto big = OpTest("ConvInteger", 10)
                 .Input("x", Tensor::FromVector<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 4}))
                 .Input("w", w)
                 .Output("y")
                 .Run();
  ASSERT_FALSE(big.ok());
  auto wz = OpTest("ConvInteger", 10)
                .Input("x", x)
                .Input("w", w)
                .OmittedInput()
                .Input("wz", Tensor::FromVector<uint8_t>({2}, {1, 2}))
                .Output("y")
                .Run();
  ASSERT_FALSE(wz.ok());
  EXPECT_TRUE(MessageHas(wz.status(), "w_zero_point")) << wz.status().ToString();
}

TEST(QLinearConvOp, PerChannelRequantizationWithBias) {
  std::mt19937 rng(33);
  std::uniform_int_distribution<int> s8(-128, 127);
  NaiveConvSpec sp{{1, 2, 5, 5}, {3, 2, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1};
  std::vector<int8_t> x(50), w(54);
  for (auto& v : x) v = static_cast<int8_t>(s8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  const std::vector<float> ws = {0.002f, 0.01f, 0.0005f};
  const std::vector<int32_t> bias = {1000, -2000, 30};
  std::vector<int64_t> xs(x.begin(), x.end()), wv(w.begin(), w.end());
  for (auto& v : xs) v -= 3;
  const auto [shape, acc] = NaiveConv(sp, xs, wv);
  auto r = OpTest("QLinearConv", 10)
               .Attr("pads", sp.pads)
               .Input("x", Tensor::FromVector<int8_t>(sp.x, x))
               .Input("xs", Tensor::Scalar<float>(0.05f))
               .Input("xz", Tensor::Scalar<int8_t>(3))
               .ConstantInput("w", Tensor::FromVector<int8_t>(sp.w, w))
               .Input("ws", Tensor::FromVector<float>({3}, ws))
               .Input("wz", Tensor::FromVector<int8_t>({3}, {0, 0, 0}))
               .Input("ys", Tensor::Scalar<float>(0.4f))
               .Input("yz", Tensor::Scalar<int8_t>(-10))
               .Input("b", Tensor::FromVector<int32_t>({3}, bias))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutShape(r), shape);
  std::vector<int8_t> want;
  for (size_t i = 0; i < acc.size(); ++i) {
    const size_t m = i / 25;
    const float mult = (0.05f * ws[m]) / 0.4f;
    want.push_back(
        Saturate<int8_t>(RoundHalfEven(static_cast<double>(acc[i] + bias[m]) * mult) - 10));
  }
  EXPECT_EQ(Out<int8_t>(r), want);
  auto bad_b = OpTest("QLinearConv", 10)
                   .Input("x", Tensor::FromVector<int8_t>(sp.x, x))
                   .Input("xs", Tensor::Scalar<float>(0.05f))
                   .Input("xz", Tensor::Scalar<int8_t>(3))
                   .Input("w", Tensor::FromVector<int8_t>(sp.w, w))
                   .Input("ws", Tensor::Scalar<float>(0.1f))
                   .Input("wz", Tensor::Scalar<int8_t>(0))
                   .Input("ys", Tensor::Scalar<float>(0.4f))
                   .Input("yz", Tensor::Scalar<int8_t>(0))
                   .Input("b", Tensor::FromVector<int32_t>({2}, {1, 2}))
                   .Output("y")
                   .Run();
  ASSERT_FALSE(bad_b.ok());
  EXPECT_TRUE(MessageHas(bad_b.status(), "'B'")) << bad_b.status().ToString();
}

// ---------------------------------------------------------------------------------------------
// Einsum and Det

// Naive einsum for letter-only equations with explicit output: loops over every label value.
std::vector<double> NaiveEinsum(const std::string& eq, const std::vector<std::vector<float>>& in,
                                const std::vector<Shape>& shapes) {
  const size_t arrow = eq.find("->");
  std::vector<std::string> terms;
  std::string lhs = eq.substr(0, arrow), cur;
  for (char c : lhs) {
    if (c == ',') {
      terms.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  terms.push_back(cur);
  std::string out;
  for (char c : eq.substr(arrow + 2)) {
    if (c != ' ') out += c;
  }
  std::string all;
  int64_t size[128] = {0};
  for (size_t t = 0; t < terms.size(); ++t) {
    for (size_t d = 0; d < terms[t].size(); ++d) {
      const char c = terms[t][d];
      if (all.find(c) == std::string::npos) all += c;
      size[static_cast<int>(c)] = std::max(size[static_cast<int>(c)], shapes[t][d]);
    }
  }
  int64_t out_n = 1, total = 1;
  for (char c : out) out_n *= size[static_cast<int>(c)];
  for (char c : all) total *= size[static_cast<int>(c)];
  std::vector<double> y(static_cast<size_t>(out_n), 0.0);
  int64_t val[128] = {0};
  for (int64_t it = 0; it < total; ++it) {
    int64_t rem = it;
    for (size_t i = all.size(); i-- > 0;) {
      val[static_cast<int>(all[i])] = rem % size[static_cast<int>(all[i])];
      rem /= size[static_cast<int>(all[i])];
    }
    double prod = 1;
    for (size_t t = 0; t < terms.size(); ++t) {
      int64_t off = 0;
      for (size_t d = 0; d < terms[t].size(); ++d) {
        const int64_t dim = shapes[t][d];
        off = off * dim + (dim == 1 ? 0 : val[static_cast<int>(terms[t][d])]);
      }
      prod *= in[t][static_cast<size_t>(off)];
    }
    int64_t o = 0;
    for (char c : out) o = o * size[static_cast<int>(c)] + val[static_cast<int>(c)];
    y[static_cast<size_t>(o)] += prod;
  }
  return y;
}

TEST(EinsumOp, MatchesNaiveSummation) {
  std::mt19937 rng(17);
  struct Case {
    std::string eq;
    std::vector<Shape> shapes;
  };
  const std::vector<Case> cases = {
      {"ij,jk->ik", {{3, 4}, {4, 5}}},
      {"bij, bjk -> bik", {{2, 3, 4}, {2, 4, 2}}},
      {"bhqd,bhkd->bhqk", {{1, 2, 3, 8}, {1, 2, 5, 8}}},
      {"ii->i", {{4, 4}}},
      {"ii->", {{3, 3}}},
      {"iij->ji", {{2, 2, 3}}},
      {"i,i->", {{6}, {6}}},
      {"i,j->ij", {{3}, {4}}},
      {"ij->", {{3, 5}}},
      {"ij->j", {{3, 5}}},
      {"ij->ji", {{3, 5}}},
      {"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 2}}},
      {"ijk,ikl->jl", {{2, 3, 4}, {2, 4, 5}}},
      {"ab,ab->ab", {{2, 3}, {1, 3}}},  // size-1 broadcast
      {"abc,cd->abd", {{2, 0, 3}, {3, 2}}},
      {"ij,jk->ik", {{2, 0}, {0, 3}}},
  };
  for (const Case& c : cases) {
    std::vector<std::vector<float>> in;
    OpTest t("Einsum", 12);
    t.Attr("equation", c.eq);
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      in.push_back(RandomFloats(static_cast<size_t>(ShapeElementCount(c.shapes[i])), rng));
      t.Input(std::string("x").append(std::to_string(i)),
              Tensor::FromVector<float>(c.shapes[i], in.back()));
    }
    auto r = t.Output("y").Run();
    ASSERT_TRUE(r.ok()) << c.eq << ": " << r.status().ToString();
    ExpectNear(Out<float>(r), NaiveEinsum(c.eq, in, c.shapes), 1e-5, c.eq);
  }
}

TEST(EinsumOp, ImplicitOutputEllipsisAndTypes) {
  // Implicit: labels used once, sorted: "ba" -> "ab" is a transpose; "ii" is the trace.
  const Tensor m = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto tr = OpTest("Einsum", 12).Attr("equation", "ba").Input("x", m).Output("y").Run();
  ASSERT_TRUE(tr.ok()) << tr.status().ToString();
  EXPECT_EQ(OutShape(tr), (Shape{3, 2}));
  EXPECT_EQ(Out<float>(tr), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  auto trace = OpTest("Einsum", 12)
                   .Attr("equation", "ii")
                   .Input("x", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                   .Output("y")
                   .Run();
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(OutShape(trace), Shape{});
  EXPECT_EQ(Out<float>(trace), std::vector<float>{5});
  auto mm = OpTest("Einsum", 12)
                .Attr("equation", "ij,jk")
                .Input("a", m)
                .Input("b", Tensor::FromVector<float>({3, 1}, {1, 0, -1}))
                .Output("y")
                .Run();
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ(Out<float>(mm), (std::vector<float>{-2, -2}));
  // Ellipsis broadcasting: [2, 1, 2, 3] x [4, 3, 2] -> [2, 4, 2, 2].
  std::mt19937 rng(2);
  const auto a = RandomFloats(12, rng), b = RandomFloats(24, rng);
  auto el = OpTest("Einsum", 12)
                .Attr("equation", "...ij,...jk->...ik")
                .Input("a", Tensor::FromVector<float>({2, 1, 2, 3}, a))
                .Input("b", Tensor::FromVector<float>({4, 3, 2}, b))
                .Output("y")
                .Run();
  ASSERT_TRUE(el.ok()) << el.status().ToString();
  EXPECT_EQ(OutShape(el), (Shape{2, 4, 2, 2}));
  ExpectNear(Out<float>(el), NaiveEinsum("pqij,qjk->pqik", {a, b}, {{2, 1, 2, 3}, {4, 3, 2}}), 1e-5,
             "ellipsis");
  // Implicit with ellipsis: broadcast dims first; batch diagonal.
  auto bd = OpTest("Einsum", 12)
                .Attr("equation", "...ii->...i")
                .Input("x", Tensor::FromVector<float>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}))
                .Output("y")
                .Run();
  ASSERT_TRUE(bd.ok());
  EXPECT_EQ(Out<float>(bd), (std::vector<float>{1, 4, 5, 8}));
  auto ints = OpTest("Einsum", 12)
                  .Attr("equation", "ij,jk->ik")
                  .Input("a", Tensor::FromVector<int32_t>({2, 2}, {1, 2, 3, 4}))
                  .Input("b", Tensor::FromVector<int32_t>({2, 2}, {5, 6, 7, 8}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ(Out<int32_t>(ints), (std::vector<int32_t>{19, 22, 43, 50}));
  auto half = OpTest("Einsum", 12)
                  .Attr("equation", "i,i")
                  .Input("a", Tensor::FromVector<Float16>({2}, {Float16(1.5f), Float16(2.f)}))
                  .Input("b", Tensor::FromVector<Float16>({2}, {Float16(2.f), Float16(-1.f)}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(static_cast<float>(Out<Float16>(half)[0]), 1.f);
}

TEST(EinsumOp, Errors) {
  const Tensor m = Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto bad = OpTest("Einsum", 12).Attr("equation", "i1->i").Input("x", m).Output("y").Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(MessageHas(bad.status(), "equation")) << bad.status().ToString();
  auto count = OpTest("Einsum", 12).Attr("equation", "ij,jk->ik").Input("x", m).Output("y").Load();
  ASSERT_FALSE(count.ok());
  EXPECT_TRUE(MessageHas(count.status(), "equation"));
  auto out_label = OpTest("Einsum", 12).Attr("equation", "ij->iz").Input("x", m).Output("y").Load();
  EXPECT_FALSE(out_label.ok());
  auto rank = OpTest("Einsum", 12).Attr("equation", "ijk->i").Input("x", m).Output("y").Run();
  ASSERT_FALSE(rank.ok());
  EXPECT_TRUE(MessageHas(rank.status(), "rank")) << rank.status().ToString();
  auto size = OpTest("Einsum", 12)
                  .Attr("equation", "ij,ij->i")
                  .Input("a", m)
                  .Input("b", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                  .Output("y")
                  .Run();
  ASSERT_FALSE(size.ok());
  EXPECT_TRUE(MessageHas(size.status(), "size")) << size.status().ToString();
  auto diag = OpTest("Einsum", 12).Attr("equation", "ii->i").Input("x", m).Output("y").Run();
  EXPECT_FALSE(diag.ok());
}

TEST(DetOp, PivotingBatchesAndEdgeCases) {
  // det [[0,1,2],[1,0,3],[4,-3,8]] by cofactors along row 0: 0*(0*8-3*-3) - 1*(1*8-3*4) +
  // 2*(1*-3-0*4) = 0 + 4 - 6 = -2 (the zero leading entry forces a row swap).
  auto r = OpTest("Det", 11)
               .Input("x", Tensor::FromVector<float>(
                               {2, 3, 3}, {0, 1, 2, 1, 0, 3, 4, -3, 8, 2, 0, 0, 0, 3, 0, 0, 0, 4}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OutShape(r), (Shape{2}));
  const auto y = Out<float>(r);
  EXPECT_NEAR(y[0], -2.f, 1e-5);
  EXPECT_NEAR(y[1], 24.f, 1e-5);
  auto sing = OpTest("Det", 11)
                  .Input("x", Tensor::FromVector<double>({2, 2}, {1, 2, 2, 4}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(sing.ok());
  EXPECT_EQ(Out<double>(sing)[0], 0.0);
  auto empty = OpTest("Det", 11)
                   .Input("x", *Tensor::Allocate(DataType::kFloat, {3, 0, 0}))
                   .Output("y")
                   .Run();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(Out<float>(empty), (std::vector<float>{1, 1, 1}));
  auto nobatch = OpTest("Det", 11)
                     .Input("x", *Tensor::Allocate(DataType::kFloat, {0, 2, 2}))
                     .Output("y")
                     .Run();
  ASSERT_TRUE(nobatch.ok());
  EXPECT_EQ(OutShape(nobatch), (Shape{0}));
  auto bad = OpTest("Det", 11)
                 .Input("x", Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(MessageHas(bad.status(), "square")) << bad.status().ToString();
}

// ---------------------------------------------------------------------------------------------
// Loss ops

TEST(NegativeLogLikelihoodLossOp, ReductionsWeightsAndIgnoreIndex) {
  // input [2, 3]: rows (-1, -2, -3) and (-4, -5, -6); targets (2, 0); weights (0.5, 1, 2).
  const Tensor x = Tensor::FromVector<float>({2, 3}, {-1, -2, -3, -4, -5, -6});
  const Tensor t = Tensor::FromVector<int64_t>({2}, {2, 0});
  const Tensor w = Tensor::FromVector<float>({3}, {0.5f, 1.f, 2.f});
  auto none = OpTest("NegativeLogLikelihoodLoss", 13)
                  .Attr("reduction", "none")
                  .Input("x", x)
                  .Input("t", t)
                  .Input("w", w)
                  .Output("y")
                  .Run();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(OutShape(none), (Shape{2}));
  EXPECT_EQ(Out<float>(none), (std::vector<float>{6.f, 2.f}));  // 3 * 2, 4 * 0.5
  auto sum = OpTest("NegativeLogLikelihoodLoss", 13)
                 .Attr("reduction", "sum")
                 .Input("x", x)
                 .Input("t", t)
                 .Input("w", w)
                 .Output("y")
                 .Run();
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(Out<float>(sum), std::vector<float>{8.f});
  auto mean = OpTest("NegativeLogLikelihoodLoss", 13)
                  .Input("x", x)
                  .Input("t", t)
                  .Input("w", w)
                  .Output("y")
                  .Run();
  ASSERT_TRUE(mean.ok());
  EXPECT_EQ(OutShape(mean), Shape{});
  EXPECT_FLOAT_EQ(Out<float>(mean)[0], 8.f / 2.5f);
  // ignore_index (here also an out-of-range class) drops the second target from sum and count.
  auto ig = OpTest("NegativeLogLikelihoodLoss", 13)
                .Attr("ignore_index", int64_t{-1})
                .Input("x", x)
                .Input("t", Tensor::FromVector<int32_t>({2}, {1, -1}))
                .Output("y")
                .Run();
  ASSERT_TRUE(ig.ok()) << ig.status().ToString();
  EXPECT_EQ(Out<float>(ig), std::vector<float>{2.f});
  auto all_ignored = OpTest("NegativeLogLikelihoodLoss", 13)
                         .Attr("ignore_index", int64_t{1})
                         .Input("x", x)
                         .Input("t", Tensor::FromVector<int64_t>({2}, {1, 1}))
                         .Output("y")
                         .Run();
  ASSERT_TRUE(all_ignored.ok());
  EXPECT_TRUE(std::isnan(Out<float>(all_ignored)[0]));
  // Extra dims: input [1, 2, 3], target [1, 3].
  auto nd = OpTest("NegativeLogLikelihoodLoss", 13)
                .Attr("reduction", "none")
                .Input("x", Tensor::FromVector<double>({1, 2, 3}, {1, 2, 3, 4, 5, 6}))
                .Input("t", Tensor::FromVector<int64_t>({1, 3}, {1, 0, 1}))
                .Output("y")
                .Run();
  ASSERT_TRUE(nd.ok());
  EXPECT_EQ(OutShape(nd), (Shape{1, 3}));
  EXPECT_EQ(Out<double>(nd), (std::vector<double>{-4, -2, -6}));
}

TEST(NegativeLogLikelihoodLossOp, Errors) {
  const Tensor x = Tensor::FromVector<float>({2, 3}, {-1, -2, -3, -4, -5, -6});
  auto range = OpTest("NegativeLogLikelihoodLoss", 13)
                   .Input("x", x)
                   .Input("t", Tensor::FromVector<int64_t>({2}, {0, 3}))
                   .Output("y")
                   .Run();
  ASSERT_FALSE(range.ok());
  EXPECT_TRUE(MessageHas(range.status(), "'target'")) << range.status().ToString();
  auto shape = OpTest("NegativeLogLikelihoodLoss", 13)
                   .Input("x", x)
                   .Input("t", Tensor::FromVector<int64_t>({3}, {0, 1, 2}))
                   .Output("y")
                   .Run();
  ASSERT_FALSE(shape.ok());
  EXPECT_TRUE(MessageHas(shape.status(), "'target'"));
  auto red = OpTest("NegativeLogLikelihoodLoss", 13)
                 .Attr("reduction", "avg")
                 .Input("x", x)
                 .Input("t", Tensor::FromVector<int64_t>({2}, {0, 1}))
                 .Output("y")
                 .Load();
  ASSERT_FALSE(red.ok());
  EXPECT_TRUE(MessageHas(red.status(), "reduction"));
  auto w = OpTest("NegativeLogLikelihoodLoss", 13)
               .Input("x", x)
               .Input("t", Tensor::FromVector<int64_t>({2}, {0, 1}))
               .Input("w", Tensor::FromVector<float>({2}, {1, 1}))
               .Output("y")
               .Run();
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(MessageHas(w.status(), "'weight'"));
}

TEST(SoftmaxCrossEntropyLossOp, MatchesLogSoftmaxPlusNll) {
  std::mt19937 rng(8);
  const int64_t n = 3, c = 4, d = 2;
  const auto x = RandomFloats(static_cast<size_t>(n * c * d), rng, -5.f, 5.f);
  const std::vector<int64_t> labels = {0, 3, 2, -100, 1, 1};
  const std::vector<float> w = {1.f, 0.5f, 2.f, 0.25f};
  // Naive log-softmax along dim 1.
  std::vector<double> lp(x.size());
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < d; ++k) {
      double s = 0;
      for (int64_t j = 0; j < c; ++j) s += std::exp(x[static_cast<size_t>((i * c + j) * d + k)]);
      for (int64_t j = 0; j < c; ++j) {
        const size_t at = static_cast<size_t>((i * c + j) * d + k);
        lp[at] = x[at] - std::log(s);
      }
    }
  }
  double loss_sum = 0, w_sum = 0;
  std::vector<double> none;
  for (int64_t i = 0; i < n * d; ++i) {
    const int64_t lab = labels[static_cast<size_t>(i)];
    if (lab == -100) {
      none.push_back(0);
      continue;
    }
    const double v =
        -lp[static_cast<size_t>(((i / d) * c + lab) * d + i % d)] * w[static_cast<size_t>(lab)];
    none.push_back(v);
    loss_sum += v;
    w_sum += w[static_cast<size_t>(lab)];
  }
  for (const char* red : {"none", "sum", "mean"}) {
    auto r = OpTest("SoftmaxCrossEntropyLoss", 13)
                 .Attr("reduction", red)
                 .Attr("ignore_index", int64_t{-100})
                 .Input("x", Tensor::FromVector<float>({n, c, d}, x))
                 .Input("l", Tensor::FromVector<int64_t>({n, d}, labels))
                 .Input("w", Tensor::FromVector<float>({c}, w))
                 .Output("loss")
                 .Output("log_prob")
                 .Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string rs = red;
    if (rs == "none") {
      EXPECT_EQ(OutShape(r), (Shape{n, d}));
      ExpectNear(Out<float>(r), none, 1e-5, "none");
    } else {
      ExpectNear(Out<float>(r), {rs == "sum" ? loss_sum : loss_sum / w_sum}, 1e-5, rs);
    }
    ExpectNear(Out<float>(r, 1), lp, 1e-5, "log_prob");
  }
  // Without the optional output and with 2-D scores (default mean, no weights).
  auto two = OpTest("SoftmaxCrossEntropyLoss", 13)
                 .Input("x", Tensor::FromVector<float>({2, 2}, {0, 0, 1000, 0}))
                 .Input("l", Tensor::FromVector<int32_t>({2}, {1, 0}))
                 .Output("loss")
                 .Run();
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_NEAR(Out<float>(two)[0], std::log(2.0) / 2, 1e-6);  // (log 2 + ~0) / 2, stable at 1000
}

}  // namespace
}  // namespace onnxedge
