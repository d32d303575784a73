// Copyright onnxedge authors.
// Tests of the image ops: Resize, Upsample, GridSample, RoiAlign, NonMaxSuppression,
// AffineGrid, Col2Im. Expected values are worked out by hand (see the comments) or by the naive
// per-point formulas below, which follow the ONNX spec text directly and share no code with
// the kernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

// OpTest::Run destroys its session before returning, but output tensors still point at the
// session's allocator (src/runtime/allocator.cc: TrackedBlock keeps a raw Allocator*), so
// freeing them afterwards is a use-after-free. This wrapper keeps the session alive while the
// outputs are deep-copied, and returns plain tensors.
class OpTest {
 public:
  explicit OpTest(std::string op_type, int opset = 17) : t_(std::move(op_type), opset) {}
  template <typename V>
  OpTest& Attr(const std::string& name, const V& v) {
    t_.Attr(name, v);
    return *this;
  }
  OpTest& Input(const std::string& name, const Tensor& v) {
    t_.Input(name, v);
    feeds_.push_back({name, v});
    return *this;
  }
  OpTest& OmittedInput() {
    t_.OmittedInput();
    return *this;
  }
  OpTest& Output(const std::string& name) {
    t_.Output(name);
    return *this;
  }
  StatusOr<std::unique_ptr<Session>> Load() const { return t_.Load(); }
  StatusOr<std::vector<Tensor>> Run() const {
    auto s = t_.Load();
    if (!s.ok()) return s.status();
    std::vector<Tensor> out;
    {
      auto r = (*s)->Run(feeds_);
      if (!r.ok()) return r.status();
      for (const auto& nv : *r) {
        auto c = nv.value.tensor().Clone();
        if (!c.ok()) return c.status();
        out.push_back(std::move(c).value());
      }
    }
    return out;
  }

 private:
  testing::OpTest t_;
  std::vector<NamedValue> feeds_;
};

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.f, std::fabs(want[i]))) << "at " << i;
  }
}

