// Copyright onnxedge authors.
// The channels-last depthwise kernel (ops/conv/depthwise.h, DepthwiseNhwcArgs), written once
// over the vector interface of ops/conv/x86/simd.h and compiled per ISA in
// x86/depthwise_avx512.cc and x86/depthwise_avx2.cc. Included only by those files; everything
// is in an anonymous namespace, so copies built with different flags are never merged.
//
// Channels-last, one vector holds kLanes channels of one pixel, so every lane does useful
// work whatever the map's width (NCHW vectors run along a row: a 7-wide row fills 7 of 16
// lanes) and the input is read in place: no copies, no transposes. One step computes NP
// output pixels of one row for one channel vector:
//   - per valid kernel row, the (NP - 1) * S + KW input pixels the step's windows cover are
//     each loaded once and feed every (pixel, tap) pair that reads them (3x3 stride 1, NP = 8:
//     10 loads + 3 weight loads per 24 FMAs);
//   - input columns outside the image are masked loads with an empty mask (they read zero and
//     touch no memory), rows outside it are skipped, so padding costs no branches per tap;
//   - bias is the accumulators' start value; the residual is added and the piecewise-linear
//     activations applied in registers before the one store per output vector. Sigmoid and SiLU
//     run over the finished row through kernels::ApplyActivation, so they return the values of
//     every other path.
// KW, S (stride along W) and the dilation 1 are compile-time for 3x3 and 5x5 windows at strides
// 1 and 2; any other window takes the same loop with runtime KW, S and dilations.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/activation.h"
#include "ops/conv/depthwise.h"

