// Copyright onnxedge authors.
// NEON micro-kernels of the f32 GEMM on aarch64: tiles of R <= 6 rows x P panels of 16 columns
// (kernels/gemm.h's GemmTile: packed or in-place B, unaligned loads), with the fused epilogue
// (Sigmoid/SiLU/GELU never reach it: kernels/vecmath.h applies those afterwards). AdvSIMD is part of
// the ARMv8-A baseline, so this file needs no ISA flags; it runs when MaxIsa() >= Isa::kNeon.
//
// Per k step the 6 A values sit in two registers (a q and a d register) and each 4-float
// vector of the B panels is loaded once and multiplied into every row with a lane-indexed FMLA,
// so R * 4P accumulators + 1 B vector + 2 A registers are live: 6 x 16 uses 27 of the 32
// vector registers; wider tiles are only for fewer rows (max_panels in gemm.cc).
#include <arm_neon.h>

#include <utility>

#include "kernels/arm/vec_math_neon.h"
#include "kernels/gemm.h"

namespace onnxedge::kernels {

namespace {

using neon::ActivationVec;

// acc += b * a[r], with a[0..3] in a0123 and a[4..5] in a45; the lane must be a constant.
template <int kRow>
inline float32x4_t FmaRow(float32x4_t acc, float32x4_t b, float32x4_t a0123, float32x2_t a45) {
  if constexpr (kRow < 4) {
    return vfmaq_laneq_f32(acc, b, a0123, kRow);
  } else {
    return vfmaq_lane_f32(acc, b, a45, kRow - 4);
  }
}

template <int kVecs, int... kRows>
inline void FmaRows(std::integer_sequence<int, kRows...>,
                    float32x4_t (&acc)[sizeof...(kRows)][kVecs], int v, float32x4_t b,
                    float32x4_t a0123, float32x2_t a45) {
  ((acc[kRows][v] = FmaRow<kRows>(acc[kRows][v], b, a0123, a45)), ...);
}

template <int R, int P>
void Tile(const GemmTile& t) {
  constexpr int kVecs = 4 * P;  // 4-float vectors per row
  float32x4_t acc[R][kVecs];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int v = 0; v < kVecs; ++v) acc[r][v] = vdupq_n_f32(0.f);
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t bs = t.b_stride;
  const int64_t bk = t.b_k_stride;  // 16 when packed, B's row stride when read in place
  const int64_t kc = t.kc;
  for (int64_t k = 0; k < kc; ++k) {
    // A sliver rows past mr are zero-padded by PackA, so reading all 6 is safe.
    const float32x4_t a0123 = vld1q_f32(a);
    const float32x2_t a45 = vld1_f32(a + 4);
#pragma GCC unroll 16
    for (int v = 0; v < kVecs; ++v) {
      const float32x4_t bv = vld1q_f32(b + (v / 4) * bs + (v % 4) * 4);
      FmaRows<kVecs>(std::make_integer_sequence<int, R>(), acc, v, bv, a0123, a45);
    }
    a += kGemmMr;
    b += bk;
  }
  // C = alpha * acc (+ C) (+ row bias + column bias, activation): the portable tile's order.
  const float32x4_t alpha = vdupq_n_f32(t.alpha);
  const bool scale = t.alpha != 1.f;
  const ActivationVec act(t.epilogue ? t.activation : Activation::None());
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    float* cr = t.c + r * t.ldc;
    const float32x4_t rb = vdupq_n_f32(t.epilogue && t.row_bias ? t.row_bias[r] : 0.f);
#pragma GCC unroll 16
    for (int v = 0; v < kVecs; ++v) {
      const int col = 4 * v;
      const int valid = t.nr - col;
      if (valid <= 0) break;
      float32x4_t x = scale ? vmulq_f32(alpha, acc[r][v]) : acc[r][v];
      if (valid >= 4) {
        if (t.accumulate) x = vaddq_f32(x, vld1q_f32(cr + col));
        if (t.epilogue) {
          x = vaddq_f32(x, rb);
          if (t.col_bias) x = vaddq_f32(x, vld1q_f32(t.col_bias + col));
          x = act.Apply(x);
        }
        vst1q_f32(cr + col, x);
        continue;
      }
      // Column tail (1..3 columns): go through a stack buffer so that nothing past nr is read
      // or written.
      float buf[4] = {0.f, 0.f, 0.f, 0.f};
      if (t.accumulate) {
        for (int j = 0; j < valid; ++j) buf[j] = cr[col + j];
        x = vaddq_f32(x, vld1q_f32(buf));
      }
      if (t.epilogue) {
        x = vaddq_f32(x, rb);
        if (t.col_bias) {
          for (int j = 0; j < valid; ++j) buf[j] = t.col_bias[col + j];
          x = vaddq_f32(x, vld1q_f32(buf));
        }
        x = act.Apply(x);
      }
      vst1q_f32(buf, x);
      for (int j = 0; j < valid; ++j) cr[col + j] = buf[j];
    }
  }
}

using TileFn = void (*)(const GemmTile&);

// Up to 4 panels with 1 row (16 accumulators), 2 with 2-3 rows (16-24), 1 with 4-6 (16-24):
// the same maxima as the AVX2 family (kNeonKernels in gemm.cc).
constexpr TileFn kTiles[kGemmMr + 1][5] = {
    {nullptr, nullptr, nullptr, nullptr, nullptr},
    {nullptr, Tile<1, 1>, Tile<1, 2>, Tile<1, 3>, Tile<1, 4>},
    {nullptr, Tile<2, 1>, Tile<2, 2>, nullptr, nullptr},
    {nullptr, Tile<3, 1>, Tile<3, 2>, nullptr, nullptr},
    {nullptr, Tile<4, 1>, nullptr, nullptr, nullptr},
    {nullptr, Tile<5, 1>, nullptr, nullptr, nullptr},
    {nullptr, Tile<6, 1>, nullptr, nullptr, nullptr},
};

}  // namespace

void GemmTileNeon(const GemmTile& t) { kTiles[t.mr][t.panels](t); }

void ApplyActivationNeon(float* x, long n, const Activation& act) {
  const ActivationVec a(act);
  long i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(x + i, a.Apply(vld1q_f32(x + i)));
  if (i < n) {
    float buf[4] = {0.f, 0.f, 0.f, 0.f};
    for (long j = i; j < n; ++j) buf[j - i] = x[j];
    vst1q_f32(buf, a.Apply(vld1q_f32(buf)));
    for (long j = i; j < n; ++j) x[j] = buf[j - i];
  }
}

}  // namespace onnxedge::kernels
