// Copyright onnxedge authors.
// BitwiseNot: Y = ~X (opset 18-21; all integer types).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct BitwiseNotFn {
  template <typename C>
  C operator()(C x) const {
    return static_cast<C>(~x);
  }
};

}  // namespace

void RegisterOp_bitwise_not(OpRegistry& registry) {
  registry.Register({"", "BitwiseNot", 18, 21, MakeFactory<UnaryKernel<IntTypes, BitwiseNotFn>>()});
}

}  // namespace onnxedge::ops
