// Copyright onnxedge authors.
// Channels-last (NHWC) float32 convolution: com.onnxedge FusedConv with channels_last = 1.
//
// X is [N, H, W, C], Y and the residual Z are [N, OH, OW, M]; W keeps the ONNX layout
// [M, C/group, kh, kw] and is prepared once at session creation. 2-D only. Two groupings:
//
//   - group 1: a GEMM with M' = output pixels, K = kh * kw * C, N' = M. The weights are the
//     prepacked B operand (K ordered tap-major, channel-minor, as an NHWC pixel's taps lie in
//     memory); each task packs the A slivers of a chunk of output pixels straight from the
//     input (C contiguous floats per pixel and tap, zeros for padding; a 1x1 stride-1 unpadded
//     convolution reads the input pixels as A's rows with no window arithmetic), then the GEMM
//     micro-kernels add the bias per column and apply the activation in their epilogue. A
//     residual is copied into Y first and the GEMM accumulates onto it (beta = 1).
//   - depthwise (C/group == 1, one output channel per group): the channels-last block kernel
//     (DepthwiseBlockAvx2/Generic, 16 channels) on data that is already channels-last: per
//     (image, 16-channel block, band of output rows) the band's input pixels are copied as
//     16-float runs into the zero-padded block scratch (no transposes), and the result goes
//     back as 16-float runs with the residual and the activation applied.
//
// Other groupings are refused (layout_nhwc leaves them in NCHW).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/gemm.h"
#include "onnxedge/tensor.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::ops {

struct ConvNhwcWeights {
  int64_t out_channels = 0;  ///< M
  int64_t in_channels = 0;   ///< C
  int64_t kh = 1, kw = 1;
  bool depthwise = false;
  kernels::PackedB packed;  ///< group 1: K = kh * kw * C (tap-major), N = M.
  std::vector<float> dw;    ///< depthwise: [ceil(M / 16)][kh * kw][16], zero-padded lanes.
};

/// True when channels-last FusedConv supports this weight shape and group (2-D; group 1, or
/// depthwise with one output channel per group).
bool ConvNhwcSupports(const Shape& w_shape, int64_t group);

/// Prepares W ([M, C/group, kh, kw]) for RunConvNhwc; requires ConvNhwcSupports.
void PrepareConvNhwcWeights(const float* w, const Shape& w_shape, int64_t group,
                            ConvNhwcWeights* out, ThreadPool* pool);

/// The channels-last convolution arguments (shapes already validated).
struct ConvNhwcArgs {
  int64_t batch = 0, h = 0, w = 0, c = 0, m = 0;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t oh = 0, ow = 0;
  const float* x = nullptr;         ///< [batch, h, w, c]
  const float* bias = nullptr;      ///< [m] or null
  const float* residual = nullptr;  ///< [batch, oh, ow, m] or null, distinct from y
  kernels::Activation activation;
  float* y = nullptr;  ///< [batch, oh, ow, m]
};

/// Y = activation(conv(X, W) + bias + residual), channels-last.
void RunConvNhwc(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);

/// The group-1 path (any kernel size): the entry a 3x3 stride-1 Winograd kernel can stand in
/// front of.
void RunConvNhwcGemm(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);
/// The depthwise path.
void RunConvNhwcDepthwise(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);

}  // namespace onnxedge::ops
