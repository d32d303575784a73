// Copyright onnxedge authors.
// Sign: Y = -1, 0 or 1 by the sign of X (opset 9-21; every numeric type, bfloat16 from 13).
// NaN stays NaN.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SignFn {
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) {
      return x > 0 ? C(1) : C(0);
    } else {
      return x > 0 ? C(1) : (x < 0 ? C(-1) : x);  // x is 0 or NaN here.
    }
  }
};

}  // namespace

void RegisterOp_sign(OpRegistry& registry) {
  registry.Register({"", "Sign", 9, 21, MakeFactory<UnaryKernel<NumericTypes, SignFn>>()});
}

}  // namespace onnxedge::ops
