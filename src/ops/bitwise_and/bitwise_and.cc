// Copyright onnxedge authors.
// BitwiseAnd: C = A & B bit by bit, with numpy broadcasting (opset 18-21; all integer types).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct BitwiseAndFn {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a & b);
  }
};

}  // namespace

void RegisterOp_bitwise_and(OpRegistry& registry) {
  registry.Register(
      {"", "BitwiseAnd", 18, 21, MakeFactory<BinaryKernel<IntTypes, BitwiseAndFn>>()});
}

}  // namespace onnxedge::ops
