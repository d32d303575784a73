// Copyright onnxedge authors.
// AVX-512F kernel for float32 Softmax / LogSoftmax over contiguous rows: the algorithm of
// softmax_avx2.cc (same exp polynomial and range reduction, so each exponential is the same
// float) on 16 lanes, with masked loads and stores for the row tail. Only the order of the
// partial sums differs. Built with -mavx512f (this file only); called only when
// MaxIsa() >= kAvx512. Attention's rows of 128 keys (BERT-base: 12 heads x 128 rows a layer)
// are its main user.
// GCC 12 warns about the intentionally undefined upper lanes inside its own intrinsics headers.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cmath>

#include "ops/common/softmax_util.h"

namespace onnxedge::ops {

namespace {

inline __m512 Exp512(__m512 x) {
  // min/max return their second operand when either is NaN: keep x second so NaN survives.
  x = _mm512_min_ps(_mm512_set1_ps(88.3762626647949f), x);
  x = _mm512_max_ps(_mm512_set1_ps(-88.3762626647949f), x);
  __m512 fx = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f));
  fx = _mm512_roundscale_ps(fx, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), x);
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_fmadd_ps(y, z, x);
  y = _mm512_add_ps(y, _mm512_set1_ps(1.f));
  __m512i e = _mm512_cvttps_epi32(fx);
  e = _mm512_slli_epi32(_mm512_add_epi32(e, _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(e));
}

void Row(const float* x, float* y, int64_t n, bool log) {
  const int64_t n16 = n & ~int64_t{15};
  const int64_t rem = n - n16;
  const __mmask16 tail = static_cast<__mmask16>((1u << rem) - 1u);
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  // Maximum (NaN is caught later: exp(NaN - m) poisons the sum).
  __m512 m0 = ninf, m1 = ninf;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
  }
  if (i < n16) m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
  if (rem) m1 = _mm512_max_ps(m1, _mm512_mask_loadu_ps(ninf, tail, x + n16));
  const float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
  const __m512 vm = _mm512_set1_ps(m);
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  i = 0;
  if (log) {
    for (; i + 32 <= n; i += 32) {
      s0 = _mm512_add_ps(s0, Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm)));
      s1 = _mm512_add_ps(s1, Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm)));
    }
    if (i < n16) s0 = _mm512_add_ps(s0, Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm)));
    if (rem) {
      const __m512 e = Exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + n16), vm));
      s1 = _mm512_mask_add_ps(s1, tail, s1, e);
    }
    // (x - m) - log(sum): x - m is exact near the maximum, so only the small log term rounds.
    const __m512 vl = _mm512_set1_ps(std::log(_mm512_reduce_add_ps(_mm512_add_ps(s0, s1))));
    for (i = 0; i < n16; i += 16) {
      _mm512_storeu_ps(y + i, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm), vl));
    }
    if (rem) {
      const __m512 v = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + n16), vm);
      _mm512_mask_storeu_ps(y + n16, tail, _mm512_sub_ps(v, vl));
    }
    return;
  }
  for (; i + 32 <= n; i += 32) {
    const __m512 e0 = Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
    const __m512 e1 = Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm));
    _mm512_storeu_ps(y + i, e0);
    _mm512_storeu_ps(y + i + 16, e1);
    s0 = _mm512_add_ps(s0, e0);
    s1 = _mm512_add_ps(s1, e1);
  }
  if (i < n16) {
    const __m512 e = Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
    _mm512_storeu_ps(y + i, e);
    s0 = _mm512_add_ps(s0, e);
  }
  if (rem) {
    const __m512 e =
        _mm512_maskz_mov_ps(tail, Exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + n16), vm)));
    _mm512_mask_storeu_ps(y + n16, tail, e);
    s1 = _mm512_add_ps(s1, e);
  }
  const __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(_mm512_add_ps(s0, s1)));
  for (i = 0; i < n16; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), inv));
  if (rem) {
    _mm512_mask_storeu_ps(y + n16, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, y + n16), inv));
  }
}

}  // namespace

void SoftmaxRowsF32Avx512(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r) Row(x + r * n, y + r * n, n, log);
}

}  // namespace onnxedge::ops