Tensor Iota(const Shape& shape, float start = 0.f, float step = 1.f) {
  std::vector<float> v(static_cast<size_t>(ShapeElementCount(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>(i);
  return Tensor::FromVector<float>(shape, v);
}

Tensor Random(const Shape& shape, uint32_t seed, float lo = -4.f, float hi = 4.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(ShapeElementCount(shape)));
  for (auto& x : v) x = d(gen);
  return Tensor::FromVector<float>(shape, v);
}

bool MessageHas(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Naive Resize: evaluates one output point as a product of 1-D interpolations, straight from the
// spec formulas (no antialias). Coordinates outside the input are clamped to the edge.

struct NaiveAxis {
  int64_t in, out;
  double scale;
};

double NaiveCoord(const std::string& ctm, const NaiveAxis& a, int64_t x) {
  const double in = static_cast<double>(a.in);
  if (ctm == "half_pixel") return (x + 0.5) / a.scale - 0.5;
  if (ctm == "pytorch_half_pixel") return a.out > 1 ? (x + 0.5) / a.scale - 0.5 : 0.0;
  if (ctm == "asymmetric") return x / a.scale;
  if (ctm == "align_corners") {
    return a.out == 1 ? 0.0 : x * (in - 1) / (a.scale * in - 1);
  }
  ADD_FAILURE() << "unknown mode " << ctm;
  return 0;
}

double Keys(double t, double a) {
  t = std::fabs(t);
  if (t <= 1) return (a + 2) * t * t * t - (a + 3) * t * t + 1;
  if (t < 2) return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
  return 0;
}

// 1-D weights of input positions for source coordinate xo.
std::vector<std::pair<int64_t, double>> NaiveWeights(const std::string& mode, double xo, int64_t in,
                                                     double cubic_a) {
  std::vector<std::pair<int64_t, double>> w;
  auto clamp = [in](int64_t i) { return std::min<int64_t>(std::max<int64_t>(i, 0), in - 1); };
  if (mode == "nearest") {  // round_prefer_floor
    const double f = std::floor(xo);
    w.push_back({clamp(static_cast<int64_t>(xo - f <= 0.5 ? f : f + 1)), 1.0});
  } else if (mode == "linear") {
    const double f = std::floor(xo);
    w.push_back({clamp(static_cast<int64_t>(f)), 1 - (xo - f)});
    w.push_back({clamp(static_cast<int64_t>(f) + 1), xo - f});
  } else {
    const double f = std::floor(xo);
    for (int k = -1; k <= 2; ++k) {
      w.push_back({clamp(static_cast<int64_t>(f) + k), Keys(xo - (f + k), cubic_a)});
    }
  }
  return w;
}

std::vector<float> NaiveResize(const Tensor& x, const std::vector<double>& scales,
                               const std::string& mode, const std::string& ctm,
                               double cubic_a = -0.75) {
  const Shape& s = x.shape();
  const size_t r = s.size();
  std::vector<NaiveAxis> axes(r);
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    out[i] =
        static_cast<int64_t>(std::floor(static_cast<float>(s[i]) * static_cast<float>(scales[i])));
    axes[i] = {s[i], out[i], scales[i]};
  }
  std::vector<int64_t> strides(r, 1);
  for (size_t i = r - 1; i > 0; --i) strides[i - 1] = strides[i] * s[i];
  const float* src = x.data<float>();
  std::vector<float> result;
  std::vector<int64_t> idx(r, 0);
  const int64_t total = ShapeElementCount(out);
  for (int64_t o = 0; o < total; ++o) {
    int64_t rem = o;
    for (size_t i = r; i-- > 0;) {
      idx[i] = rem % out[i];
      rem /= out[i];
    }
    // Sum over the product of per-axis windows.
    std::vector<std::pair<int64_t, double>> acc = {{0, 1.0}};
    for (size_t i = 0; i < r; ++i) {
      auto w = NaiveWeights(mode, NaiveCoord(ctm, axes[i], idx[i]), s[i], cubic_a);
      std::vector<std::pair<int64_t, double>> next;
      for (auto& a : acc) {
        for (auto& b : w) next.push_back({a.first + b.first * strides[i], a.second * b.second});
      }
      acc = std::move(next);
    }
    double v = 0;
    for (auto& a : acc) v += a.second * src[a.first];
    result.push_back(static_cast<float>(v));
  }
  return result;
}

StatusOr<Tensor> RunResize(int opset, const Tensor& x, const std::vector<float>& scales,
                           const std::string& mode, const std::string& ctm,
                           std::vector<std::pair<std::string, int64_t>> int_attrs = {}) {
  OpTest t("Resize", opset);
  t.Attr("mode", mode).Attr("coordinate_transformation_mode", ctm);
  for (auto& [k, v] : int_attrs) t.Attr(k, v);
  t.Input("x", x)
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({static_cast<int64_t>(scales.size())}, scales))
      .Output("y");
  auto r = t.Run();
  if (!r.ok()) return r.status();
  return (*r)[0];
}

// ---------------------------------------------------------------------------------------------
// Resize

TEST(ResizeOp, NearestUpsample2xNchw) {
  // asymmetric + floor: out[y][x] = in[y / 2][x / 2].
  OpTest t("Resize", 13);
  t.Attr("mode", "nearest")
      .Attr("coordinate_transformation_mode", "asymmetric")
      .Attr("nearest_mode", "floor")
      .Input("x", Iota({1, 2, 2, 2}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({4}, {1, 1, 2, 2}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0];
  EXPECT_EQ(y.shape(), (Shape{1, 2, 4, 4}));
  EXPECT_EQ(y.ToVector<float>(),
            (std::vector<float>{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3,  //
                                4, 4, 5, 5, 4, 4, 5, 5, 6, 6, 7, 7, 6, 6, 7, 7}));
}

TEST(ResizeOp, BilinearHalfPixelUpsampleByHand) {
  // [[0, 1], [2, 3]] x2, half_pixel: source coords -0.25, 0.25, 0.75, 1.25 (edges clamp), so a
  // row [a, b] becomes [a, a + 0.25 (b - a), a + 0.75 (b - a), b].
  auto y = RunResize(13, Iota({1, 1, 2, 2}), {1, 1, 2, 2}, "linear", "half_pixel");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(y->ToVector<float>(), {0.0f, 0.25f, 0.75f, 1.0f,  //
                                    0.5f, 0.75f, 1.25f, 1.5f,  //
                                    1.5f, 1.75f, 2.25f, 2.5f,  //
                                    2.0f, 2.25f, 2.75f, 3.0f});
}

TEST(ResizeOp, MatchesNaiveFormulasAcrossModes) {
  // Fast 2-D float path (N, C untouched) and general path (N or C resized) against the naive
  // per-point evaluation.
  const std::vector<std::string> ctms = {"half_pixel", "pytorch_half_pixel", "asymmetric",
                                         "align_corners"};
  const std::vector<std::vector<float>> scale_sets = {
      {1, 1, 2, 2}, {1, 1, 0.6f, 1.7f}, {1, 1, 3, 0.5f}, {2, 1, 1.5f, 1}, {1, 0.5f, 1, 2.5f}};
  uint32_t seed = 1;
  for (const std::string mode : {"nearest", "linear", "cubic"}) {
    for (const auto& ctm : ctms) {
      for (const auto& sc : scale_sets) {
        Tensor x = Random({2, 2, 5, 6}, seed++);
        auto y = RunResize(13, x, sc, mode, ctm);
        ASSERT_TRUE(y.ok()) << y.status().ToString();
        std::vector<double> scd(sc.begin(), sc.end());
        SCOPED_TRACE(mode + " " + ctm + " scales " + std::to_string(sc[0]) + "," +
                     std::to_string(sc[1]) + "," + std::to_string(sc[2]) + "," +
                     std::to_string(sc[3]));
        ExpectNear(y->ToVector<float>(), NaiveResize(x, scd, mode, ctm), 1e-4f);
      }
    }
  }
}

// Nearest on channels-last images: the unresized trailing axes move as blocks (whole pixels).
// Checked against the naive formula, and against the same resize of the NCHW transpose (whose
// innermost axis is resized: the per-element gather), with outside points of
// tf_crop_and_resize too.
TEST(ResizeOp, NearestChannelsLastMovesWholePixels) {
  auto nchw_of = [](const Tensor& x) {  // [N, H, W, C] -> [N, C, H, W]
    const Shape& s = x.shape();
    std::vector<float> v(static_cast<size_t>(x.size()));
    const float* p = x.data<float>();
    for (int64_t n = 0; n < s[0]; ++n)
      for (int64_t h = 0; h < s[1]; ++h)
        for (int64_t w = 0; w < s[2]; ++w)
          for (int64_t c = 0; c < s[3]; ++c)
            v[static_cast<size_t>(((n * s[3] + c) * s[1] + h) * s[2] + w)] =
                p[((n * s[1] + h) * s[2] + w) * s[3] + c];
    return Tensor::FromVector<float>({s[0], s[3], s[1], s[2]}, v);
  };
  uint32_t seed = 500;
  for (int64_t c : {1, 3, 64}) {
    for (const auto& sc : std::vector<std::vector<float>>{
             {1, 2, 2, 1}, {1, 0.6f, 1.7f, 1}, {1, 3, 0.5f, 1}, {1, 2, 1, 1}, {2, 1, 1.5f, 1}}) {
      for (const std::string ctm : {"asymmetric", "half_pixel", "align_corners"}) {
        Tensor x = Random({2, 5, 6, c}, seed++);
        auto y = RunResize(13, x, sc, "nearest", ctm);
        ASSERT_TRUE(y.ok()) << y.status().ToString();
        SCOPED_TRACE(ctm + " C " + std::to_string(c) + " scales " + std::to_string(sc[1]) +
                     "," + std::to_string(sc[2]));
        const std::vector<float> got = y->ToVector<float>();
        EXPECT_EQ(got, NaiveResize(x, {sc[0], sc[1], sc[2], sc[3]}, "nearest", ctm));
        auto yc = RunResize(13, nchw_of(x), {sc[0], sc[3], sc[1], sc[2]}, "nearest", ctm);
        ASSERT_TRUE(yc.ok()) << yc.status().ToString();
        EXPECT_EQ(nchw_of(*y).ToVector<float>(), yc->ToVector<float>());
      }
    }
    // tf_crop_and_resize: output points outside the roi take the extrapolation value.
    Tensor x = Random({1, 4, 5, c}, seed++);
    auto run = [&](const Tensor& in, std::vector<float> roi, std::vector<int64_t> sizes) {
      OpTest t("Resize", 13);
      t.Attr("mode", "nearest")
          .Attr("coordinate_transformation_mode", "tf_crop_and_resize")
          .Attr("extrapolation_value", -7.f)
          .Input("x", in)
          .Input("roi", Tensor::FromVector<float>({8}, roi))
          .OmittedInput()
          .Input("sizes", Tensor::FromVector<int64_t>({4}, sizes))
          .Output("y");
      return t.Run();
    };
    auto a = run(x, {0, 0.2f, -0.3f, 0, 1, 1.4f, 0.9f, 1}, {1, 7, 6, c});
    auto b = run(nchw_of(x), {0, 0, 0.2f, -0.3f, 1, 1, 1.4f, 0.9f}, {1, c, 7, 6});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    const std::vector<float> got = nchw_of((*a)[0]).ToVector<float>();
    EXPECT_EQ(got, (*b)[0].ToVector<float>()) << "tf_crop_and_resize C " << c;
    EXPECT_NE(std::count(got.begin(), got.end(), -7.f), 0);
  }
}

TEST(ResizeOp, TrilinearFiveDimensional) {
  Tensor x = Random({1, 2, 3, 4, 5}, 77);
  auto y = RunResize(13, x, {1, 1, 2, 1.5f, 0.8f}, "linear", "half_pixel");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 2, 6, 6, 4}));
  ExpectNear(y->ToVector<float>(), NaiveResize(x, {1, 1, 2, 1.5, 0.8}, "linear", "half_pixel"),
             1e-4f);
}

