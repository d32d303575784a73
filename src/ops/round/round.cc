// Copyright onnxedge authors.
// Round: round half to even (opset 11-21; float, double, float16, also bfloat16).
// nearbyint in the default rounding mode (to nearest, ties to even) is exactly that.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct RoundFn {
  template <typename C>
  C operator()(C x) const {
    return std::nearbyint(x);
  }
};

}  // namespace

void RegisterOp_round(OpRegistry& registry) {
  registry.Register({"", "Round", 11, 21, MakeFactory<UnaryKernel<FloatTypes, RoundFn>>()});
}

}  // namespace onnxedge::ops
