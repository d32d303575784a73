// Copyright onnxedge authors.
// AVX-512F direct depthwise plane kernels (ops/conv/depthwise_direct_impl.h): 16 columns per
// vector, masked loads and stores for the borders. Built with -mavx512f (this file only) and
// selected only when cpuid reports it.
#include <immintrin.h>

#include "ops/conv/depthwise_direct_impl.h"

namespace onnxedge::ops {

namespace {

struct Avx512 {
  static constexpr int kLanes = 16;
  using V = __m512;
  using Mask = __mmask16;
  static Mask Full() { return static_cast<Mask>(0xFFFF); }
  static Mask None() { return 0; }
  static Mask And(Mask a, Mask b) { return static_cast<Mask>(a & b); }
  // Lanes l with 0 <= start + l < n.
  static Mask Range(int64_t start, int64_t n) {
    const int64_t lo = std::clamp<int64_t>(-start, 0, kLanes);
    const int64_t hi = std::clamp<int64_t>(n - start, 0, kLanes);
    if (hi <= lo) return 0;
    const uint32_t bits = ((1u << hi) - 1u) & ~((1u << lo) - 1u);
    return static_cast<Mask>(bits);
  }
  static V Load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void Store(float* p, V v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
  static V Set1(float x) { return _mm512_set1_ps(x); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Max(V a, V b) { return _mm512_max_ps(a, b); }
  static V Min(V a, V b) { return _mm512_min_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  // Elements 0, 2, ..., 30 (Evens) and 1, 3, ..., 31 (Odds) of the 32 floats lo:hi.
  static V Evens(V lo, V hi) {
    const __m512i idx =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, idx, hi);
  }
  static V Odds(V lo, V hi) {
    const __m512i idx =
        _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_permutex2var_ps(lo, idx, hi);
  }
};

}  // namespace

DepthwiseDirectFn SelectDepthwiseDirectAvx512(int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
  return dw_direct::Select<Avx512>(kh, kw, sh, sw);
}

}  // namespace onnxedge::ops
