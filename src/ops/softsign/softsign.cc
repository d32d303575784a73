// Copyright onnxedge authors.
// Softsign: Y = X / (1 + |X|) (opset 1-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SoftsignFn {
  template <typename C>
  C operator()(C x) const {
    return x / (C(1) + std::fabs(x));
  }
};

}  // namespace

void RegisterOp_softsign(OpRegistry& registry) {
  registry.Register({"", "Softsign", 1, 21, MakeFactory<UnaryKernel<FloatTypes, SoftsignFn>>()});
}

}  // namespace onnxedge::ops
