// Copyright onnxedge authors.
// AVX2 + FMA dot-product kernel of the channels-last convolution with few output channels
// (ops/conv/conv_nhwc.h, NhwcSmallMFn). Built with -mavx2 -mfma (this file only) and selected
// only when cpuid reports both.
#include <immintrin.h>

#include "ops/conv/conv_nhwc.h"

namespace onnxedge::ops {

namespace {

// Lanes [0, r) of a k tail (0 < r < 8) set.
inline __m256i TailMask(int64_t r) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(r)), idx);
}

// The sums of the 8 lanes of each of a[0..7], in order.
inline __m256 ReduceEight(const __m256* a) {
  const __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// kP pixels x 2 output channels (m, m + 1; w1 == w0 when only m is wanted): 2 * kP accumulators,
// each k step loads kP pixel vectors and 2 weight vectors. s[i * 2 + j] = pixel i, channel j.
template <int kP>
inline void Block(const float* const* a, const float* w0, const float* w1, int64_t k_n,
                  float* s) {
  __m256 acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= k_n; k += 8) {
    const __m256 v0 = _mm256_loadu_ps(w0 + k), v1 = _mm256_loadu_ps(w1 + k);
    for (int i = 0; i < kP; ++i) {
      const __m256 x = _mm256_loadu_ps(a[i] + k);
      acc[2 * i] = _mm256_fmadd_ps(x, v0, acc[2 * i]);
      acc[2 * i + 1] = _mm256_fmadd_ps(x, v1, acc[2 * i + 1]);
    }
  }
  if (k < k_n) {
    const __m256i mask = TailMask(k_n - k);
    const __m256 v0 = _mm256_maskload_ps(w0 + k, mask), v1 = _mm256_maskload_ps(w1 + k, mask);
    for (int i = 0; i < kP; ++i) {
      const __m256 x = _mm256_maskload_ps(a[i] + k, mask);
      acc[2 * i] = _mm256_fmadd_ps(x, v0, acc[2 * i]);
      acc[2 * i + 1] = _mm256_fmadd_ps(x, v1, acc[2 * i + 1]);
    }
  }
  _mm256_storeu_ps(s, ReduceEight(acc));
}

}  // namespace

void NhwcSmallMAvx2(const float* a, int64_t lda, int64_t n, int64_t k_n, const float* w,
                    int64_t m_n, const float* bias, float* y) {
  alignas(32) float s[16];  // Block<1> at pixel i stores 8 sums from s + 2 * i
  int64_t p = 0;
  for (; p < n; p += 4) {
    const int np = static_cast<int>(n - p < 4 ? n - p : 4);
    const float* rows[4];
    for (int i = 0; i < 4; ++i) rows[i] = a + (p + (i < np ? i : 0)) * lda;
    for (int64_t m = 0; m < m_n; m += 2) {
      const bool two = m + 1 < m_n;
      const float* w0 = w + m * k_n;
      const float* w1 = two ? w0 + k_n : w0;
      if (np == 4) {
        Block<4>(rows, w0, w1, k_n, s);
      } else {
        Block<1>(rows, w0, w1, k_n, s);
        for (int i = 1; i < np; ++i) Block<1>(rows + i, w0, w1, k_n, s + 2 * i);
      }
      for (int i = 0; i < np; ++i) {
        float* yp = y + (p + i) * m_n + m;
        yp[0] = s[2 * i] + (bias ? bias[m] : 0.f);
        if (two) yp[1] = s[2 * i + 1] + (bias ? bias[m + 1] : 0.f);
      }
    }
  }
}

}  // namespace onnxedge::ops
