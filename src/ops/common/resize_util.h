// Copyright onnxedge authors.
// Shared engine of Resize and Upsample: separable N-D resampling driven by per-axis tables.
//
// Every axis gets a table that maps each output coordinate to a window of input indices and
// weights (computed in double, following the ONNX reference formulas). Resampling is then:
//   - nearest: an N-D gather (any element type, including strings and bool);
//   - float32 with only the two innermost axes resized (NCHW images): one direct pass over
//     output rows, parallel over N*C*H_out rows, with 2x2 (bilinear) and 1x1 specialisations;
//   - anything else: one pass per resized axis, innermost first, in double.
// Axes whose table is the identity (same size, each output reading its own input with weight
// 1) are skipped, so "scales = [1, 1, 2, 2]" costs a 2-D resize.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "runtime/kernel.h"

namespace onnxedge::ops::resize {

enum class Mode { kNearest, kLinear, kCubic };

enum class CoordMode {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};

enum class NearestMode {
  kRoundPreferFloor,
  kRoundPreferCeil,
  kFloor,
  kCeil,
  // Resize-10 / Upsample: floor when upsampling an axis, ceil when downsampling it (the
  // behaviour those versions had in ONNX Runtime, which defined them in practice).
  kSimple,
};

enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct Params {
  Mode mode = Mode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
  bool antialias = false;
};

/// Parses attribute strings; false when the name is unknown.
bool ParseMode(const std::string& s, Mode* out);
bool ParseCoordMode(const std::string& s, CoordMode* out);
bool ParseNearestMode(const std::string& s, NearestMode* out);
bool ParseAspectPolicy(const std::string& s, AspectPolicy* out);

/// How one axis is resampled.
struct AxisSpec {
  int64_t in = 0;          ///< Input length.
  int64_t out = 0;         ///< Output length.
  double scale = 1.0;      ///< Scale used by the coordinate transform (given or out / in).
  double out_float = 0.0;  ///< scale * in before flooring (align_corners, tf_crop_and_resize).
  double roi_start = 0.0;  ///< tf_crop_and_resize region, normalized.
  double roi_end = 1.0;
};

/// Sampling table of one axis: output x reads input index[x * taps + k] with weight
/// weight[x * taps + k] (indices already clamped into [0, in)); outside[x] means the output is
/// the extrapolation value (tf_crop_and_resize).
struct AxisTable {
  int64_t in = 0;
  int64_t out = 0;
  int64_t taps = 1;
  std::vector<int64_t> index;
  std::vector<double> weight;
  std::vector<uint8_t> outside;
  bool identity = false;
  bool any_outside = false;
};

/// Builds the table of one axis. Fails (naming `where`) when the window would be unreasonably
/// large.
StatusOr<AxisTable> BuildAxisTable(const Params& p, const AxisSpec& spec, const std::string& where);
/// The same into `table`, reusing its vectors' capacity.
Status BuildAxisTable(const Params& p, const AxisSpec& spec, const std::string& where,
                      AxisTable* table);

/// Per-axis specs from the op's inputs.
struct SizeRequest {
  std::vector<int64_t> axes;   ///< Normalized axes the scales/sizes/roi refer to.
  std::vector<double> scales;  ///< Empty when sizes are given.
  std::vector<int64_t> sizes;  ///< Empty when scales are given.
  std::vector<double> roi;     ///< Empty, or 2 * axes.size() values [starts..., ends...].
  AspectPolicy policy = AspectPolicy::kStretch;
};

/// Output geometry of every axis of `in_shape` (the rank of the input). Errors name `where`.
StatusOr<std::vector<AxisSpec>> ComputeAxisSpecs(const Shape& in_shape, const SizeRequest& req,
                                                 const std::string& where);
/// The same into `specs` (reusing its capacity).
Status ComputeAxisSpecs(const Shape& in_shape, const SizeRequest& req, const std::string& where,
                        std::vector<AxisSpec>* specs);

/// Allocates output 0 and resamples `x` into it.
Status Run(KernelContext& ctx, const Params& p, const Tensor& x,
           const std::vector<AxisSpec>& specs);

}  // namespace onnxedge::ops::resize
