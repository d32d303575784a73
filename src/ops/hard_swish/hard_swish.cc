// Copyright onnxedge authors.
// HardSwish: Y = X * max(0, min(1, X / 6 + 0.5)) (opset 14-21; float, double, float16, also
// bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct HardSwishFn {
  template <typename C>
  C operator()(C x) const {
    C t = x / C(6) + C(0.5);
    t = t < 0 ? C(0) : (t > 1 ? C(1) : t);
    return x * t;
  }
};

}  // namespace

void RegisterOp_hard_swish(OpRegistry& registry) {
  registry.Register({"", "HardSwish", 14, 21, MakeFactory<UnaryKernel<FloatTypes, HardSwishFn>>()});
}

}  // namespace onnxedge::ops
