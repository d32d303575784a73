// Copyright onnxedge authors.
// AVX-512F path of kernels/vecmath.h: the algorithms of vecmath_impl.h on 16 lanes. Every step
// is the same IEEE operation as on the AVX2 path (same FMAs, same round-to-nearest
// conversions), so both return identical bits; this one does twice the lanes per instruction.
// Built with -mavx512f (this file only); called only when MaxIsa() >= kAvx512.
#include <immintrin.h>

#include <cstdint>

#include "kernels/vecmath.h"
#include "kernels/vecmath_impl.h"

namespace onnxedge::kernels {

namespace {

struct Avx512Ops {
  using V = __m512;
  using M = __mmask16;
  static V Set(float c) { return _mm512_set1_ps(c); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm512_div_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V Fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static V Fms(V a, V b, V c) { return _mm512_fmsub_ps(a, b, c); }
  // vminps/vmaxps return the second operand when either is NaN, as on AVX2.
  static V Min(V a, V b) { return _mm512_min_ps(a, b); }
  static V Max(V a, V b) { return _mm512_max_ps(a, b); }
  // Bit operations through the integer domain (AVX-512F has no float and/or without DQ).
  static V Abs(V a) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
  }
  static V CopySign(V mag, V sign) {
    const __m512i s = _mm512_set1_epi32(static_cast<int>(0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(s, _mm512_castps_si512(mag)),
                                               _mm512_and_si512(s, _mm512_castps_si512(sign))));
  }
  static V Round(V a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static V Pow2(V n) {
    const __m512i i = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(i, 23));
  }
  // p 2^n, rounded once (subnormal results included): the value of vecmath_impl.h's two-step
  // ScalePow2 in one instruction.
  static V Ldexp(V p, V n) { return _mm512_scalef_ps(p, n); }
  static M Lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M Ge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static V Select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
  static bool None(M m) { return m == 0; }
  static bool All(M m) { return m == 0xffff; }
};

template <UnaryFn kFn>
inline __m512 Eval(__m512 x) {
  return vecmath_impl::Eval<kFn, Avx512Ops>(x);
}

template <UnaryFn kFn>
void Map(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a = Eval<kFn>(_mm512_loadu_ps(x + i));
    const __m512 b = Eval<kFn>(_mm512_loadu_ps(x + i + 16));
    _mm512_storeu_ps(y + i, a);
    _mm512_storeu_ps(y + i + 16, b);
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Eval<kFn>(_mm512_loadu_ps(x + i)));
  if (i < n) {
    // Masked-off lanes load 0.0 and are not stored (no access past the end).
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, mask, Eval<kFn>(_mm512_maskz_loadu_ps(mask, x + i)));
  }
}

}  // namespace

void ApplyUnaryAvx512(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows, int64_t ld) {
  vecmath_impl::DispatchUnary(fn, [&](auto f) {
    for (int64_t r = 0; r < rows; ++r) Map<decltype(f)::value>(x + r * ld, y + r * ld, n);
  });
}

}  // namespace onnxedge::kernels
