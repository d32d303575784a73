// Copyright onnxedge authors.
// AVX2 fused-epilogue activations (piecewise-linear kinds; Sigmoid/SiLU/GELU use vecmath.h).
// Include only from translation units compiled with -mavx2 -mfma (src/**/x86/*avx2*.cc).
#pragma once

#include <immintrin.h>

#include "kernels/activation.h"

namespace onnxedge::kernels::avx2 {

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
      case ActivationKind::kSilu:
      case ActivationKind::kGeluErf:
      case ActivationKind::kGeluTanh:
        // Never here: these go through kernels/vecmath.h (IsTranscendental), so every ISA
        // returns the same values.
        return x;
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
