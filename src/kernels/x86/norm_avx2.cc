// Copyright onnxedge authors.
// AVX2+FMA path of kernels/norm.h. Built with -mavx2 -mfma (this file only); called only when
// MaxIsa() >= kAvx2. Statistics accumulate in float64 (4 lanes x 4 chains: with 2 chains the
// two passes waited on the 4-cycle add latency; a 768-wide row took 0.6 us), so they round like
// the portable path's up to the order of the additions.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/norm.h"

namespace onnxedge::kernels {

namespace {

inline double HorizontalSum(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

// acc0 += float64(v[0..3]), acc1 += float64(v[4..7]).
inline void AddWide(__m256 v, __m256d& acc0, __m256d& acc1) {
  acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

}  // namespace

void LayerNormRowF32Avx2(const LayerNormRowArgs& a) {
  const int64_t d = a.d;
  const int64_t d8 = d & ~int64_t{7};
  const float* s = a.x;
  // Chains 0-1 take even blocks of 8, chains 2-3 odd ones.
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  __m256d s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
  double tail = 0;
  if (a.skip || a.skip_bias) {
    float* out = a.sum_out ? a.sum_out : a.y;
    auto sum8 = [&](int64_t i) {
      __m256 v = _mm256_loadu_ps(a.x + i);
      if (a.skip) v = _mm256_add_ps(v, _mm256_loadu_ps(a.skip + i));
      if (a.skip_bias) v = _mm256_add_ps(v, _mm256_loadu_ps(a.skip_bias + i));
      _mm256_storeu_ps(out + i, v);
      return v;
    };
    int64_t i = 0;
    for (; i + 16 <= d8; i += 16) {
      AddWide(sum8(i), s0, s1);
      AddWide(sum8(i + 8), s2, s3);
    }
    if (i < d8) AddWide(sum8(i), s0, s1);
    for (int64_t i = d8; i < d; ++i) {
      float v = a.x[i];
      if (a.skip) v += a.skip[i];
      if (a.skip_bias) v += a.skip_bias[i];
      out[i] = v;
      tail += static_cast<double>(v);
    }
    s = out;
  } else {
    int64_t i = 0;
    for (; i + 16 <= d8; i += 16) {
      AddWide(_mm256_loadu_ps(s + i), s0, s1);
      AddWide(_mm256_loadu_ps(s + i + 8), s2, s3);
    }
    if (i < d8) AddWide(_mm256_loadu_ps(s + i), s0, s1);
    for (int64_t i = d8; i < d; ++i) tail += static_cast<double>(s[i]);
  }
  const double mean =
      d > 0 ? (HorizontalSum(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3))) + tail) /
                  static_cast<double>(d)
            : 0.0;
  const __m256d vmd = _mm256_set1_pd(mean);
  __m256d q0 = _mm256_setzero_pd(), q1 = _mm256_setzero_pd();
  __m256d q2 = _mm256_setzero_pd(), q3 = _mm256_setzero_pd();
  auto square8 = [&](int64_t i, __m256d& qa, __m256d& qb) {
    const __m256 v = _mm256_loadu_ps(s + i);
    const __m256d t0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), vmd);
    const __m256d t1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), vmd);
    qa = _mm256_fmadd_pd(t0, t0, qa);
    qb = _mm256_fmadd_pd(t1, t1, qb);
  };
  {
    int64_t i = 0;
    for (; i + 16 <= d8; i += 16) {
      square8(i, q0, q1);
      square8(i + 8, q2, q3);
    }
    if (i < d8) square8(i, q0, q1);
  }
  double qt = 0;
  for (int64_t i = d8; i < d; ++i) {
    const double t = static_cast<double>(s[i]) - mean;
    qt += t * t;
  }
  const double var =
      d > 0 ? (HorizontalSum(_mm256_add_pd(_mm256_add_pd(q0, q1), _mm256_add_pd(q2, q3))) + qt) /
                  static_cast<double>(d)
            : 0.0;
  const double inv = 1.0 / std::sqrt(var + static_cast<double>(a.epsilon));
  if (a.mean_out) *a.mean_out = mean;
  if (a.inv_std_out) *a.inv_std_out = inv;
  const float m = static_cast<float>(mean), iv = static_cast<float>(inv);
  const __m256 vm = _mm256_set1_ps(m), viv = _mm256_set1_ps(iv);
  if (a.beta) {
    for (int64_t i = 0; i < d8; i += 8) {
      const __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(s + i), vm), viv);
      _mm256_storeu_ps(
          a.y + i, _mm256_fmadd_ps(t, _mm256_loadu_ps(a.gamma + i), _mm256_loadu_ps(a.beta + i)));
    }
    for (int64_t i = d8; i < d; ++i) a.y[i] = std::fma((s[i] - m) * iv, a.gamma[i], a.beta[i]);
  } else {
    for (int64_t i = 0; i < d8; i += 8) {
      const __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(s + i), vm), viv);
      _mm256_storeu_ps(a.y + i, _mm256_mul_ps(t, _mm256_loadu_ps(a.gamma + i)));
    }
    for (int64_t i = d8; i < d; ++i) a.y[i] = (s[i] - m) * iv * a.gamma[i];
  }
}

}  // namespace onnxedge::kernels
