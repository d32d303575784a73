// Copyright onnxedge authors.
// The small vector interface the convolution and pooling kernels are written against (depthwise
// planes, channels-last depthwise, the direct few-channel convolution, max pool rows), for the ISA of the file that
// includes it: `Avx512` (16 floats, mask registers) when built with -mavx512f, otherwise `Avx2`
// (8 floats, vector masks) when built with -mavx2 -mfma; `Native` names the one defined. Only
// one is defined per file: the AVX2 one would pull kernels::avx2's inline functions, compiled
// here with AVX-512 enabled, into the link, where they could replace the AVX2 files' copies.
//
// Everything is in an anonymous namespace: files built with different flags get their own
// copies, which the linker never merges. Masked loads never touch masked-off lanes (no fault, no
// read), so a masked load may cover memory past the end of a buffer as long as its address is
// formed from a valid pointer.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#if defined(__AVX512F__)
#include "kernels/x86/vec_math_avx512.h"
#elif defined(__AVX2__)
#include "kernels/x86/vec_math_avx2.h"
#endif

namespace onnxedge::ops::simd {
namespace {

#if defined(__AVX512F__)
struct Avx512 {
  static constexpr int kLanes = 16;
  using V = __m512;
  using Mask = __mmask16;
  using ActivationVec = kernels::avx512::ActivationVec;
  static Mask Full() { return static_cast<Mask>(0xFFFF); }
  static Mask None() { return 0; }
  static Mask And(Mask a, Mask b) { return static_cast<Mask>(a & b); }
  // Lanes l with 0 <= start + l < n.
  static Mask Range(int64_t start, int64_t n) {
    const int64_t lo = std::clamp<int64_t>(-start, 0, kLanes);
    const int64_t hi = std::clamp<int64_t>(n - start, 0, kLanes);
    if (hi <= lo) return 0;
    return static_cast<Mask>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
  }
  // The first n lanes (0 <= n <= kLanes).
  static Mask Prefix(int64_t n) { return static_cast<Mask>((1u << n) - 1u); }
  static V Zero() { return _mm512_setzero_ps(); }
  static V Load(const float* p) { return _mm512_loadu_ps(p); }
  static V Load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void Store(float* p, V v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
  static V Set1(float x) { return _mm512_set1_ps(x); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Max(V a, V b) { return _mm512_max_ps(a, b); }
  static V Min(V a, V b) { return _mm512_min_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  // Load with the masked-off lanes set to `fill` (and not read).
  static V LoadOr(const float* p, Mask m, V fill) { return _mm512_mask_loadu_ps(fill, m, p); }
  // max(acc, v), NaN when either is NaN (maxps alone returns its second operand on a NaN).
  static V NanMax(V acc, V v) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q), _mm512_max_ps(acc, v),
                                acc);
  }
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
#elif defined(__AVX2__)
struct Avx2 {
  static constexpr int kLanes = 8;
  using V = __m256;
  using Mask = __m256i;
  using ActivationVec = kernels::avx2::ActivationVec;
  static Mask Full() { return _mm256_set1_epi32(-1); }
  static Mask None() { return _mm256_setzero_si256(); }
  static Mask And(Mask a, Mask b) { return _mm256_and_si256(a, b); }
  // Lanes l with 0 <= start + l < n.
  static Mask Range(int64_t start, int64_t n) {
    const int lo = static_cast<int>(std::clamp<int64_t>(-start, 0, kLanes));
    const int hi = static_cast<int>(std::clamp<int64_t>(n - start, 0, kLanes));
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i below_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), lane);
    const __m256i from_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(lo), lane);
    return _mm256_andnot_si256(from_lo, below_hi);
  }
  // The first n lanes (0 <= n <= kLanes).
  static Mask Prefix(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V Zero() { return _mm256_setzero_ps(); }
  static V Load(const float* p) { return _mm256_loadu_ps(p); }
  static V Load(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void Store(float* p, V v, Mask m) { _mm256_maskstore_ps(p, m, v); }
  static V Set1(float x) { return _mm256_set1_ps(x); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Max(V a, V b) { return _mm256_max_ps(a, b); }
  static V Min(V a, V b) { return _mm256_min_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  // Load with the masked-off lanes set to `fill` (and not read).
  static V LoadOr(const float* p, Mask m, V fill) {
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  // max(acc, v), NaN when either is NaN (maxps alone returns its second operand on a NaN).
  static V NanMax(V acc, V v) {
    return _mm256_blendv_ps(_mm256_max_ps(acc, v), acc, _mm256_cmp_ps(acc, acc, _CMP_UNORD_Q));
  }
  // Elements 0, 2, ..., 14 (Evens) and 1, 3, ..., 15 (Odds) of the 16 floats lo:hi: per
  // 128-bit lane [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6], then the 64-bit quarters reordered.
  static V Evens(V lo, V hi) {
    const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  static V Odds(V lo, V hi) {
    const __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
  }
};
#endif

#if defined(__AVX512F__)
using Native = Avx512;
#elif defined(__AVX2__)
using Native = Avx2;
#endif

}  // namespace
}  // namespace onnxedge::ops::simd
