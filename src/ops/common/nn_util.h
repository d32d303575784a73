// Copyright onnxedge authors.
// Helpers shared by the sliding-window ops (Conv, ConvTranspose, the pools): attribute parsing
// (auto_pad, kernel_shape, strides, dilations, pads) and output geometry.
//
// Kernels normalize every geometry to 3 spatial dims (leading dims of size 1, kernel 1, stride
// 1, no padding), so one loop nest serves 1-D, 2-D and 3-D inputs; spatial ranks above 3 are
// rejected with NotImplemented.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "runtime/kernel.h"

namespace onnxedge::ops {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

constexpr int kMaxSpatialDims = 3;

/// Window attributes as written in the node. Empty vectors mean "not given" (defaults are
/// applied once the spatial rank is known).
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;  ///< [x1_begin, x2_begin, ..., x1_end, x2_end, ...]
};

/// Reads and validates auto_pad, kernel_shape, strides, dilations and pads (those the op has:
/// `has_dilations` is false for ops without the attribute). Errors name the attribute.
StatusOr<WindowAttrs> ParseWindowAttrs(const KernelInfo& info, bool kernel_required,
                                       bool has_dilations);

/// A resolved window geometry over 3 spatial dims (unused leading dims have size 1).
struct WindowGeometry {
  int spatial_rank = 0;  ///< Spatial rank of the real tensors (1..3).
  std::array<int64_t, 3> in{1, 1, 1};
  std::array<int64_t, 3> out{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> dilation{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
  /// Output spatial dims of the real rank.
  Shape OutDims() const;
};

/// Geometry of a forward sliding window (Conv, pools). `in_spatial` are the input's spatial
/// dims, `kernel` the kernel dims (from kernel_shape or W). `ceil_mode` rounds the output size
/// up (pools), dropping a last window that would start inside the end padding.
StatusOr<WindowGeometry> ComputeWindowGeometry(const WindowAttrs& attrs,
                                               const Shape& in_spatial, const Shape& kernel,
                                               bool ceil_mode,
                                               const std::string& where);

/// For each output index o along one dim, the range [k_lo, k_hi) of kernel taps whose input
/// position o * stride - pad_begin + k * dilation lies inside [0, in).
struct TapRange {
  int32_t lo, hi;
};
std::vector<TapRange> ComputeTapRanges(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                       int64_t dilation, int64_t pad_begin);
/// The same into `ranges` (resized; reusing its capacity).
void ComputeTapRanges(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation,
                      int64_t pad_begin, std::vector<TapRange>* ranges);

/// Reads the fused activation of the com.onnxedge fused ops (FusedConv, FusedGemm): the string
/// attribute `activation` (an ONNX op name: Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid,
/// HardSwish, Gelu (erf form), or Silu, or GeluTanh (Gelu with approximate = tanh); empty or
/// absent: none) and the float list `activation_params` (that op's
/// attributes in order: Clip min, max; LeakyRelu alpha; HardSigmoid alpha, beta; ONNX defaults
/// when omitted). Errors name the node and the attribute.
StatusOr<kernels::Activation> ParseFusedActivation(const KernelInfo& info);
/// The same from the attributes `name_attr` and `params_attr` (FusedExpandDepthwise's
/// expand_activation / expand_activation_params).
StatusOr<kernels::Activation> ParseFusedActivation(const KernelInfo& info,
                                                   const std::string& name_attr,
                                                   const std::string& params_attr);

}  // namespace onnxedge::ops
