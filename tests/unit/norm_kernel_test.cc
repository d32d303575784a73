// Copyright onnxedge authors.
// kernels/norm: LayerNormRowF32 (plain and with the residual inputs a fused SkipLayerNorm will
// use) against a float64 reference, on every ISA path this CPU has, for row lengths around the
// 8-lane tile (0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 768, 769), rows with a large offset, and
// in place. Nothing is written past the row.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/norm.h"

namespace onnxedge {
namespace {

struct Ref {
  std::vector<double> s, y;
  double mean = 0, inv = 0;
};

Ref Reference(const std::vector<float>& x, const float* skip, const float* bias,
              const std::vector<float>& g, const float* beta, double eps) {
  Ref r;
  const size_t d = x.size();
  r.s.resize(d);
  for (size_t i = 0; i < d; ++i) {
    // The sum itself is rounded to float, as the kernel stores it.
    float v = x[i];
    if (skip) v += skip[i];
    if (bias) v += bias[i];
    r.s[i] = v;
  }
  double sum = 0;
  for (double v : r.s) sum += v;
  r.mean = d ? sum / static_cast<double>(d) : 0;
  double sq = 0;
  for (double v : r.s) sq += (v - r.mean) * (v - r.mean);
  r.inv = 1 / std::sqrt((d ? sq / static_cast<double>(d) : 0) + eps);
  r.y.resize(d);
  for (size_t i = 0; i < d; ++i) {
    r.y[i] = (r.s[i] - r.mean) * r.inv * g[i] + (beta ? beta[i] : 0.0);
  }
  return r;
}

TEST(NormKernelTest, LayerNormRowMatchesFloat64ReferenceOnEveryIsa) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  const float kGuard = -555.f;
  for (int64_t d : {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 768, 769}) {
    const size_t n = static_cast<size_t>(d);
    for (float offset : {0.f, 1000.f}) {
      std::vector<float> x(n), skip(n), bias(n), g(n), beta(n);
      for (float& v : x) v = dist(rng) + offset;
      for (float& v : skip) v = dist(rng);
      for (float& v : bias) v = dist(rng);
      for (float& v : g) v = dist(rng);
      for (float& v : beta) v = dist(rng);
      for (int variant = 0; variant < 4; ++variant) {
        const bool with_skip = variant & 1, with_beta = variant & 2;
        const Ref ref =
            Reference(x, with_skip ? skip.data() : nullptr, with_skip ? bias.data() : nullptr, g,
                      with_beta ? beta.data() : nullptr, static_cast<double>(1e-5f));
        for (Isa isa : AvailableIsas()) {
          ScopedMaxIsa cap(isa);
          for (bool in_place : {false, true}) {
            std::vector<float> y(n + 8, kGuard), sum(n + 8, kGuard);
            std::vector<float> xin = x;
            double mean = -1, inv = -1;
            kernels::LayerNormRowArgs a;
            a.x = xin.data();
            a.skip = with_skip ? skip.data() : nullptr;
            a.skip_bias = with_skip ? bias.data() : nullptr;
            a.gamma = g.data();
            a.beta = with_beta ? beta.data() : nullptr;
            a.d = d;
            a.y = in_place ? xin.data() : y.data();
            a.sum_out = with_skip ? sum.data() : nullptr;
            a.mean_out = &mean;
            a.inv_std_out = &inv;
            kernels::LayerNormRowF32(a);
            const float* out = in_place ? xin.data() : y.data();
            const std::string what = std::string(IsaName(isa)) + " d=" + std::to_string(d) +
                                     " variant " + std::to_string(variant) +
                                     (in_place ? " in place" : "");
            if (d > 0) {
              EXPECT_NEAR(mean, ref.mean, 1e-12 * (1 + std::fabs(ref.mean))) << what;
              EXPECT_NEAR(inv, ref.inv, 1e-9 * ref.inv) << what;
            }
            for (size_t i = 0; i < n; ++i) {
              // float rounding of (s - mean), of the products and of the sum: a few ulp of the
              // terms, and s - mean loses the offset's ulp (1000 -> 6e-5) times inv.
              const double tol = 4e-7 * (std::fabs(ref.y[i]) + std::fabs(g[i]) * 4 + 2) +
                                 (offset != 0.f ? 1e-4 * ref.inv * std::fabs(g[i]) : 0.0);
              ASSERT_NEAR(out[i], ref.y[i], tol) << what << " i=" << i;
              if (with_skip) {
                ASSERT_EQ(sum[i], static_cast<float>(ref.s[i])) << what;
              }
            }
            for (size_t i = n; i < n + 8; ++i) {
              ASSERT_EQ(y[i], kGuard) << what;
              ASSERT_EQ(sum[i], kGuard) << what;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace onnxedge
