// Copyright onnxedge authors.
// The vectorised float32 paths of non-GEMM ops (LayerNormalization, reductions, pooling,
// transpose) against naive float64 loops written here, on every ISA path this CPU has
// (ScopedMaxIsa), with sizes around the 8-lane tiles (0, 1, 7, 8, 9, ...) and large enough
// shapes that the thread pool splits the work.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

using testing::OpTest;

std::vector<float> Random(size_t n, std::mt19937& rng, float lo = -2.f, float hi = 2.f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(VectorOps, LayerNormalizationFloat32MatchesNaive) {
  std::mt19937 rng(7);
  SessionOptions opts;
  opts.intra_op_threads = 3;
  struct Case {
    Shape x;
    int64_t axis;
  };
  const Case cases[] = {{{3, 1}, -1}, {{3, 7}, -1},   {{3, 8}, -1},    {{3, 9}, -1},
                        {{2, 17}, 1}, {{4, 33}, -1},  {{2, 3, 5}, 1},  {{64, 768}, -1},
                        {{5, 0}, -1}, {{2, 2, 9}, 0}, {{300, 129}, -1}};
  for (Isa isa : AvailableIsas()) {
    ScopedMaxIsa cap(isa);
    for (const Case& c : cases) {
      const int64_t rank = static_cast<int64_t>(c.x.size());
      const size_t axis = static_cast<size_t>(c.axis < 0 ? c.axis + rank : c.axis);
      const Shape norm(c.x.begin() + static_cast<int64_t>(axis), c.x.end());
      const int64_t d = ShapeElementCount(norm), total = ShapeElementCount(c.x);
      const int64_t rows = d == 0 ? 0 : total / d;
      const auto x = Random(static_cast<size_t>(total), rng);
      const auto g = Random(static_cast<size_t>(d), rng);
      const auto b = Random(static_cast<size_t>(d), rng);
      for (bool with_bias : {false, true}) {
        OpTest t("LayerNormalization", 17);
        t.Input("x", Tensor::FromVector<float>(c.x, x))
            .ConstantInput("g", Tensor::FromVector<float>(norm, g));
        if (with_bias) t.ConstantInput("b", Tensor::FromVector<float>(norm, b));
        t.Attr("axis", c.axis).Output("y").Output("mean").Output("inv");
        auto r = t.Run(opts);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        const float* y = (*r)[0].value.tensor().data<float>();
        const float* mean = (*r)[1].value.tensor().data<float>();
        const float* inv = (*r)[2].value.tensor().data<float>();
        for (int64_t row = 0; row < rows; ++row) {
          const float* xr = x.data() + row * d;
          double m = 0, v = 0;
          for (int64_t i = 0; i < d; ++i) m += xr[i];
          m /= static_cast<double>(d);
          for (int64_t i = 0; i < d; ++i) v += (xr[i] - m) * (xr[i] - m);
          const double iv = 1 / std::sqrt(v / static_cast<double>(d) + double{1e-5f});
          ASSERT_NEAR(mean[row], m, 1e-6) << IsaName(isa);
          ASSERT_NEAR(inv[row], iv, 1e-6 * iv) << IsaName(isa);
          for (int64_t i = 0; i < d; ++i) {
            const double want = (xr[i] - m) * iv * g[static_cast<size_t>(i)] +
                                (with_bias ? b[static_cast<size_t>(i)] : 0.0);
            ASSERT_NEAR(y[row * d + i], want, 1e-5 * (1 + std::fabs(want)))
                << ShapeToString(c.x) << " axis " << c.axis << " row " << row << " i " << i << " "
                << IsaName(isa);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace onnxedge
