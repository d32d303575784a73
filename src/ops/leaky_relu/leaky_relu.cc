// Copyright onnxedge authors.
// LeakyRelu: Y = X >= 0 ? X : alpha * X, alpha default 0.01 (opset 1-21; float types, bfloat16
// from 16). Opset 1's consumed_inputs attribute is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct LeakyReluFn {
  float alpha = 0.01f;
  static StatusOr<LeakyReluFn> Make(const KernelInfo& info) {
    LeakyReluFn fn;
    OE_ASSIGN_OR_RETURN(fn.alpha, info.GetFloat("alpha", 0.01f));
    return fn;
  }
  template <typename C>
  C operator()(C x) const {
    return x < C(0) ? static_cast<C>(alpha) * x : x;
  }
};

}  // namespace

void RegisterOp_leaky_relu(OpRegistry& registry) {
  registry.Register({"", "LeakyRelu", 1, 21, MakeFactory<UnaryKernel<FloatTypes, LeakyReluFn>>()});
}

}  // namespace onnxedge::ops
