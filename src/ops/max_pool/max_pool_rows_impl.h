// Copyright onnxedge authors.
// The vector MaxPool row (max_pool_rows.h), written once over ops/conv/x86/simd.h and compiled
// in x86/max_pool_avx512.cc and x86/max_pool_avx2.cc; an anonymous namespace keeps the copies
// apart.
//   1. The window's input rows are reduced column-wise into a padded row P (P[j] = column
//      j - pl, -inf outside the input): masked loads fill the padding, so there is no border
//      code.
//   2. Each vector of outputs takes the max over the kernel columns of P: contiguous loads at
//      stride 1; at stride 2 pairs of vectors split into even and odd elements (even kernel
//      columns from the evens, odd ones from the odds of the same pair).
// NaN propagates (NanMax), as in the portable path.
#pragma once

#include <cstdint>
#include <limits>

#include "ops/max_pool/max_pool_rows.h"

namespace onnxedge::ops::max_pool_rows {
namespace {

template <typename T, int S>
void Row(const float* const* rows, int64_t n_rows, int64_t iw, int64_t kw_n, int64_t /*sw*/,
         int64_t pl, int64_t ow_n, float* scratch, float* out) {
  using V = typename T::V;
  constexpr int64_t L = T::kLanes;
  const V neg_inf = T::Set1(-std::numeric_limits<float>::infinity());
  // P covers every column step 2 reads: whole output vectors, each reading S * L + kw_n - 1.
  const int64_t ow_vec = (ow_n + L - 1) / L * L;
  const int64_t p_n = (ow_vec - 1) * S + kw_n + L;
  for (int64_t j = 0; j < p_n; j += L) {
    const int64_t c = j - pl;  // input column of lane 0
    const typename T::Mask m = T::Range(c, iw);
    V acc;
    if (c + L <= 0 || c >= iw) {
      acc = neg_inf;
    } else {
      acc = T::LoadOr(rows[0] + c, m, neg_inf);
      for (int64_t r = 1; r < n_rows; ++r) acc = T::NanMax(acc, T::LoadOr(rows[r] + c, m, neg_inf));
    }
    T::Store(scratch + j, acc);
  }
  for (int64_t ow = 0; ow < ow_n; ow += L) {
    const float* base = scratch + ow * S;
    V acc;
    if constexpr (S == 1) {
      acc = T::Load(base);
      for (int64_t k = 1; k < kw_n; ++k) acc = T::NanMax(acc, T::Load(base + k));
    } else {
      acc = neg_inf;
      for (int64_t k = 0; k < kw_n; k += 2) {
        const V lo = T::Load(base + k), hi = T::Load(base + k + L);
        acc = T::NanMax(acc, T::Evens(lo, hi));
        if (k + 1 < kw_n) acc = T::NanMax(acc, T::Odds(lo, hi));
      }
    }
    if (ow + L <= ow_n) {
      T::Store(out + ow, acc);
    } else {
      T::Store(out + ow, acc, T::Prefix(ow_n - ow));
    }
  }
}

template <typename T>
void MaxInto(float* acc, const float* in, int64_t n) {
  using V = typename T::V;
  constexpr int64_t L = T::kLanes;
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    const V a = T::NanMax(T::Load(acc + i), T::Load(in + i));
    const V b = T::NanMax(T::Load(acc + i + L), T::Load(in + i + L));
    T::Store(acc + i, a);
    T::Store(acc + i + L, b);
  }
  for (; i + L <= n; i += L) T::Store(acc + i, T::NanMax(T::Load(acc + i), T::Load(in + i)));
  if (i < n) {
    const typename T::Mask m = T::Prefix(n - i);
    const V zero = T::Set1(0.f);
    T::Store(acc + i, T::NanMax(T::LoadOr(acc + i, m, zero), T::LoadOr(in + i, m, zero)), m);
  }
}

template <typename T>
MaxPoolRowFn Select(int64_t sw) {
  if (sw == 1) return &Row<T, 1>;
  if (sw == 2) return &Row<T, 2>;
  return nullptr;
}

}  // namespace
}  // namespace onnxedge::ops::max_pool_rows
