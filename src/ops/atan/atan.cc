// Copyright onnxedge authors.
// Atan: Y = atan(X) (opset 7-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AtanFn {
  template <typename C>
  C operator()(C x) const {
    return std::atan(x);
  }
};

}  // namespace

void RegisterOp_atan(OpRegistry& registry) {
  registry.Register({"", "Atan", 7, 21, MakeFactory<UnaryKernel<FloatTypes, AtanFn>>()});
}

}  // namespace onnxedge::ops
