// Copyright onnxedge authors.
// Tan: Y = tan(X) (opset 7-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct TanFn {
  template <typename C>
  C operator()(C x) const {
    return std::tan(x);
  }
};

}  // namespace

void RegisterOp_tan(OpRegistry& registry) {
  registry.Register({"", "Tan", 7, 21, MakeFactory<UnaryKernel<FloatTypes, TanFn>>()});
}

}  // namespace onnxedge::ops
