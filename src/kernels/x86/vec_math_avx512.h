// Copyright onnxedge authors.
// AVX-512F vector math for the kernels' fused epilogues: exp, sigmoid and the activations.
// Include only from translation units compiled with -mavx512f (src/**/x86/*avx512*.cc).
#pragma once

#include <immintrin.h>

#include "kernels/activation.h"

namespace onnxedge::kernels::avx512 {

/// exp(x), same algorithm and bounds as avx2::Exp.
inline __m512 Exp(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-87.3f), x);  // NaN stays NaN (second operand)
  x = _mm512_min_ps(_mm512_set1_ps(88.3f), x);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  const __m512i e =
      _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

/// An activation with its parameters broadcast, applied to 16 lanes at a time.
class ActivationVec {
 public:
  explicit ActivationVec(const Activation& a)
      : kind_(a.kind), alpha_(_mm512_set1_ps(a.alpha)), beta_(_mm512_set1_ps(a.beta)) {}

  __m512 Apply(__m512 x) const {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 one = _mm512_set1_ps(1.f);
    switch (kind_) {
      case ActivationKind::kNone:
        return x;
      case ActivationKind::kRelu:
        return _mm512_max_ps(zero, x);
      case ActivationKind::kClip:
        return _mm512_min_ps(beta_, _mm512_max_ps(alpha_, x));
      case ActivationKind::kLeakyRelu:
        return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), alpha_, x);
      case ActivationKind::kSigmoid:
        return _mm512_div_ps(one, _mm512_add_ps(one, Exp(_mm512_sub_ps(zero, x))));
      case ActivationKind::kSilu:
        return _mm512_div_ps(x, _mm512_add_ps(one, Exp(_mm512_sub_ps(zero, x))));
      case ActivationKind::kHardSigmoid:
        return _mm512_min_ps(one, _mm512_max_ps(zero, _mm512_fmadd_ps(alpha_, x, beta_)));
      case ActivationKind::kHardSwish: {
        const __m512 v = _mm512_fmadd_ps(x, _mm512_set1_ps(1.f / 6.f), _mm512_set1_ps(0.5f));
        return _mm512_mul_ps(x, _mm512_min_ps(one, _mm512_max_ps(zero, v)));
      }
    }
    return x;
  }

 private:
  ActivationKind kind_;
  __m512 alpha_, beta_;
};

}  // namespace onnxedge::kernels::avx512
