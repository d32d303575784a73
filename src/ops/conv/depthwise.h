// Copyright onnxedge authors.
// Row kernels of the direct depthwise convolution (one input channel per group).
#pragma once

#include <cstdint>

namespace onnxedge::kernels {
struct Activation;
}

namespace onnxedge::ops {

/// A 2-D depthwise convolution with dilation 1 for the direct plane kernels
/// (ops/conv/depthwise_direct_impl.h), plane by plane (plane p = image * M + output channel):
///   y(p, oh, ow) = act(bias[m] + residual(p, oh, ow) + sum over kh, kw of
///                      w[m * kernel_size + kh * kw_n + kw] * x(img, m / mult, oh * s - ph + kh,
///                                                              ow * s - pw + kw))
/// with taps outside the input reading zero.
struct DepthwiseDirectArgs {
  const float* x = nullptr;
  int64_t in_channels = 0;
  int64_t ih_n = 0, iw_n = 0, ph = 0, pw = 0, oh_n = 0, ow_n = 0;
  const float* w = nullptr;  ///< [M][kernel_size]
  int64_t kernel_size = 0;
  const float* bias = nullptr;  ///< [M] or null
  float* y = nullptr;
  const float* residual = nullptr;  ///< Shape of y, or null.
  int64_t m_total = 0, mult = 1;    ///< Output channels; output channels per input channel.
  int64_t bands = 1, band_rows = 0;  ///< Each plane's output rows in `bands` bands.
  const kernels::Activation* activation = nullptr;
};
/// Runs tasks [t0, t1): task t is band t % bands of plane t / bands. The loop over tasks lives
/// in the ISA file, so the caller's (non-AVX) code runs once per range, not once per plane.
using DepthwiseDirectFn = void (*)(const DepthwiseDirectArgs& a, int64_t t0, int64_t t1);
/// The direct kernel for MaxIsa() and this kernel size and stride, or null when there is
/// none (the caller then uses the row paths below). Square 3x3 and 5x5 kernels at strides 1 and
/// 2 on AVX2 and AVX-512.
DepthwiseDirectFn SelectDepthwiseDirect(int64_t kh, int64_t kw, int64_t sh, int64_t sw);

/// A channels-last 2-D depthwise convolution with one output channel per input channel, read in
/// place (ops/conv/depthwise_nhwc_impl.h):
///   y(img, oh, ow, c) = act(bias[c] + residual(img, oh, ow, c) + sum over kh, kw of
///       weights(c, kh, kw) * x(img, oh * sh - pad_top + kh * dh, ow * sw - pad_left + kw * dw, c))
/// with taps outside the input reading zero. X is [batch, ih_n, iw_n, c]; Y and the residual
/// are [batch, oh_n, ow_n, c].
struct DepthwiseNhwcArgs {
  const float* x = nullptr;
  int64_t ih_n = 0, iw_n = 0, c = 0, oh_n = 0, ow_n = 0;
  int64_t kh_n = 1, kw_n = 1, sh = 1, sw = 1, dh = 1, dw = 1, pad_top = 0, pad_left = 0;
  const float* weights = nullptr;  ///< [ceil(c / 16)][kh_n * kw_n][16], zero-padded lanes
  int64_t taps = 1;                ///< kh_n * kw_n
  const float* bias = nullptr;     ///< [c] or null
  const float* residual = nullptr;
  const kernels::Activation* activation = nullptr;
  float* y = nullptr;
  /// Tasks are (image, output row, channel chunk): `chunks` chunks of `chunk_channels`
  /// channels (a multiple of 16) per row.
  int64_t chunks = 1, chunk_channels = 0;
};
/// Runs tasks [t0, t1): task t is chunk t % chunks of row (t / chunks) % oh_n of image
/// t / (chunks * oh_n). The loop lives in the ISA file.
using DepthwiseNhwcFn = void (*)(const DepthwiseNhwcArgs& a, int64_t t0, int64_t t1);
/// Tallest kernel the channels-last kernel takes.
constexpr int64_t kDepthwiseNhwcMaxKh = 32;
/// The channels-last kernel for MaxIsa() (AVX2 or AVX-512), or null (other ISAs, kernels
/// taller than kDepthwiseNhwcMaxKh). Any window, stride and dilation; 3x3 and 5x5 windows at
/// strides 1 and 2 without dilation get unrolled variants.
DepthwiseNhwcFn SelectDepthwiseNhwc(int64_t kh, int64_t kw, int64_t sw, int64_t dw);

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
DepthwiseDirectFn SelectDepthwiseDirectAvx2(int64_t kh, int64_t kw, int64_t sh, int64_t sw);
DepthwiseDirectFn SelectDepthwiseDirectAvx512(int64_t kh, int64_t kw, int64_t sh, int64_t sw);
DepthwiseNhwcFn SelectDepthwiseNhwcAvx2(int64_t kh, int64_t kw, int64_t sw, int64_t dw);
DepthwiseNhwcFn SelectDepthwiseNhwcAvx512(int64_t kh, int64_t kw, int64_t sw, int64_t dw);
#endif

}  // namespace onnxedge::ops