TEST(ResizeOp, FloatPathAgreesWithDoublePath) {
  // float32 uses the direct 2-D kernel, double the per-axis passes: same tables, so results
  // agree to float rounding, including antialias and exclude_outside windows.
  Tensor xf = Random({2, 3, 9, 7}, 5);
  const std::vector<float> xf_v = xf.ToVector<float>();
  std::vector<double> xd_v(xf_v.begin(), xf_v.end());
  Tensor xd = Tensor::FromVector<double>(xf.shape(), xd_v);
  struct Cfg {
    std::string mode;
    int64_t antialias, exclude;
    std::vector<float> scales;
  };
  for (const Cfg& c :
       {Cfg{"linear", 0, 0, {1, 1, 0.4f, 2.2f}}, Cfg{"linear", 1, 0, {1, 1, 0.4f, 0.3f}},
        Cfg{"cubic", 0, 1, {1, 1, 1.3f, 0.7f}}, Cfg{"cubic", 1, 0, {1, 1, 0.34f, 0.5f}},
        Cfg{"cubic", 1, 1, {1, 1, 0.25f, 3.0f}}}) {
    auto run = [&](const Tensor& x) {
      OpTest t("Resize", 19);
      t.Attr("mode", c.mode)
          .Attr("antialias", c.antialias)
          .Attr("exclude_outside", c.exclude)
          .Input("x", x)
          .OmittedInput()
          .Input("scales", Tensor::FromVector<float>({4}, c.scales))
          .Output("y");
      return t.Run();
    };
    auto rf = run(xf);
    auto rd = run(xd);
    ASSERT_TRUE(rf.ok()) << rf.status().ToString();
    ASSERT_TRUE(rd.ok()) << rd.status().ToString();
    const auto vf = (*rf)[0].ToVector<float>();
    const auto vd = (*rd)[0].ToVector<double>();
    ASSERT_EQ(vf.size(), vd.size());
    for (size_t i = 0; i < vf.size(); ++i) EXPECT_NEAR(vf[i], vd[i], 1e-4) << c.mode << " " << i;
  }
}

