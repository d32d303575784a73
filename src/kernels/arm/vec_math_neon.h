// Copyright onnxedge authors.
// NEON vector math for the kernels' fused epilogues on aarch64: exp, sigmoid and the
// activations, 4 lanes at a time (the NEON twin of x86/vec_math_avx2.h). AdvSIMD is baseline on
// aarch64, so any aarch64 translation unit may include this; only src/**/arm/ files do.
#pragma once

#include <arm_neon.h>

#include "kernels/activation.h"

namespace onnxedge::kernels::neon {

/// exp(x), within 2 ulp over the float range; inputs are clamped to [-87.3, 88.3] (results
/// below ~1e-38 flush to that bound, above 2^127 saturate); NaN propagates (FMAX/FMIN return
/// NaN when either operand is NaN).
inline float32x4_t Exp(float32x4_t x) {
  x = vmaxq_f32(vdupq_n_f32(-87.3f), x);
  x = vminq_f32(vdupq_n_f32(88.3f), x);
  // x = n ln2 + r, |r| <= ln2 / 2 (ln2 split in two parts for an exact n ln2).
  const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  // Cephes expf polynomial, the same coefficients and order as the AVX2 path.
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.f)), p, vmulq_f32(r, r));
  // 2^n through the exponent bits (n is integral and in [-126, 127]; NaN lanes convert to 0,
  // and p is NaN there anyway).
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(p, vreinterpretq_f32_s32(e));
}

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
        return vdivq_f32(one, vaddq_f32(one, Exp(vnegq_f32(x))));
      case ActivationKind::kSilu:
        return vdivq_f32(x, vaddq_f32(one, Exp(vnegq_f32(x))));
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
