// Copyright onnxedge authors.
// NEON micro-kernel for the f32 GEMM on aarch64 (AdvSIMD is part of the ARMv8-A baseline, so
// this file needs no ISA flags and the kernel needs no run-time check).
//
// It reads the same packed layout as the other micro-kernels (slivers of kGemmMr = 6 rows of A,
// panels of kGemmNr = 16 columns of B): per k step one 16-float row of the B panel fills four
// q registers and the 6 A values two more (a q and a d register), then 24 lane-indexed FMLAs
// update the 6 x 16 tile held in 24 q registers. 24 + 4 + 2 = 30 of the 32 vector registers.
#include <arm_neon.h>

#include "kernels/gemm.h"

namespace onnxedge::kernels {

static_assert(kGemmMr == 6 && kGemmNr == 16, "GemmF32Neon_6x16 assumes 6 x 16 register tiles");

namespace {

// One k step: c[r][q] += a[r] * b[q], a in (a0123, a45).
#define ONNXEDGE_NEON_ROW_Q(acc0, acc1, acc2, acc3, av, lane)   \
  acc0 = vfmaq_laneq_f32(acc0, b0, av, lane);                   \
  acc1 = vfmaq_laneq_f32(acc1, b1, av, lane);                   \
  acc2 = vfmaq_laneq_f32(acc2, b2, av, lane);                   \
  acc3 = vfmaq_laneq_f32(acc3, b3, av, lane)
#define ONNXEDGE_NEON_ROW_D(acc0, acc1, acc2, acc3, av, lane)   \
  acc0 = vfmaq_lane_f32(acc0, b0, av, lane);                    \
  acc1 = vfmaq_lane_f32(acc1, b1, av, lane);                    \
  acc2 = vfmaq_lane_f32(acc2, b2, av, lane);                    \
  acc3 = vfmaq_lane_f32(acc3, b3, av, lane)

// alpha * acc (+ C) (+ biases, clamp), in the order the portable kernel uses.
inline float32x4_t Finish(float32x4_t acc, float32x4_t va, const float* c, bool accumulate,
                          bool has_ep, float32x4_t rb, float32x4_t cb, float32x4_t lo,
                          float32x4_t hi) {
  float32x4_t v = vmulq_f32(va, acc);
  if (accumulate) v = vaddq_f32(v, vld1q_f32(c));
  if (has_ep) {
    v = vaddq_f32(vaddq_f32(v, rb), cb);
    // FMAX/FMIN return NaN when either operand is NaN: a NaN result stays NaN, as in the
    // portable kernel.
    v = vminq_f32(hi, vmaxq_f32(lo, v));
  }
  return v;
}

}  // namespace

void GemmF32Neon_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                      int nr, float alpha, bool accumulate, const GemmTileEpilogue* ep) {
  float32x4_t c00 = vdupq_n_f32(0.f), c01 = c00, c02 = c00, c03 = c00;
  float32x4_t c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  float32x4_t c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  float32x4_t c30 = c00, c31 = c00, c32 = c00, c33 = c00;
  float32x4_t c40 = c00, c41 = c00, c42 = c00, c43 = c00;
  float32x4_t c50 = c00, c51 = c00, c52 = c00, c53 = c00;
  for (int64_t k = 0; k < kc; ++k) {
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    const float32x4_t b2 = vld1q_f32(b + 8);
    const float32x4_t b3 = vld1q_f32(b + 12);
    const float32x4_t a0123 = vld1q_f32(a);
    const float32x2_t a45 = vld1_f32(a + 4);
    ONNXEDGE_NEON_ROW_Q(c00, c01, c02, c03, a0123, 0);
    ONNXEDGE_NEON_ROW_Q(c10, c11, c12, c13, a0123, 1);
    ONNXEDGE_NEON_ROW_Q(c20, c21, c22, c23, a0123, 2);
    ONNXEDGE_NEON_ROW_Q(c30, c31, c32, c33, a0123, 3);
    ONNXEDGE_NEON_ROW_D(c40, c41, c42, c43, a45, 0);
    ONNXEDGE_NEON_ROW_D(c50, c51, c52, c53, a45, 1);
    a += kGemmMr;
    b += kGemmNr;
  }
  float32x4_t rows[kGemmMr][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13},
                                  {c20, c21, c22, c23}, {c30, c31, c32, c33},
                                  {c40, c41, c42, c43}, {c50, c51, c52, c53}};
  const float32x4_t va = vdupq_n_f32(alpha);
  if (nr == kGemmNr) {
    float32x4_t cb[4] = {vdupq_n_f32(0.f), vdupq_n_f32(0.f), vdupq_n_f32(0.f), vdupq_n_f32(0.f)};
    float32x4_t lo = vdupq_n_f32(-__builtin_inff()), hi = vdupq_n_f32(__builtin_inff());
    if (ep) {
      if (ep->col_bias) {
        for (int q = 0; q < 4; ++q) cb[q] = vld1q_f32(ep->col_bias + 4 * q);
      }
      lo = vdupq_n_f32(ep->clamp_min);
      hi = vdupq_n_f32(ep->clamp_max);
    }
    for (int r = 0; r < mr; ++r) {
      float* cr = c + r * ldc;
      const float32x4_t rb = vdupq_n_f32(ep && ep->row_bias ? ep->row_bias[r] : 0.f);
      for (int q = 0; q < 4; ++q) {
        vst1q_f32(cr + 4 * q, Finish(rows[r][q], va, cr + 4 * q, accumulate, ep != nullptr, rb,
                                     cb[q], lo, hi));
      }
    }
    return;
  }
  // Column remainder: spill the tile and finish the nr valid columns one by one.
  float tmp[kGemmNr];
  for (int r = 0; r < mr; ++r) {
    for (int q = 0; q < 4; ++q) vst1q_f32(tmp + 4 * q, rows[r][q]);
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; ++j) {
      float v = alpha * tmp[j];
      if (accumulate) v += cr[j];
      if (ep) {
        if (ep->row_bias) v += ep->row_bias[r];
        if (ep->col_bias) v += ep->col_bias[j];
        // Written so that a NaN v stays NaN (both comparisons are false).
        v = v < ep->clamp_min ? ep->clamp_min : v;
        v = v > ep->clamp_max ? ep->clamp_max : v;
      }
      cr[j] = v;
    }
  }
}

#undef ONNXEDGE_NEON_ROW_Q
#undef ONNXEDGE_NEON_ROW_D

}  // namespace onnxedge::kernels
