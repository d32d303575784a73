// Copyright onnxedge authors.
// Atanh: Y = atanh(X) (opset 9-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AtanhFn {
  template <typename C>
  C operator()(C x) const {
    return std::atanh(x);
  }
};

}  // namespace

void RegisterOp_atanh(OpRegistry& registry) {
  registry.Register({"", "Atanh", 9, 21, MakeFactory<UnaryKernel<FloatTypes, AtanhFn>>()});
}

}  // namespace onnxedge::ops
