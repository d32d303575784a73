// Copyright onnxedge authors.
// AVX2 + FMA micro-kernel for the f32 GEMM. Built with -mavx2 -mfma (this file only) and called
// only when cpuid reports both.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace onnxedge::kernels {

void GemmF32Avx2_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                      int nr, float alpha, bool accumulate, const GemmTileEpilogue* ep) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += kGemmMr;
    b += kGemmNr;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  __m256 rows[kGemmMr][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                             {c30, c31}, {c40, c41}, {c50, c51}};
  if (nr == kGemmNr) {
    __m256 cb0 = _mm256_setzero_ps(), cb1 = _mm256_setzero_ps();
    __m256 lo = _mm256_set1_ps(-__builtin_inff()), hi = _mm256_set1_ps(__builtin_inff());
    if (ep) {
      if (ep->col_bias) {
        cb0 = _mm256_loadu_ps(ep->col_bias);
        cb1 = _mm256_loadu_ps(ep->col_bias + 8);
      }
      lo = _mm256_set1_ps(ep->clamp_min);
      hi = _mm256_set1_ps(ep->clamp_max);
    }
    for (int r = 0; r < mr; ++r) {
      float* cr = c + r * ldc;
      __m256 v0 = _mm256_mul_ps(va, rows[r][0]);
      __m256 v1 = _mm256_mul_ps(va, rows[r][1]);
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
      }
      if (ep) {
        const __m256 rb = _mm256_set1_ps(ep->row_bias ? ep->row_bias[r] : 0.f);
        v0 = _mm256_add_ps(_mm256_add_ps(v0, rb), cb0);
        v1 = _mm256_add_ps(_mm256_add_ps(v1, rb), cb1);
        // max/min return their second operand when either is NaN: NaN propagates.
        v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
        v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
      }
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    }
    return;
  }
  alignas(32) float tmp[kGemmNr];
  for (int r = 0; r < mr; ++r) {
    _mm256_store_ps(tmp, rows[r][0]);
    _mm256_store_ps(tmp + 8, rows[r][1]);
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; ++j) {
      float v = alpha * tmp[j];
      if (accumulate) v += cr[j];
      if (ep) {
        if (ep->row_bias) v += ep->row_bias[r];
        if (ep->col_bias) v += ep->col_bias[j];
        v = v < ep->clamp_min ? ep->clamp_min : v;
        v = v > ep->clamp_max ? ep->clamp_max : v;
      }
      cr[j] = v;
    }
  }
}

}  // namespace onnxedge::kernels
