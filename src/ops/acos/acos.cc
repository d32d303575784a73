// Copyright onnxedge authors.
// Acos: Y = acos(X) (opset 7-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AcosFn {
  template <typename C>
  C operator()(C x) const {
    return std::acos(x);
  }
};

}  // namespace

void RegisterOp_acos(OpRegistry& registry) {
  registry.Register({"", "Acos", 7, 21, MakeFactory<UnaryKernel<FloatTypes, AcosFn>>()});
}

}  // namespace onnxedge::ops