TEST(ResizeOp, AntialiasLinearByHand) {
  // 8 -> 4, half_pixel: source coord 2x + 0.5; the filter is stretched by 2, so taps at
  // distances 1.5, 0.5, 0.5, 1.5 get weights 0.25, 0.75, 0.75, 0.25 (normalized by 2).
  // x=0 reads clamped [0, 0, 1, 2] -> 0.625; x=3 reads [5, 6, 7, 7] -> 6.375.
  OpTest t("Resize", 18);
  t.Attr("mode", "linear")
      .Attr("antialias", int64_t{1})
      .Input("x", Iota({8}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({1}, {0.5f}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear((*r)[0].ToVector<float>(), {0.625f, 2.5f, 4.5f, 6.375f});
  // Without antialias the same resize is plain 2-tap interpolation.
  auto plain = RunResize(18, Iota({8}), {0.5f}, "linear", "half_pixel");
  ASSERT_TRUE(plain.ok());
  ExpectNear(plain->ToVector<float>(), {0.5f, 2.5f, 4.5f, 6.5f});
}

TEST(ResizeOp, AntialiasCubicReproducesRampInside) {
  // A symmetric normalized filter centred on x reproduces a linear ramp wherever its window
  // stays inside the input: 16 -> 8, source coord 2x + 0.5, window 2x-3 .. 2x+4.
  OpTest t("Resize", 18);
  t.Attr("mode", "cubic")
      .Attr("antialias", int64_t{1})
      .Input("x", Iota({1, 16}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({2}, {1.f, 0.5f}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto v = (*r)[0].ToVector<float>();
  ASSERT_EQ(v.size(), 8u);
  for (int x = 2; x <= 5; ++x) EXPECT_NEAR(v[x], 2 * x + 0.5f, 1e-5f) << x;
  // At x=0 the taps at distances 0.5, 1.5, 2.5, 3.5 (scaled by 0.5) weigh K(0.25), K(0.75),
  // K(1.25), K(1.75) = 0.87890625, 0.26171875, -0.10546875, -0.03515625 (a = -0.75), halved by
  // the normalization; the window -3..4 reads 0, 0, 0, 0, 1, 2, 3, 4:
  // 0.439453125 * 1 + 0.130859375 * 2 - 0.052734375 * 3 - 0.017578125 * 4 = 0.47265625.
  EXPECT_NEAR(v[0], 0.47265625f, 1e-6f);
}

TEST(ResizeOp, TfCropAndResizeExtrapolates) {
  // in [0, 10, 20, 30], roi [0.5, 1.5], 3 outputs: x_in = 1.5 + x * 1.5 -> 1.5, 3, 4.5 (outside).
  OpTest t("Resize", 13);
  t.Attr("mode", "linear")
      .Attr("coordinate_transformation_mode", "tf_crop_and_resize")
      .Attr("extrapolation_value", -1.f)
      .Input("x", Iota({4}, 0, 10))
      .Input("roi", Tensor::FromVector<float>({2}, {0.5f, 1.5f}))
      .OmittedInput()
      .Input("sizes", Tensor::FromVector<int64_t>({1}, {3}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear((*r)[0].ToVector<float>(), {15.f, 30.f, -1.f});
}

TEST(ResizeOp, HalfPixelSymmetric) {
  // ONNX example: [[1, 2], [3, 4]], scales [1, 1, 2.3, 2.94] -> 4 x 5. Along W the resized
  // extent 5.88 is cut to 5, so coordinates shift by 1 * (1 - 5 / 5.88) to stay centred:
  // x=1 -> 0.1497 + 1.5 / 2.94 - 0.5 = 0.1599.
  auto y = RunResize(19, Tensor::FromVector<float>({1, 1, 2, 2}, {1, 2, 3, 4}), {1, 1, 2.3f, 2.94f},
                     "linear", "half_pixel_symmetric");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 4, 5}));
  auto v = y->ToVector<float>();
  EXPECT_NEAR(v[0], 1.0f, 1e-5f);
  EXPECT_NEAR(v[1], 1.15986395f, 1e-5f);
  EXPECT_NEAR(v[2], 1.5f, 1e-5f);
  EXPECT_NEAR(v[4], 2.0f, 1e-5f);
  // Along H: 2 * 2.3 = 4.6 cut to 4, offset 1 * (1 - 4 / 4.6) = 0.130435; y=1 reads
  // 0.130435 + 1.5 / 2.3 - 0.5 = 0.282609 -> 1 + 2 * 0.282609 = 1.565217 in column 0.
  EXPECT_NEAR(v[5], 1.5652174f, 1e-5f);
}

TEST(ResizeOp, AxesAndKeepAspectRatio) {
  // sizes [3, 3] on axes (2, 3) of a 4 x 8 image: not_larger uses min(3/4, 3/8) = 0.375 ->
  // round(1.5) = 2, round(3) = 3; not_smaller uses 0.75 -> 3, 6.
  for (auto [policy, h, w] : {std::tuple<std::string, int64_t, int64_t>{"not_larger", 2, 3},
                              {"not_smaller", 3, 6},
                              {"stretch", 3, 3}}) {
    OpTest t("Resize", 18);
    t.Attr("mode", "nearest")
        .Attr("axes", std::vector<int64_t>{2, -1})
        .Attr("keep_aspect_ratio_policy", policy)
        .Input("x", Iota({1, 2, 4, 8}))
        .OmittedInput()
        .OmittedInput()
        .Input("sizes", Tensor::FromVector<int64_t>({2}, {3, 3}))
        .Output("y");
    auto r = t.Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, h, w})) << policy;
  }
  // axes with scales: only the last axis doubles.
  OpTest t("Resize", 18);
  t.Attr("mode", "nearest")
      .Attr("axes", std::vector<int64_t>{-1})
      .Attr("coordinate_transformation_mode", "asymmetric")
      .Input("x", Iota({2, 2}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({1}, {2.f}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].ToVector<float>(), (std::vector<float>{0, 0, 1, 1, 2, 2, 3, 3}));
}

TEST(ResizeOp, NearestModesAndPytorchHalfPixelSingleOutput) {
  // asymmetric with scale 2/3 over 0..5 (6 -> 4): source coords 0, 1.5, 3, 4.5.
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"round_prefer_floor", {0, 1, 3, 4}},
      {"round_prefer_ceil", {0, 2, 3, 5}},
      {"floor", {0, 1, 3, 4}},
      {"ceil", {0, 2, 3, 5}}};
  for (const auto& [nm, want] : cases) {
    OpTest t("Resize", 13);
    t.Attr("mode", "nearest")
        .Attr("coordinate_transformation_mode", "asymmetric")
        .Attr("nearest_mode", nm)
        .Input("x", Iota({6}))
        .OmittedInput()
        .OmittedInput()
        .Input("sizes", Tensor::FromVector<int64_t>({1}, {4}))
        .Output("y");
    auto r = t.Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].ToVector<float>(), want) << nm;
  }
  // pytorch_half_pixel with one output samples coordinate 0 (spec), even for cubic.
  OpTest t("Resize", 13);
  t.Attr("mode", "cubic")
      .Attr("coordinate_transformation_mode", "pytorch_half_pixel")
      .Input("x", Iota({4}, 1))
      .OmittedInput()
      .OmittedInput()
      .Input("sizes", Tensor::FromVector<int64_t>({1}, {1}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear((*r)[0].ToVector<float>(), {1.f});
}

TEST(ResizeOp, Opset10NearestCeilsWhenDownsampling) {
  // Resize-10: asymmetric coords; downsampling 5 -> 3 at scale 0.6 reads ceil(0, 1.67, 3.33).
  OpTest t("Resize", 10);
  t.Attr("mode", "nearest")
      .Input("x", Iota({5}))
      .Input("scales", Tensor::FromVector<float>({1}, {0.6f}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].ToVector<float>(), (std::vector<float>{0, 2, 4}));
  // Upsampling floors: 2 -> 5 at scale 2.5 reads floor(0, 0.4, 0.8, 1.2, 1.6).
  OpTest u("Resize", 10);
  u.Attr("mode", "nearest")
      .Input("x", Iota({2}))
      .Input("scales", Tensor::FromVector<float>({1}, {2.5f}))
      .Output("y");
  auto ru = u.Run();
  ASSERT_TRUE(ru.ok()) << ru.status().ToString();
  EXPECT_EQ((*ru)[0].ToVector<float>(), (std::vector<float>{0, 0, 0, 1, 1}));
}

TEST(ResizeOp, IntegerStringAndHalfTypes) {
  // uint8 linear, asymmetric x2 over [0, 3]: 0, 1.5, 3, 3 -> rounded 0, 2, 3, 3.
  OpTest t("Resize", 13);
  t.Attr("mode", "linear")
      .Attr("coordinate_transformation_mode", "asymmetric")
      .Input("x", Tensor::FromVector<uint8_t>({2}, {0, 3}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({1}, {2.f}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].ToVector<uint8_t>(), (std::vector<uint8_t>{0, 2, 3, 3}));
  // uint8 cubic overshoot saturates instead of wrapping: a step 0 -> 255 rings below 0 and
  // above 255; every value is the rounded, clamped naive result.
  OpTest c("Resize", 13);
  c.Attr("mode", "cubic")
      .Input("x", Tensor::FromVector<uint8_t>({4}, {0, 0, 255, 255}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({1}, {3.f}))
      .Output("y");
  auto rc = c.Run();
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  const auto got = (*rc)[0].ToVector<uint8_t>();
  const auto naive =
      NaiveResize(Tensor::FromVector<float>({4}, {0, 0, 255, 255}), {3.0}, "cubic", "half_pixel");
  ASSERT_EQ(got.size(), naive.size());
  bool above = false, below = false;
  for (size_t i = 0; i < got.size(); ++i) {
    above |= naive[i] > 255.f;
    below |= naive[i] < 0.f;
    const float want = std::min(255.f, std::max(0.f, std::round(naive[i])));
    EXPECT_EQ(static_cast<float>(got[i]), want) << i;
  }
  EXPECT_TRUE(above && below);
  // Strings with nearest.
  OpTest s("Resize", 13);
  s.Attr("mode", "nearest")
      .Attr("coordinate_transformation_mode", "asymmetric")
      .Input("x", Tensor::FromVector<std::string>({2}, {"a", "b"}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({1}, {2.f}))
      .Output("y");
  auto rs = s.Run();
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  EXPECT_EQ((*rs)[0].ToVector<std::string>(), (std::vector<std::string>{"a", "a", "b", "b"}));
  // float16 linear follows the float result.
  OpTest h("Resize", 13);
  h.Attr("mode", "linear")
      .Input("x", Tensor::FromVector<Float16>({2}, {Float16(0.f), Float16(1.f)}))
      .OmittedInput()
      .Input("scales", Tensor::FromVector<float>({1}, {2.f}))
      .Output("y");
  auto rh = h.Run();
  ASSERT_TRUE(rh.ok()) << rh.status().ToString();
  std::vector<float> hv;
  for (Float16 v : (*rh)[0].ToVector<Float16>()) hv.push_back(static_cast<float>(v));
  ExpectNear(hv, {0.f, 0.25f, 0.75f, 1.f});
}

TEST(ResizeOp, EmptyTensors) {
  OpTest t("Resize", 13);
  t.Attr("mode", "linear")
      .Input("x", *Tensor::Allocate(DataType::kFloat, {0, 3}))
      .OmittedInput()
      .OmittedInput()
      .Input("sizes", Tensor::FromVector<int64_t>({2}, {0, 6}))
      .Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{0, 6}));
  OpTest bad("Resize", 13);
  bad.Input("x", *Tensor::Allocate(DataType::kFloat, {2, 0}))
      .OmittedInput()
      .OmittedInput()
      .Input("sizes", Tensor::FromVector<int64_t>({2}, {2, 4}))
      .Output("y");
  auto rb = bad.Run();
  ASSERT_FALSE(rb.ok());
  EXPECT_TRUE(MessageHas(rb.status(), "'sizes'")) << rb.status().message();
}

TEST(ResizeOp, LargeParallelBilinearMatchesNaive) {
  // Enough rows for several parallel chunks.
  Tensor x = Random({1, 3, 40, 33}, 9);
  auto y = RunResize(13, x, {1, 1, 2, 2}, "linear", "half_pixel");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(y->ToVector<float>(), NaiveResize(x, {1, 1, 2, 2}, "linear", "half_pixel"), 1e-4f);
  auto n = RunResize(13, x, {1, 1, 2, 2}, "nearest", "asymmetric");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ExpectNear(n->ToVector<float>(), NaiveResize(x, {1, 1, 2, 2}, "nearest", "asymmetric"));
}

TEST(ResizeOp, Errors) {
  {
    OpTest t("Resize", 13);
    t.Attr("mode", "bicubic").Input("x", Iota({2})).Output("y");
    auto r = t.Load();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(MessageHas(r.status(), "'mode'")) << r.status().message();
  }
  {
    OpTest t("Resize", 13);
    t.Attr("coordinate_transformation_mode", "center").Input("x", Iota({2})).Output("y");
    auto r = t.Load();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(MessageHas(r.status(), "'coordinate_transformation_mode'"));
  }
  {
    OpTest t("Resize", 18);
    t.Attr("keep_aspect_ratio_policy", "fit").Input("x", Iota({2})).Output("y");
    auto r = t.Load();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(MessageHas(r.status(), "'keep_aspect_ratio_policy'"));
  }
  {
    OpTest t("Resize", 13);
    t.Attr("nearest_mode", "nearest").Input("x", Iota({2})).Output("y");
    auto r = t.Load();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(MessageHas(r.status(), "'nearest_mode'"));
  }
  // Run-time input errors.
  auto scales_and_sizes = OpTest("Resize", 13)
                              .Input("x", Iota({2}))
                              .OmittedInput()
                              .Input("scales", Tensor::FromVector<float>({1}, {2.f}))
                              .Input("sizes", Tensor::FromVector<int64_t>({1}, {4}))
                              .Output("y")
                              .Run();
  ASSERT_FALSE(scales_and_sizes.ok());
  EXPECT_TRUE(MessageHas(scales_and_sizes.status(), "'scales' and 'sizes'"));
  auto negative = RunResize(13, Iota({2}), {-1.f}, "nearest", "half_pixel");
  ASSERT_FALSE(negative.ok());
  EXPECT_TRUE(MessageHas(negative.status(), "'scales'")) << negative.status().message();
  auto count = RunResize(13, Iota({2, 2}), {2.f}, "nearest", "half_pixel");
  ASSERT_FALSE(count.ok());
  EXPECT_TRUE(MessageHas(count.status(), "'scales' has 1 values, expected 2"))
      << count.status().message();
  auto neither = OpTest("Resize", 13).Input("x", Iota({2})).Output("y").Run();
  ASSERT_FALSE(neither.ok());
  EXPECT_TRUE(MessageHas(neither.status(), "'scales' and 'sizes'"));
  auto bad_axes = OpTest("Resize", 18)
                      .Attr("axes", std::vector<int64_t>{3})
                      .Input("x", Iota({2, 2}))
                      .OmittedInput()
                      .Input("scales", Tensor::FromVector<float>({1}, {2.f}))
                      .Output("y")
                      .Run();
  ASSERT_FALSE(bad_axes.ok());
}

// ---------------------------------------------------------------------------------------------
// Upsample

TEST(UpsampleOp, AttributeAndInputScales) {
  // Opset 7: scales attribute, nearest = in[floor(x / scale)].
  OpTest t("Upsample", 7);
  t.Attr("scales", std::vector<float>{1, 2}).Input("x", Iota({2, 2})).Output("y");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].ToVector<float>(), (std::vector<float>{0, 0, 1, 1, 2, 2, 3, 3}));
  // Opset 9: scales input, linear asymmetric: x / 2 over [0, 10] -> 0, 5, 10, 10.
  OpTest u("Upsample", 9);
  u.Attr("mode", "linear")
      .Input("x", Iota({1, 2}, 0, 10))
      .Input("scales", Tensor::FromVector<float>({2}, {1, 2}))
      .Output("y");
  auto ru = u.Run();
  ASSERT_TRUE(ru.ok()) << ru.status().ToString();
  ExpectNear((*ru)[0].ToVector<float>(), {0, 5, 10, 10});
}

