// Copyright onnxedge authors.
// ThresholdedRelu: Y = X > alpha ? X : 0, alpha default 1 (opset 10-21; float, double, float16,
// also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct ThresholdedReluFn {
  float alpha = 1.f;
  static StatusOr<ThresholdedReluFn> Make(const KernelInfo& info) {
    ThresholdedReluFn fn;
    OE_ASSIGN_OR_RETURN(fn.alpha, info.GetFloat("alpha", 1.f));
    return fn;
  }
  template <typename C>
  C operator()(C x) const {
    return x > static_cast<C>(alpha) ? x : C(0);
  }
};

}  // namespace

void RegisterOp_thresholded_relu(OpRegistry& registry) {
  registry.Register(
      {"", "ThresholdedRelu", 10, 21, MakeFactory<UnaryKernel<FloatTypes, ThresholdedReluFn>>()});
}

}  // namespace onnxedge::ops
