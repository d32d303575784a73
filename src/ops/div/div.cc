// Copyright onnxedge authors.
// Div: C = A / B (opset 1-21; every numeric type). Numpy broadcasting from opset 7; before that
// the `broadcast`/`axis` attributes (see LegacyBroadcast), and opset 1's consumed_inputs is
// ignored. Integer division truncates toward zero (as C); since integer division by zero has no
// defined result, it gives 0 (as numpy) instead of trapping, and INT_MIN / -1 wraps to INT_MIN.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct DivFn {
  static constexpr kernels::BinaryFn kF32 = kernels::BinaryFn::kDiv;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C(0);
      if constexpr (std::is_signed_v<C>) {
        if (b == C(-1)) return WrapSub(C(0), a);
      }
      return static_cast<C>(a / b);
    } else {
      return a / b;
    }
  }
};

}  // namespace

void RegisterOp_div(OpRegistry& registry) {
  registry.Register({"", "Div", 1, 21, MakeFactory<BinaryKernel<NumericTypes, DivFn>>()});
}

}  // namespace onnxedge::ops
