// Copyright onnxedge authors.
// Neural-network ops: Conv / ConvTranspose (fast float32 paths against naive loops written
// here, on generated shapes), Gemm, the pools, the normalizations and LRN; edge cases and
// error reporting.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/gemm.h"
#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

// Output tensors of a run point back at their session's allocator (src/runtime/allocator.cc:
// TrackedBlock keeps a raw Allocator*), so they must not outlive the session, which
// testing::OpTest::Run does not guarantee. This wrapper keeps the session alive as long as
// the outputs (members are destroyed in reverse order: outputs first).
class KeptRun {
 public:
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  std::vector<NamedValue>& operator*() { return outputs_; }

 private:
  friend class OpTest;
  std::unique_ptr<Session> session_;
  std::vector<NamedValue> outputs_;
  Status status_;
};

// testing::OpTest with the same builder interface, recording the feeds so Run can keep the
// session.
class OpTest {
 public:
  explicit OpTest(std::string op_type, int opset = 17) : t_(std::move(op_type), opset) {}
  template <typename V>
  OpTest& Attr(const std::string& name, const V& v) {
    t_.Attr(name, v);
    return *this;
  }
  OpTest& Input(const std::string& name, const Tensor& t) {
    t_.Input(name, t);
    feeds_.push_back({name, t});
    return *this;
  }
  OpTest& ConstantInput(const std::string& name, const Tensor& t) {
    t_.ConstantInput(name, t);
    return *this;
  }
  OpTest& Output(const std::string& name) {
    t_.Output(name);
    return *this;
  }
  StatusOr<std::unique_ptr<Session>> Load(SessionOptions options = {}) const {
    return t_.Load(options);
  }
  KeptRun Run(SessionOptions options = {}) const {
    KeptRun r;
    auto s = t_.Load(options);
    if (!s.ok()) {
      r.status_ = s.status();
      return r;
    }
    r.session_ = std::move(s).value();
    auto out = r.session_->Run(feeds_);
    if (!out.ok()) {
      r.status_ = out.status();
      return r;
    }
    r.outputs_ = std::move(out).value();
    return r;
  }

 private:
  testing::OpTest t_;
  std::vector<NamedValue> feeds_;
};

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

int64_t Count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

void ExpectAllNear(const std::vector<float>& got, const std::vector<double>& want, double tol,
                   const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << what << " at " << i;
  }
}

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Conv

struct ConvCase {
  int64_t n, c, m, group;
  std::vector<int64_t> in, kernel, stride, dilation, pads;  // pads: begins then ends
  std::string auto_pad = "NOTSET";
  bool bias = true;
};

// Resolved per-dim padding and output size (independent of the kernel's helpers).
void ResolvePads(const ConvCase& cc, std::vector<int64_t>* pb, std::vector<int64_t>* out) {
  const size_t r = cc.in.size();
  pb->assign(r, 0);
  out->assign(r, 0);
  for (size_t i = 0; i < r; ++i) {
    const int64_t ek = (cc.kernel[i] - 1) * cc.dilation[i] + 1;
    if (cc.auto_pad == "SAME_UPPER" || cc.auto_pad == "SAME_LOWER") {
      const int64_t o = (cc.in[i] + cc.stride[i] - 1) / cc.stride[i];
      const int64_t total = std::max<int64_t>(0, (o - 1) * cc.stride[i] + ek - cc.in[i]);
      (*pb)[i] = cc.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      (*out)[i] = o;
    } else if (cc.auto_pad == "VALID") {
      (*out)[i] = (cc.in[i] - ek) / cc.stride[i] + 1;
    } else {
      (*pb)[i] = cc.pads[i];
      (*out)[i] = (cc.in[i] + cc.pads[i] + cc.pads[r + i] - ek) / cc.stride[i] + 1;
    }
  }
}

// Direct N-D convolution in double, by the definition.
std::vector<double> NaiveConv(const ConvCase& cc, const std::vector<float>& x,
                              const std::vector<float>& w, const std::vector<float>& b,
                              Shape* out_shape) {
  std::vector<int64_t> pb, out;
  ResolvePads(cc, &pb, &out);
  const size_t r = cc.in.size();
  *out_shape = {cc.n, cc.m};
  for (int64_t o : out) out_shape->push_back(o);
  const int64_t cg = cc.c / cc.group, mg = cc.m / cc.group;
  const int64_t in_size = Count(cc.in), out_size = Count(out), ksize = Count(cc.kernel);
  std::vector<double> y(static_cast<size_t>(cc.n * cc.m * out_size));
  std::vector<int64_t> oi(r), ki(r);
  for (int64_t n = 0; n < cc.n; ++n) {
    for (int64_t m = 0; m < cc.m; ++m) {
      const int64_t g = m / mg;
      for (int64_t o = 0; o < out_size; ++o) {
        int64_t rem = o;
        for (size_t d = r; d-- > 0;) {
          oi[d] = rem % out[d];
          rem /= out[d];
        }
        double acc = cc.bias ? b[static_cast<size_t>(m)] : 0.0;
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t k = 0; k < ksize; ++k) {
            int64_t kr = k, idx = 0;
            bool inside = true;
            for (size_t d = r; d-- > 0;) {
              ki[d] = kr % cc.kernel[d];
              kr /= cc.kernel[d];
            }
            for (size_t d = 0; d < r; ++d) {
              const int64_t p = oi[d] * cc.stride[d] - pb[d] + ki[d] * cc.dilation[d];
              inside &= p >= 0 && p < cc.in[d];
              idx = idx * cc.in[d] + p;
            }
            if (!inside) continue;
            acc += static_cast<double>(
                       x[static_cast<size_t>((n * cc.c + g * cg + c) * in_size + idx)]) *
                   w[static_cast<size_t>((m * cg + c) * ksize + k)];
          }
        }
        y[static_cast<size_t>((n * cc.m + m) * out_size + o)] = acc;
      }
    }
  }
  return y;
}

void RunConvCase(const ConvCase& cc, bool constant_w, int threads, uint32_t seed) {
  Shape xs{cc.n, cc.c}, ws{cc.m, cc.c / cc.group};
  for (int64_t d : cc.in) xs.push_back(d);
  for (int64_t d : cc.kernel) ws.push_back(d);
  auto x = Random(Count(xs), seed), w = Random(Count(ws), seed + 1), b = Random(cc.m, seed + 2);
  Shape want_shape;
  auto want = NaiveConv(cc, x, w, b, &want_shape);
  OpTest t("Conv", 11);
  t.Input("x", Tensor::FromVector<float>(xs, x));
  if (constant_w) {
    t.ConstantInput("w", Tensor::FromVector<float>(ws, w));
  } else {
    t.Input("w", Tensor::FromVector<float>(ws, w));
  }
  if (cc.bias) t.ConstantInput("b", Tensor::FromVector<float>({cc.m}, b));
  t.Attr("group", cc.group).Attr("strides", cc.stride).Attr("dilations", cc.dilation);
  if (cc.auto_pad != "NOTSET") {
    t.Attr("auto_pad", cc.auto_pad);
  } else {
    t.Attr("pads", cc.pads);
  }
  t.Output("y");
  SessionOptions opts;
  opts.intra_op_threads = threads;
  auto r = t.Run(opts);
  std::string what = "n=" + std::to_string(cc.n) + " c=" + std::to_string(cc.c) +
                     " m=" + std::to_string(cc.m) + " g=" + std::to_string(cc.group) +
                     " in=" + std::to_string(cc.in.back()) +
                     " k=" + std::to_string(cc.kernel.back()) +
                     " s=" + std::to_string(cc.stride.back()) + " " + cc.auto_pad;
  ASSERT_TRUE(r.ok()) << what << ": " << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  ASSERT_EQ(y.shape(), want_shape) << what;
  ExpectAllNear(y.ToVector<float>(), want, 1e-4, what);
}

