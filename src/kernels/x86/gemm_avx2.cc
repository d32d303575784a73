// Copyright onnxedge authors.
// AVX2 + FMA micro-kernel for the f32 GEMM. Built with -mavx2 -mfma (this file only) and called
// only when cpuid reports both.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace onnxedge::kernels {

void GemmF32Avx2_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                      int nr, float alpha) {
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
    for (int r = 0; r < mr; ++r) {
      float* cr = c + r * ldc;
      _mm256_storeu_ps(cr, _mm256_fmadd_ps(va, rows[r][0], _mm256_loadu_ps(cr)));
      _mm256_storeu_ps(cr + 8, _mm256_fmadd_ps(va, rows[r][1], _mm256_loadu_ps(cr + 8)));
    }
    return;
  }
  alignas(32) float tmp[kGemmNr];
  for (int r = 0; r < mr; ++r) {
    _mm256_store_ps(tmp, rows[r][0]);
    _mm256_store_ps(tmp + 8, rows[r][1]);
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; ++j) cr[j] += alpha * tmp[j];
  }
}

}  // namespace onnxedge::kernels
