// Copyright onnxedge authors.
// AVX2 + FMA row kernel of the direct depthwise convolution. Built with -mavx2 -mfma (this
// file only) and selected only when cpuid reports both.
#include <immintrin.h>

#include "ops/conv/depthwise.h"

namespace onnxedge::ops {

namespace {

// 8 outputs starting at input index `i` with the given stride (1 or 2).
template <int kStride>
inline __m256 Load8(const float* p) {
  if constexpr (kStride == 1) {
    return _mm256_loadu_ps(p);
  } else {
    // Even elements of p[0..14]: shuffle picks {0,2,4,6} of each 128-bit lane pair, the
    // permute restores order across lanes. p[15] is not needed and may lie past the input,
    // so the second half is a masked load.
    const __m256i mask = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_maskload_ps(p + 8, mask);
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  }
}

template <int kStride>
void Rows(const float* const* rows, const float* w, int64_t n_rows, int64_t kw_n, int64_t dilation,
          int64_t offset, float bias, float* out, int64_t ow_lo, int64_t ow_hi) {
  int64_t ow = ow_lo;
  const __m256 vb = _mm256_set1_ps(bias);
  // 32 outputs per step: four independent FMA chains hide the FMA latency.
  for (; ow + 32 <= ow_hi; ow += 32) {
    __m256 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (int64_t r = 0; r < n_rows; ++r) {
      const float* src = rows[r] + ow * kStride + offset;
      const float* wr = w + r * kw_n;
      for (int64_t kw = 0; kw < kw_n; ++kw) {
        const __m256 wv = _mm256_broadcast_ss(wr + kw);
        const float* p = src + kw * dilation;
        a0 = _mm256_fmadd_ps(wv, Load8<kStride>(p), a0);
        a1 = _mm256_fmadd_ps(wv, Load8<kStride>(p + 8 * kStride), a1);
        a2 = _mm256_fmadd_ps(wv, Load8<kStride>(p + 16 * kStride), a2);
        a3 = _mm256_fmadd_ps(wv, Load8<kStride>(p + 24 * kStride), a3);
      }
    }
    _mm256_storeu_ps(out + ow, a0);
    _mm256_storeu_ps(out + ow + 8, a1);
    _mm256_storeu_ps(out + ow + 16, a2);
    _mm256_storeu_ps(out + ow + 24, a3);
  }
  for (; ow + 16 <= ow_hi; ow += 16) {
    __m256 a0 = vb, a1 = vb;
    for (int64_t r = 0; r < n_rows; ++r) {
      const float* src = rows[r] + ow * kStride + offset;
      const float* wr = w + r * kw_n;
      for (int64_t kw = 0; kw < kw_n; ++kw) {
        const __m256 wv = _mm256_broadcast_ss(wr + kw);
        const float* p = src + kw * dilation;
        a0 = _mm256_fmadd_ps(wv, Load8<kStride>(p), a0);
        a1 = _mm256_fmadd_ps(wv, Load8<kStride>(p + 8 * kStride), a1);
      }
    }
    _mm256_storeu_ps(out + ow, a0);
    _mm256_storeu_ps(out + ow + 8, a1);
  }
  // The remainder: 8 at a time, then one vector ending at ow_hi that overlaps outputs already
  // written (they are recomputed to the same values).
  for (bool last = false; ow < ow_hi; ow += 8) {
    if (ow + 8 > ow_hi) {
      if (ow_hi - ow_lo < 8 || last) break;
      ow = ow_hi - 8;
      last = true;
    }
    __m256 a0 = vb;
    for (int64_t r = 0; r < n_rows; ++r) {
      const float* src = rows[r] + ow * kStride + offset;
      const float* wr = w + r * kw_n;
      for (int64_t kw = 0; kw < kw_n; ++kw) {
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + kw), Load8<kStride>(src + kw * dilation), a0);
      }
    }
    _mm256_storeu_ps(out + ow, a0);
  }
  if (ow < ow_hi) {
    DepthwiseRowGeneric(rows, w, n_rows, kw_n, dilation, kStride, offset, bias, out, ow, ow_hi);
  }
}

}  // namespace

void DepthwiseRowAvx2(const float* const* rows, const float* w, int64_t n_rows, int64_t kw_n,
                      int64_t dilation, int64_t stride, int64_t offset, float bias, float* out,
                      int64_t ow_lo, int64_t ow_hi) {
  if (stride == 1) {
    Rows<1>(rows, w, n_rows, kw_n, dilation, offset, bias, out, ow_lo, ow_hi);
  } else if (stride == 2) {
    Rows<2>(rows, w, n_rows, kw_n, dilation, offset, bias, out, ow_lo, ow_hi);
  } else {
    DepthwiseRowGeneric(rows, w, n_rows, kw_n, dilation, stride, offset, bias, out, ow_lo, ow_hi);
  }
}

}  // namespace onnxedge::ops