TEST(ConvOp, FastPathsMatchNaive2D) {
  uint32_t seed = 1;
  // Output channels cover the 6-row tile remainders; spatial sizes the 16-column panels.
  for (int64_t m : {1, 5, 6, 7, 16, 17, 33}) {
    for (int64_t hw : {1, 4, 5, 9}) {
      // General (im2col), 3x3 padded.
      RunConvCase({1, 3, m, 1, {hw, hw + 2}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, true, 2,
                  seed++);
      // Pointwise (1x1, stride 1, no padding): direct GEMM on the input.
      RunConvCase({2, 5, m, 1, {hw, hw}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}}, true, 3, seed++);
    }
  }
}

TEST(ConvOp, StridesDilationsPadsAndGroups) {
  uint32_t seed = 100;
  const std::vector<ConvCase> cases = {
      {1, 4, 6, 2, {7, 8}, {3, 2}, {2, 1}, {1, 2}, {1, 0, 2, 1}},
      {2, 6, 9, 3, {6, 5}, {2, 3}, {1, 2}, {2, 1}, {0, 1, 1, 0}},
      {1, 8, 8, 8, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},    // depthwise
      {2, 4, 8, 4, {9, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 0, 0}},    // depthwise, multiplier 2
      {1, 5, 5, 5, {8, 9}, {5, 3}, {1, 3}, {2, 1}, {2, 1, 3, 0}},    // depthwise, dilated
      {1, 3, 4, 1, {10, 11}, {1, 1}, {2, 3}, {1, 1}, {0, 0, 0, 0}},  // 1x1 strided: im2col
      {1, 3, 4, 1, {5, 6}, {1, 1}, {1, 1}, {1, 1}, {1, 0, 0, 1}},    // 1x1 padded: im2col
      {1, 2, 3, 1, {6, 7}, {3, 3}, {2, 2}, {1, 1}, {}, "SAME_UPPER"},
      {1, 2, 3, 1, {6, 7}, {3, 4}, {2, 3}, {1, 1}, {}, "SAME_LOWER"},
      {1, 2, 3, 1, {6, 7}, {2, 3}, {2, 2}, {2, 1}, {}, "VALID"},
      {1, 2, 3, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, "NOTSET", false},
  };
  for (const auto& cc : cases) {
    RunConvCase(cc, true, 2, seed++);
    RunConvCase(cc, false, 4, seed++);  // W at run time: packed per run
  }
}

