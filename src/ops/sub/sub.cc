// Copyright onnxedge authors.
// Sub: C = A - B (opset 1-21; every numeric type). Numpy broadcasting from opset 7; before that
// the `broadcast`/`axis` attributes (see LegacyBroadcast), and opset 1's consumed_inputs is
// ignored. Integer overflow wraps.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SubFn {
  static constexpr kernels::BinaryFn kF32 = kernels::BinaryFn::kSub;
  template <typename C>
  C operator()(C a, C b) const {
    return WrapSub(a, b);
  }
};

}  // namespace

void RegisterOp_sub(OpRegistry& registry) {
  registry.Register({"", "Sub", 1, 21, MakeFactory<BinaryKernel<NumericTypes, SubFn>>()});
}

}  // namespace onnxedge::ops
