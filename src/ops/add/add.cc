// Copyright onnxedge authors.
// Add: C = A + B (opset 1-21; every numeric type). Numpy broadcasting from opset 7; before that
// the `broadcast`/`axis` attributes (see LegacyBroadcast), and opset 1's consumed_inputs is
// ignored. Integer overflow wraps.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AddFn {
  static constexpr kernels::BinaryFn kF32 = kernels::BinaryFn::kAdd;
  template <typename C>
  C operator()(C a, C b) const {
    return WrapAdd(a, b);
  }
};

}  // namespace

void RegisterOp_add(OpRegistry& registry) {
  registry.Register({"", "Add", 1, 21, MakeFactory<BinaryKernel<NumericTypes, AddFn>>()});
}

}  // namespace onnxedge::ops
