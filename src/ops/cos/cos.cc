// Copyright onnxedge authors.
// Cos: Y = cos(X) (opset 7-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct CosFn {
  template <typename C>
  C operator()(C x) const {
    return std::cos(x);
  }
};

}  // namespace

void RegisterOp_cos(OpRegistry& registry) {
  registry.Register({"", "Cos", 7, 21, MakeFactory<UnaryKernel<FloatTypes, CosFn>>()});
}

}  // namespace onnxedge::ops
