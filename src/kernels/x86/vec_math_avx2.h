// Copyright onnxedge authors.
// AVX2 + FMA vector math for the kernels' fused epilogues: exp, sigmoid and the activations.
// Include only from translation units compiled with -mavx2 -mfma (src/**/x86/*avx2*.cc).
#pragma once

#include <immintrin.h>

#include "kernels/activation.h"

namespace onnxedge::kernels::avx2 {

/// exp(x), within 2 ulp over the float range; inputs are clamped to [-87.3, 88.3] (results
/// below ~1e-38 flush to that bound, above 2^127 saturate); NaN propagates.
inline __m256 Exp(__m256 x) {
  // max/min return their second operand when either is NaN: x stays NaN.
  x = _mm256_max_ps(_mm256_set1_ps(-87.3f), x);
  x = _mm256_min_ps(_mm256_set1_ps(88.3f), x);
  // x = n ln2 + r, |r| <= ln2 / 2 (ln2 split in two parts for an exact n ln2).
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  // Cephes expf polynomial.
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.f)));
  // 2^n through the exponent bits (n in [-126, 127]).
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/// An activation with its parameters broadcast, applied to 8 lanes at a time.
class ActivationVec {
 public:
  explicit ActivationVec(const Activation& a)
      : kind_(a.kind), alpha_(_mm256_set1_ps(a.alpha)), beta_(_mm256_set1_ps(a.beta)) {}

  __m256 Apply(__m256 x) const {
    const __m256 zero = _mm256_setzero_ps();
    const __m256 one = _mm256_set1_ps(1.f);
    switch (kind_) {
      case ActivationKind::kNone:
        return x;
      case ActivationKind::kRelu:
        return _mm256_max_ps(zero, x);  // NaN stays NaN (second operand)
      case ActivationKind::kClip:
        return _mm256_min_ps(beta_, _mm256_max_ps(alpha_, x));
      case ActivationKind::kLeakyRelu:
        return _mm256_blendv_ps(x, _mm256_mul_ps(alpha_, x), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
      case ActivationKind::kSigmoid:
        return _mm256_div_ps(one, _mm256_add_ps(one, Exp(_mm256_sub_ps(zero, x))));
      case ActivationKind::kSilu:
        return _mm256_div_ps(x, _mm256_add_ps(one, Exp(_mm256_sub_ps(zero, x))));
      case ActivationKind::kHardSigmoid:
        return _mm256_min_ps(one, _mm256_max_ps(zero, _mm256_fmadd_ps(alpha_, x, beta_)));
      case ActivationKind::kHardSwish: {
        const __m256 v = _mm256_fmadd_ps(x, _mm256_set1_ps(1.f / 6.f), _mm256_set1_ps(0.5f));
        return _mm256_mul_ps(x, _mm256_min_ps(one, _mm256_max_ps(zero, v)));
      }
    }
    return x;
  }

 private:
  ActivationKind kind_;
  __m256 alpha_, beta_;
};

}  // namespace onnxedge::kernels::avx2
