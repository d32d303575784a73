// Copyright onnxedge authors.
// HannWindow (opset 17-21): a Hann window, a0 = 0.5, a1 = 0.5, a2 = 0.0 in the generalized cosine
// window of window_util.h (periodic or symmetric; every numeric output_datatype).
#include "ops/common/window_util.h"

namespace onnxedge::ops {

namespace {

struct HannCoefficients {
  static constexpr double kA0 = 0.5;
  static constexpr double kA1 = 0.5;
  static constexpr double kA2 = 0.0;
};

}  // namespace

void RegisterOp_hann_window(OpRegistry& registry) {
  registry.Register(
      {"", "HannWindow", 17, 21, MakeFactory<signal::WindowKernel<HannCoefficients>>()});
}

}  // namespace onnxedge::ops
