// Copyright onnxedge authors.
// Sin: Y = sin(X) (opset 7-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SinFn {
  template <typename C>
  C operator()(C x) const {
    return std::sin(x);
  }
};

}  // namespace

void RegisterOp_sin(OpRegistry& registry) {
  registry.Register({"", "Sin", 7, 21, MakeFactory<UnaryKernel<FloatTypes, SinFn>>()});
}

}  // namespace onnxedge::ops
