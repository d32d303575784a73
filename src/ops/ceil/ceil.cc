// Copyright onnxedge authors.
// Ceil: Y = ceil(X) (opset 1-21; float types, bfloat16 from 13).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct CeilFn {
  template <typename C>
  C operator()(C x) const {
    return std::ceil(x);
  }
};

}  // namespace

void RegisterOp_ceil(OpRegistry& registry) {
  registry.Register({"", "Ceil", 1, 21, MakeFactory<UnaryKernel<FloatTypes, CeilFn>>()});
}

}  // namespace onnxedge::ops
