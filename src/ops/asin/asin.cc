// Copyright onnxedge authors.
// Asin: Y = asin(X) (opset 7-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AsinFn {
  template <typename C>
  C operator()(C x) const {
    return std::asin(x);
  }
};

}  // namespace

void RegisterOp_asin(OpRegistry& registry) {
  registry.Register({"", "Asin", 7, 21, MakeFactory<UnaryKernel<FloatTypes, AsinFn>>()});
}

}  // namespace onnxedge::ops
