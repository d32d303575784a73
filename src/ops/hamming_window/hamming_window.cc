// Copyright onnxedge authors.
// HammingWindow (opset 17-21): a Hamming window, a0 = 25/46, a1 = 21/46, a2 = 0 in the
// generalized cosine window of window_util.h (periodic or symmetric; every numeric
// output_datatype). 25/46 is the exact value the ONNX function body rounds to float.
#include "ops/common/window_util.h"

namespace onnxedge::ops {

namespace {

struct HammingCoefficients {
  static constexpr double kA0 = 25.0 / 46.0;
  static constexpr double kA1 = 21.0 / 46.0;
  static constexpr double kA2 = 0.0;
};

}  // namespace

void RegisterOp_hamming_window(OpRegistry& registry) {
  registry.Register(
      {"", "HammingWindow", 17, 21, MakeFactory<signal::WindowKernel<HammingCoefficients>>()});
}

}  // namespace onnxedge::ops
