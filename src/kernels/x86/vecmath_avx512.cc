// Copyright onnxedge authors.
// AVX-512F path of kernels/vecmath.h: the algorithms of vecmath_impl.h on 16 lanes. Every step
// is the same IEEE operation as on the AVX2 path (same FMAs, same round-to-nearest
// conversions), so both return identical bits; this one does twice the lanes per instruction.
// Built with -mavx512f (this file only); called only when MaxIsa() >= kAvx512.
#include <immintrin.h>

#include <cstdint>

#include "kernels/vecmath.h"
#include "kernels/vecmath_impl.h"
#include "kernels/x86/vecmath_ops_avx512.h"

namespace onnxedge::kernels {

namespace {

template <UnaryFn kFn>
inline __m512 Eval(__m512 x) {
  return vecmath_impl::Eval<kFn, vecmath_avx512::Avx512Ops>(x);
}

template <UnaryFn kFn>
void Map(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a = Eval<kFn>(_mm512_loadu_ps(x + i));
    const __m512 b = Eval<kFn>(_mm512_loadu_ps(x + i + 16));
    _mm512_storeu_ps(y + i, a);
    _mm512_storeu_ps(y + i + 16, b);
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Eval<kFn>(_mm512_loadu_ps(x + i)));
  if (i < n) {
    // Masked-off lanes load 0.0 and are not stored (no access past the end).
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, mask, Eval<kFn>(_mm512_maskz_loadu_ps(mask, x + i)));
  }
}

}  // namespace

void ApplyUnaryAvx512(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows, int64_t ld) {
  vecmath_impl::DispatchUnary(fn, [&](auto f) {
    for (int64_t r = 0; r < rows; ++r) Map<decltype(f)::value>(x + r * ld, y + r * ld, n);
  });
}

}  // namespace onnxedge::kernels
