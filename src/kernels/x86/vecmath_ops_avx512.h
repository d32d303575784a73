// Copyright onnxedge authors.
// The AVX-512F arithmetic that vecmath_impl.h's algorithms run on (its "ops" type O): one
// definition for the vecmath entry points (vecmath_avx512.cc) and the kernels that apply
// Sigmoid/SiLU/GELU to tiles still in registers (e.g. ops/conv/x86/conv_nhwc_direct_avx512.cc),
// so both give the same bits. Include only from files built with -mavx512f; everything is in an
// anonymous namespace (internal linkage, never merged with other ISAs' code).
#pragma once

// GCC 12 warns about the intentionally undefined upper lanes inside its own intrinsics headers.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace onnxedge::kernels::vecmath_avx512 {
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

}  // namespace
}  // namespace onnxedge::kernels::vecmath_avx512
