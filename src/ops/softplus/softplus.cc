// Copyright onnxedge authors.
// Softplus: Y = ln(1 + e^X) (opset 1-21; float, double, float16, also bfloat16). Evaluated as
// max(x, 0) + log1p(e^-|x|) so large inputs do not overflow.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SoftplusFn {
  template <typename C>
  C operator()(C x) const {
    return (x > 0 ? x : C(0)) + std::log1p(std::exp(-std::fabs(x)));
  }
};

}  // namespace

void RegisterOp_softplus(OpRegistry& registry) {
  registry.Register({"", "Softplus", 1, 21, MakeFactory<UnaryKernel<FloatTypes, SoftplusFn>>()});
}

}  // namespace onnxedge::ops
