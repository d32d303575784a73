// Copyright onnxedge authors.
// The direct convolution's register-block kernel (ops/conv/conv_direct.h), written once over a
// small vector interface and compiled per ISA: x86/conv_direct_avx2.cc (8 columns per vector)
// and x86/conv_direct_avx512.cc (16). Included only by those files; everything here is in an
// anonymous namespace so copies built with different flags are never merged by the linker.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/conv/conv_direct.h"

#if defined(__AVX512F__)
#include "kernels/x86/vec_math_avx512.h"
#else
#include "kernels/x86/vec_math_avx2.h"
#endif

namespace onnxedge::ops {
namespace {

#if defined(__AVX512F__)
using ActivationVec = kernels::avx512::ActivationVec;
struct Vec {
  using T = __m512;
  static constexpr int64_t kL = 16;
  static T Set1(float v) { return _mm512_set1_ps(v); }
  static T Load(const float* p) { return _mm512_loadu_ps(p); }
  static T Fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T Add(T a, T b) { return _mm512_add_ps(a, b); }
  static void Store(float* p, T v) { _mm512_storeu_ps(p, v); }
  // The first n lanes (0 < n < kL).
  struct Mask {
    __mmask16 m;
    explicit Mask(int64_t n) : m(static_cast<__mmask16>((1u << n) - 1)) {}
  };
  static T LoadMasked(const float* p, const Mask& k) { return _mm512_maskz_loadu_ps(k.m, p); }
  static void StoreMasked(float* p, T v, const Mask& k) { _mm512_mask_storeu_ps(p, k.m, v); }
  // Lanes [lo, hi) of p (clamped to the vector), zero elsewhere; masked lanes are not read.
  static T LoadRange(const float* p, int64_t lo, int64_t hi) {
    if (lo <= 0 && hi >= kL) return Load(p);
    lo = lo < 0 ? 0 : lo;
    hi = hi > kL ? kL : hi;
    if (hi <= lo) return _mm512_setzero_ps();
    const __mmask16 m = static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
    return _mm512_maskz_loadu_ps(m, p);
  }
  // Even and odd elements of the 2 * kL floats a, b.
  static void Deinterleave(T a, T b, T* even, T* odd) {
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    *even = _mm512_permutex2var_ps(a, ie, b);
    *odd = _mm512_permutex2var_ps(a, io, b);
  }
};
#else
using ActivationVec = kernels::avx2::ActivationVec;
struct Vec {
  using T = __m256;
  static constexpr int64_t kL = 8;
  static T Set1(float v) { return _mm256_set1_ps(v); }
  static T Load(const float* p) { return _mm256_loadu_ps(p); }
  static T Fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T Add(T a, T b) { return _mm256_add_ps(a, b); }
  static void Store(float* p, T v) { _mm256_storeu_ps(p, v); }
  struct Mask {
    __m256i m;
    explicit Mask(int64_t n)
        : m(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                               _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) {}
  };
  static T LoadMasked(const float* p, const Mask& k) { return _mm256_maskload_ps(p, k.m); }
  static void StoreMasked(float* p, T v, const Mask& k) { _mm256_maskstore_ps(p, k.m, v); }
  // Lanes [lo, hi) of p (clamped to the vector), zero elsewhere; masked lanes are not read.
  static T LoadRange(const float* p, int64_t lo, int64_t hi) {
    if (lo <= 0 && hi >= kL) return Load(p);
    if (hi <= lo || hi <= 0 || lo >= kL) return _mm256_setzero_ps();
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m = _mm256_and_si256(
        _mm256_cmpgt_epi32(lane, _mm256_set1_epi32(static_cast<int>(lo < 0 ? -1 : lo - 1))),
        _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(hi > kL ? kL : hi)), lane));
    return _mm256_maskload_ps(p, m);
  }
  static void Deinterleave(T a, T b, T* even, T* odd) {
    // Per 128-bit lane: [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit quarters reordered.
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
  }
};
#endif

constexpr int64_t kL = Vec::kL;

// One step: MB output channels (weight rows i0 .. i0 + MB of the block, width a.mbp) x NV
// vectors of output columns from `col` of output row r, `valid` of the MB channels stored.
template <int MB, int NV>
inline void DirectStep(const DirectBlockArgs& a, int64_t i0, int64_t valid,
                       const typename Vec::T* bias, const ActivationVec& act, int64_t r,
                       int64_t col) {
  typename Vec::T acc[MB][NV];
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < NV; ++j) acc[i][j] = bias[i];
  const float* src = a.in + r * a.wp + col;
  const float* wt = a.w + i0;
  for (int64_t t = 0; t < a.taps; ++t, wt += a.mbp) {
    const float* s = src + a.tap_off[t];
    typename Vec::T v[NV];
    for (int j = 0; j < NV; ++j) v[j] = Vec::Load(s + j * kL);
    for (int i = 0; i < MB; ++i) {
      const typename Vec::T wv = Vec::Set1(wt[i]);  // folds into the FMA's broadcast operand
      for (int j = 0; j < NV; ++j) acc[i][j] = Vec::Fma(wv, v[j], acc[i][j]);
    }
  }
  const int64_t off = i0 * a.y_ch_stride + r * a.ow + col;
  for (int i = 0; i < MB; ++i) {
    if (i >= valid) break;
    float* y = a.y + off + i * a.y_ch_stride;
    const float* z = a.residual ? a.residual + off + i * a.y_ch_stride : nullptr;
    for (int j = 0; j < NV; ++j) {
      const int64_t left = a.ow - col - j * kL;
      typename Vec::T out = acc[i][j];
      if (left >= kL) {
        if (z) out = Vec::Add(out, Vec::Load(z + j * kL));
        Vec::Store(y + j * kL, act.Apply(out));
      } else if (left > 0) {
        const typename Vec::Mask k(left);
        if (z) out = Vec::Add(out, Vec::LoadMasked(z + j * kL, k));
        Vec::StoreMasked(y + j * kL, act.Apply(out), k);
      }
    }
  }
}

