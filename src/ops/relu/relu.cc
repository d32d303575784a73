// Copyright onnxedge authors.
// Relu: Y = max(X, 0) (opset 1-21; float types, bfloat16 from 13, signed integers from 14).
// NaN stays NaN (as numpy.maximum); opset 1's consumed_inputs attribute is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct ReluFn {
  template <typename C>
  C operator()(C x) const {
    return x < C(0) ? C(0) : x;
  }
};

}  // namespace

void RegisterOp_relu(OpRegistry& registry) {
  registry.Register({"", "Relu", 1, 21, MakeFactory<UnaryKernel<SignedNumericTypes, ReluFn>>()});
}

}  // namespace onnxedge::ops