TEST(UpsampleOp, Errors) {
  auto bad_mode = OpTest("Upsample", 9)
                      .Attr("mode", "area")
                      .Input("x", Iota({2}))
                      .Input("scales", Tensor::FromVector<float>({1}, {2}))
                      .Output("y")
                      .Load();
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_TRUE(MessageHas(bad_mode.status(), "'mode'"));
  auto bad_scale = OpTest("Upsample", 7)
                       .Attr("scales", std::vector<float>{0.f})
                       .Input("x", Iota({2}))
                       .Output("y")
                       .Load();
  ASSERT_FALSE(bad_scale.ok());
  EXPECT_TRUE(MessageHas(bad_scale.status(), "'scales'"));
  auto rank = OpTest("Upsample", 9)
                  .Input("x", Iota({2, 2}))
                  .Input("scales", Tensor::FromVector<float>({1}, {2}))
                  .Output("y")
                  .Run();
  ASSERT_FALSE(rank.ok());
  EXPECT_TRUE(MessageHas(rank.status(), "rank"));
}

// ---------------------------------------------------------------------------------------------
// GridSample

Tensor GridOf(const std::vector<std::pair<float, float>>& pts, int64_t h, int64_t w) {
  std::vector<float> v;
  for (auto [x, y] : pts) {
    v.push_back(x);
    v.push_back(y);
  }
  return Tensor::FromVector<float>({1, h, w, 2}, v);
}

StatusOr<std::vector<float>> RunGridSample(int opset, const Tensor& x, const Tensor& grid,
                                           const std::string& mode, const std::string& pad,
                                           int64_t align) {
  auto r = OpTest("GridSample", opset)
               .Attr("mode", mode)
               .Attr("padding_mode", pad)
               .Attr("align_corners", align)
               .Input("x", x)
               .Input("grid", grid)
               .Output("y")
               .Run();
  if (!r.ok()) return r.status();
  return (*r)[0].ToVector<float>();
}

TEST(GridSampleOp, PixelCentersReproduceInput) {
  // align_corners=1: -1 and 1 are the centres of the first and last pixels.
  Tensor x = Iota({1, 2, 2, 3});
  Tensor grid = GridOf({{-1, -1}, {0, -1}, {1, -1}, {-1, 1}, {0, 1}, {1, 1}}, 2, 3);
  for (const std::string mode : {"bilinear", "nearest", "bicubic"}) {
    auto y = RunGridSample(16, x, grid, mode, "zeros", 1);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    ExpectNear(*y, x.ToVector<float>(), 1e-5f);
  }
}

