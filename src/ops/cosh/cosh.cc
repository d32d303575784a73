// Copyright onnxedge authors.
// Cosh: Y = cosh(X) (opset 9-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct CoshFn {
  template <typename C>
  C operator()(C x) const {
    return std::cosh(x);
  }
};

}  // namespace

void RegisterOp_cosh(OpRegistry& registry) {
  registry.Register({"", "Cosh", 9, 21, MakeFactory<UnaryKernel<FloatTypes, CoshFn>>()});
}

}  // namespace onnxedge::ops
