// Copyright onnxedge authors.
// AVX-512F fused-epilogue activations (piecewise-linear kinds; Sigmoid/SiLU/GELU use vecmath.h).
// Include only from translation units compiled with -mavx512f (src/**/x86/*avx512*.cc).
#pragma once

#include <immintrin.h>

#include "kernels/activation.h"

namespace onnxedge::kernels::avx512 {

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
      case ActivationKind::kSilu:
      case ActivationKind::kGeluErf:
      case ActivationKind::kGeluTanh:
        // Never here: these go through kernels/vecmath.h (IsTranscendental), so every ISA
        // returns the same values.
        return x;
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
