// Copyright onnxedge authors.
// AVX-512 tiles of the channels-last in-place convolution (ops/conv/conv_nhwc_direct.h):
// R output pixels x P panels of 16 output channels in R * P zmm accumulators. Each k step
// loads the P weight vectors of row k and broadcasts each pixel's input value at k from its own
// pointer. Shapes: 24 x 1, 12 x 2, 8 x 3, 6 x 4 panels, 24 accumulators each, so that the
// P + R loads of a step stay below its R * P FMAs (except 24 x 1, where they are even).
// GCC 12 warns about the intentionally undefined upper lanes inside its own intrinsics headers.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/vecmath_impl.h"
#include "kernels/x86/l2_prefetch.h"
#include "kernels/x86/vec_math_avx512.h"
#include "kernels/x86/vecmath_ops_avx512.h"
#include "ops/conv/conv_nhwc_direct.h"

namespace onnxedge::ops {

namespace {

// Stores rows < t.rows of the tile: bias, residual, then the activation, all in registers
// (Sigmoid, SiLU and GELU by vecmath_impl.h on the same AVX-512 ops as kernels::ApplyUnary, so
// the values are those of the unfused activation).
template <int R, int P, typename Fn>
inline __attribute__((always_inline)) void StoreWith(__m512 (&acc)[R][P],
                                                     const NhwcDirectTile& t, Fn fn) {
  const int last = t.cols - (P - 1) * 16;  // 1..16
  __mmask16 mask[P];
  __m512 bias[P];
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
    mask[p] = p < P - 1 ? static_cast<__mmask16>(0xFFFF)
                        : static_cast<__mmask16>((1u << last) - 1u);
    bias[p] = t.bias ? _mm512_maskz_loadu_ps(mask[p], t.bias + p * 16) : _mm512_setzero_ps();
  }
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
    if (r >= t.rows) break;
    float* y = t.y + r * t.ldy;
    const float* res = t.residual ? t.residual + r * t.ldy : nullptr;
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) {
      __m512 v = _mm512_add_ps(acc[r][p], bias[p]);
      if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask[p], res + p * 16));
      _mm512_mask_storeu_ps(y + p * 16, mask[p], fn(v));
    }
  }
}

template <kernels::UnaryFn kFn>
__m512 Eval(__m512 x) {
  return kernels::vecmath_impl::Eval<kFn, kernels::vecmath_avx512::Avx512Ops>(x);
}

template <int R, int P>
inline __attribute__((always_inline)) void Store(__m512 (&acc)[R][P], const NhwcDirectTile& t) {
  using kernels::ActivationKind;
  using kernels::UnaryFn;
  const kernels::Activation& a = *t.activation;
  switch (a.kind) {
    case ActivationKind::kNone:
      return StoreWith<R, P>(acc, t, [](__m512 v) { return v; });
    case ActivationKind::kSilu:
      return StoreWith<R, P>(acc, t, [](__m512 v) { return Eval<UnaryFn::kSilu>(v); });
    case ActivationKind::kSigmoid:
      return StoreWith<R, P>(acc, t, [](__m512 v) { return Eval<UnaryFn::kSigmoid>(v); });
    case ActivationKind::kGeluErf:
      return StoreWith<R, P>(acc, t, [](__m512 v) { return Eval<UnaryFn::kGeluErf>(v); });
    case ActivationKind::kGeluTanh:
      return StoreWith<R, P>(acc, t, [](__m512 v) { return Eval<UnaryFn::kGeluTanh>(v); });
    default: {
      const kernels::avx512::ActivationVec act(a);
      return StoreWith<R, P>(acc, t, [&act](__m512 v) { return act.Apply(v); });
    }
  }
}

template <int R, int P>
void Tile(const NhwcDirectTile& t) {
  __m512 acc[R][P];
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_ps();
  }
  const int64_t run = t.run, bs = t.b_stride;
  kernels::x86::L2Prefetch l2(t.l2_prefetch, P >= 2 ? t.l2_prefetch_lines : 0, t.kh * run);
  for (int64_t ki = 0; ki < t.kh; ++ki) {
    const float* x[R];
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) x[r] = t.a[r * t.kh + ki];
    const float* bk = t.b + ki * run * 16;
    for (int64_t j = 0; j < run; ++j, bk += 16) {
      l2.Step();
      __m512 bv[P];
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) {
        // The weights stream from L2 (a panel group of a large K does not fit in L1): fetch
        // the row 16 steps ahead. Not for one panel, whose 25 loads per step already fill
        // both load ports (measured 0.7x with the prefetch on 16 -> 16 3x3 at 80x80).
        if constexpr (P >= 2) {
          _mm_prefetch(reinterpret_cast<const char*>(bk + p * bs + 16 * 16), _MM_HINT_T0);
        }
        bv[p] = _mm512_load_ps(bk + p * bs);
      }
#pragma GCC unroll 32
      for (int r = 0; r < R; ++r) {
        const __m512 v = _mm512_set1_ps(x[r][j]);
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) acc[r][p] = _mm512_fmadd_ps(v, bv[p], acc[r][p]);
      }
    }
  }
  Store<R, P>(acc, t);
}

}  // namespace

NhwcDirectKernel NhwcDirectKernelAvx512(int panels, int64_t rows) {
  // Full tiles, and for a chunk's last few pixels the smallest shorter tile that covers them
  // (a 7x7 map is 8 tiles of 6 rows and 1 row: the 6-row tile would compute 5 rows for nothing).
  switch (panels) {
    case 1:
      if (rows <= 6) return {&Tile<6, 1>, 6, 1};
      if (rows <= 12) return {&Tile<12, 1>, 12, 1};
      return {&Tile<24, 1>, 24, 1};
    case 2:
      if (rows <= 3) return {&Tile<3, 2>, 3, 2};
      if (rows <= 6) return {&Tile<6, 2>, 6, 2};
      return {&Tile<12, 2>, 12, 2};
    case 3:
      if (rows <= 2) return {&Tile<2, 3>, 2, 3};
      if (rows <= 4) return {&Tile<4, 3>, 4, 3};
      return {&Tile<8, 3>, 8, 3};
    case 4:
      if (rows <= 1) return {&Tile<1, 4>, 1, 4};
      if (rows <= 3) return {&Tile<3, 4>, 3, 4};
      return {&Tile<6, 4>, 6, 4};
    default:
      return {};
  }
}

}  // namespace onnxedge::ops
