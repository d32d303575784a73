// Copyright onnxedge authors.
// Sqrt: Y = sqrt(X) (opset 1-21; float types, bfloat16 from 13). sqrt(<0) = NaN.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SqrtFn {
  template <typename C>
  C operator()(C x) const {
    return std::sqrt(x);
  }
};

}  // namespace

void RegisterOp_sqrt(OpRegistry& registry) {
  registry.Register({"", "Sqrt", 1, 21, MakeFactory<UnaryKernel<FloatTypes, SqrtFn>>()});
}

}  // namespace onnxedge::ops
