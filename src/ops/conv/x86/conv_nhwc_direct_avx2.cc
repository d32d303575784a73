// Copyright onnxedge authors.
// AVX2 + FMA tiles of the channels-last in-place convolution (ops/conv/conv_nhwc_direct.h):
// one panel of 16 output channels (two ymm per pixel) for up to 6 pixels, 12 accumulators. With
// 16 registers no wider tile fits (the 2 weight vectors and a broadcast take 3), so it is the
// packing GEMM's 6 x 16 tile without the packing: each k step loads the panel's two weight
// vectors and broadcasts each pixel's input value from its own pointer. Sigmoid, SiLU and GELU
// go over the stored rows through kernels::ApplyActivationRows (the values of every path).
#include <immintrin.h>

#include "kernels/x86/vec_math_avx2.h"
#include "ops/conv/conv_nhwc_direct.h"

namespace onnxedge::ops {

namespace {

template <int R>
void Tile(const NhwcDirectTile& t) {
  __m256 acc[R][2];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  const int64_t run = t.run;
  for (int64_t ki = 0; ki < t.kh; ++ki) {
    const float* x[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) x[r] = t.a[r * t.kh + ki];
    const float* bk = t.b + ki * run * 16;
    for (int64_t j = 0; j < run; ++j, bk += 16) {
      __m256 b0 = _mm256_load_ps(bk), b1 = _mm256_load_ps(bk + 8);
      // Keep the weight vectors in registers (GCC would otherwise fold a load into every
      // pixel's FMA).
      asm("" : "+x"(b0), "+x"(b1));
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256 v = _mm256_broadcast_ss(x[r] + j);
        acc[r][0] = _mm256_fmadd_ps(v, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(v, b1, acc[r][1]);
      }
    }
  }
  // Lanes of the 16 columns that exist (cols <= 16).
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(t.cols), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(t.cols - 8), lane);
  const __m256 bias0 = t.bias ? _mm256_maskload_ps(t.bias, m0) : _mm256_setzero_ps();
  const __m256 bias1 = t.bias ? _mm256_maskload_ps(t.bias + 8, m1) : _mm256_setzero_ps();
  const kernels::Activation& a = *t.activation;
  const bool in_regs = !a.is_none() && !kernels::IsTranscendental(a.kind);
  const kernels::avx2::ActivationVec act(a);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    if (r >= t.rows) break;
    float* y = t.y + r * t.ldy;
    __m256 v0 = _mm256_add_ps(acc[r][0], bias0), v1 = _mm256_add_ps(acc[r][1], bias1);
    if (t.residual) {
      const float* res = t.residual + r * t.ldy;
      v0 = _mm256_add_ps(v0, _mm256_maskload_ps(res, m0));
      v1 = _mm256_add_ps(v1, _mm256_maskload_ps(res + 8, m1));
    }
    if (in_regs) {
      v0 = act.Apply(v0);
      v1 = act.Apply(v1);
    }
    _mm256_maskstore_ps(y, m0, v0);
    _mm256_maskstore_ps(y + 8, m1, v1);
  }
  if (kernels::IsTranscendental(a.kind)) {
    kernels::ApplyActivationRows(t.y, t.rows, t.cols, static_cast<long>(t.ldy), a);
  }
}

}  // namespace

NhwcDirectKernel NhwcDirectKernelAvx2(int panels, int64_t rows) {
  if (panels != 1) return {};
  if (rows <= 1) return {&Tile<1>, 1, 1};
  if (rows <= 3) return {&Tile<3>, 3, 1};
  return {&Tile<6>, 6, 1};
}

}  // namespace onnxedge::ops
