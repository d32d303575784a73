// Copyright onnxedge authors.
#include "kernels/vecmath.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/vecmath_impl.h"

namespace onnxedge::kernels {

namespace {

// Scalar ops for vecmath_impl.h. std::fma keeps the fused rounding of the SIMD paths.
struct ScalarOps {
  using V = float;
  using M = bool;
  static V Set(float c) { return c; }
  static V Add(V a, V b) { return a + b; }
  static V Sub(V a, V b) { return a - b; }
  static V Mul(V a, V b) { return a * b; }
  static V Div(V a, V b) { return a / b; }
  static V Fma(V a, V b, V c) { return std::fma(a, b, c); }
  static V Fnma(V a, V b, V c) { return std::fma(-a, b, c); }
  static V Fms(V a, V b, V c) { return std::fma(a, b, -c); }
  static V Min(V a, V b) { return a < b ? a : b; }
  static V Max(V a, V b) { return a > b ? a : b; }
  static V Abs(V a) { return std::fabs(a); }
  static V CopySign(V mag, V sign) { return std::copysign(mag, sign); }
  static V Round(V a) { return std::nearbyint(a); }
  static V Pow2(V n) {
    // NaN only reaches here when the result is NaN anyway; avoid the undefined conversion.
    const int32_t i = n == n ? static_cast<int32_t>(n) : 0;
    const uint32_t bits = static_cast<uint32_t>(i + 127) << 23;
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
  static M Lt(V a, V b) { return a < b; }
  static M Ge(V a, V b) { return a >= b; }
  static V Select(M m, V a, V b) { return m ? a : b; }
};

template <UnaryFn kFn>
inline float Scalar(float x) {
  using O = ScalarOps;
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
void MapGeneric(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = Scalar<kFn>(x[i]);
}

}  // namespace

const char* UnaryFnName(UnaryFn fn) {
  switch (fn) {
    case UnaryFn::kExp:
      return "exp";
    case UnaryFn::kExpm1:
      return "expm1";
    case UnaryFn::kTanh:
      return "tanh";
    case UnaryFn::kErf:
      return "erf";
    case UnaryFn::kSigmoid:
      return "sigmoid";
    case UnaryFn::kSilu:
      return "silu";
    case UnaryFn::kGeluErf:
      return "gelu_erf";
    case UnaryFn::kGeluTanh:
      return "gelu_tanh";
  }
  return "unknown";
}

void ApplyUnaryGeneric(UnaryFn fn, const float* x, float* y, int64_t n) {
  switch (fn) {
    case UnaryFn::kExp:
      return MapGeneric<UnaryFn::kExp>(x, y, n);
    case UnaryFn::kExpm1:
      return MapGeneric<UnaryFn::kExpm1>(x, y, n);
    case UnaryFn::kTanh:
      return MapGeneric<UnaryFn::kTanh>(x, y, n);
    case UnaryFn::kErf:
      return MapGeneric<UnaryFn::kErf>(x, y, n);
    case UnaryFn::kSigmoid:
      return MapGeneric<UnaryFn::kSigmoid>(x, y, n);
    case UnaryFn::kSilu:
      return MapGeneric<UnaryFn::kSilu>(x, y, n);
    case UnaryFn::kGeluErf:
      return MapGeneric<UnaryFn::kGeluErf>(x, y, n);
    case UnaryFn::kGeluTanh:
      return MapGeneric<UnaryFn::kGeluTanh>(x, y, n);
  }
}

float ApplyUnaryScalar(UnaryFn fn, float x) {
  float y = 0.f;
  ApplyUnaryGeneric(fn, &x, &y, 1);
  return y;
}

void ApplyUnary(UnaryFn fn, const float* x, float* y, int64_t n) {
  if (n <= 0) return;
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) {
    ApplyUnaryAvx2(fn, x, y, n);
    return;
  }
#elif defined(__aarch64__)
  if (MaxIsa() >= Isa::kNeon) {
    ApplyUnaryNeon(fn, x, y, n);
    return;
  }
#endif
  ApplyUnaryGeneric(fn, x, y, n);
}

}  // namespace onnxedge::kernels
