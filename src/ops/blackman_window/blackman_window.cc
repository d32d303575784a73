// Copyright onnxedge authors.
// BlackmanWindow (opset 17-21): a Blackman window, a0 = 0.42, a1 = 0.5, a2 = 0.08 in the
// generalized cosine window of window_util.h (periodic or symmetric; every numeric
// output_datatype).
#include "ops/common/window_util.h"

namespace onnxedge::ops {

namespace {

struct BlackmanCoefficients {
  static constexpr double kA0 = 0.42;
  static constexpr double kA1 = 0.5;
  static constexpr double kA2 = 0.08;
};

}  // namespace

void RegisterOp_blackman_window(OpRegistry& registry) {
  registry.Register(
      {"", "BlackmanWindow", 17, 21, MakeFactory<signal::WindowKernel<BlackmanCoefficients>>()});
}

}  // namespace onnxedge::ops