// Channels [i0, i0 + MB) of the block over every row and column: steps of NV vectors, the
// last step with only as many vectors as columns remain (masked stores past OW), so no load
// reaches past RoundUp(OW, kL) plus the taps' column offsets.
template <int MB, int NV>
void DirectSteps(const DirectBlockArgs& a, int64_t i0) {
  static_assert(MB * NV <= (kL == 16 ? 24 : 12), "accumulators must fit the register file");
  static_assert(kL <= kDirectMaxVector, "the phase rows are padded for this vector width");
  const int64_t valid = a.mb_valid - i0 < MB ? a.mb_valid - i0 : MB;
  if (valid <= 0) return;
  // Piecewise-linear activations in registers; Sigmoid and SiLU are the caller's (vecmath.h).
  const ActivationVec act(kernels::IsTranscendental(a.activation.kind) ? kernels::Activation::None()
                                                                       : a.activation);
  typename Vec::T bias[MB];
  for (int i = 0; i < MB; ++i) bias[i] = Vec::Set1(a.bias && i < valid ? a.bias[i0 + i] : 0.f);
  const int64_t step = NV * kL;
  const int64_t full = a.ow / step * step;
  const int64_t tail_vecs = (a.ow - full + kL - 1) / kL;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t col = 0; col < full; col += step)
      DirectStep<MB, NV>(a, i0, valid, bias, act, r, col);
    if (tail_vecs == 0) continue;
    if (tail_vecs == NV) {
      DirectStep<MB, NV>(a, i0, valid, bias, act, r, full);
      continue;
    }
    if constexpr (NV >= 4) {
      if (tail_vecs == 3) {
        DirectStep<MB, 3>(a, i0, valid, bias, act, r, full);
        continue;
      }
    }
    if constexpr (NV >= 3) {
      if (tail_vecs == 2) {
        DirectStep<MB, 2>(a, i0, valid, bias, act, r, full);
        continue;
      }
    }
    DirectStep<MB, 1>(a, i0, valid, bias, act, r, full);
  }
}

// Register blocks per ISA. Per tap a step loads NV input vectors and broadcasts MB weights (the
// broadcasts are loads too), for MB x NV FMAs: blocks with MB x NV well above MB + NV keep the
// FMA units, not the load ports, the limit.
void DirectBlock(const DirectBlockArgs& a) {
#if defined(__AVX512F__)
  // 32 registers: 24 accumulators.
  switch (a.mbp) {
    case 16:
      DirectSteps<8, 3>(a, 0);
      DirectSteps<8, 3>(a, 8);
      break;
    case 12:
      DirectSteps<12, 2>(a, 0);
      break;
    case 8:
      DirectSteps<8, 3>(a, 0);
      break;
    default:
      DirectSteps<4, 4>(a, 0);
      break;
  }
#else
  // 16 registers: 12 accumulators, 4 channels x 3 vectors.
  for (int64_t i0 = 0; i0 < a.mbp; i0 += 4) DirectSteps<4, 3>(a, i0);
#endif
}

// The phase rows of one input row (DirectPhaseRowsFn, strides 1 and 2): with xp[t] = x[t - pl]
// (zero outside [0, iw_n)), dst[q][j] = xp[sw * j + q] for j < wp. Loads are masked to the
// row, so nothing outside it is read.
void DirectPhaseRows(const float* x, int64_t iw_n, int64_t pl, int64_t sw, float* const* dst,
                     int64_t wp) {
  if (sw == 1) {
    for (int64_t j = 0; j < wp; j += kL) {
      Vec::Store(dst[0] + j, Vec::LoadRange(x + j - pl, pl - j, iw_n + pl - j));
    }
    return;
  }
  for (int64_t j = 0; j < wp; j += kL) {
    const int64_t t = 2 * j - pl;  // x index of lane 0 of the first load
    const typename Vec::T a = Vec::LoadRange(x + t, -t, iw_n - t);
    const typename Vec::T b = Vec::LoadRange(x + t + kL, -t - kL, iw_n - t - kL);
    typename Vec::T even, odd;
    Vec::Deinterleave(a, b, &even, &odd);
    Vec::Store(dst[0] + j, even);
    Vec::Store(dst[1] + j, odd);
  }
}

}  // namespace
}  // namespace onnxedge::ops
