// Copyright onnxedge authors.
// NEON path of kernels/vecmath.h: the algorithms of vecmath_impl.h on 4 lanes (aarch64, where
// AdvSIMD is baseline: no ISA flags); called when MaxIsa() >= kNeon. Each op is the IEEE
// operation the portable path performs, so results are bit-identical to it (NaN payloads aside).
#include <arm_neon.h>

#include <cstdint>

#include "kernels/vecmath.h"
#include "kernels/vecmath_impl.h"

namespace onnxedge::kernels {

namespace {

struct NeonOps {
  using V = float32x4_t;
  using M = uint32x4_t;
  static V Set(float c) { return vdupq_n_f32(c); }
  static V Add(V a, V b) { return vaddq_f32(a, b); }
  static V Sub(V a, V b) { return vsubq_f32(a, b); }
  static V Mul(V a, V b) { return vmulq_f32(a, b); }
  static V Div(V a, V b) { return vdivq_f32(a, b); }
  static V Fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V Fnma(V a, V b, V c) { return vfmsq_f32(c, a, b); }
  // a*b - c = -(c - a*b): negation is exact and round-to-nearest is symmetric, so this is the
  // single rounding of a fused a*b - c.
  static V Fms(V a, V b, V c) { return vnegq_f32(vfmsq_f32(c, a, b)); }
  // Not FMIN/FMAX: those return NaN when either operand is NaN, the contract (and minps) says b.
  static V Min(V a, V b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
  static V Max(V a, V b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
  static V Abs(V a) { return vabsq_f32(a); }
  static V CopySign(V mag, V sign) {
    return vbslq_f32(vdupq_n_u32(0x80000000u), sign, mag);
  }
  static V Round(V a) { return vrndnq_f32(a); }
  static V Pow2(V n) {
    // n is integral; NaN lanes convert to 0 (the result is NaN anyway).
    const int32x4_t i = vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(i, 23));
  }
  static M Lt(V a, V b) { return vcltq_f32(a, b); }
  static M Ge(V a, V b) { return vcgeq_f32(a, b); }
  static V Select(M m, V a, V b) { return vbslq_f32(m, a, b); }
};

template <UnaryFn kFn>
inline float32x4_t Eval(float32x4_t x) {
  return vecmath_impl::Eval<kFn, NeonOps>(x);
}

template <UnaryFn kFn>
void Map(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t a = Eval<kFn>(vld1q_f32(x + i));
    const float32x4_t b = Eval<kFn>(vld1q_f32(x + i + 4));
    vst1q_f32(y + i, a);
    vst1q_f32(y + i + 4, b);
  }
  if (i + 4 <= n) {
    vst1q_f32(y + i, Eval<kFn>(vld1q_f32(x + i)));
    i += 4;
  }
  if (i < n) {
    // The unused lanes hold 0.0, which every function handles without faults.
    float buf[4] = {0.f, 0.f, 0.f, 0.f};
    for (int64_t j = i; j < n; ++j) buf[j - i] = x[j];
    vst1q_f32(buf, Eval<kFn>(vld1q_f32(buf)));
    for (int64_t j = i; j < n; ++j) y[j] = buf[j - i];
  }
}

}  // namespace

void ApplyUnaryNeon(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows, int64_t ld) {
  vecmath_impl::DispatchUnary(fn, [&](auto f) {
    for (int64_t r = 0; r < rows; ++r) Map<decltype(f)::value>(x + r * ld, y + r * ld, n);
  });
}

}  // namespace onnxedge::kernels
