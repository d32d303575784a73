// Copyright onnxedge authors.
// AVX2+FMA path of kernels/vecmath.h: the algorithms of vecmath_impl.h on 8 lanes. Built with
// -mavx2 -mfma (this file only); called only when MaxIsa() >= kAvx2.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/vecmath.h"
#include "kernels/vecmath_impl.h"

namespace onnxedge::kernels {

namespace {

struct Avx2Ops {
  using V = __m256;
  using M = __m256;
  static V Set(float c) { return _mm256_set1_ps(c); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm256_div_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V Fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V Fms(V a, V b, V c) { return _mm256_fmsub_ps(a, b, c); }
  static V Min(V a, V b) { return _mm256_min_ps(a, b); }
  static V Max(V a, V b) { return _mm256_max_ps(a, b); }
  static V Abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), a); }
  static V CopySign(V mag, V sign) {
    const V s = _mm256_set1_ps(-0.f);
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sign));
  }
  static V Round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V Pow2(V n) {
    const __m256i i = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(i, 23));
  }
  static M Lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M Ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static V Select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
  static bool None(M m) { return _mm256_movemask_ps(m) == 0; }
  static bool All(M m) { return _mm256_movemask_ps(m) == 0xff; }
};

template <UnaryFn kFn>
inline __m256 Eval(__m256 x) {
  return vecmath_impl::Eval<kFn, Avx2Ops>(x);
}

template <UnaryFn kFn>
void Map(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = Eval<kFn>(_mm256_loadu_ps(x + i));
    const __m256 b = Eval<kFn>(_mm256_loadu_ps(x + i + 8));
    _mm256_storeu_ps(y + i, a);
    _mm256_storeu_ps(y + i + 8, b);
  }
  if (i + 8 <= n) {
    _mm256_storeu_ps(y + i, Eval<kFn>(_mm256_loadu_ps(x + i)));
    i += 8;
  }
  if (i < n) {
    // Masked lanes load 0.0, which every function handles without faults.
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(y + i, mask, Eval<kFn>(_mm256_maskload_ps(x + i, mask)));
  }
}

}  // namespace

void ApplyUnaryAvx2(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows, int64_t ld) {
  vecmath_impl::DispatchUnary(fn, [&](auto f) {
    for (int64_t r = 0; r < rows; ++r) Map<decltype(f)::value>(x + r * ld, y + r * ld, n);
  });
}