TEST(GridSampleOp, PaddingModesByHand) {
  // 1 x 2 image [10, 20], align_corners=0: x = ((g + 1) * 2 - 1) / 2. g = 1.5 -> x = 2
  // (outside [-0.5, 1.5]); g = -1.25 -> x = -0.75.
  Tensor x = Tensor::FromVector<float>({1, 1, 1, 2}, {10, 20});
  Tensor grid = GridOf({{1.5f, 0.f}, {-1.25f, 0.f}, {0.f, 0.f}}, 1, 3);
  // zeros: x=2 reads taps 2 (0) and 3 (0) -> 0; x=-0.75 reads -1 (0) with weight 0.75 and
  // 0 (10) with 0.25 -> 2.5; x=0.5 -> 15. The single row y=0 sits at -0.5 +- ... : y = 0 is
  // the row centre, so rows contribute fully.
  auto z = RunGridSample(16, x, grid, "bilinear", "zeros", 0);
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  ExpectNear(*z, {0.f, 2.5f, 15.f});
  // border: clamp to [0, 1] -> 20, 10, 15.
  auto b = RunGridSample(16, x, grid, "bilinear", "border", 0);
  ASSERT_TRUE(b.ok());
  ExpectNear(*b, {20.f, 10.f, 15.f});
  // reflection about -0.5 and 1.5: 2 -> 1 (20); -0.75 -> -0.25 -> taps -1 (reflects to 0) and
  // 0: 0.25 * 10 + 0.75 * 10 = 10.
  auto rf = RunGridSample(16, x, grid, "bilinear", "reflection", 0);
  ASSERT_TRUE(rf.ok());
  ExpectNear(*rf, {20.f, 10.f, 15.f});
}

TEST(GridSampleOp, NearestRoundsHalfToEvenIn2D) {
  // 1 x 4 image, align_corners=1: x = (g + 1) * 1.5. g = -2/3 -> 0.5 -> 0; g = 0 -> 1.5 -> 2.
  Tensor x = Tensor::FromVector<float>({1, 1, 1, 4}, {0, 1, 2, 3});
  Tensor grid = GridOf({{-2.f / 3.f, 0.f}, {0.f, 0.f}}, 1, 2);
  auto y = RunGridSample(16, x, grid, "nearest", "zeros", 1);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(*y, (std::vector<float>{0, 2}));
}

TEST(GridSampleOp, Opset20VolumetricAndOneD) {
  // 2 x 2 x 2 volume, centre point (all coords 0 with align_corners=1) -> mean of the 8 voxels.
  Tensor x = Iota({1, 1, 2, 2, 2});
  auto y = RunGridSample(20, x, Tensor::FromVector<float>({1, 1, 1, 1, 3}, {0, 0, 0}), "linear",
                         "zeros", 1);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(*y, {3.5f});
  // 1-D: [0, 10, 20] at g = 0.5 (align_corners=1) -> x = 1.5 -> 15.
  auto one = RunGridSample(20, Iota({1, 1, 3}, 0, 10), Tensor::FromVector<float>({1, 1, 1}, {0.5f}),
                           "linear", "border", 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ExpectNear(*one, {15.f});
  // Opset 16 is 4-D only.
  auto v16 = RunGridSample(16, x, Tensor::FromVector<float>({1, 1, 1, 1, 3}, {0, 0, 0}), "bilinear",
                           "zeros", 1);
  ASSERT_FALSE(v16.ok());
  EXPECT_TRUE(MessageHas(v16.status(), "'X'"));
}

TEST(GridSampleOp, EmptyAndErrors) {
  auto empty = OpTest("GridSample", 16)
                   .Input("x", Iota({1, 2, 3, 3}))
                   .Input("grid", *Tensor::Allocate(DataType::kFloat, {1, 0, 4, 2}))
                   .Output("y")
                   .Run();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)[0].shape(), (Shape{1, 2, 0, 4}));
  auto bad_grid = RunGridSample(16, Iota({1, 1, 2, 2}), Iota({1, 2, 2, 3}), "bilinear", "zeros", 0);
  ASSERT_FALSE(bad_grid.ok());
  EXPECT_TRUE(MessageHas(bad_grid.status(), "'grid'"));
  auto bad_mode = OpTest("GridSample", 16)
                      .Attr("mode", "area")
                      .Input("x", Iota({1}))
                      .Input("grid", Iota({1}))
                      .Output("y")
                      .Load();
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_TRUE(MessageHas(bad_mode.status(), "'mode'")) << bad_mode.status().message();
  auto bad_pad = OpTest("GridSample", 16)
                     .Attr("padding_mode", "wrap")
                     .Input("x", Iota({1}))
                     .Input("grid", Iota({1}))
                     .Output("y")
                     .Load();
  ASSERT_FALSE(bad_pad.ok());
  EXPECT_TRUE(MessageHas(bad_pad.status(), "'padding_mode'"));
}

// ---------------------------------------------------------------------------------------------
// RoiAlign

StatusOr<std::vector<float>> RunRoiAlign(int opset, const Tensor& x, const Tensor& rois,
                                         const Tensor& batch, const std::string& mode,
                                         const std::string& ctm, int64_t oh, int64_t ow, int64_t sr,
                                         float scale = 1.f) {
  OpTest t("RoiAlign", opset);
  t.Attr("mode", mode)
      .Attr("output_height", oh)
      .Attr("output_width", ow)
      .Attr("sampling_ratio", sr)
      .Attr("spatial_scale", scale);
  if (!ctm.empty()) t.Attr("coordinate_transformation_mode", ctm);
  t.Input("x", x).Input("rois", rois).Input("batch_indices", batch).Output("y");
  auto r = t.Run();
  if (!r.ok()) return r.status();
  return (*r)[0].ToVector<float>();
}

TEST(RoiAlignOp, SingleSampleByHand) {
  // Image [[0, 1], [2, 3]], roi [0, 0, 1, 1], one bin, one sample at the bin centre.
  Tensor x = Iota({1, 1, 2, 2});
  Tensor rois = Tensor::FromVector<float>({1, 4}, {0, 0, 1, 1});
  Tensor b = Tensor::FromVector<int64_t>({1}, {0});
  // output_half_pixel: sample (0.5, 0.5) -> 1.5. max mode: max of the weighted corners
  // 0.25 * {0, 1, 2, 3} -> 0.75.
  auto avg = RunRoiAlign(16, x, rois, b, "avg", "output_half_pixel", 1, 1, 1);
  ASSERT_TRUE(avg.ok()) << avg.status().ToString();
  ExpectNear(*avg, {1.5f});
  auto mx = RunRoiAlign(16, x, rois, b, "max", "output_half_pixel", 1, 1, 1);
  ASSERT_TRUE(mx.ok());
  ExpectNear(*mx, {0.75f});
  // half_pixel shifts the roi by -0.5: sample at (0, 0) -> 0. Opset 10 behaves as
  // output_half_pixel.
  auto hp = RunRoiAlign(16, x, rois, b, "avg", "half_pixel", 1, 1, 1);
  ASSERT_TRUE(hp.ok());
  ExpectNear(*hp, {0.f});
  auto v10 = RunRoiAlign(10, x, rois, b, "avg", "", 1, 1, 1);
  ASSERT_TRUE(v10.ok()) << v10.status().ToString();
  ExpectNear(*v10, {1.5f});
}