TEST(ConvOp, DepthwiseWideRowsCoverVectorPaths) {
  // Interior widths that take the 32-, 16- and 8-output steps and the overlapping tail, for
  // strides 1 and 2 (deinterleaved loads) and a dilated kernel; under every ISA available (the
  // generic cap selects the portable depthwise row and GEMM tile too).
  uint32_t seed = 900;
  const std::vector<ConvCase> cases = {
      {1, 3, 3, 3, {5, 71}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      {1, 2, 4, 2, {4, 83}, {3, 5}, {2, 2}, {1, 1}, {1, 2, 0, 1}},
      {1, 2, 2, 2, {3, 60}, {1, 3}, {1, 1}, {1, 3}, {0, 3, 0, 3}},
      {1, 2, 2, 2, {3, 45}, {2, 4}, {1, 2}, {1, 2}, {0, 0, 0, 0}},
      {1, 3, 3, 3, {4, 5, 40}, {2, 3, 3}, {1, 2, 1}, {1, 1, 2}, {1, 1, 1, 0, 1, 1}},
      // Row kernels at stride 2 and on the direct path need outputs wider than 56 columns
      // (narrower planes take channels-last blocks).
      {1, 2, 4, 2, {6, 150}, {3, 5}, {2, 2}, {1, 1}, {1, 2, 0, 1}},
      {1, 2, 2, 2, {5, 130}, {2, 4}, {1, 2}, {1, 2}, {0, 0, 0, 0}},
      {1, 2, 2, 2, {4, 145}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
  };
  for (Isa isa : AvailableIsas()) {
    ScopedMaxIsa cap(isa);
    for (const auto& cc : cases) RunConvCase(cc, true, 2, seed++);
  }
}

TEST(ConvOp, OneAndThreeSpatialDims) {
  RunConvCase({2, 3, 5, 1, {17}, {3}, {2}, {2}, {2, 1}}, true, 2, 7);
  RunConvCase({1, 4, 4, 4, {13}, {5}, {1}, {1}, {2, 2}}, true, 2, 8);  // depthwise 1-D
  RunConvCase({1, 2, 7, 1, {4, 5, 6}, {2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}}, true, 3,
              9);
  RunConvCase({1, 6, 6, 2, {3, 4, 5}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0, 0, 0, 0}}, false,
              2, 10);
}

TEST(ConvOp, LargeShapesCrossChunksAndThreads) {
  // K = 40 * 9 = 360 > 256 (K block), 1600 output columns (several chunks), M = 80 (> 72 rows).
  RunConvCase({1, 40, 80, 1, {40, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, true, 4, 21);
  // Few columns, many rows, many threads: rows are split between tasks.
  RunConvCase({1, 64, 100, 1, {3, 3}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, true, 8, 22);
  // Pointwise with many channels and a batch.
  RunConvCase({3, 70, 37, 1, {9, 11}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}}, true, 4, 23);
}

TEST(ConvOp, DoubleUsesReferenceAndMatches) {
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto r = OpTest("Conv", 11)
               .Input("x", Tensor::FromVector<double>({1, 1, 3, 3}, x))
               .Input("w", Tensor::FromVector<double>({1, 1, 2, 2}, {1, 0, 0, -1}))
               .Input("b", Tensor::FromVector<double>({1}, {0.5}))
               .Attr("pads", std::vector<int64_t>{0, 0, 1, 1})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // y[i,j] = x[i,j] - x[i+1,j+1] + 0.5 (zero beyond the input).
  EXPECT_EQ((*r)[0].value.tensor().ToVector<double>(),
            (std::vector<double>{-3.5, -3.5, 3.5, -3.5, -3.5, 6.5, 7.5, 8.5, 9.5}));
}

TEST(ConvOp, Float16WidenedToFloatEngine) {
  // Values exactly representable in float16, so the naive double result is the reference up
  // to the final rounding of Y to float16.
  ConvCase cc{1, 4, 6, 2, {5, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}};
  Shape xs{1, 4, 5, 6}, ws{6, 2, 3, 3};
  auto round16 = [](std::vector<float> v) {
    for (auto& f : v) f = static_cast<float>(Float16(f));
    return v;
  };
  auto x = round16(Random(Count(xs), 31)), w = round16(Random(Count(ws), 32));
  auto b = round16(Random(6, 33));
  Shape want_shape;
  auto want = NaiveConv(cc, x, w, b, &want_shape);
  auto to16 = [](const std::vector<float>& v) {
    std::vector<Float16> h;
    for (float f : v) h.push_back(Float16(f));
    return h;
  };
  for (bool constant_w : {true, false}) {
    OpTest t("Conv", 11);
    t.Input("x", Tensor::FromVector<Float16>(xs, to16(x)));
    if (constant_w) {
      t.ConstantInput("w", Tensor::FromVector<Float16>(ws, to16(w)));
    } else {
      t.Input("w", Tensor::FromVector<Float16>(ws, to16(w)));
    }
    t.Input("b", Tensor::FromVector<Float16>({6}, to16(b)));
    t.Attr("group", int64_t{2}).Attr("pads", std::vector<int64_t>{1, 1, 1, 1}).Output("y");
    auto r = t.Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Tensor& y = (*r)[0].value.tensor();
    ASSERT_EQ(y.dtype(), DataType::kFloat16);
    ASSERT_EQ(y.shape(), want_shape);
    std::vector<float> got;
    for (const Float16& h : y.ToVector<Float16>()) got.push_back(static_cast<float>(h));
    ExpectAllNear(got, want, 2e-3, "float16");
  }
}

TEST(ConvOp, EmptyBatchAndKernelShapeAttribute) {
  auto r = OpTest("Conv", 11)
               .Input("x", *Tensor::Allocate(DataType::kFloat, {0, 2, 4, 4}))
               .ConstantInput("w", Tensor::FromVector<float>({3, 2, 3, 3}, Random(54, 1)))
               .Attr("kernel_shape", std::vector<int64_t>{3, 3})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{0, 3, 2, 2}));
}

TEST(ConvOp, Errors) {
  auto bad_pad = OpTest("Conv", 11)
                     .Input("x", Tensor::FromVector<float>({1, 1, 3, 3}, Random(9, 1)))
                     .Input("w", Tensor::FromVector<float>({1, 1, 2, 2}, Random(4, 2)))
                     .Attr("auto_pad", "SAME")
                     .Output("y")
                     .Load();
  ASSERT_FALSE(bad_pad.ok());
  EXPECT_TRUE(Contains(bad_pad.status(), "auto_pad")) << bad_pad.status().message();
  auto bad_group = OpTest("Conv", 11)
                       .Input("x", Tensor::FromVector<float>({1, 1, 3, 3}, Random(9, 1)))
                       .Input("w", Tensor::FromVector<float>({1, 1, 2, 2}, Random(4, 2)))
                       .Attr("group", int64_t{0})
                       .Output("y")
                       .Load();
  ASSERT_FALSE(bad_group.ok());
  EXPECT_TRUE(Contains(bad_group.status(), "group")) << bad_group.status().message();
  auto channels = OpTest("Conv", 11)
                      .Input("x", Tensor::FromVector<float>({1, 3, 3, 3}, Random(27, 1)))
                      .Input("w", Tensor::FromVector<float>({1, 2, 2, 2}, Random(8, 2)))
                      .Output("y")
                      .Run();
  ASSERT_FALSE(channels.ok());
  EXPECT_TRUE(Contains(channels.status(), "channels")) << channels.status().message();
  EXPECT_TRUE(Contains(channels.status(), "(Conv)")) << channels.status().message();
  auto kshape = OpTest("Conv", 11)
                    .Input("x", Tensor::FromVector<float>({1, 1, 3, 3}, Random(9, 1)))
                    .ConstantInput("w", Tensor::FromVector<float>({1, 1, 2, 2}, Random(4, 2)))
                    .Attr("kernel_shape", std::vector<int64_t>{3, 3})
                    .Output("y")
                    .Load();
  ASSERT_FALSE(kshape.ok());
  EXPECT_TRUE(Contains(kshape.status(), "kernel_shape")) << kshape.status().message();
  auto too_big = OpTest("Conv", 11)
                     .Input("x", Tensor::FromVector<float>({1, 1, 2, 2}, Random(4, 1)))
                     .Input("w", Tensor::FromVector<float>({1, 1, 3, 3}, Random(9, 2)))
                     .Output("y")
                     .Run();
  ASSERT_FALSE(too_big.ok());
  auto bias = OpTest("Conv", 11)
                  .Input("x", Tensor::FromVector<float>({1, 1, 3, 3}, Random(9, 1)))
                  .Input("w", Tensor::FromVector<float>({2, 1, 2, 2}, Random(8, 2)))
                  .Input("b", Tensor::FromVector<float>({3}, {1, 2, 3}))
                  .Output("y")
                  .Run();
  ASSERT_FALSE(bias.ok());
  EXPECT_TRUE(Contains(bias.status(), "input B")) << bias.status().message();
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose

struct ConvTCase {
  int64_t n, c, m, group;
  std::vector<int64_t> in, kernel, stride, dilation, pads, output_padding, output_shape;
  std::string auto_pad = "NOTSET";
};

// By the definition: every input element scatters x * w into the output.
std::vector<double> NaiveConvTranspose(const ConvTCase& cc, const std::vector<float>& x,
                                       const std::vector<float>& w, const std::vector<float>& b,
                                       Shape* out_shape) {
  const size_t r = cc.in.size();
  std::vector<int64_t> out(r), pb(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t op = cc.output_padding.empty() ? 0 : cc.output_padding[i];
    const int64_t full =
        cc.stride[i] * (cc.in[i] - 1) + op + (cc.kernel[i] - 1) * cc.dilation[i] + 1;
    if (!cc.output_shape.empty() || cc.auto_pad != "NOTSET") {
      out[i] = cc.output_shape.empty() ? cc.in[i] * cc.stride[i] : cc.output_shape[i];
      const int64_t total = full - out[i];
      const int64_t half = static_cast<int64_t>(std::floor(total / 2.0));
      pb[i] = cc.auto_pad == "SAME_UPPER" ? half : total - half;
    } else {
      pb[i] = cc.pads[i];
      out[i] = full - cc.pads[i] - cc.pads[r + i];
    }
  }
  *out_shape = {cc.n, cc.m};
  for (int64_t o : out) out_shape->push_back(o);
  const int64_t cg = cc.c / cc.group, mg = cc.m / cc.group;
  const int64_t in_size = Count(cc.in), out_size = Count(out), ksize = Count(cc.kernel);
  std::vector<double> y(static_cast<size_t>(cc.n * cc.m * out_size));
  for (int64_t n = 0; n < cc.n; ++n) {
    for (int64_t m = 0; m < cc.m; ++m) {
      for (int64_t o = 0; o < out_size; ++o)
        y[static_cast<size_t>((n * cc.m + m) * out_size + o)] = b[static_cast<size_t>(m)];
    }
    for (int64_t c = 0; c < cc.c; ++c) {
      const int64_t g = c / cg;
      for (int64_t i = 0; i < in_size; ++i) {
        for (int64_t mm = 0; mm < mg; ++mm) {
          for (int64_t k = 0; k < ksize; ++k) {
            int64_t ir = i, kr = k, idx = 0;
            std::vector<int64_t> ii(r), kk(r);
            for (size_t d = r; d-- > 0;) {
              ii[d] = ir % cc.in[d];
              ir /= cc.in[d];
              kk[d] = kr % cc.kernel[d];
              kr /= cc.kernel[d];
            }
            bool inside = true;
            for (size_t d = 0; d < r; ++d) {
              const int64_t p = ii[d] * cc.stride[d] - pb[d] + kk[d] * cc.dilation[d];
              inside &= p >= 0 && p < out[d];
              idx = idx * out[d] + p;
            }
            if (!inside) continue;
            const int64_t m = g * mg + mm;
            y[static_cast<size_t>((n * cc.m + m) * out_size + idx)] +=
                static_cast<double>(x[static_cast<size_t>((n * cc.c + c) * in_size + i)]) *
                w[static_cast<size_t>((c * mg + mm) * ksize + k)];
          }
        }
      }
    }
  }
  return y;
}

void RunConvTCase(const ConvTCase& cc, bool constant_w, uint32_t seed, bool as_double = false) {
  Shape xs{cc.n, cc.c}, ws{cc.c, cc.m / cc.group};
  for (int64_t d : cc.in) xs.push_back(d);
  for (int64_t d : cc.kernel) ws.push_back(d);
  auto x = Random(Count(xs), seed), w = Random(Count(ws), seed + 1), b = Random(cc.m, seed + 2);
  Shape want_shape;
  auto want = NaiveConvTranspose(cc, x, w, b, &want_shape);
  OpTest t("ConvTranspose", 11);
  auto make = [&](const Shape& s, const std::vector<float>& v) {
    if (!as_double) return Tensor::FromVector<float>(s, v);
    return Tensor::FromVector<double>(s, std::vector<double>(v.begin(), v.end()));
  };
  t.Input("x", make(xs, x));
  if (constant_w) {
    t.ConstantInput("w", make(ws, w));
  } else {
    t.Input("w", make(ws, w));
  }
  t.Input("b", make({cc.m}, b));
  t.Attr("group", cc.group).Attr("strides", cc.stride).Attr("dilations", cc.dilation);
  if (!cc.pads.empty()) t.Attr("pads", cc.pads);
  if (!cc.output_padding.empty()) t.Attr("output_padding", cc.output_padding);
  if (!cc.output_shape.empty()) t.Attr("output_shape", cc.output_shape);
  if (cc.auto_pad != "NOTSET") t.Attr("auto_pad", cc.auto_pad);
  t.Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  ASSERT_EQ(y.shape(), want_shape);
  std::vector<float> got;
  if (as_double) {
    auto d = y.ToVector<double>();
    got.assign(d.begin(), d.end());
  } else {
    got = y.ToVector<float>();
  }
  ExpectAllNear(got, want, 1e-4, "convtranspose seed " + std::to_string(seed));
}

TEST(ConvTransposeOp, MatchesNaive) {
  uint32_t seed = 300;
  const std::vector<ConvTCase> cases = {
      {1, 3, 5, 1, {4, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 0, 0, 1}, {1, 1}, {}},
      {2, 4, 6, 2, {3, 3}, {2, 3}, {1, 2}, {2, 1}, {0, 0, 0, 0}, {}, {}},
      {1, 2, 3, 1, {5}, {4}, {3}, {1}, {}, {}, {17}},  // output_shape, 1-D
      {1, 2, 2, 1, {3, 4}, {3, 3}, {2, 2}, {1, 1}, {}, {}, {}, "SAME_UPPER"},
      {1, 2, 2, 1, {3, 4}, {3, 3}, {2, 2}, {1, 1}, {}, {}, {}, "SAME_LOWER"},
      {1, 2, 3, 1, {2, 3, 2}, {2, 2, 3}, {1, 2, 1}, {1, 1, 1}, {0, 0, 0, 0, 0, 0}, {}, {}},
      {1, 7, 7, 7, {5, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {1, 1}, {}},  // depthwise
      // Windows tiling the output (stride = kernel, no pads): the band-by-band product path.
      // 2x2/2 as in DB/U-Net decoders (one output channel; wide rows past a 16-column panel;
      // several bands of rows), batch 2 with groups, uneven 3x2 windows, 2x1, and 1-D.
      {1, 6, 1, 1, {5, 37}, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, {}, {}},
      {1, 8, 24, 1, {40, 40}, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, {}, {}},
      {2, 4, 6, 2, {3, 5}, {3, 2}, {3, 2}, {1, 1}, {0, 0, 0, 0}, {}, {}},
      {1, 3, 5, 1, {4, 6}, {2, 1}, {2, 1}, {1, 1}, {0, 0, 0, 0}, {}, {}},
      {1, 3, 2, 1, {9}, {4}, {4}, {1}, {0, 0}, {}, {}},
  };
  for (const auto& cc : cases) {
    RunConvTCase(cc, true, seed++);
    RunConvTCase(cc, false, seed++);
  }
  RunConvTCase(cases[0], false, seed++, /*as_double=*/true);
}

TEST(ConvTransposeOp, OutputShapeWithBatchAndChannelDims) {
  // output_shape may list all dims; a 1x1 kernel with stride 2 leaves zeros in between.
  auto r = OpTest("ConvTranspose", 11)
               .Input("x", Tensor::FromVector<float>({1, 1, 1, 2}, {1, 2}))
               .ConstantInput("w", Tensor::FromVector<float>({1, 1, 1, 1}, {3}))
               .Attr("strides", std::vector<int64_t>{1, 2})
               .Attr("output_shape", std::vector<int64_t>{1, 1, 1, 4})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{3, 0, 6, 0}));
}

// ---------------------------------------------------------------------------------------------
// Gemm

std::vector<double> NaiveGemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                              const std::vector<float>& a, const std::vector<float>& b, double beta,
                              const std::vector<float>& c, const Shape& cs) {
  std::vector<double> y(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        acc += static_cast<double>(ta ? a[p * m + i] : a[i * k + p]) *
               (tb ? b[j * k + p] : b[p * n + j]);
      }
      double cv = 0;
      if (!c.empty()) {
        const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
        cv = c[static_cast<size_t>((cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j))];
      }
      y[static_cast<size_t>(i * n + j)] = alpha * acc + beta * cv;
    }
  }
  return y;
}

