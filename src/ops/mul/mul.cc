// Copyright onnxedge authors.
// Mul: C = A * B (opset 1-21; every numeric type). Numpy broadcasting from opset 7; before that
// the `broadcast`/`axis` attributes (see LegacyBroadcast), and opset 1's consumed_inputs is
// ignored. Integer overflow wraps.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct MulFn {
  static constexpr kernels::BinaryFn kF32 = kernels::BinaryFn::kMul;
  template <typename C>
  C operator()(C a, C b) const {
    return WrapMul(a, b);
  }
};

}  // namespace

void RegisterOp_mul(OpRegistry& registry) {
  registry.Register({"", "Mul", 1, 21, MakeFactory<BinaryKernel<NumericTypes, MulFn>>()});
}

}  // namespace onnxedge::ops
