// Copyright onnxedge authors.
// Mish: Y = X * tanh(softplus(X)) (opset 18-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct MishFn {
  template <typename C>
  C operator()(C x) const {
    const C sp = (x > 0 ? x : C(0)) + std::log1p(std::exp(-std::fabs(x)));
    return x * std::tanh(sp);
  }
};

}  // namespace

void RegisterOp_mish(OpRegistry& registry) {
  registry.Register({"", "Mish", 18, 21, MakeFactory<UnaryKernel<FloatTypes, MishFn>>()});
}

}  // namespace onnxedge::ops
