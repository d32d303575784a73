// Copyright onnxedge authors.
// Row kernels of the direct depthwise convolution (one input channel per group).
#pragma once

#include <cstdint>

namespace onnxedge::ops {

/// Computes out[ow] for ow in [ow_lo, ow_hi), a range where every tap lies inside the input:
///   out[ow] = bias + sum over r < n_rows, kw < kw_n of
///             w[r * kw_n + kw] * rows[r][ow * stride + kw * dilation + offset]
/// (`offset` is minus the begin padding; the index is >= 0 inside the range).
using DepthwiseRowFn = void (*)(const float* const* rows, const float* w, int64_t n_rows,
                                int64_t kw_n, int64_t dilation, int64_t stride, int64_t offset,
                                float bias, float* out, int64_t ow_lo, int64_t ow_hi);

void DepthwiseRowGeneric(const float* const* rows, const float* w, int64_t n_rows, int64_t kw_n,
                         int64_t dilation, int64_t stride, int64_t offset, float bias, float* out,
                         int64_t ow_lo, int64_t ow_hi);
/// Channels-last block of the depthwise convolution: 16 channels interleaved, so one output
/// pixel of all 16 channels is kernel-size vector FMAs with no per-row or border work.
///   in:  zero-padded input, [hp][wp][16] (pixel (r, c) at (r * wp + c) * 16)
///   w:   [kh_n * kw_n][16] (tap-major), bias: [16]
///   out: [oh_n * ow_n][16], out(oh, ow) = bias + sum over taps of
///        w(kh, kw) * in(oh * sh + kh * dh, ow * sw + kw * dw)
constexpr int64_t kDepthwiseBlock = 16;
/// Output rows per band for the channels-last paths: `band` as sized for the cache, cut further
/// when there are fewer channel blocks than threads, so the rows are split too and every
/// thread works.
inline int64_t DepthwiseBandForThreads(int64_t band, int64_t rows, int64_t blocks,
                                       int64_t threads) {
  if (blocks >= threads || blocks <= 0) return band;
  const int64_t want = (threads + blocks - 1) / blocks;
  const int64_t split = (rows + want - 1) / want;
  return band < split ? band : (split > 1 ? split : 1);
}
struct DepthwiseBlockArgs {
  const float* in = nullptr;
  int64_t wp = 0;
  const float* w = nullptr;
  const float* bias = nullptr;
  int64_t kh_n = 1, kw_n = 1, sh = 1, sw = 1, dh = 1, dw = 1, oh_n = 0, ow_n = 0;
  float* out = nullptr;
};
using DepthwiseBlockFn = void (*)(const DepthwiseBlockArgs& a);
void DepthwiseBlockGeneric(const DepthwiseBlockArgs& a);
/// The block kernel for MaxIsa().
DepthwiseBlockFn SelectDepthwiseBlock();

/// Interleaves 16 planes into the channels-last layout: for r < rows, c < cols,
/// dst[r * dst_row_stride + c * 16 + lane] = src[lane][r * src_row_stride + c].
using DepthwiseGatherFn = void (*)(const float* const* src, int64_t rows, int64_t cols,
                                   int64_t src_row_stride, float* dst, int64_t dst_row_stride);
/// The inverse for n pixels: dst[lane][p] = src[p * 16 + lane] (+ residual[lane][p] when
/// residual is not null).
using DepthwiseScatterFn = void (*)(const float* src, int64_t n, float* const* dst,
                                    const float* const* residual);
void DepthwiseGatherGeneric(const float* const* src, int64_t rows, int64_t cols,
                            int64_t src_row_stride, float* dst, int64_t dst_row_stride);
void DepthwiseScatterGeneric(const float* src, int64_t n, float* const* dst,
                             const float* const* residual);

#if defined(__x86_64__)
/// AVX2: 8x8 register transposes.
void DepthwiseGatherAvx2(const float* const* src, int64_t rows, int64_t cols,
                         int64_t src_row_stride, float* dst, int64_t dst_row_stride);
void DepthwiseScatterAvx2(const float* src, int64_t n, float* const* dst,
                          const float* const* residual);
/// AVX2 + FMA: 4 output pixels x 16 channels (8 accumulators) per step.
void DepthwiseBlockAvx2(const DepthwiseBlockArgs& a);
/// AVX2 + FMA: 8 or 16 outputs per step; strides 1 and 2 vectorized, others fall back.
void DepthwiseRowAvx2(const float* const* rows, const float* w, int64_t n_rows, int64_t kw_n,
                      int64_t dilation, int64_t stride, int64_t offset, float bias, float* out,
                      int64_t ow_lo, int64_t ow_hi);
#endif

}  // namespace onnxedge::ops
