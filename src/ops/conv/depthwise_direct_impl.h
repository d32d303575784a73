// Copyright onnxedge authors.
// The direct depthwise plane kernel (ops/conv/depthwise.h, DepthwisePlaneFn), written once over
// a vector-ISA traits type V and included by the ISA files (x86/depthwise_avx512.cc with 16-lane
// AVX-512 traits, x86/depthwise_avx2.cc with 8-lane AVX2 traits), each built with its own flags.
//
// One step computes R consecutive output rows x NB vectors of output columns. The (R - 1) * S +
// KH input rows those outputs read are each loaded once per kernel column (KW loads, for stride
// 2 deinterleaved from pairs), and every loaded vector feeds each of the R output rows whose
// window contains that input row. So a 3x3 stride-1 step of 4 rows loads 6 x 3 vectors for
// 4 x 9 FMAs, where a row-at-a-time kernel loads 9 per 9 FMAs.
//
// Padding costs nothing extra: loads are masked to the columns inside the input (masked lanes
// read as zero and are never touched in memory), and an input row outside the plane gets an
// all-zero mask. The last vector of a row is stored masked, so no scratch row is needed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/activation.h"
#include "ops/conv/depthwise.h"

namespace onnxedge::ops::dw_direct {

/// One plane (or band of it) of DepthwiseDirectArgs.
struct PlaneArgs {
  const float* in = nullptr;
  int64_t ih_n = 0, iw_n = 0;
  const float* w = nullptr;
  float bias = 0.f;
  int64_t ph = 0, pw = 0;
  float* out = nullptr;
  int64_t ow_n = 0;
  const float* residual = nullptr;
  const kernels::Activation* activation = nullptr;
};

/// Per-row state of one step: input row pointers and whether each row lies inside the plane
/// (rows outside contribute nothing: zero padding).
struct RowSet {
  const float* row[16];
  bool inside[16];
};

// R rows x NB vectors of output columns starting at output column oc0. `omask` masks the last
// vector's store (all lanes for full vectors).
// kEdge: some input rows lie outside the plane (their loads are masked off entirely).
// Relu and Clip are applied in registers (`clamp`); other activations by the caller.
struct Clamp {
  int kind = 0;  // 0: none, 1: max(lo, x), 2: min(max(lo, x), hi)
  float lo = 0.f, hi = 0.f;
};

template <class T, int KH, int KW, int S, int R, int NB, bool kEdge>
inline void Step(const RowSet& rs, const typename T::V* wv, typename T::V bias,
                 const PlaneArgs& a, const Clamp& clamp, int64_t oh, int64_t oc0,
                 typename T::Mask omask) {
  using V = typename T::V;
  using Mask = typename T::Mask;
  constexpr int W = T::kLanes;
  constexpr int kInRows = (R - 1) * S + KH;
  // Loads per vector and input row: one per kernel column at stride 1; at stride 2, pairs of
  // vectors at base + 2j, whose even elements are the taps kw = 2j and odd ones 2j + 1.
  constexpr int kLoads = S == 1 ? KW : 2 * ((KW + 1) / 2);
  V acc[R][NB];
  for (int i = 0; i < R; ++i) {
    for (int b = 0; b < NB; ++b) acc[i][b] = bias;
  }
  // Input column of lane 0 of vector b at kernel column 0, and the column masks (the same for
  // every row).
  const int64_t ic0 = oc0 * S - a.pw;
  int64_t start[NB][kLoads];
  Mask cm[NB][kLoads];
  for (int b = 0; b < NB; ++b) {
    for (int j = 0; j < kLoads; ++j) {
      const int64_t base = ic0 + static_cast<int64_t>(b) * W * S;
      start[b][j] = S == 1 ? base + j : base + 2 * (j / 2) + (j % 2) * W;
      cm[b][j] = T::Range(start[b][j], a.iw_n);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < kInRows; ++r) {
    const float* src = rs.row[r];
    // Column masks of this row: all off for a row outside the plane.
    auto mask = [&](int b, int j) {
      if constexpr (kEdge) return rs.inside[r] ? cm[b][j] : T::None();
      return cm[b][j];
    };
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b) {
      V in[KW];
      if constexpr (S == 1) {
#pragma GCC unroll 8
        for (int kw = 0; kw < KW; ++kw) in[kw] = T::Load(src + start[b][kw], mask(b, kw));
      } else {
#pragma GCC unroll 8
        for (int j = 0; 2 * j < KW; ++j) {
          const V lo = T::Load(src + start[b][2 * j], mask(b, 2 * j));
          const V hi = T::Load(src + start[b][2 * j + 1], mask(b, 2 * j + 1));
          in[2 * j] = T::Evens(lo, hi);
          if (2 * j + 1 < KW) in[2 * j + 1] = T::Odds(lo, hi);
        }
      }
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const int kh = r - i * S;
        if (kh < 0 || kh >= KH) continue;
#pragma GCC unroll 8
        for (int kw = 0; kw < KW; ++kw) acc[i][b] = T::Fma(in[kw], wv[kh * KW + kw], acc[i][b]);
      }
    }
  }
  for (int i = 0; i < R; ++i) {
    float* orow = a.out + (oh + i) * a.ow_n + oc0;
    const float* res = a.residual ? a.residual + (oh + i) * a.ow_n + oc0 : nullptr;
    for (int b = 0; b < NB; ++b) {
      const typename T::Mask m = b + 1 == NB ? omask : T::Full();
      V v = acc[i][b];
      if (res) v = T::Add(v, T::Load(res + b * W, m));
      // The bound first: NaN in v propagates (the second operand is returned for NaN).
      if (clamp.kind >= 1) v = T::Max(T::Set1(clamp.lo), v);
      if (clamp.kind == 2) v = T::Min(T::Set1(clamp.hi), v);
      T::Store(orow + b * W, v, m);
    }
  }
}

