// Copyright onnxedge authors.
// AVX2 + FMA row kernel of the direct depthwise convolution. Built with -mavx2 -mfma (this
// file only) and selected only when cpuid reports both.
#include <immintrin.h>

#include "ops/conv/depthwise.h"
#include "ops/conv/depthwise_direct_impl.h"
#include "ops/conv/depthwise_nhwc_impl.h"
#include "ops/conv/x86/simd.h"

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

namespace {

// In-place transpose of the 8x8 matrix r[0..7] (rows).
inline void Transpose8x8(__m256* r) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

}  // namespace

void DepthwiseGatherAvx2(const float* const* src, int64_t rows, int64_t cols,
                         int64_t src_row_stride, float* dst, int64_t dst_row_stride) {
  constexpr int64_t kB = kDepthwiseBlock;
  const int64_t vec_cols = cols / 8 * 8;
  for (int64_t r = 0; r < rows; ++r) {
    float* d = dst + r * dst_row_stride;
    const int64_t off = r * src_row_stride;
    for (int64_t c = 0; c < vec_cols; c += 8) {
      for (int64_t half = 0; half < 2; ++half) {
        __m256 v[8];
        for (int l = 0; l < 8; ++l) v[l] = _mm256_loadu_ps(src[half * 8 + l] + off + c);
        Transpose8x8(v);  // v[j] = pixel c + j, lanes half * 8 .. half * 8 + 7
        for (int j = 0; j < 8; ++j) _mm256_storeu_ps(d + (c + j) * kB + half * 8, v[j]);
      }
    }
    for (int64_t c = vec_cols; c < cols; ++c) {
      for (int64_t l = 0; l < kB; ++l) d[c * kB + l] = src[l][off + c];
    }
  }
}

void DepthwiseScatterAvx2(const float* src, int64_t n, float* const* dst,
                          const float* const* residual) {
  constexpr int64_t kB = kDepthwiseBlock;
  const int64_t vec_n = n / 8 * 8;
  for (int64_t p = 0; p < vec_n; p += 8) {
    for (int64_t half = 0; half < 2; ++half) {
      __m256 v[8];
      for (int j = 0; j < 8; ++j) v[j] = _mm256_loadu_ps(src + (p + j) * kB + half * 8);
      Transpose8x8(v);  // v[l] = lane half * 8 + l, pixels p .. p + 7
      for (int l = 0; l < 8; ++l) {
        const int64_t lane = half * 8 + l;
        __m256 x = v[l];
        if (residual) x = _mm256_add_ps(x, _mm256_loadu_ps(residual[lane] + p));
        _mm256_storeu_ps(dst[lane] + p, x);
      }
    }
  }
  for (int64_t p = vec_n; p < n; ++p) {
    for (int64_t l = 0; l < kB; ++l) {
      dst[l][p] = src[p * kB + l] + (residual ? residual[l][p] : 0.f);
    }
  }
}

void DepthwiseBlockAvx2(const DepthwiseBlockArgs& a) {
  constexpr int64_t kB = kDepthwiseBlock;
  const __m256 b0 = _mm256_loadu_ps(a.bias), b1 = _mm256_loadu_ps(a.bias + 8);
  const int64_t step = a.sw * kB;  // floats from one output pixel's window to the next
  for (int64_t oh = 0; oh < a.oh_n; ++oh) {
    const float* row0 = a.in + oh * a.sh * a.wp * kB;
    float* orow = a.out + oh * a.ow_n * kB;
    int64_t ow = 0;
    // 4 pixels x 16 channels: 8 independent FMA chains.
    for (; ow + 4 <= a.ow_n; ow += 4) {
      __m256 c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
      const float* base = row0 + ow * step;
      for (int64_t kh = 0; kh < a.kh_n; ++kh) {
        const float* r = base + kh * a.dh * a.wp * kB;
        const float* wr = a.w + kh * a.kw_n * kB;
        for (int64_t kw = 0; kw < a.kw_n; ++kw) {
          const __m256 w0 = _mm256_loadu_ps(wr + kw * kB), w1 = _mm256_loadu_ps(wr + kw * kB + 8);
          const float* p = r + kw * a.dw * kB;
          c00 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(p), c00);
          c01 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(p + 8), c01);
          c10 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(p + step), c10);
          c11 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(p + step + 8), c11);
          c20 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(p + 2 * step), c20);
          c21 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(p + 2 * step + 8), c21);
          c30 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(p + 3 * step), c30);
          c31 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(p + 3 * step + 8), c31);
        }
      }
      float* o = orow + ow * kB;
      _mm256_storeu_ps(o, c00);
      _mm256_storeu_ps(o + 8, c01);
      _mm256_storeu_ps(o + 16, c10);
      _mm256_storeu_ps(o + 24, c11);
      _mm256_storeu_ps(o + 32, c20);
      _mm256_storeu_ps(o + 40, c21);
      _mm256_storeu_ps(o + 48, c30);
      _mm256_storeu_ps(o + 56, c31);
    }
    for (; ow < a.ow_n; ++ow) {
      __m256 c0 = b0, c1 = b1;
      const float* base = row0 + ow * step;
      const float* wt = a.w;
      for (int64_t kh = 0; kh < a.kh_n; ++kh) {
        const float* r = base + kh * a.dh * a.wp * kB;
        for (int64_t kw = 0; kw < a.kw_n; ++kw, wt += kB) {
          const float* p = r + kw * a.dw * kB;
          c0 = _mm256_fmadd_ps(_mm256_loadu_ps(wt), _mm256_loadu_ps(p), c0);
          c1 = _mm256_fmadd_ps(_mm256_loadu_ps(wt + 8), _mm256_loadu_ps(p + 8), c1);
        }
      }
      _mm256_storeu_ps(orow + ow * kB, c0);
      _mm256_storeu_ps(orow + ow * kB + 8, c1);
    }
  }
}

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

DepthwiseDirectFn SelectDepthwiseDirectAvx2(int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
  return dw_direct::Select<simd::Avx2>(kh, kw, sh, sw);
}

DepthwiseNhwcFn SelectDepthwiseNhwcAvx2(int64_t kh, int64_t kw, int64_t sw, int64_t dw) {
  return dw_nhwc::Select<simd::Avx2>(kh, kw, sw, dw);
}

}  // namespace onnxedge::ops
