// Copyright onnxedge authors.
// AVX2+FMA path of kernels/vecmath.h: the algorithms of vecmath_impl.h on 8 lanes. Built with
// -mavx2 -mfma (this file only); called only when MaxIsa() >= kAvx2.
#include <immintrin.h>

#include <cstdint>

#include "kernels/vecmath.h"
#include "kernels/vecmath_impl.h"

namespace onnxedge::kernels {

namespace {

struct Avx2Ops {
  using V = __m256;
  using M = __m256;
  static V Set(float c) { return _mm256_set1_ps(c); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm256_div_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V Fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V Fms(V a, V b, V c) { return _mm256_fmsub_ps(a, b, c); }
  static V Min(V a, V b) { return _mm256_min_ps(a, b); }
  static V Max(V a, V b) { return _mm256_max_ps(a, b); }
  static V Abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), a); }
  static V CopySign(V mag, V sign) {
    const V s = _mm256_set1_ps(-0.f);
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sign));
  }
  static V Round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V Pow2(V n) {
    const __m256i i = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(i, 23));
  }
  static M Lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M Ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static V Select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
};

template <UnaryFn kFn>
inline __m256 Eval(__m256 x) {
  using O = Avx2Ops;
  namespace impl = vecmath_impl;
  if constexpr (kFn == UnaryFn::kExp) return impl::Exp<O>(x);
  if constexpr (kFn == UnaryFn::kExpm1) return impl::Expm1<O>(x);
  if constexpr (kFn == UnaryFn::kTanh) return impl::Tanh<O>(x);
  if constexpr (kFn == UnaryFn::kErf) return impl::Erf<O>(x);
  if constexpr (kFn == UnaryFn::kSigmoid) return impl::Sigmoid<O>(x);
  if constexpr (kFn == UnaryFn::kSilu) return impl::Silu<O>(x);
  if constexpr (kFn == UnaryFn::kGeluErf) return impl::GeluErf<O>(x);
  if constexpr (kFn == UnaryFn::kGeluTanh) return impl::GeluTanh<O>(x);
}

template <UnaryFn kFn>
void Map(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = Eval<kFn>(_mm256_loadu_ps(x + i));
    const __m256 b = Eval<kFn>(_mm256_loadu_ps(x + i + 8));
    _mm256_storeu_ps(y + i, a);
    _mm256_storeu_ps(y + i + 8, b);
  }
  if (i + 8 <= n) {
    _mm256_storeu_ps(y + i, Eval<kFn>(_mm256_loadu_ps(x + i)));
    i += 8;
  }
  if (i < n) {
    // Masked lanes load 0.0, which every function handles without faults.
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(y + i, mask, Eval<kFn>(_mm256_maskload_ps(x + i, mask)));
  }
}

}  // namespace

void ApplyUnaryAvx2(UnaryFn fn, const float* x, float* y, int64_t n) {
  switch (fn) {
    case UnaryFn::kExp:
      return Map<UnaryFn::kExp>(x, y, n);
    case UnaryFn::kExpm1:
      return Map<UnaryFn::kExpm1>(x, y, n);
    case UnaryFn::kTanh:
      return Map<UnaryFn::kTanh>(x, y, n);
    case UnaryFn::kErf:
      return Map<UnaryFn::kErf>(x, y, n);
    case UnaryFn::kSigmoid:
      return Map<UnaryFn::kSigmoid>(x, y, n);
    case UnaryFn::kSilu:
      return Map<UnaryFn::kSilu>(x, y, n);
    case UnaryFn::kGeluErf:
      return Map<UnaryFn::kGeluErf>(x, y, n);
    case UnaryFn::kGeluTanh:
      return Map<UnaryFn::kGeluTanh>(x, y, n);
  }
}

}  // namespace onnxedge::kernels
