// Copyright onnxedge authors.
// float32 convolution engine used by the Conv kernel.
//
//   - General convolution: per (image, group, column chunk) task, the im2col columns of the
//     chunk are packed straight into GEMM B panels (no full im2col matrix is materialized) and
//     multiplied by the weights, prepacked once as GEMM A slivers. Bias and activation are fused
//     into the GEMM epilogue.
//   - 1x1, stride 1, unpadded convolution: the input channels are B directly (packing only).
//   - Depthwise (one input channel per group): a direct sliding-window loop, no im2col.
//   - 3x3, stride 1, dilation 1, group 1 (when WinogradWorthIt and the layer's stride and
//     dilation are known at preparation): Winograd F(4x4, 3x3) (ops/conv/winograd.h) on an
//     NHWC copy of each image, transposed back into Y.
//   - 2-D, group 1, dilation 1, kernel larger than 1x1, few output channels and small K = C * kh
//     * kw (network stems; ChooseDirectConv, strides known at preparation): a direct convolution
//     over stride-phase planes (ops/conv/conv_direct.h).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/gemm.h"
#include "ops/common/nn_util.h"
#include "ops/conv/conv_direct.h"
#include "ops/conv/winograd.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::ops {

/// Weights prepared for ConvF32: packed per group for the GEMM paths, raw for depthwise.
struct ConvF32Weights {
  int64_t out_channels = 0;  ///< M
  int64_t in_per_group = 0;  ///< C / group
  int64_t group = 1;
  std::vector<int64_t> kernel;           ///< Spatial kernel dims of W.
  int64_t kernel_size = 1;               ///< Product of the kernel dims.
  bool depthwise = false;                ///< in_per_group == 1 and group > 1: direct path.
  std::vector<kernels::PackedA> packed;  ///< Per group: (M/group) x (C/group * kernel_size).
  std::vector<float> raw;                ///< Depthwise: W as given, [M, kernel_size].
  /// Set when the layer runs as Winograd F(4x4, 3x3); `packed` is then empty (one copy of the
  /// weights, the transformed one).
  std::shared_ptr<const WinogradWeights> winograd;
  /// Set when the layer runs as a direct convolution (ChooseDirectConv: few output channels,
  /// small K); `packed` is kept too (up to about 160 KiB under that rule) for runs where MaxIsa()
  /// has no direct kernel.
  std::shared_ptr<const DirectConvWeights> direct;
  /// Bytes held (every form).
  uint64_t bytes() const;
};

/// What the convolution's attributes and static input shape tell the weight preparation.
struct ConvF32Hints {
  bool unit_stride_dilation = false;  ///< Every stride and dilation is 1.
  int64_t out_h = 0, out_w = 0;       ///< Output spatial dims when static (2-D), else 0.
  /// 2-D strides when the layer is 2-D with every dilation 1, else 0 (the direct path's choice).
  int64_t stride_h = 0, stride_w = 0;
};

/// True when a layer with weights W (`w_shape`) and `group` runs as Winograd F(4x4, 3x3): `hints`
/// show a 2-D 3x3, stride 1, dilation 1, group 1 layer for which WinogradWorthIt holds, and
/// WinogradEnabled(). Shared by the NCHW and the channels-last engines.
bool ChooseWinograd(const Shape& w_shape, int64_t group, const ConvF32Hints* hints);

/// Prepares W ([M, C/group, k1, ...]) for ConvF32. With `hints` showing a 2-D 3x3, stride 1,
/// dilation 1, group 1 layer for which WinogradWorthIt holds (and WinogradEnabled()), the
/// weights are prepared for Winograd only. With `hints` giving the strides of a 2-D, dilation-1,
/// group-1 layer for which ChooseDirectConv holds, the direct path's weights are added.
void PrepareConvF32Weights(const float* w, const Shape& w_shape, int64_t group, ConvF32Weights* out,
                           ThreadPool* pool, const ConvF32Hints* hints = nullptr);

struct ConvF32Args {
  const WindowGeometry* geometry = nullptr;
  int64_t batch = 0;
  int64_t in_channels = 0;
  const float* x = nullptr;
  const float* bias = nullptr;  ///< [M] or null.
  float* y = nullptr;
  /// Optional, shape of Y, distinct from y: added before the activation (FusedConv's Z).
  const float* residual = nullptr;
  kernels::Activation activation;  ///< Fused into the output write.
};

/// Y = activation(conv(X, W) + bias + residual). Every shape must already be validated.
void RunConvF32(const ConvF32Weights& w, const ConvF32Args& args, ThreadPool* pool);

/// Packs rows [0, channels) of a channels x in_size matrix (the input of a 1x1 stride-1
/// convolution is B itself), columns [n0, n0 + nc), into GEMM B panels of kGemmNr columns:
/// column j at dst[(j / kGemmNr) * channels * kGemmNr + c * kGemmNr + j % kGemmNr], columns past
/// nc in the last panel zeroed.
void PackRowsPanels(const float* xg, int64_t in_size, int64_t channels, int64_t n0, int64_t nc,
                    float* dst);

/// Packs im2col columns [n0, n0 + nc) of one image and group (xg points at its first input
/// channel) into GEMM B panels: column j at dst[(j / 16) * K * 16 + k * 16 + j % 16], with
/// K = channels * kernel_size and columns past nc in the last panel zeroed. Exposed for tests.
/// `segments` (optional) is scratch of Im2ColSegmentBytes(g, nc) bytes; without it a per-thread
/// buffer is used.
void PackIm2ColPanels(const float* xg, const WindowGeometry& g, int64_t channels, int64_t n0,
                      int64_t nc, float* dst, void* segments = nullptr);
/// Scratch bytes PackIm2ColPanels needs for `nc` columns.
size_t Im2ColSegmentBytes(const WindowGeometry& g, int64_t nc);

}  // namespace onnxedge::ops
