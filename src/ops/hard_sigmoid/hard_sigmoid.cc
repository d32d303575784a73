// Copyright onnxedge authors.
// HardSigmoid: Y = max(0, min(1, alpha * X + beta)), alpha 0.2 and beta 0.5 by default (opset
// 1-21; float, double, float16, also bfloat16). Opset 1's consumed_inputs attribute is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct HardSigmoidFn {
  float alpha = 0.2f;
  float beta = 0.5f;
  static StatusOr<HardSigmoidFn> Make(const KernelInfo& info) {
    HardSigmoidFn fn;
    OE_ASSIGN_OR_RETURN(fn.alpha, info.GetFloat("alpha", 0.2f));
    OE_ASSIGN_OR_RETURN(fn.beta, info.GetFloat("beta", 0.5f));
    return fn;
  }
  template <typename C>
  C operator()(C x) const {
    const C y = static_cast<C>(alpha) * x + static_cast<C>(beta);
    return y < C(0) ? C(0) : (y > C(1) ? C(1) : y);
  }
};

}  // namespace

void RegisterOp_hard_sigmoid(OpRegistry& registry) {
  registry.Register(
      {"", "HardSigmoid", 1, 21, MakeFactory<UnaryKernel<FloatTypes, HardSigmoidFn>>()});
}

}  // namespace onnxedge::ops
