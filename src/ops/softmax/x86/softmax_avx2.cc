// Copyright onnxedge authors.
// AVX2 + FMA kernels for float32 Softmax / LogSoftmax: contiguous rows, and the exponentials
// of the strided (non-last axis) case. Built with
// -mavx2 -mfma (this file only) and called only when cpuid reports both.
//
// exp uses the Cephes single-precision scheme (range reduction by ln 2 split in two constants,
// degree-5 polynomial, scaling by 2^n through the exponent bits): about 1 ulp on the range that
// matters here, x - max <= 0. Inputs below -88.37 flush to 0, which softmax cannot tell from
// the true value (< 1e-38 next to a sum >= 1). NaN stays NaN.
#include <immintrin.h>

#include <cmath>

#include "ops/common/softmax_util.h"

namespace onnxedge::ops {

namespace {

inline __m256 Exp256(__m256 x) {
  // min/max return their second operand when either is NaN: keep x second so NaN survives.
  x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-88.3762626647949f), x);
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, z, x);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.f));
  __m256i e = _mm256_cvttps_epi32(fx);
  e = _mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

inline float HorizontalMax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// Lane mask for the last `rem` (1..7) elements.
inline __m256i TailMask(int64_t rem) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rem)), idx);
}

void Row(const float* x, float* y, int64_t n, bool log) {
  const int64_t n8 = n & ~int64_t{7};
  const int64_t rem = n - n8;
  const __m256i tail = TailMask(rem);
  // Maximum (NaN is caught later: exp(NaN - m) poisons the sum).
  float m = -INFINITY;
  {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
      m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
    }
    if (i < n8) m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
    m = HorizontalMax(_mm256_max_ps(m0, m1));
    for (int64_t j = n8; j < n; ++j) m = x[j] > m ? x[j] : m;
  }
  const __m256 vm = _mm256_set1_ps(m);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  if (log) {
    for (; i + 16 <= n; i += 16) {
      s0 = _mm256_add_ps(s0, Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
      s1 = _mm256_add_ps(s1, Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm)));
    }
    if (i < n8) s0 = _mm256_add_ps(s0, Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
    if (rem) {
      const __m256 e = Exp256(_mm256_sub_ps(_mm256_maskload_ps(x + n8, tail), vm));
      s0 = _mm256_add_ps(s0, _mm256_and_ps(e, _mm256_castsi256_ps(tail)));
    }
    // (x - m) - log(sum): x - m is exact near the maximum, so only the small log term rounds.
    const __m256 vl = _mm256_set1_ps(std::log(HorizontalSum(_mm256_add_ps(s0, s1))));
    for (i = 0; i < n8; i += 8) {
      _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vl));
    }
    if (rem) {
      const __m256 v = _mm256_sub_ps(_mm256_maskload_ps(x + n8, tail), vm);
      _mm256_maskstore_ps(y + n8, tail, _mm256_sub_ps(v, vl));
    }
    return;
  }
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    const __m256 e1 = Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm));
    _mm256_storeu_ps(y + i, e0);
    _mm256_storeu_ps(y + i + 8, e1);
    s0 = _mm256_add_ps(s0, e0);
    s1 = _mm256_add_ps(s1, e1);
  }
  if (i < n8) {
    const __m256 e = Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(y + i, e);
    s0 = _mm256_add_ps(s0, e);
  }
  if (rem) {
    const __m256 e = _mm256_and_ps(Exp256(_mm256_sub_ps(_mm256_maskload_ps(x + n8, tail), vm)),
                                   _mm256_castsi256_ps(tail));
    _mm256_maskstore_ps(y + n8, tail, e);
    s0 = _mm256_add_ps(s0, e);
  }
  const __m256 inv = _mm256_set1_ps(1.f / HorizontalSum(_mm256_add_ps(s0, s1)));
  for (i = 0; i < n8; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  if (rem) {
    _mm256_maskstore_ps(y + n8, tail, _mm256_mul_ps(_mm256_maskload_ps(y + n8, tail), inv));
  }
}

}  // namespace

void ExpShiftAccumulateF32Avx2(const float* x, const float* m, float* e, float* s, int64_t w) {
  int64_t j = 0;
  for (; j + 8 <= w; j += 8) {
    const __m256 v = Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(m + j)));
    _mm256_storeu_ps(s + j, _mm256_add_ps(_mm256_loadu_ps(s + j), v));
    if (e) _mm256_storeu_ps(e + j, v);
  }
  if (j < w) {
    const __m256i tail = TailMask(w - j);
    const __m256 v =
        Exp256(_mm256_sub_ps(_mm256_maskload_ps(x + j, tail), _mm256_maskload_ps(m + j, tail)));
    _mm256_maskstore_ps(s + j, tail, _mm256_add_ps(_mm256_maskload_ps(s + j, tail), v));
    if (e) _mm256_maskstore_ps(e + j, tail, v);
  }
}

void SoftmaxRowsF32Avx2(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r) Row(x + r * n, y + r * n, n, log);
}

}  // namespace onnxedge::ops
