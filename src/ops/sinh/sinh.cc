// Copyright onnxedge authors.
// Sinh: Y = sinh(X) (opset 9-21; float, double, float16, also bfloat16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SinhFn {
  template <typename C>
  C operator()(C x) const {
    return std::sinh(x);
  }
};

}  // namespace

void RegisterOp_sinh(OpRegistry& registry) {
  registry.Register({"", "Sinh", 9, 21, MakeFactory<UnaryKernel<FloatTypes, SinhFn>>()});
}

}  // namespace onnxedge::ops
