// Copyright onnxedge authors.
// Abs: Y = |X| (opset 1-21; integer types from 6, bfloat16 from 13). |INT_MIN| wraps to
// INT_MIN as in two's complement.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AbsFn {
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) {
      return x;
    } else if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return x < 0 ? static_cast<C>(U(0) - static_cast<U>(x)) : x;
    } else {
      return std::fabs(x);
    }
  }
};

}  // namespace

void RegisterOp_abs(OpRegistry& registry) {
  registry.Register({"", "Abs", 1, 21, MakeFactory<UnaryKernel<NumericTypes, AbsFn>>()});
}

}  // namespace onnxedge::ops