TEST(GemmOp, TransposesScalesAndBroadcastsC) {
  uint32_t seed = 500;
  const int64_t m = 7, n = 17, k = 5;
  const std::vector<Shape> c_shapes = {{}, {1}, {n}, {1, n}, {m, 1}, {m, n}, {1, 1}};
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    for (const Shape& cs : c_shapes) {
      for (bool const_b : {false, true}) {
        auto a = Random(m * k, seed++), b = Random(k * n, seed++), c = Random(Count(cs), seed++);
        const float alpha = 0.5f, beta = cs.size() == 1 ? 1.f : -2.f;
        auto want = NaiveGemm(ta, tb, m, n, k, alpha, a, b, beta, c, cs);
        OpTest g("Gemm", 13);
        g.Input("a", Tensor::FromVector<float>(ta ? Shape{k, m} : Shape{m, k}, a));
        Tensor bt = Tensor::FromVector<float>(tb ? Shape{n, k} : Shape{k, n}, b);
        if (const_b) {
          g.ConstantInput("b", bt);
        } else {
          g.Input("b", bt);
        }
        g.Input("c", Tensor::FromVector<float>(cs, c));
        g.Attr("transA", int64_t{ta}).Attr("transB", int64_t{tb}).Attr("alpha", alpha);
        g.Attr("beta", beta).Output("y");
        auto r = g.Run();
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), want, 1e-5,
                      "t=" + std::to_string(t) + " c=" + ShapeToString(cs));
      }
    }
  }
}

TEST(GemmOp, OptionalCZeroKAndIntegers) {
  auto r = OpTest("Gemm", 11)
               .Input("a", Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}))
               .Input("b", Tensor::FromVector<float>({3, 1}, {1, 1, 1}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{6, 15}));
  // K = 0: Y = beta * C.
  auto z = OpTest("Gemm", 13)
               .Input("a", *Tensor::Allocate(DataType::kFloat, {2, 0}))
               .Input("b", *Tensor::Allocate(DataType::kFloat, {0, 2}))
               .Input("c", Tensor::FromVector<float>({2}, {1, 2}))
               .Attr("beta", 3.f)
               .Output("y")
               .Run();
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  EXPECT_EQ((*z)[0].value.tensor().ToVector<float>(), (std::vector<float>{3, 6, 3, 6}));
  auto i = OpTest("Gemm", 13)
               .Input("a", Tensor::FromVector<int32_t>({2, 2}, {1, 2, 3, 4}))
               .Input("b", Tensor::FromVector<int32_t>({2, 2}, {5, 6, 7, 8}))
               .Input("c", Tensor::FromVector<int32_t>({1}, {100}))
               .Attr("transB", int64_t{1})
               .Output("y")
               .Run();
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  // A * B^T = [[17, 23], [39, 53]].
  EXPECT_EQ((*i)[0].value.tensor().ToVector<int32_t>(), (std::vector<int32_t>{117, 123, 139, 153}));
}

TEST(GemmOp, BroadcastErrors) {
  auto r = OpTest("Gemm", 13)
               .Input("a", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
               .Input("b", Tensor::FromVector<float>({2, 3}, Random(6, 1)))
               .Input("c", Tensor::FromVector<float>({2}, {1, 2}))
               .Output("y")
               .Run();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "input C")) << r.status().message();
  auto inner = OpTest("Gemm", 13)
                   .Input("a", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                   .Input("b", Tensor::FromVector<float>({3, 2}, Random(6, 1)))
                   .Output("y")
                   .Run();
  ASSERT_FALSE(inner.ok());
  // Opset 6 without broadcast = 1: C must be [M, N].
  auto legacy = OpTest("Gemm", 6)
                    .Input("a", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                    .Input("b", Tensor::FromVector<float>({2, 2}, {1, 0, 0, 1}))
                    .Input("c", Tensor::FromVector<float>({2}, {1, 2}))
                    .Output("y")
                    .Run();
  ASSERT_FALSE(legacy.ok());
  auto legacy_ok = OpTest("Gemm", 6)
                       .Input("a", Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4}))
                       .Input("b", Tensor::FromVector<float>({2, 2}, {1, 0, 0, 1}))
                       .Input("c", Tensor::FromVector<float>({2}, {1, 2}))
                       .Attr("broadcast", int64_t{1})
                       .Output("y")
                       .Run();
  ASSERT_TRUE(legacy_ok.ok()) << legacy_ok.status().ToString();
  EXPECT_EQ((*legacy_ok)[0].value.tensor().ToVector<float>(), (std::vector<float>{2, 4, 4, 6}));
}

// ---------------------------------------------------------------------------------------------
// Pools