// Output rows [oh, oh + R) of the plane.
template <class T, int KH, int KW, int S, int R>
inline void Rows(const PlaneArgs& a, const typename T::V* wv, typename T::V bias,
                 const Clamp& clamp, int64_t oh) {
  constexpr int W = T::kLanes;
  constexpr int kInRows = (R - 1) * S + KH;
  static_assert(kInRows <= 16, "RowSet holds 16 rows");
  RowSet rs;
  bool all_inside = true;
  for (int r = 0; r < kInRows; ++r) {
    const int64_t ih = oh * S - a.ph + r;
    rs.inside[r] = ih >= 0 && ih < a.ih_n;
    rs.row[r] = a.in + (rs.inside[r] ? ih : 0) * a.iw_n;
    all_inside = all_inside && rs.inside[r];
  }
  auto row = [&](auto edge) {
    constexpr bool kEdge = decltype(edge)::value;
    int64_t oc = 0;
    for (; oc + 2 * W <= a.ow_n; oc += 2 * W) {
      Step<T, KH, KW, S, R, 2, kEdge>(rs, wv, bias, a, clamp, oh, oc, T::Full());
    }
    for (; oc < a.ow_n; oc += W) {
      Step<T, KH, KW, S, R, 1, kEdge>(rs, wv, bias, a, clamp, oh, oc, T::Range(0, a.ow_n - oc));
    }
  };
  if (all_inside) {
    row(std::false_type{});
  } else {
    row(std::true_type{});
  }
  if (clamp.kind == 0 && !a.activation->is_none()) {
    kernels::ApplyActivation(a.out + oh * a.ow_n, static_cast<long>(R * a.ow_n), *a.activation);
  }
}

template <class T, int KH, int KW, int S>
inline void Plane(const PlaneArgs& a, int64_t oh0, int64_t oh1) {
  using V = typename T::V;
  V wv[KH * KW];
  for (int k = 0; k < KH * KW; ++k) wv[k] = T::Set1(a.w[k]);
  const V bias = T::Set1(a.bias);
  Clamp clamp;
  const kernels::Activation& act = *a.activation;
  if (act.kind == kernels::ActivationKind::kRelu) {
    clamp = {1, 0.f, 0.f};
  } else if (act.kind == kernels::ActivationKind::kClip) {
    clamp = {2, act.alpha, act.beta};
  }
  constexpr int kR = 4;
  int64_t oh = oh0;
  for (; oh + kR <= oh1; oh += kR) Rows<T, KH, KW, S, kR>(a, wv, bias, clamp, oh);
  switch (oh1 - oh) {
    case 3:
      Rows<T, KH, KW, S, 3>(a, wv, bias, clamp, oh);
      break;
    case 2:
      Rows<T, KH, KW, S, 2>(a, wv, bias, clamp, oh);
      break;
    case 1:
      Rows<T, KH, KW, S, 1>(a, wv, bias, clamp, oh);
      break;
    default:
      break;
  }
}

template <class T, int KH, int KW, int S>
void Planes(const DepthwiseDirectArgs& d, int64_t t0, int64_t t1) {
  PlaneArgs a;
  a.ih_n = d.ih_n;
  a.iw_n = d.iw_n;
  a.ph = d.ph;
  a.pw = d.pw;
  a.ow_n = d.ow_n;
  a.activation = d.activation;
  const int64_t in_size = d.ih_n * d.iw_n, out_size = d.oh_n * d.ow_n;
  // Counters stepped per task rather than divided out (a 64-bit division per small plane is
  // not free).
  int64_t pl = t0 / d.bands, band = t0 % d.bands;
  int64_t img = pl / d.m_total, m = pl % d.m_total;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t c = d.mult == 1 ? m : m / d.mult;
    a.in = d.x + (img * d.in_channels + c) * in_size;
    a.w = d.w + m * d.kernel_size;
    a.bias = d.bias ? d.bias[m] : 0.f;
    a.out = d.y + pl * out_size;
    a.residual = d.residual ? d.residual + pl * out_size : nullptr;
    const int64_t oh0 = band * d.band_rows;
    Plane<T, KH, KW, S>(a, oh0, std::min(d.oh_n, oh0 + d.band_rows));
    if (++band == d.bands) {
      band = 0;
      ++pl;
      if (++m == d.m_total) {
        m = 0;
        ++img;
      }
    }
  }
}

/// The kernel for a (kernel, stride) pair, or null when none is instantiated.
template <class T>
DepthwiseDirectFn Select(int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
  if (sh != sw || kh != kw) return nullptr;
  if (kh == 3 && sh == 1) return Planes<T, 3, 3, 1>;
  if (kh == 3 && sh == 2) return Planes<T, 3, 3, 2>;
  if (kh == 5 && sh == 1) return Planes<T, 5, 5, 1>;
  if (kh == 5 && sh == 2) return Planes<T, 5, 5, 2>;
  return nullptr;
}

}  // namespace onnxedge::ops::dw_direct
