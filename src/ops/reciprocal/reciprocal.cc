// Copyright onnxedge authors.
// Reciprocal: Y = 1 / X (opset 1-21; float types, bfloat16 from 13). 1/0 = inf.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct ReciprocalFn {
  template <typename C>
  C operator()(C x) const {
    return C(1) / x;
  }
};

}  // namespace

void RegisterOp_reciprocal(OpRegistry& registry) {
  registry.Register(
      {"", "Reciprocal", 1, 21, MakeFactory<UnaryKernel<FloatTypes, ReciprocalFn>>()});
}

}  // namespace onnxedge::ops