namespace {

struct AddOp {
  static __m256 V(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
  static float S(float a, float b) { return a + b; }
};
struct SubOp {
  static __m256 V(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
  static float S(float a, float b) { return a - b; }
};
struct MulOp {
  static __m256 V(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
  static float S(float a, float b) { return a * b; }
};
struct DivOp {
  static __m256 V(__m256 a, __m256 b) { return _mm256_div_ps(a, b); }
  static float S(float a, float b) { return a / b; }
};

// kA / kB: whether the operand advances (else one broadcast value).
template <typename Op, bool kA, bool kB>
void BinaryMap(const float* a, const float* b, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a[0]), vb = _mm256_set1_ps(b[0]);
  auto load_a = [&](int64_t i) { return kA ? _mm256_loadu_ps(a + i) : va; };
  auto load_b = [&](int64_t i) { return kB ? _mm256_loadu_ps(b + i) : vb; };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 r0 = Op::V(load_a(i), load_b(i));
    const __m256 r1 = Op::V(load_a(i + 8), load_b(i + 8));
    const __m256 r2 = Op::V(load_a(i + 16), load_b(i + 16));
    const __m256 r3 = Op::V(load_a(i + 24), load_b(i + 24));
    _mm256_storeu_ps(y + i, r0);
    _mm256_storeu_ps(y + i + 8, r1);
    _mm256_storeu_ps(y + i + 16, r2);
    _mm256_storeu_ps(y + i + 24, r3);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Op::V(load_a(i), load_b(i)));
  for (; i < n; ++i) y[i] = Op::S(kA ? a[i] : a[0], kB ? b[i] : b[0]);
}

template <typename Op>
void BinaryDispatch(const float* a, int a_step, const float* b, int b_step, float* y, int64_t n) {
  if (a_step && b_step) return BinaryMap<Op, true, true>(a, b, y, n);
  if (a_step) return BinaryMap<Op, true, false>(a, b, y, n);
  if (b_step) return BinaryMap<Op, false, true>(a, b, y, n);
  return BinaryMap<Op, false, false>(a, b, y, n);
}

}  // namespace

void ApplyBinaryAvx2(BinaryFn fn, const float* a, int a_step, const float* b, int b_step, float* y,
                     int64_t n) {
  switch (fn) {
    case BinaryFn::kAdd:
      return BinaryDispatch<AddOp>(a, a_step, b, b_step, y, n);
    case BinaryFn::kSub:
      return BinaryDispatch<SubOp>(a, a_step, b, b_step, y, n);
    case BinaryFn::kMul:
      return BinaryDispatch<MulOp>(a, a_step, b, b_step, y, n);
    case BinaryFn::kDiv:
      return BinaryDispatch<DivOp>(a, a_step, b, b_step, y, n);
  }
}

namespace {

template <bool kMax>
float ExtremeAvx2(const float* x, int64_t n) {
  const float init = kMax ? -INFINITY : INFINITY;
  auto pick = [](__m256 v, __m256 m) { return kMax ? _mm256_max_ps(v, m) : _mm256_min_ps(v, m); };
  __m256 m0 = _mm256_set1_ps(init), m1 = m0, m2 = m0, m3 = m0;
  __m256 bad = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
    const __m256 v2 = _mm256_loadu_ps(x + i + 16), v3 = _mm256_loadu_ps(x + i + 24);
    // max_ps/min_ps(v, m) return m when v is NaN: lanes stay numbers, NaN is flagged.
    m0 = pick(v0, m0);
    m1 = pick(v1, m1);
    m2 = pick(v2, m2);
    m3 = pick(v3, m3);
    bad = _mm256_or_ps(bad, _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q),
                                         _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q)));
  }
  alignas(32) float lanes[32];
  _mm256_store_ps(lanes, m0);
  _mm256_store_ps(lanes + 8, m1);
  _mm256_store_ps(lanes + 16, m2);
  _mm256_store_ps(lanes + 24, m3);
  bool any_nan = _mm256_movemask_ps(bad) != 0;
  auto better = [](float v, float m) { return kMax ? v > m : v < m; };
  float r = init;
  for (int l = 0; l < 32; ++l) r = better(lanes[l], r) ? lanes[l] : r;
  for (; i < n; ++i) {
    r = better(x[i], r) ? x[i] : r;
    any_nan |= x[i] != x[i];
  }
  return any_nan ? vecmath_impl::FirstNan<Avx2Ops>(x, n) : r;
}

}  // namespace

float ReduceSumF32Avx2(const float* x, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float s = vecmath_impl::SumOf8<Avx2Ops>(t);
  for (; i < n; ++i) s += x[i];
  return s;
}

double ReduceSumF32ToF64Avx2(const float* x, int64_t n) {
  // Lanes 0-3 in a0, 4-7 in a1: the generic path's 8 lanes.
  __m256d a0 = _mm256_setzero_pd(), a1 = a0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  alignas(32) double t[8];
  _mm256_store_pd(t, a0);
  _mm256_store_pd(t + 4, a1);
  double s = vecmath_impl::SumOf8<Avx2Ops>(t);
  for (; i < n; ++i) s += static_cast<double>(x[i]);
  return s;
}

float ReduceMaxF32Avx2(const float* x, int64_t n) { return ExtremeAvx2<true>(x, n); }
float ReduceMinF32Avx2(const float* x, int64_t n) { return ExtremeAvx2<false>(x, n); }

}  // namespace onnxedge::kernels