TEST(MaxPoolOp, IndicesBothStorageOrders) {
  // 1x1x3x4, kernel 2x2 stride 2 with end padding: the last column window is partly padded.
  std::vector<float> x = {1, 9, 2, 3, 4, 5, 8, 7, 6, 0, 11, 10};
  for (int64_t order : {0, 1}) {
    auto r = OpTest("MaxPool", 12)
                 .Input("x", Tensor::FromVector<float>({1, 1, 3, 4}, x))
                 .Attr("kernel_shape", std::vector<int64_t>{2, 2})
                 .Attr("strides", std::vector<int64_t>{2, 2})
                 .Attr("pads", std::vector<int64_t>{0, 0, 1, 0})
                 .Attr("storage_order", order)
                 .Output("y")
                 .Output("i")
                 .Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{1, 1, 2, 2}));
    EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{9, 8, 6, 11}));
    // Row-major positions (h, w): 9 at (0,1), 8 at (1,2), 6 at (2,0), 11 at (2,2).
    const std::vector<int64_t> want =
        order == 0 ? std::vector<int64_t>{1, 6, 8, 10} : std::vector<int64_t>{3, 7, 2, 8};
    EXPECT_EQ((*r)[1].value.tensor().ToVector<int64_t>(), want);
  }
}

TEST(MaxPoolOp, CeilModeDropsWindowStartingInPadding) {
  // in 6, kernel 3, stride 4, pads 1/1: ceil would give 3 windows, the third starting at 7 >=
  // in + pad_begin, so it is dropped.
  auto r = OpTest("MaxPool", 12)
               .Input("x", Tensor::FromVector<float>({1, 1, 6}, {1, 5, 2, 3, 6, 4}))
               .Attr("kernel_shape", std::vector<int64_t>{3})
               .Attr("strides", std::vector<int64_t>{4})
               .Attr("pads", std::vector<int64_t>{1, 1})
               .Attr("ceil_mode", int64_t{1})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{5, 6}));
}

TEST(MaxPoolOp, Int8DilationAndErrors) {
  auto r = OpTest("MaxPool", 12)
               .Input("x", Tensor::FromVector<int8_t>({1, 1, 5}, {-5, 3, -1, 7, -9}))
               .Attr("kernel_shape", std::vector<int64_t>{2})
               .Attr("dilations", std::vector<int64_t>{2})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Windows {0,2}, {1,3}, {2,4}.
  EXPECT_EQ((*r)[0].value.tensor().ToVector<int8_t>(), (std::vector<int8_t>{-1, 7, -1}));
  auto no_kernel = OpTest("MaxPool", 12)
                       .Input("x", Tensor::FromVector<float>({1, 1, 2}, {1, 2}))
                       .Output("y")
                       .Load();
  ASSERT_FALSE(no_kernel.ok());
  EXPECT_TRUE(Contains(no_kernel.status(), "kernel_shape")) << no_kernel.status().message();
  auto neg_pad = OpTest("MaxPool", 12)
                     .Input("x", Tensor::FromVector<float>({1, 1, 2}, {1, 2}))
                     .Attr("kernel_shape", std::vector<int64_t>{1})
                     .Attr("pads", std::vector<int64_t>{-1, 0})
                     .Output("y")
                     .Load();
  ASSERT_FALSE(neg_pad.ok());
  EXPECT_TRUE(Contains(neg_pad.status(), "pads")) << neg_pad.status().message();
  auto rank = OpTest("MaxPool", 12)
                  .Input("x", Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4}))
                  .Attr("kernel_shape", std::vector<int64_t>{2})
                  .Output("y")
                  .Run();
  ASSERT_FALSE(rank.ok());
  EXPECT_TRUE(Contains(rank.status(), "kernel_shape")) << rank.status().message();
}

// Naive pooling by the definition (max, or average with/without padded positions counted);
// ceil_mode with PyTorch's rule (a window starting in the end padding is dropped).
std::vector<double> NaivePool(bool is_max, bool include_pad, bool ceil_mode, const Shape& xs,
                              const std::vector<float>& x, const std::vector<int64_t>& k,
                              const std::vector<int64_t>& s, const std::vector<int64_t>& d,
                              const std::vector<int64_t>& pads, Shape* out_shape) {
  const size_t r = k.size();
  std::vector<int64_t> in(xs.begin() + 2, xs.end()), out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t span = in[i] + pads[i] + pads[r + i] - ((k[i] - 1) * d[i] + 1);
    out[i] = (ceil_mode ? (span + s[i] - 1) / s[i] : span / s[i]) + 1;
    if (ceil_mode && (out[i] - 1) * s[i] >= in[i] + pads[i]) --out[i];
  }
  *out_shape = {xs[0], xs[1]};
  for (int64_t o : out) out_shape->push_back(o);
  const int64_t in_size = Count(in), out_size = Count(out), ksize = Count(k);
  std::vector<double> y(static_cast<size_t>(xs[0] * xs[1] * out_size));
  for (int64_t p = 0; p < xs[0] * xs[1]; ++p) {
    for (int64_t o = 0; o < out_size; ++o) {
      std::vector<int64_t> oi(r);
      int64_t rem = o;
      for (size_t dd = r; dd-- > 0;) {
        oi[dd] = rem % out[dd];
        rem /= out[dd];
      }
      double best = -INFINITY, sum = 0;
      int64_t count = 0, pad_count = 0;
      for (int64_t kk = 0; kk < ksize; ++kk) {
        int64_t kr = kk, idx = 0;
        bool inside = true, in_padded = true;
        std::vector<int64_t> ki(r);
        for (size_t dd = r; dd-- > 0;) {
          ki[dd] = kr % k[dd];
          kr /= k[dd];
        }
        for (size_t dd = 0; dd < r; ++dd) {
          const int64_t pos = oi[dd] * s[dd] - pads[dd] + ki[dd] * d[dd];
          inside &= pos >= 0 && pos < in[dd];
          in_padded &= pos < in[dd] + pads[r + dd];
          idx = idx * in[dd] + pos;
        }
        pad_count += in_padded;
        if (!inside) continue;
        const double v = x[static_cast<size_t>(p * in_size + idx)];
        best = std::max(best, v);
        sum += v;
        ++count;
      }
      y[static_cast<size_t>(p * out_size + o)] =
          is_max ? best : sum / static_cast<double>(include_pad ? pad_count : count);
    }
  }
  return y;
}

