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
  return vecmath_impl::Eval<kFn, ScalarOps>(x);
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

void ApplyUnaryGeneric(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows, int64_t ld) {
  vecmath_impl::DispatchUnary(fn, [&](auto f) {
    for (int64_t r = 0; r < rows; ++r) MapGeneric<decltype(f)::value>(x + r * ld, y + r * ld, n);
  });
}

float ApplyUnaryScalar(UnaryFn fn, float x) {
  float y = 0.f;
  ApplyUnaryGeneric(fn, &x, &y, 1);
  return y;
}

#if defined(__x86_64__)
// AVX-512F implementation (x86/vecmath_avx512.cc), bit-identical to the AVX2 one; call only
// when MaxIsa() >= kAvx512.
void ApplyUnaryAvx512(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows = 1,
                      int64_t ld = 0);
#endif

void ApplyUnary(UnaryFn fn, const float* x, float* y, int64_t n) {
  ApplyUnaryRows(fn, x, y, 1, n, n);
}

void ApplyUnaryRows(UnaryFn fn, const float* x, float* y, int64_t rows, int64_t n, int64_t ld) {
  if (n <= 0 || rows <= 0) return;
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) {
    ApplyUnaryAvx512(fn, x, y, n, rows, ld);
    return;
  }
  if (MaxIsa() >= Isa::kAvx2) {
    ApplyUnaryAvx2(fn, x, y, n, rows, ld);
    return;
  }
#elif defined(__aarch64__)
  if (MaxIsa() >= Isa::kNeon) {
    ApplyUnaryNeon(fn, x, y, n, rows, ld);
    return;
  }
#endif
  ApplyUnaryGeneric(fn, x, y, n, rows, ld);
}

namespace {

template <typename F>
void BinaryLoops(const float* a, int a_step, const float* b, int b_step, float* y, int64_t n, F f) {
  if (a_step && b_step) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (a_step) {
    const float v = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], v);
  } else if (b_step) {
    const float v = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = f(v, b[i]);
  } else {
    const float v = f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  }
}

}  // namespace

void ApplyBinaryGeneric(BinaryFn fn, const float* a, int a_step, const float* b, int b_step,
                        float* y, int64_t n) {
  switch (fn) {
    case BinaryFn::kAdd:
      return BinaryLoops(a, a_step, b, b_step, y, n, [](float u, float v) { return u + v; });
    case BinaryFn::kSub:
      return BinaryLoops(a, a_step, b, b_step, y, n, [](float u, float v) { return u - v; });
    case BinaryFn::kMul:
      return BinaryLoops(a, a_step, b, b_step, y, n, [](float u, float v) { return u * v; });
    case BinaryFn::kDiv:
      return BinaryLoops(a, a_step, b, b_step, y, n, [](float u, float v) { return u / v; });
  }
}

void ApplyBinary(BinaryFn fn, const float* a, int a_step, const float* b, int b_step, float* y,
                 int64_t n) {
  if (n <= 0) return;
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) {
    ApplyBinaryAvx2(fn, a, a_step, b, b_step, y, n);
    return;
  }
#endif
  ApplyBinaryGeneric(fn, a, a_step, b, b_step, y, n);
}

namespace {

// Max (kMax) or Min of x in 32 lanes, v kept when it beats the lane (so NaN never enters a
// lane: it is flagged instead and the first NaN returned), lanes combined in order.
template <bool kMax>
float ExtremeGeneric(const float* x, int64_t n) {
  const float init = kMax ? -INFINITY : INFINITY;
  auto better = [](float v, float m) { return kMax ? v > m : v < m; };
  float lanes[32];
  int32_t nan[32];
  for (int l = 0; l < 32; ++l) {
    lanes[l] = init;
    nan[l] = 0;
  }
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int l = 0; l < 32; ++l) {
      const float v = x[i + l];
      lanes[l] = better(v, lanes[l]) ? v : lanes[l];
      nan[l] |= static_cast<int32_t>(v != v);
    }
  }
  int32_t any_nan = 0;
  for (int l = 0; l < 32; ++l) any_nan |= nan[l];
  float r = init;
  for (int l = 0; l < 32; ++l) r = better(lanes[l], r) ? lanes[l] : r;
  for (; i < n; ++i) {
    r = better(x[i], r) ? x[i] : r;
    any_nan |= static_cast<int32_t>(x[i] != x[i]);
  }
  return any_nan ? vecmath_impl::FirstNan<ScalarOps>(x, n) : r;
}

}  // namespace

float ReduceSumF32Generic(const float* x, int64_t n) {
  float lanes[32] = {};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int l = 0; l < 32; ++l) lanes[l] += x[i + l];
  }
  float t[8];
  for (int j = 0; j < 8; ++j) t[j] = (lanes[j] + lanes[8 + j]) + (lanes[16 + j] + lanes[24 + j]);
  float s = vecmath_impl::SumOf8<ScalarOps>(t);
  for (; i < n; ++i) s += x[i];
  return s;
}

double ReduceSumF32ToF64Generic(const float* x, int64_t n) {
  double lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] += static_cast<double>(x[i + l]);
  }
  double s = vecmath_impl::SumOf8<ScalarOps>(lanes);
  for (; i < n; ++i) s += static_cast<double>(x[i]);
  return s;
}

float ReduceMaxF32Generic(const float* x, int64_t n) { return ExtremeGeneric<true>(x, n); }
float ReduceMinF32Generic(const float* x, int64_t n) { return ExtremeGeneric<false>(x, n); }

float ReduceSumF32(const float* x, int64_t n) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) return ReduceSumF32Avx2(x, n);
#endif
  return ReduceSumF32Generic(x, n);
}

double ReduceSumF32ToF64(const float* x, int64_t n) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) return ReduceSumF32ToF64Avx2(x, n);
#endif
  return ReduceSumF32ToF64Generic(x, n);
}

float ReduceMaxF32(const float* x, int64_t n) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) return ReduceMaxF32Avx2(x, n);
#endif
  return ReduceMaxF32Generic(x, n);
}

float ReduceMinF32(const float* x, int64_t n) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) return ReduceMinF32Avx2(x, n);
#endif
  return ReduceMinF32Generic(x, n);
}

}  // namespace onnxedge::kernels
