// Copyright onnxedge authors.
// Asinh: Y = asinh(X) (opset 9-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AsinhFn {
  template <typename C>
  C operator()(C x) const {
    return std::asinh(x);
  }
};

}  // namespace

void RegisterOp_asinh(OpRegistry& registry) {
  registry.Register({"", "Asinh", 9, 21, MakeFactory<UnaryKernel<FloatTypes, AsinhFn>>()});
}

}  // namespace onnxedge::ops