namespace onnxedge::ops::dw_nhwc {
namespace {

// Output pixels per step (NP <= kMaxPixels; the last step of a row takes the remainder).
constexpr int kMaxPixels = 8;

struct RowCtx {
  const DepthwiseNhwcArgs* a;
  const float* rows[kDepthwiseNhwcMaxKh];  // input row per valid kernel row (pixel 0, channel 0)
  int kh_index[kDepthwiseNhwcMaxKh];       // its kernel row
  int n_rows;
  float* y;                              // output row (pixel 0, channel 0)
  const float* z;                        // residual row or null
};

// One step: NP pixels from output column ow0, channels [c, c + kLanes) (masked by cmask).
// KW / S / DW > 0 are compile-time; 0 means "read from the arguments".
template <typename T, int NP, int KW, int S, int DW, bool kFull>
inline void Step(const RowCtx& r, int64_t ow0, int64_t c, typename T::Mask cmask,
                 const typename T::ActivationVec& act) {
  constexpr bool full = kFull;
  using V = typename T::V;
  const DepthwiseNhwcArgs& a = *r.a;
  const int64_t kw_n = KW > 0 ? KW : a.kw_n;
  const int64_t sw = S > 0 ? S : a.sw;
  const int64_t dw = DW > 0 ? DW : a.dw;
  const int64_t cn = a.c;  // the pixel stride of X and Y
  const int64_t iw0 = ow0 * sw - a.pad_left;
  const float* wbase =
      a.weights + (c / kDepthwiseBlock) * a.taps * kDepthwiseBlock + c % kDepthwiseBlock;
  V acc[NP];
  const V b = a.bias ? (full ? T::Load(a.bias + c) : T::Load(a.bias + c, cmask)) : T::Zero();
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p) acc[p] = b;
  for (int i = 0; i < r.n_rows; ++i) {
    const float* xr = r.rows[i] + c;
    const float* wr = wbase + r.kh_index[i] * kw_n * kDepthwiseBlock;
    if constexpr (KW > 0 && S > 0 && DW == 1) {
      V wv[KW];
#pragma GCC unroll 8
      for (int k = 0; k < KW; ++k) wv[k] = T::Load(wr + k * kDepthwiseBlock);
      constexpr int kCols = (NP - 1) * S + KW;
#pragma GCC unroll 32
      for (int j = 0; j < kCols; ++j) {
        const int64_t iw = iw0 + j;
        const bool inside = static_cast<uint64_t>(iw) < static_cast<uint64_t>(a.iw_n);
        // Outside the row: an empty mask at a valid address (the row's first pixel).
        const V v = full && inside ? T::Load(xr + iw * cn)
                                   : T::Load(inside ? xr + iw * cn : xr, inside ? cmask : T::None());
#pragma GCC unroll 8
        for (int k = 0; k < KW; ++k) {
          const int d = j - k;  // = p * S for the pixel p that reads column j through tap k
          if (d >= 0 && d % S == 0 && d / S < NP) acc[d / S] = T::Fma(v, wv[k], acc[d / S]);
        }
      }
    } else {
      for (int64_t k = 0; k < kw_n; ++k) {
        const V wv = T::Load(wr + k * kDepthwiseBlock);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const int64_t iw = iw0 + p * sw + k * dw;
          const bool inside = static_cast<uint64_t>(iw) < static_cast<uint64_t>(a.iw_n);
          const V v = T::Load(inside ? xr + iw * cn : xr, inside ? cmask : T::None());
          acc[p] = T::Fma(v, wv, acc[p]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p) {
    const int64_t off = (ow0 + p) * cn + c;
    V v = acc[p];
    if (full) {
      if (r.z) v = T::Add(v, T::Load(r.z + off));
      T::Store(r.y + off, act.Apply(v));
    } else {
      if (r.z) v = T::Add(v, T::Load(r.z + off, cmask));
      T::Store(r.y + off, act.Apply(v), cmask);
    }
  }
}

template <typename T, int KW, int S, int DW>
struct Kernel {
  template <int NP>
  static void Pixels(const RowCtx& r, int64_t ow0, int64_t c0, int64_t c1,
                     const typename T::ActivationVec& act) {
    constexpr int L = T::kLanes;
    for (int64_t c = c0; c < c1; c += L) {
      if (c + L <= c1) {
        Step<T, NP, KW, S, DW, true>(r, ow0, c, T::Full(), act);
      } else {
        Step<T, NP, KW, S, DW, false>(r, ow0, c, T::Range(c, c1), act);
      }
    }
  }

  // Output row oh of image img, channels [c0, c1).
  static void Row(const DepthwiseNhwcArgs& a, int64_t img, int64_t oh, int64_t c0, int64_t c1,
                  const typename T::ActivationVec& act) {
    RowCtx r;
    r.a = &a;
    r.n_rows = 0;
    const float* xi = a.x + img * a.ih_n * a.iw_n * a.c;
    for (int64_t k = 0; k < a.kh_n; ++k) {
      const int64_t ih = oh * a.sh - a.pad_top + k * a.dh;
      if (ih < 0 || ih >= a.ih_n) continue;
      r.rows[r.n_rows] = xi + ih * a.iw_n * a.c;
      r.kh_index[r.n_rows] = static_cast<int>(k);
      ++r.n_rows;
    }
    const int64_t q0 = (img * a.oh_n + oh) * a.ow_n;
    r.y = a.y + q0 * a.c;
    r.z = a.residual ? a.residual + q0 * a.c : nullptr;
    int64_t ow = 0;
    for (; ow + kMaxPixels <= a.ow_n; ow += kMaxPixels) Pixels<kMaxPixels>(r, ow, c0, c1, act);
    switch (a.ow_n - ow) {
      case 7: Pixels<7>(r, ow, c0, c1, act); break;
      case 6: Pixels<6>(r, ow, c0, c1, act); break;
      case 5: Pixels<5>(r, ow, c0, c1, act); break;
      case 4: Pixels<4>(r, ow, c0, c1, act); break;
      case 3: Pixels<3>(r, ow, c0, c1, act); break;
      case 2: Pixels<2>(r, ow, c0, c1, act); break;
      case 1: Pixels<1>(r, ow, c0, c1, act); break;
      default: break;
    }
  }

  // Tasks [t0, t1): task t is channel chunk t % chunks of output row (t / chunks) % oh_n of
  // image t / (chunks * oh_n).
  static void Run(const DepthwiseNhwcArgs& a, int64_t t0, int64_t t1) {
    const bool transcendental = kernels::IsTranscendental(a.activation->kind);
    const typename T::ActivationVec act(transcendental ? kernels::Activation::None()
                                                       : *a.activation);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t chunk = t % a.chunks, row = t / a.chunks;
      const int64_t img = row / a.oh_n, oh = row % a.oh_n;
      const int64_t c0 = chunk * a.chunk_channels;
      const int64_t c1 = std::min(a.c, c0 + a.chunk_channels);
      Row(a, img, oh, c0, c1, act);
      if (!transcendental) continue;
      float* y = a.y + (img * a.oh_n + oh) * a.ow_n * a.c;
      if (a.chunks == 1) {
        kernels::ApplyActivation(y, a.ow_n * a.c, *a.activation);
      } else {
        for (int64_t p = 0; p < a.ow_n; ++p) {
          kernels::ApplyActivation(y + p * a.c + c0, c1 - c0, *a.activation);
        }
      }
    }
  }
};

template <typename T>
DepthwiseNhwcFn Select(int64_t kh, int64_t kw, int64_t sw, int64_t dw) {
  if (kh > kDepthwiseNhwcMaxKh) return nullptr;
  if (dw == 1) {
    if (kw == 3 && sw == 1) return &Kernel<T, 3, 1, 1>::Run;
    if (kw == 3 && sw == 2) return &Kernel<T, 3, 2, 1>::Run;
    if (kw == 5 && sw == 1) return &Kernel<T, 5, 1, 1>::Run;
    if (kw == 5 && sw == 2) return &Kernel<T, 5, 2, 1>::Run;
  }
  return &Kernel<T, 0, 0, 0>::Run;
}

}  // namespace
}  // namespace onnxedge::ops::dw_nhwc
