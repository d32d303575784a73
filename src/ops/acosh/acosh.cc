// Copyright onnxedge authors.
// Acosh: Y = acosh(X) (opset 9-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AcoshFn {
  template <typename C>
  C operator()(C x) const {
    return std::acosh(x);
  }
};

}  // namespace

void RegisterOp_acosh(OpRegistry& registry) {
  registry.Register({"", "Acosh", 9, 21, MakeFactory<UnaryKernel<FloatTypes, AcoshFn>>()});
}

}  // namespace onnxedge::ops
