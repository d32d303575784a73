// Copyright onnxedge authors.
// The Winograd F(4x4, 3x3) input and output transforms (ops/conv/winograd.h), written once as
// plain loops over kWinoLanes channels that the compiler vectorizes: winograd.cc compiles them
// for the baseline ISA, x86/winograd_avx2.cc and x86/winograd_avx512.cc with their ISA flags,
// arm/winograd_neon.cc for NEON. Every instantiation lives in an anonymous namespace (this
// header is included only by those files), so code built with -mavx512f is never merged with
// the baseline copy by the linker.
//
// Transforms (Lavin & Gray's F(4x4, 3x3), interpolation points 0, +-1, +-2, infinity):
//   input   V = B^T d B   (d: a 6x6 input patch)   B^T rows:
//             [4  0 -5  0  1  0] [0 -4 -4  1  1  0] [0  4 -4 -1  1  0]
//             [0 -2 -1  2  1  0] [0  2 -1 -2  1  0] [0  4  0 -5  0  1]
//   output  Y = A^T M A   (M: the 6x6 products)     A^T rows:
//             [1 1 1 1 1 0] [0 1 -1 2 -2 0] [0 1 1 4 4 0] [0 1 -1 8 -8 1]
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ops/conv/winograd.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace onnxedge::ops {
namespace {

constexpr int kL = kWinoLanes;

// dst[l * 6 + r] = src[r * kL + l] for l < cb, r < 6: one point's 6 tiles x cb channels into
// the GEMM sliver layout.
inline void Interleave6(const float* src, int64_t cb, float* dst) {
#if defined(__AVX512F__)
  static_assert(kL == 16 && kWinoSliver == 6, "the shuffles assume 6 rows of 16 lanes");
  if (cb == kL) {
    // Pairs (row 2s, row 2s + 1) per channel: p[s][h] holds channels 8h..8h+7 as 64-bit units.
    alignas(64) static constexpr int32_t kLo[16] = {0, 16, 1, 17, 2, 18, 3, 19,
                                                    4, 20, 5, 21, 6, 22, 7, 23};
    alignas(64) static constexpr int32_t kHi[16] = {8,  24, 9,  25, 10, 26, 11, 27,
                                                    12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i lo = _mm512_load_si512(kLo), hi = _mm512_load_si512(kHi);
    __m512d p[3][2];
    for (int s = 0; s < 3; ++s) {
      const __m512 a = _mm512_loadu_ps(src + 2 * s * kL), b = _mm512_loadu_ps(src + (2 * s + 1) * kL);
      p[s][0] = _mm512_castps_pd(_mm512_permutex2var_ps(a, lo, b));
      p[s][1] = _mm512_castps_pd(_mm512_permutex2var_ps(a, hi, b));
    }
    // Output vector k (8 units u = 8 (k % 3) + i of half k / 3) takes unit u / 3 of p[u % 3].
    // First from p[0] and p[1] (indices 0-7 and 8-15), then p[2] merged under a mask.
    alignas(64) static constexpr int64_t kIdx01[3][8] = {{0, 8, 0, 1, 9, 0, 2, 10},
                                                         {0, 3, 11, 0, 4, 12, 0, 5},
                                                         {13, 0, 6, 14, 0, 7, 15, 0}};
    alignas(64) static constexpr int64_t kIdx2[3][8] = {{0, 0, 0, 0, 0, 1, 0, 0},
                                                        {2, 0, 0, 3, 0, 0, 4, 0},
                                                        {0, 5, 0, 0, 6, 0, 0, 7}};
    static constexpr __mmask8 kMask2[3] = {0x24, 0x49, 0x92};
    for (int k = 0; k < 6; ++k) {
      const int h = k / 3, kk = k % 3;
      const __m512d t = _mm512_permutex2var_pd(p[0][h], _mm512_load_si512(kIdx01[kk]), p[1][h]);
      const __m512d o =
          _mm512_mask_permutexvar_pd(t, kMask2[kk], _mm512_load_si512(kIdx2[kk]), p[2][h]);
      _mm512_storeu_pd(reinterpret_cast<double*>(dst + 16 * k), o);
    }
    return;
  }
#endif
  for (int64_t l = 0; l < cb; ++l) {
    for (int r = 0; r < kWinoSliver; ++r) dst[l * kWinoSliver + r] = src[r * kL + l];
  }
}

// One 1-D input transform over kL lanes: out[i * os] = (B^T in)[i], in[k * is].
inline void InputLine(const float* in, int64_t is, float* out, int64_t os) {
  const float* d0 = in;
  const float* d1 = in + is;
  const float* d2 = in + 2 * is;
  const float* d3 = in + 3 * is;
  const float* d4 = in + 4 * is;
  const float* d5 = in + 5 * is;
  float* o0 = out;
  float* o1 = out + os;
  float* o2 = out + 2 * os;
  float* o3 = out + 3 * os;
  float* o4 = out + 4 * os;
  float* o5 = out + 5 * os;
  for (int l = 0; l < kL; ++l) {
    const float a = d4[l] - 4.f * d2[l];  // d4 - 4 d2
    const float b = d3[l] - 4.f * d1[l];  // d3 - 4 d1
    const float c = d4[l] - d2[l];
    const float e = 2.f * (d3[l] - d1[l]);
    o0[l] = 4.f * d0[l] - 5.f * d2[l] + d4[l];
    o1[l] = a + b;
    o2[l] = a - b;
    o3[l] = c + e;
    o4[l] = c - e;
    o5[l] = 4.f * d1[l] - 5.f * d3[l] + d5[l];
  }
}

// One 1-D output transform over kL lanes: out[i * os] = (A^T in)[i], i < 4.
inline void OutputLine(const float* in, int64_t is, float* out, int64_t os) {
  const float* m0 = in;
  const float* m1 = in + is;
  const float* m2 = in + 2 * is;
  const float* m3 = in + 3 * is;
  const float* m4 = in + 4 * is;
  const float* m5 = in + 5 * is;
  float* o0 = out;
  float* o1 = out + os;
  float* o2 = out + 2 * os;
  float* o3 = out + 3 * os;
  for (int l = 0; l < kL; ++l) {
    const float s12 = m1[l] + m2[l], d12 = m1[l] - m2[l];
    const float s34 = m3[l] + m4[l], d34 = m3[l] - m4[l];
    o0[l] = m0[l] + s12 + s34;
    o1[l] = d12 + 2.f * d34;
    o2[l] = s12 + 4.f * s34;
    o3[l] = d12 + 8.f * d34 + m5[l];
  }
}

// See WinogradInputFn (winograd.h).
void InputSliverImpl(const WinoInputJob& j) {
  // Per channel block: each tile's 6x6 patch (zeros outside the image) -> B^T d B into
  // res[xi][r][kL], then interleaved into the sliver layout (channel-major, 6 tiles per channel).
  alignas(64) float patch[36 * kL];
  alignas(64) float tmp[36 * kL];
  alignas(64) float res[36 * kWinoSliver * kL];
  const int64_t c_total = j.c;
  for (int64_t c0 = 0; c0 < c_total; c0 += kL) {
    const int64_t cb = std::min<int64_t>(kL, c_total - c0);
    for (int r = 0; r < kWinoSliver; ++r) {
      float* out = res + r * kL;  // xi stride kWinoSliver * kL
      if (r >= j.rows) {
        for (int xi = 0; xi < 36; ++xi) std::memset(out + xi * kWinoSliver * kL, 0, sizeof(float) * kL);
        continue;
      }
      const int64_t ih0 = j.ih0[r], iw0 = j.iw0[r];
      const float* img = j.x[r];
      const bool inside = ih0 >= 0 && iw0 >= 0 && ih0 + 6 <= j.h && iw0 + 6 <= j.w && cb == kL;
      for (int a = 0; a < 6; ++a) {
        const int64_t ih = ih0 + a;
        for (int b = 0; b < 6; ++b) {
          const int64_t iw = iw0 + b;
          float* p = patch + (a * 6 + b) * kL;
          if (inside) {
            std::memcpy(p, img + (ih * j.w + iw) * c_total + c0, sizeof(float) * kL);
          } else if (ih < 0 || ih >= j.h || iw < 0 || iw >= j.w) {
            std::memset(p, 0, sizeof(float) * kL);
          } else {
            const float* s = img + (ih * j.w + iw) * c_total + c0;
            int64_t l = 0;
            for (; l < cb; ++l) p[l] = s[l];
            for (; l < kL; ++l) p[l] = 0.f;
          }
        }
      }
      // Columns (over rows a), then rows (over columns b).
      for (int b = 0; b < 6; ++b) InputLine(patch + b * kL, 6 * kL, tmp + b * kL, 6 * kL);
      for (int a = 0; a < 6; ++a) {
        InputLine(tmp + a * 6 * kL, kL, out + a * 6 * kWinoSliver * kL, kWinoSliver * kL);
      }
    }
    // Interleave: v[xi][c0 + l][r] = res[xi][r][l].
    for (int xi = 0; xi < 36; ++xi) {
      Interleave6(res + xi * kWinoSliver * kL, cb, j.v + xi * j.v_xi_stride + c0 * kWinoSliver);
    }
  }
}

// See WinogradTransposeFn (winograd.h): 8x8 blocks, in registers with AVX2.
void TransposeImpl(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst,
                   int64_t ld_dst) {
  constexpr int64_t kB = 8;
  for (int64_t i0 = 0; i0 < rows; i0 += kB) {
    const int64_t i1 = std::min(rows, i0 + kB);
    int64_t j0 = 0;
#if defined(__AVX2__)
    if (i1 - i0 == kB) {
      for (; j0 + kB <= cols; j0 += kB) {
        const float* s = src + i0 * ld_src + j0;
        __m256 r[8], t[8];
        for (int q = 0; q < 8; ++q) r[q] = _mm256_loadu_ps(s + q * ld_src);
        for (int q = 0; q < 8; q += 2) {
          t[q] = _mm256_unpacklo_ps(r[q], r[q + 1]);
          t[q + 1] = _mm256_unpackhi_ps(r[q], r[q + 1]);
        }
        for (int q = 0; q < 8; q += 4) {
          r[q] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(1, 0, 1, 0));
          r[q + 1] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(3, 2, 3, 2));
          r[q + 2] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(1, 0, 1, 0));
          r[q + 3] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(3, 2, 3, 2));
        }
        float* d = dst + j0 * ld_dst + i0;
        for (int q = 0; q < 4; ++q) {
          _mm256_storeu_ps(d + q * ld_dst, _mm256_permute2f128_ps(r[q], r[q + 4], 0x20));
          _mm256_storeu_ps(d + (q + 4) * ld_dst, _mm256_permute2f128_ps(r[q], r[q + 4], 0x31));
        }
      }
    }
#endif
    for (; j0 < cols; j0 += kB) {
      const int64_t j1 = std::min(cols, j0 + kB);
      for (int64_t j = j0; j < j1; ++j) {
        for (int64_t i = i0; i < i1; ++i) dst[j * ld_dst + i] = src[i * ld_src + j];
      }
    }
  }
}