TEST(PoolOps, MaxAndAverageMatchNaive) {
  struct Case {
    Shape xs;
    std::vector<int64_t> k, s, d, pads;
    bool ceil;
  };
  const std::vector<Case> cases = {
      {{2, 3, 9, 10}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, false},
      {{1, 2, 8, 7}, {2, 3}, {2, 1}, {1, 2}, {0, 1, 1, 0}, true},
      {{1, 1, 11}, {4}, {3}, {1}, {2, 1}, true},
      {{1, 2, 4, 5, 6}, {2, 2, 3}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1, 1, 0, 1}, false},
      {{1, 2, 7, 7}, {3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, false},
      // Wide rows: the separable path's whole-row window reduction (stride 1 and 2, dilated).
      {{1, 3, 5, 41}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, false},
      {{2, 2, 6, 40}, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, false},
      {{1, 2, 5, 37}, {2, 3}, {1, 2}, {1, 3}, {0, 2, 1, 2}, true},
      // SPP blocks (YOLOX): stride 1, windows as large as the map, "same" padding; and windows
      // wider than the row with uneven pads (taps reaching no output).
      {{1, 4, 13, 13}, {13, 13}, {1, 1}, {1, 1}, {6, 6, 6, 6}, false},
      {{1, 3, 13, 11}, {9, 9}, {1, 1}, {1, 1}, {4, 4, 4, 4}, false},
      {{1, 2, 5, 6}, {5, 7}, {1, 1}, {1, 1}, {2, 1, 2, 4}, false},
      {{1, 2, 6, 9}, {3, 5}, {1, 3}, {1, 1}, {1, 4, 1, 4}, true},
      // Stride 1 with the output the input's size: uneven "same" pads,
      // a 1-wide kernel dim, one-row planes, a kernel as large as the plane.
      {{2, 3, 4, 20}, {4, 6}, {1, 1}, {1, 1}, {1, 2, 2, 3}, false},
      {{1, 2, 6, 9}, {5, 1}, {1, 1}, {1, 1}, {2, 0, 2, 0}, false},
      {{1, 1, 1, 5}, {1, 5}, {1, 1}, {1, 1}, {0, 2, 0, 2}, false},
      {{1, 2, 20, 20}, {9, 9}, {1, 1}, {1, 1}, {4, 4, 4, 4}, false},
      {{1, 2, 3, 3}, {3, 3}, {1, 1}, {1, 1}, {2, 2, 0, 0}, false},
  };
  uint32_t seed = 700;
  for (const auto& c : cases) {
    auto x = Random(Count(c.xs), seed++);
    for (int variant = 0; variant < 3; ++variant) {
      const bool is_max = variant == 0, include = variant == 2;
      Shape want_shape;
      auto want = NaivePool(is_max, include, c.ceil, c.xs, x, c.k, c.s, c.d, c.pads, &want_shape);
      OpTest t(is_max ? "MaxPool" : "AveragePool", 19);
      t.Input("x", Tensor::FromVector<float>(c.xs, x))
          .Attr("kernel_shape", c.k)
          .Attr("strides", c.s)
          .Attr("dilations", c.d)
          .Attr("pads", c.pads)
          .Attr("ceil_mode", int64_t{c.ceil});
      if (!is_max) t.Attr("count_include_pad", int64_t{include});
      t.Output("y");
      if (is_max) t.Output("i");  // Indices take the direct path; Y must match the naive one.
      auto r = t.Run();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ((*r)[0].value.tensor().shape(), want_shape);
      ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), want, 1e-6,
                    "variant " + std::to_string(variant));
      if (is_max) {
        // Without Indices: the separable path.
        OpTest u("MaxPool", 19);
        u.Input("x", Tensor::FromVector<float>(c.xs, x))
            .Attr("kernel_shape", c.k)
            .Attr("strides", c.s)
            .Attr("dilations", c.d)
            .Attr("pads", c.pads)
            .Attr("ceil_mode", int64_t{c.ceil})
            .Output("y");
        auto ru = u.Run();
        ASSERT_TRUE(ru.ok()) << ru.status().ToString();
        ExpectAllNear((*ru)[0].value.tensor().ToVector<float>(), want, 0, "separable max");
      }
    }
  }
}

TEST(MaxPoolOp, NanPropagates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (bool with_indices : {false, true}) {
    OpTest t("MaxPool", 12);
    t.Input("x", Tensor::FromVector<float>({1, 1, 2, 3}, {1, nan, 2, 3, 4, 5}))
        .Attr("kernel_shape", std::vector<int64_t>{2, 2})
        .Output("y");
    if (with_indices) t.Output("i");
    auto r = t.Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto v = (*r)[0].value.tensor().ToVector<float>();
    ASSERT_EQ(v.size(), 2u);
    EXPECT_TRUE(std::isnan(v[0])) << with_indices;
    EXPECT_TRUE(std::isnan(v[1])) << with_indices;
  }
}

// "Same" stride-1 max pooling (the separable path): a NaN reaches exactly the outputs whose window
// holds it.
TEST(MaxPoolOp, SameStrideOneNanReachesItsWindows) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x(49);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 11);
  x[3 * 7 + 0] = nan;  // row 3, column 0
  auto r = OpTest("MaxPool", 12)
               .Input("x", Tensor::FromVector<float>({1, 1, 7, 7}, x))
               .Attr("kernel_shape", std::vector<int64_t>{3, 3})
               .Attr("pads", std::vector<int64_t>{1, 1, 1, 1})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto y = (*r)[0].value.tensor().ToVector<float>();
  for (int64_t oh = 0; oh < 7; ++oh) {
    for (int64_t ow = 0; ow < 7; ++ow) {
      const bool covers = oh >= 2 && oh <= 4 && ow <= 1;
      EXPECT_EQ(std::isnan(y[static_cast<size_t>(oh * 7 + ow)]), covers) << oh << "," << ow;
    }
  }
}

// Float 2-D MaxPool without Indices runs the vector rows on AVX2 and AVX-512 (max_pool_rows.h)
// and the portable separable path otherwise; requesting Indices runs the direct window loop, the
// reference here. Values are exact (max), so every output must match bit for bit, on every ISA:
// widths around the 8- and 16-lane vectors, kernels 1 to 7 (even and odd), strides 1 to 3
// (3: no vector rows), pads, ceil_mode (windows partly or wholly in the padding), all-negative
// inputs (a zero-filled pad would win) and NaNs, at 1 and 3 threads.
TEST(MaxPoolOp, VectorRowsMatchTheWindowLoop) {
  struct Case {
    int64_t c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, ceil;
  };
  const Case cases[] = {
      {3, 9, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},   {2, 11, 15, 3, 3, 2, 2, 1, 1, 1, 1, 0},
      {2, 12, 16, 3, 3, 2, 2, 1, 1, 1, 1, 0}, {2, 13, 17, 3, 3, 1, 1, 1, 1, 1, 1, 0},
      {1, 8, 33, 2, 2, 2, 2, 0, 0, 0, 0, 0},  {1, 9, 34, 2, 2, 2, 2, 0, 0, 1, 1, 1},
      {2, 14, 47, 5, 5, 1, 1, 2, 2, 2, 2, 0}, {1, 14, 50, 7, 4, 2, 1, 3, 1, 2, 2, 1},
      {1, 10, 65, 3, 6, 1, 2, 0, 2, 1, 3, 0}, {2, 7, 112, 3, 3, 2, 2, 1, 1, 1, 1, 0},
      {1, 9, 20, 3, 3, 3, 3, 1, 1, 1, 1, 1},  {1, 5, 5, 5, 5, 1, 1, 4, 4, 0, 0, 0},
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  uint32_t seed = 77;
  for (Isa isa : AvailableIsas()) {
    ScopedMaxIsa cap(isa);
    int i = 0;
    for (const Case& k : cases) {
      const int64_t n = k.c * k.h * k.w;
      std::vector<float> x = Random(n, seed++);
      for (float& v : x) v -= 2.f;  // all negative: a zero-filled pad would win
      if (i % 3 == 1) x[static_cast<size_t>((i * 37) % n)] = nan;
      auto run = [&](bool indices) {
        OpTest t("MaxPool", 12);
        t.Input("x", Tensor::FromVector<float>({1, k.c, k.h, k.w}, x))
            .Attr("kernel_shape", std::vector<int64_t>{k.kh, k.kw})
            .Attr("strides", std::vector<int64_t>{k.sh, k.sw})
            .Attr("pads", std::vector<int64_t>{k.pt, k.pl, k.pb, k.pr})
            .Attr("ceil_mode", k.ceil)
            .Output("y");
        if (indices) t.Output("i");
        SessionOptions o;
        o.intra_op_threads = 1 + 2 * (i % 2);
        return t.Run(o);
      };
      auto fast = run(false), ref = run(true);
      ASSERT_TRUE(fast.ok()) << fast.status().ToString();
      ASSERT_TRUE(ref.ok()) << ref.status().ToString();
      const auto got = (*fast)[0].value.tensor().ToVector<float>();
      const auto want = (*ref)[0].value.tensor().ToVector<float>();
      ASSERT_EQ(got.size(), want.size());
      for (size_t j = 0; j < got.size(); ++j) {
        if (std::isnan(want[j])) {
          EXPECT_TRUE(std::isnan(got[j])) << IsaName(isa) << " case " << i << " at " << j;
        } else {
          EXPECT_EQ(got[j], want[j]) << IsaName(isa) << " case " << i << " at " << j;
        }
      }
      ++i;
    }
  }
}

TEST(AveragePoolOp, CountIncludePadAndEmptyBatch) {
  for (int64_t include : {0, 1}) {
    auto r = OpTest("AveragePool", 11)
                 .Input("x", Tensor::FromVector<float>({1, 1, 4}, {1, 2, 3, 4}))
                 .Attr("kernel_shape", std::vector<int64_t>{3})
                 .Attr("pads", std::vector<int64_t>{1, 1})
                 .Attr("count_include_pad", include)
                 .Output("y")
                 .Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::vector<double> want =
        include ? std::vector<double>{1, 2, 3, 7.0 / 3} : std::vector<double>{1.5, 2, 3, 3.5};
    ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), want, 1e-6, "include");
  }
  auto e = OpTest("AveragePool", 11)
               .Input("x", *Tensor::Allocate(DataType::kFloat, {0, 3, 4, 4}))
               .Attr("kernel_shape", std::vector<int64_t>{2, 2})
               .Output("y")
               .Run();
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)[0].value.tensor().shape(), (Shape{0, 3, 3, 3}));
}

