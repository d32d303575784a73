// Copyright onnxedge authors.
// The direct convolution's register-block kernel (ops/conv/conv_direct.h), written once over a
// small vector interface (ops/conv/x86/simd.h) and compiled per ISA: x86/conv_direct_avx2.cc (8 columns per vector)
// and x86/conv_direct_avx512.cc (16). Included only by those files; everything here is in an
// anonymous namespace so copies built with different flags are never merged by the linker.
#pragma once

#include <cstdint>

#include "ops/conv/conv_direct.h"
#include "ops/conv/x86/simd.h"

namespace onnxedge::ops {
namespace {

using Vec = simd::Native;
using ActivationVec = Vec::ActivationVec;

constexpr int64_t kL = Vec::kLanes;

// Lanes [lo, hi) of p (clamped to the vector), zero elsewhere; masked lanes are not read.
inline Vec::V LoadRange(const float* p, int64_t lo, int64_t hi) {
  if (lo <= 0 && hi >= kL) return Vec::Load(p);
  return Vec::Load(p, Vec::Range(-lo, hi - lo));
}


// One step: MB output channels (weight rows i0 .. i0 + MB of the block, width a.mbp) x NV
// vectors of output columns from `col` of output row r, `valid` of the MB channels stored.
template <int MB, int NV>
inline void DirectStep(const DirectBlockArgs& a, int64_t i0, int64_t valid,
                       const Vec::V* bias, const ActivationVec& act, int64_t r,
                       int64_t col) {
  Vec::V acc[MB][NV];
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < NV; ++j) acc[i][j] = bias[i];
  const float* src = a.in + r * a.wp + col;
  const float* wt = a.w + i0;
  for (int64_t t = 0; t < a.taps; ++t, wt += a.mbp) {
    const float* s = src + a.tap_off[t];
    Vec::V v[NV];
    for (int j = 0; j < NV; ++j) v[j] = Vec::Load(s + j * kL);
    for (int i = 0; i < MB; ++i) {
      const Vec::V wv = Vec::Set1(wt[i]);  // folds into the FMA's broadcast operand
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
      Vec::V out = acc[i][j];
      if (left >= kL) {
        if (z) out = Vec::Add(out, Vec::Load(z + j * kL));
        Vec::Store(y + j * kL, act.Apply(out));
      } else if (left > 0) {
        const Vec::Mask k = Vec::Prefix(left);
        if (z) out = Vec::Add(out, Vec::Load(z + j * kL, k));
        Vec::Store(y + j * kL, act.Apply(out), k);
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
  Vec::V bias[MB];
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
      Vec::Store(dst[0] + j, LoadRange(x + j - pl, pl - j, iw_n + pl - j));
    }
    return;
  }
  for (int64_t j = 0; j < wp; j += kL) {
    const int64_t t = 2 * j - pl;  // x index of lane 0 of the first load
    const Vec::V a = LoadRange(x + t, -t, iw_n - t);
    const Vec::V b = LoadRange(x + t + kL, -t - kL, iw_n - t - kL);
    Vec::Store(dst[0] + j, Vec::Evens(a, b));
    Vec::Store(dst[1] + j, Vec::Odds(a, b));
  }
}

}  // namespace
}  // namespace onnxedge::ops