// See WinogradOutputFn (winograd.h).
void OutputTileImpl(const WinoOutputJob& j) {
  alignas(64) float mm[36 * kL];
  alignas(64) float tmp[24 * kL];
  alignas(64) float out[16 * kL];
  const int64_t m_total = j.m;
  for (int64_t m0 = 0; m0 < m_total; m0 += kL) {
    const int64_t mb = std::min<int64_t>(kL, m_total - m0);
    for (int xi = 0; xi < 36; ++xi) {
      const float* s = j.o + xi * j.o_xi_stride + m0;
      float* d = mm + xi * kL;
      if (mb == kL) {
        std::memcpy(d, s, sizeof(float) * kL);
      } else {
        int64_t l = 0;
        for (; l < mb; ++l) d[l] = s[l];
        for (; l < kL; ++l) d[l] = 0.f;
      }
    }
    // Columns (over rows a) -> tmp[4][6], then rows -> out[4][4].
    for (int b = 0; b < 6; ++b) OutputLine(mm + b * kL, 6 * kL, tmp + b * kL, 6 * kL);
    for (int a = 0; a < 4; ++a) OutputLine(tmp + a * 6 * kL, kL, out + a * 4 * kL, kL);
    if (j.plane_stride > 0) {
      // NCHW: bias on all 16 pixels, transpose to [channel][pixel] in L1, add the residual,
      // activate the block at once, then store rows of up to 4 pixels per channel.
      if (j.bias) {
        alignas(64) float bv[kL] = {};
        for (int64_t l = 0; l < mb; ++l) bv[l] = j.bias[m0 + l];
        for (int p = 0; p < 16; ++p) {
          for (int l = 0; l < kL; ++l) out[p * kL + l] += bv[l];
        }
      }
      alignas(64) float outt[kL * 16];
      TransposeImpl(out, kL, 16, kL, outt, 16);
      if (j.residual) {
        for (int64_t l = 0; l < mb; ++l) {
          const float* z = j.residual + (m0 + l) * j.plane_stride;
          for (int a = 0; a < j.rows; ++a) {
            for (int b = 0; b < j.cols; ++b) outt[l * 16 + a * 4 + b] += z[a * j.y_row_stride + b];
          }
        }
      }
      if (j.activation && !j.activation->is_none()) {
        kernels::ApplyActivation(outt, static_cast<long>(mb * 16), *j.activation);
      }
      for (int64_t l = 0; l < mb; ++l) {
        float* y = j.y + (m0 + l) * j.plane_stride;
        for (int a = 0; a < j.rows; ++a) {
          std::memcpy(y + a * j.y_row_stride, outt + l * 16 + a * 4,
                      sizeof(float) * static_cast<size_t>(j.cols));
        }
      }
      continue;
    }
    for (int a = 0; a < j.rows; ++a) {
      for (int b = 0; b < j.cols; ++b) {
        float* o = out + (a * 4 + b) * kL;
        if (j.bias) {
          const float* bv = j.bias + m0;
          if (mb == kL) {
            for (int l = 0; l < kL; ++l) o[l] += bv[l];
          } else {
            for (int64_t l = 0; l < mb; ++l) o[l] += bv[l];
          }
        }
        const int64_t off = a * j.y_row_stride + b * m_total + m0;
        if (j.residual) {
          const float* z = j.residual + off;
          if (mb == kL) {
            for (int l = 0; l < kL; ++l) o[l] += z[l];
          } else {
            for (int64_t l = 0; l < mb; ++l) o[l] += z[l];
          }
        }
        float* y = j.y + off;
        if (mb == kL) {
          std::memcpy(y, o, sizeof(float) * kL);
        } else {
          for (int64_t l = 0; l < mb; ++l) y[l] = o[l];
        }
      }
    }
  }
}

constexpr WinogradTransforms kTransforms = {InputSliverImpl, OutputTileImpl, TransposeImpl};

}  // namespace
}  // namespace onnxedge::ops
