// Copyright onnxedge authors.
#include "kernels/norm.h"

#include <cmath>

#include "core/cpu_features.h"

namespace onnxedge::kernels {

void LayerNormRowF32Generic(const LayerNormRowArgs& a) {
  const int64_t d = a.d;
  const float* s = a.x;
  if (a.skip || a.skip_bias) {
    float* out = a.sum_out ? a.sum_out : a.y;
    for (int64_t i = 0; i < d; ++i) {
      float v = a.x[i];
      if (a.skip) v += a.skip[i];
      if (a.skip_bias) v += a.skip_bias[i];
      out[i] = v;
    }
    s = out;
  }
  double sum = 0;
  for (int64_t i = 0; i < d; ++i) sum += static_cast<double>(s[i]);
  const double mean = d > 0 ? sum / static_cast<double>(d) : 0.0;
  double sq = 0;
  for (int64_t i = 0; i < d; ++i) {
    const double t = static_cast<double>(s[i]) - mean;
    sq += t * t;
  }
  const double var = d > 0 ? sq / static_cast<double>(d) : 0.0;
  const double inv = 1.0 / std::sqrt(var + static_cast<double>(a.epsilon));
  if (a.mean_out) *a.mean_out = mean;
  if (a.inv_std_out) *a.inv_std_out = inv;
  const float m = static_cast<float>(mean), iv = static_cast<float>(inv);
  if (a.beta) {
    for (int64_t i = 0; i < d; ++i) a.y[i] = (s[i] - m) * iv * a.gamma[i] + a.beta[i];
  } else {
    for (int64_t i = 0; i < d; ++i) a.y[i] = (s[i] - m) * iv * a.gamma[i];
  }
}

void LayerNormRowF32(const LayerNormRowArgs& a) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) {
    LayerNormRowF32Avx2(a);
    return;
  }
#endif
  LayerNormRowF32Generic(a);
}

}  // namespace onnxedge::kernels
