// Copyright onnxedge authors.
// NEON fused-epilogue activations on aarch64 (piecewise-linear kinds; Sigmoid/SiLU/GELU use
// vecmath.h), 4 lanes at a time: the NEON twin of x86/vec_math_avx2.h. AdvSIMD is baseline on
// aarch64, so any aarch64 translation unit may include this; only src/**/arm/ files do.
#pragma once

#include <arm_neon.h>

#include "kernels/activation.h"

namespace onnxedge::kernels::neon {

/// An activation with its parameters broadcast, applied to 4 lanes at a time.
class ActivationVec {
 public:
  explicit ActivationVec(const Activation& a)
      : kind_(a.kind), alpha_(vdupq_n_f32(a.alpha)), beta_(vdupq_n_f32(a.beta)) {}

  float32x4_t Apply(float32x4_t x) const {
    const float32x4_t zero = vdupq_n_f32(0.f);
    const float32x4_t one = vdupq_n_f32(1.f);
    switch (kind_) {
      case ActivationKind::kNone:
        return x;
      case ActivationKind::kRelu:
        return vmaxq_f32(zero, x);  // NaN stays NaN
      case ActivationKind::kClip:
        return vminq_f32(beta_, vmaxq_f32(alpha_, x));
      case ActivationKind::kLeakyRelu:
        return vbslq_f32(vcltq_f32(x, zero), vmulq_f32(alpha_, x), x);
      case ActivationKind::kSigmoid:
      case ActivationKind::kSilu:
      case ActivationKind::kGeluErf:
      case ActivationKind::kGeluTanh:
        // Never here: these go through kernels/vecmath.h (IsTranscendental), so every ISA
        // returns the same values.
        return x;
      case ActivationKind::kHardSigmoid:
        return vminq_f32(one, vmaxq_f32(zero, vfmaq_f32(beta_, alpha_, x)));
      case ActivationKind::kHardSwish: {
        const float32x4_t v = vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.f / 6.f));
        return vmulq_f32(x, vminq_f32(one, vmaxq_f32(zero, v)));
      }
    }
    return x;
  }

 private:
  ActivationKind kind_;
  float32x4_t alpha_, beta_;
};

}  // namespace onnxedge::kernels::neon