TEST(RoiAlignOp, AdaptiveSamplingAndBatches) {
  // A constant image pools to the constant wherever the samples are inside; the second image
  // is selected by batch_indices. Adaptive sampling (0) and spatial_scale 0.5.
  std::vector<float> v(2 * 8 * 8);
  for (size_t i = 0; i < v.size(); ++i) v[i] = i < 64 ? 1.f : 5.f;
  Tensor x = Tensor::FromVector<float>({2, 1, 8, 8}, v);
  Tensor rois = Tensor::FromVector<float>({2, 4}, {2, 2, 12, 10, 0, 0, 14, 14});
  Tensor b = Tensor::FromVector<int64_t>({2}, {1, 0});
  auto y = RunRoiAlign(16, x, rois, b, "avg", "half_pixel", 2, 3, 0, 0.5f);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(*y, {5, 5, 5, 5, 5, 5, 1, 1, 1, 1, 1, 1});
}

TEST(RoiAlignOp, EmptyAndErrors) {
  Tensor x = Iota({1, 1, 2, 2});
  auto none = RunRoiAlign(16, x, *Tensor::Allocate(DataType::kFloat, {0, 4}),
                          *Tensor::Allocate(DataType::kInt64, {0}), "avg", "half_pixel", 2, 2, 0);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  auto bad_batch = RunRoiAlign(16, x, Tensor::FromVector<float>({1, 4}, {0, 0, 1, 1}),
                               Tensor::FromVector<int64_t>({1}, {1}), "avg", "half_pixel", 1, 1, 0);
  ASSERT_FALSE(bad_batch.ok());
  EXPECT_TRUE(MessageHas(bad_batch.status(), "'batch_indices'"));
  auto bad_rois = RunRoiAlign(16, x, Tensor::FromVector<float>({1, 3}, {0, 0, 1}),
                              Tensor::FromVector<int64_t>({1}, {0}), "avg", "half_pixel", 1, 1, 0);
  ASSERT_FALSE(bad_rois.ok());
  EXPECT_TRUE(MessageHas(bad_rois.status(), "'rois'"));
  auto bad_mode = OpTest("RoiAlign", 16)
                      .Attr("mode", "sum")
                      .Input("x", x)
                      .Input("rois", Iota({1, 4}))
                      .Input("batch_indices", Tensor::FromVector<int64_t>({1}, {0}))
                      .Output("y")
                      .Load();
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_TRUE(MessageHas(bad_mode.status(), "'mode'"));
  auto bad_ctm = OpTest("RoiAlign", 16)
                     .Attr("coordinate_transformation_mode", "align_corners")
                     .Input("x", x)
                     .Input("rois", Iota({1, 4}))
                     .Input("batch_indices", Tensor::FromVector<int64_t>({1}, {0}))
                     .Output("y")
                     .Load();
  ASSERT_FALSE(bad_ctm.ok());
  EXPECT_TRUE(MessageHas(bad_ctm.status(), "'coordinate_transformation_mode'"));
}

// ---------------------------------------------------------------------------------------------
// NonMaxSuppression

StatusOr<Tensor> RunNms(const Tensor& boxes, const Tensor& scores, int64_t max_out, float iou,
                        const float* score_thr, int64_t center = 0) {
  OpTest t("NonMaxSuppression", 11);
  t.Attr("center_point_box", center)
      .Input("boxes", boxes)
      .Input("scores", scores)
      .Input("max", Tensor::FromVector<int64_t>({1}, {max_out}))
      .Input("iou", Tensor::FromVector<float>({1}, {iou}));
  if (score_thr) t.Input("score", Tensor::FromVector<float>({1}, {*score_thr}));
  t.Output("selected");
  auto r = t.Run();
  if (!r.ok()) return r.status();
  return (*r)[0];
}

TEST(NonMaxSuppressionOp, GreedyByScoreWithTiesAndThreshold) {
  // Boxes [y1, x1, y2, x2]: 0 and 1 overlap with IoU 0.81 / 1.19 ~ 0.68; 2 is disjoint; 3 has
  // the same score as 2 and is identical to 2.
  Tensor boxes = Tensor::FromVector<float>(
      {1, 4, 4}, {0, 0, 1, 1, 0.1f, 0.1f, 1.1f, 1.1f, 5, 5, 6, 6, 5, 5, 6, 6});
  Tensor scores = Tensor::FromVector<float>({1, 2, 4}, {0.9f, 0.8f, 0.7f, 0.7f,  //
                                                        0.1f, 0.2f, 0.3f, 0.4f});
  auto r = RunNms(boxes, scores, 10, 0.5f, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Class 0: 0 (0.9), 1 suppressed by 0, 2 (0.7, lower index wins the tie), 3 suppressed by 2.
  // Class 1: 3 (0.4), 2 suppressed, 1 (0.2), 0 suppressed by 1.
  EXPECT_EQ(r->shape(), (Shape{4, 3}));
  EXPECT_EQ(r->ToVector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0, 0, 2, 0, 1, 3, 0, 1, 1}));
  // score_threshold is strict: 0.7 excludes boxes scoring exactly 0.7; max 1 per class.
  const float thr = 0.7f;
  auto t = RunNms(boxes, scores, 1, 0.5f, &thr);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->ToVector<int64_t>(), (std::vector<int64_t>{0, 0, 0}));
  // IoU threshold 0.7 keeps box 1 (IoU 0.68 is not above it).
  auto k = RunNms(boxes, scores, 2, 0.7f, nullptr);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->ToVector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 1, 3, 0, 1, 1}));
}

TEST(NonMaxSuppressionOp, CenterFormatOptionalInputsAndEmpty) {
  // Centre format: boxes at x=0 and x=0.5 (width 1) overlap by 1/3 IoU.
  Tensor boxes = Tensor::FromVector<float>({1, 2, 4}, {0, 0, 1, 1, 0.5f, 0, 1, 1});
  Tensor scores = Tensor::FromVector<float>({1, 1, 2}, {0.5f, 0.6f});
  auto r = RunNms(boxes, scores, 5, 0.3f, nullptr, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToVector<int64_t>(), (std::vector<int64_t>{0, 0, 1}));
  // No max_output_boxes_per_class input: nothing is selected.
  auto none = OpTest("NonMaxSuppression", 11)
                  .Input("boxes", boxes)
                  .Input("scores", scores)
                  .Output("selected")
                  .Run();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)[0].shape(), (Shape{0, 3}));
  // Zero boxes.
  auto zero = RunNms(*Tensor::Allocate(DataType::kFloat, {1, 0, 4}),
                     *Tensor::Allocate(DataType::kFloat, {1, 3, 0}), 5, 0.5f, nullptr);
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(zero->shape(), (Shape{0, 3}));
}