TEST(AveragePoolOp, DilationsAtOpset19) {
  auto r = OpTest("AveragePool", 19)
               .Input("x", Tensor::FromVector<float>({1, 1, 5}, {1, 2, 3, 4, 5}))
               .Attr("kernel_shape", std::vector<int64_t>{2})
               .Attr("dilations", std::vector<int64_t>{3})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{2.5, 3.5}));
}

TEST(LpPoolOp, PowersAndPadding) {
  auto r = OpTest("LpPool", 11)
               .Input("x", Tensor::FromVector<float>({1, 1, 3}, {3, -4, 12}))
               .Attr("kernel_shape", std::vector<int64_t>{2})
               .Attr("pads", std::vector<int64_t>{1, 0})
               .Attr("p", int64_t{2})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Windows {pad, 3}, {3, -4}, {-4, 12}.
  ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), {3, 5, std::sqrt(160.0)}, 1e-6, "lp2");
  auto p1 = OpTest("LpPool", 1)
                .Input("x", Tensor::FromVector<float>({1, 1, 3}, {3, -4, 12}))
                .Attr("kernel_shape", std::vector<int64_t>{3})
                .Attr("p", 1.f)
                .Output("y")
                .Run();
  ASSERT_TRUE(p1.ok()) << p1.status().ToString();
  EXPECT_EQ((*p1)[0].value.tensor().ToVector<float>(), std::vector<float>{19});
}

TEST(GlobalPoolOps, AverageMaxLp) {
  const std::vector<float> x = {1, 2, 3, -6, 0, 3};
  auto avg = OpTest("GlobalAveragePool", 1)
                 .Input("x", Tensor::FromVector<float>({1, 2, 3}, x))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(avg.ok()) << avg.status().ToString();
  EXPECT_EQ((*avg)[0].value.tensor().shape(), (Shape{1, 2, 1}));
  EXPECT_EQ((*avg)[0].value.tensor().ToVector<float>(), (std::vector<float>{2, -1}));
  auto mx = OpTest("GlobalMaxPool", 1)
                .Input("x", Tensor::FromVector<float>(
                                {2, 1, 2, 1}, {1, std::numeric_limits<float>::quiet_NaN(), -3, -2}))
                .Output("y")
                .Run();
  ASSERT_TRUE(mx.ok()) << mx.status().ToString();
  auto mv = (*mx)[0].value.tensor().ToVector<float>();
  EXPECT_TRUE(std::isnan(mv[0]));
  EXPECT_EQ(mv[1], -2);
  auto lp = OpTest("GlobalLpPool", 2)
                .Input("x", Tensor::FromVector<float>({1, 2, 3}, x))
                .Attr("p", int64_t{1})
                .Output("y")
                .Run();
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  EXPECT_EQ((*lp)[0].value.tensor().ToVector<float>(), (std::vector<float>{6, 9}));
}

TEST(MaxUnpoolOp, ScattersAndMapsToOutputShape) {
  auto r = OpTest("MaxUnpool", 11)
               .Input("x", Tensor::FromVector<float>({1, 1, 2}, {5, 6}))
               .Input("i", Tensor::FromVector<int64_t>({1, 1, 2}, {1, 2}))
               .Attr("kernel_shape", std::vector<int64_t>{2})
               .Attr("strides", std::vector<int64_t>{2})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{0, 5, 6, 0}));
  // 2-D with a larger output_shape: index 3 of the default 2x2 plane is (1, 1) -> 1*3+1 in 3x3.
  auto s = OpTest("MaxUnpool", 11)
               .Input("x", Tensor::FromVector<float>({1, 1, 1, 1}, {7}))
               .Input("i", Tensor::FromVector<int64_t>({1, 1, 1, 1}, {3}))
               .Input("shape", Tensor::FromVector<int64_t>({4}, {1, 1, 3, 3}))
               .Attr("kernel_shape", std::vector<int64_t>{2, 2})
               .Output("y")
               .Run();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)[0].value.tensor().ToVector<float>(),
            (std::vector<float>{0, 0, 0, 0, 7, 0, 0, 0, 0}));
  auto bad = OpTest("MaxUnpool", 11)
                 .Input("x", Tensor::FromVector<float>({1, 1, 2}, {5, 6}))
                 .Input("i", Tensor::FromVector<int64_t>({1, 1, 2}, {1, 9}))
                 .Attr("kernel_shape", std::vector<int64_t>{2})
                 .Attr("strides", std::vector<int64_t>{2})
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "input I")) << bad.status().message();
}

// ---------------------------------------------------------------------------------------------
// Normalizations

TEST(BatchNormalizationOp, InferenceAndTrainingMode) {
  // X [2, 2, 2]: channel 0 = {1, 3, 5, 7}, channel 1 = {2, 2, 4, 4}.
  const std::vector<float> x = {1, 3, 2, 2, 5, 7, 4, 4};
  auto r = OpTest("BatchNormalization", 15)
               .Input("x", Tensor::FromVector<float>({2, 2, 2}, x))
               .Input("s", Tensor::FromVector<float>({2}, {2, 1}))
               .Input("b", Tensor::FromVector<float>({2}, {1, 0}))
               .Input("m", Tensor::FromVector<float>({2}, {1, 2}))
               .Input("v", Tensor::FromVector<float>({2}, {4, 1}))
               .Attr("epsilon", 0.f)
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // c0: (x - 1) / 2 * 2 + 1 = x; c1: x - 2.
  ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), {1, 3, 0, 0, 5, 7, 2, 2}, 1e-6, "inf");
  auto t = OpTest("BatchNormalization", 15)
               .Input("x", Tensor::FromVector<float>({2, 2, 2}, x))
               .Input("s", Tensor::FromVector<float>({2}, {1, 1}))
               .Input("b", Tensor::FromVector<float>({2}, {0, 0}))
               .Input("m", Tensor::FromVector<double>({2}, {0, 10}))
               .Input("v", Tensor::FromVector<double>({2}, {1, 1}))
               .Attr("epsilon", 0.f)
               .Attr("momentum", 0.5f)
               .Attr("training_mode", int64_t{1})
               .Output("y")
               .Output("rm")
               .Output("rv")
               .Run();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  // Batch stats: c0 mean 4, var 5; c1 mean 3, var 1.
  const double s5 = std::sqrt(5.0);
  ExpectAllNear((*t)[0].value.tensor().ToVector<float>(),
                {-3 / s5, -1 / s5, -1, -1, 1 / s5, 3 / s5, 1, 1}, 1e-6, "train y");
  EXPECT_EQ((*t)[1].value.tensor().dtype(), DataType::kDouble);
  EXPECT_EQ((*t)[1].value.tensor().ToVector<double>(), (std::vector<double>{2, 6.5}));
  EXPECT_EQ((*t)[2].value.tensor().ToVector<double>(), (std::vector<double>{3, 1}));
}

TEST(BatchNormalizationOp, LegacySpatialZeroAndErrors) {
  // Opset 7, spatial = 0: parameters per (channel, position).
  auto r = OpTest("BatchNormalization", 7)
               .Input("x", Tensor::FromVector<float>({1, 1, 2}, {1, 2}))
               .Input("s", Tensor::FromVector<float>({1, 2}, {1, 2}))
               .Input("b", Tensor::FromVector<float>({1, 2}, {0, 1}))
               .Input("m", Tensor::FromVector<float>({1, 2}, {0, 1}))
               .Input("v", Tensor::FromVector<float>({1, 2}, {1, 4}))
               .Attr("epsilon", 0.f)
               .Attr("spatial", int64_t{0})
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), {1, 2}, 1e-6, "spatial0");
  auto bad = OpTest("BatchNormalization", 15)
                 .Input("x", Tensor::FromVector<float>({1, 2, 1}, {1, 2}))
                 .Input("s", Tensor::FromVector<float>({3}, {1, 1, 1}))
                 .Input("b", Tensor::FromVector<float>({2}, {0, 0}))
                 .Input("m", Tensor::FromVector<float>({2}, {0, 0}))
                 .Input("v", Tensor::FromVector<float>({2}, {1, 1}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "input scale")) << bad.status().message();
}