TEST(NonMaxSuppressionOp, Errors) {
  Tensor boxes = Tensor::FromVector<float>({1, 1, 4}, {0, 0, 1, 1});
  auto bad_iou = RunNms(boxes, Tensor::FromVector<float>({1, 1, 1}, {1}), 1, 1.5f, nullptr);
  ASSERT_FALSE(bad_iou.ok());
  EXPECT_TRUE(MessageHas(bad_iou.status(), "'iou_threshold'"));
  auto bad_scores = RunNms(boxes, Tensor::FromVector<float>({1, 1, 2}, {1, 1}), 1, 0.5f, nullptr);
  ASSERT_FALSE(bad_scores.ok());
  EXPECT_TRUE(MessageHas(bad_scores.status(), "'scores'"));
  auto bad_boxes = RunNms(Tensor::FromVector<float>({1, 3}, {0, 0, 1}),
                          Tensor::FromVector<float>({1, 1, 1}, {1}), 1, 0.5f, nullptr);
  ASSERT_FALSE(bad_boxes.ok());
  EXPECT_TRUE(MessageHas(bad_boxes.status(), "'boxes'"));
  auto bad_attr = OpTest("NonMaxSuppression", 11)
                      .Attr("center_point_box", int64_t{2})
                      .Input("boxes", boxes)
                      .Input("scores", Tensor::FromVector<float>({1, 1, 1}, {1}))
                      .Output("s")
                      .Load();
  ASSERT_FALSE(bad_attr.ok());
  EXPECT_TRUE(MessageHas(bad_attr.status(), "'center_point_box'"));
}

// ---------------------------------------------------------------------------------------------
// AffineGrid

TEST(AffineGridOp, IdentityAndTranslation2D) {
  // Identity theta over a 2 x 2 grid, align_corners=0: coords -0.5, 0.5 as (x, y) pairs.
  Tensor theta = Tensor::FromVector<float>({1, 2, 3}, {1, 0, 0, 0, 1, 0});
  auto r = OpTest("AffineGrid", 20)
               .Input("theta", theta)
               .Input("size", Tensor::FromVector<int64_t>({4}, {1, 3, 2, 2}))
               .Output("grid")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 2, 2}));
  ExpectNear((*r)[0].ToVector<float>(), {-0.5f, -0.5f, 0.5f, -0.5f, -0.5f, 0.5f, 0.5f, 0.5f});
  // align_corners=1, H=1, W=3, theta swaps x/y and translates x by 1: x' = y + 1, y' = x.
  Tensor t2 = Tensor::FromVector<float>({1, 2, 3}, {0, 1, 1, 1, 0, 0});
  auto r2 = OpTest("AffineGrid", 20)
                .Attr("align_corners", int64_t{1})
                .Input("theta", t2)
                .Input("size", Tensor::FromVector<int64_t>({4}, {1, 1, 1, 3}))
                .Output("grid")
                .Run();
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  // y of a length-1 axis is 0; x runs -1, 0, 1.
  ExpectNear((*r2)[0].ToVector<float>(), {1, -1, 1, 0, 1, 1});
}

TEST(AffineGridOp, ThreeDimensionalAndErrors) {
  // theta 3 x 4 scaling z by 2: a 2 x 1 x 1 volume (D=2) has z = -0.5, 0.5 -> -1, 1.
  Tensor theta = Tensor::FromVector<float>({1, 3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0});
  auto r = OpTest("AffineGrid", 20)
               .Input("theta", theta)
               .Input("size", Tensor::FromVector<int64_t>({5}, {1, 1, 2, 1, 1}))
               .Output("grid")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 1, 1, 3}));
  ExpectNear((*r)[0].ToVector<float>(), {0, 0, -1, 0, 0, 1});
  auto mismatch = OpTest("AffineGrid", 20)
                      .Input("theta", theta)
                      .Input("size", Tensor::FromVector<int64_t>({4}, {1, 1, 2, 2}))
                      .Output("grid")
                      .Run();
  ASSERT_FALSE(mismatch.ok());
  EXPECT_TRUE(MessageHas(mismatch.status(), "'theta'"));
}

// ---------------------------------------------------------------------------------------------
// Col2Im

TEST(Col2ImOp, OverlappingBlocksSum) {
  // 1-D image of 4, block 2, stride 1 -> 3 positions. Column k holds the block offset k:
  // image[p] sums col[k][l] with l + k = p.
  Tensor cols = Tensor::FromVector<float>({1, 2, 3}, {1, 2, 3, 10, 20, 30});
  auto r = OpTest("Col2Im", 18)
               .Input("x", cols)
               .Input("image_shape", Tensor::FromVector<int64_t>({1}, {4}))
               .Input("block_shape", Tensor::FromVector<int64_t>({1}, {2}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 1, 4}));
  EXPECT_EQ((*r)[0].ToVector<float>(), (std::vector<float>{1, 12, 23, 30}));
  // 2-D with padding 1 and stride 2: 3 x 3 image, 2 x 2 blocks -> 2 x 2 positions at
  // rows/cols {-1, 1}; only in-image positions receive values.
  std::vector<float> v(16, 1.f);
  auto p = OpTest("Col2Im", 18)
               .Attr("pads", std::vector<int64_t>{1, 1, 1, 1})
               .Attr("strides", std::vector<int64_t>{2, 2})
               .Input("x", Tensor::FromVector<float>({1, 4, 4}, v))
               .Input("image_shape", Tensor::FromVector<int64_t>({2}, {3, 3}))
               .Input("block_shape", Tensor::FromVector<int64_t>({2}, {2, 2}))
               .Output("y")
               .Run();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // Block origins at -1 and 1 cover rows {-1, 0} and {1, 2}: each pixel is hit exactly once.
  EXPECT_EQ((*p)[0].ToVector<float>(), std::vector<float>(9, 1.f));
}

TEST(Col2ImOp, Errors) {
  auto wrong_l = OpTest("Col2Im", 18)
                     .Input("x", Iota({1, 2, 4}))
                     .Input("image_shape", Tensor::FromVector<int64_t>({1}, {4}))
                     .Input("block_shape", Tensor::FromVector<int64_t>({1}, {2}))
                     .Output("y")
                     .Run();
  ASSERT_FALSE(wrong_l.ok());
  EXPECT_TRUE(MessageHas(wrong_l.status(), "block positions"));
  auto bad_stride = OpTest("Col2Im", 18)
                        .Attr("strides", std::vector<int64_t>{0})
                        .Input("x", Iota({1, 2, 3}))
                        .Output("y")
                        .Load();
  ASSERT_FALSE(bad_stride.ok());
  EXPECT_TRUE(MessageHas(bad_stride.status(), "'strides'"));
}

}  // namespace
}  // namespace onnxedge