TEST(InstanceNormalizationOp, PerPlaneStatistics) {
  auto r = OpTest("InstanceNormalization", 6)
               .Input("x", Tensor::FromVector<float>({1, 2, 2}, {1, 3, 10, 10}))
               .Input("s", Tensor::FromVector<float>({2}, {2, 1}))
               .Input("b", Tensor::FromVector<float>({2}, {0, 5}))
               .Attr("epsilon", 0.f)
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Plane 0: mean 2, std 1 -> {-2, 2}. Plane 1 is constant (0 / 0 with epsilon 0), so a
  // constant plane is checked separately with the default epsilon.
  auto v = (*r)[0].value.tensor().ToVector<float>();
  EXPECT_FLOAT_EQ(v[0], -2);
  EXPECT_FLOAT_EQ(v[1], 2);
  auto e = OpTest("InstanceNormalization", 6)
               .Input("x", Tensor::FromVector<float>({1, 1, 2}, {10, 10}))
               .Input("s", Tensor::FromVector<float>({1}, {1}))
               .Input("b", Tensor::FromVector<float>({1}, {5}))
               .Output("y")
               .Run();
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)[0].value.tensor().ToVector<float>(), (std::vector<float>{5, 5}));
  auto bad = OpTest("InstanceNormalization", 6)
                 .Input("x", Tensor::FromVector<float>({1, 2, 2}, {1, 3, 10, 10}))
                 .Input("s", Tensor::FromVector<float>({1}, {2}))
                 .Input("b", Tensor::FromVector<float>({2}, {0, 5}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
}

TEST(LayerNormalizationOp, AxesOutputsAndBroadcastScale) {
  // X [2, 2, 2]; axis = -2 normalizes the last two dims (4 values per row).
  const std::vector<float> x = {1, 2, 3, 4, 10, 10, 10, 10};
  auto r = OpTest("LayerNormalization", 17)
               .Input("x", Tensor::FromVector<float>({2, 2, 2}, x))
               .Input("s", Tensor::FromVector<float>({2}, {1, 2}))  // broadcast over [2, 2]
               .Input("b", Tensor::FromVector<float>({1}, {0.5}))
               .Attr("axis", int64_t{-2})
               .Attr("epsilon", 1e-3f)
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const double is = 1 / std::sqrt(1.25 + 1e-3);  // row 0: mean 2.5, var 1.25; row 1 constant
  ExpectAllNear((*r)[0].value.tensor().ToVector<float>(),
                {-1.5 * is + 0.5, -0.5 * is * 2 + 0.5, 0.5 * is + 0.5, 1.5 * is * 2 + 0.5, 0.5, 0.5,
                 0.5, 0.5},
                1e-6, "layernorm axis -2");
}

TEST(LayerNormalizationOp, MeanInvStdDevShapesAndErrors) {
  auto r = OpTest("LayerNormalization", 17)
               .Input("x", Tensor::FromVector<float>({2, 3}, {1, 2, 3, 2, 2, 2}))
               .Input("s", Tensor::FromVector<float>({3}, {1, 1, 1}))
               .Output("y")
               .Output("mean")
               .Output("inv")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[1].value.tensor().shape(), (Shape{2, 1}));
  EXPECT_EQ((*r)[1].value.tensor().dtype(), DataType::kFloat);
  ExpectAllNear((*r)[1].value.tensor().ToVector<float>(), {2, 2}, 1e-6, "mean");
  ExpectAllNear((*r)[2].value.tensor().ToVector<float>(),
                {1 / std::sqrt(2.0 / 3 + 1e-5), 1 / std::sqrt(1e-5)}, 1e-5, "inv");
  const double s = 1 / std::sqrt(2.0 / 3 + 1e-5);
  ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), {-s, 0, s, 0, 0, 0}, 1e-5, "y");
  auto bad = OpTest("LayerNormalization", 17)
                 .Input("x", Tensor::FromVector<float>({2, 3}, {1, 2, 3, 2, 2, 2}))
                 .Input("s", Tensor::FromVector<float>({2}, {1, 1}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "Scale")) << bad.status().message();
  auto axis = OpTest("LayerNormalization", 17)
                  .Input("x", Tensor::FromVector<float>({2, 3}, {1, 2, 3, 2, 2, 2}))
                  .Input("s", Tensor::FromVector<float>({3}, {1, 1, 1}))
                  .Attr("axis", int64_t{3})
                  .Output("y")
                  .Run();
  ASSERT_FALSE(axis.ok());
  EXPECT_TRUE(Contains(axis.status(), "axis")) << axis.status().message();
}

TEST(GroupNormalizationOp, Opset18PerGroupAndOpset21PerChannel) {
  // X [1, 4, 2]; 2 groups: {1, 3, 1, 3} and {0, 0, 2, 2}, each mean m, var 1.
  const std::vector<float> x = {1, 3, 1, 3, 0, 0, 2, 2};
  auto g18 = OpTest("GroupNormalization", 18)
                 .Input("x", Tensor::FromVector<float>({1, 4, 2}, x))
                 .Input("s", Tensor::FromVector<float>({2}, {1, 2}))
                 .Input("b", Tensor::FromVector<float>({2}, {0, 1}))
                 .Attr("num_groups", int64_t{2})
                 .Attr("epsilon", 0.f)
                 .Output("y")
                 .Run();
  ASSERT_TRUE(g18.ok()) << g18.status().ToString();
  ExpectAllNear((*g18)[0].value.tensor().ToVector<float>(), {-1, 1, -1, 1, -1, -1, 3, 3}, 1e-6,
                "g18");
  auto g21 = OpTest("GroupNormalization", 21)
                 .Input("x", Tensor::FromVector<float>({1, 4, 2}, x))
                 .Input("s", Tensor::FromVector<float>({4}, {1, 2, 3, 4}))
                 .Input("b", Tensor::FromVector<float>({4}, {0, 0, 0, 1}))
                 .Attr("num_groups", int64_t{2})
                 .Attr("epsilon", 0.f)
                 .Output("y")
                 .Run();
  ASSERT_TRUE(g21.ok()) << g21.status().ToString();
  ExpectAllNear((*g21)[0].value.tensor().ToVector<float>(), {-1, 1, -2, 2, -3, -3, 5, 5}, 1e-6,
                "g21");
  auto bad = OpTest("GroupNormalization", 18)
                 .Input("x", Tensor::FromVector<float>({1, 4, 2}, x))
                 .Input("s", Tensor::FromVector<float>({3}, {1, 2, 3}))
                 .Input("b", Tensor::FromVector<float>({3}, {0, 0, 0}))
                 .Attr("num_groups", int64_t{3})
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "num_groups")) << bad.status().message();
}

TEST(LrnOp, ChannelWindow) {
  // 4 channels of one value each; size 3 -> window [c-1, c+1].
  const std::vector<float> x = {1, 2, 3, 4};
  auto r = OpTest("LRN", 13)
               .Input("x", Tensor::FromVector<float>({1, 4, 1, 1}, x))
               .Attr("size", int64_t{3})
               .Attr("alpha", 0.3f)
               .Attr("beta", 0.5f)
               .Attr("bias", 2.f)
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const double sums[4] = {1 + 4, 1 + 4 + 9, 4 + 9 + 16, 9 + 16};
  std::vector<double> want(4);
  for (int c = 0; c < 4; ++c) want[c] = x[c] / std::pow(2 + 0.1 * sums[c], 0.5);
  ExpectAllNear((*r)[0].value.tensor().ToVector<float>(), want, 1e-6, "lrn");
  auto bad = OpTest("LRN", 13)
                 .Input("x", Tensor::FromVector<float>({1, 4, 1, 1}, x))
                 .Attr("size", int64_t{0})
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "size")) << bad.status().message();
}

}  // namespace
}  // namespace onnxedge
