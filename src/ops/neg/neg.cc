// Copyright onnxedge authors.
// Neg: Y = -X (opset 1-21; signed integer types from 6, bfloat16 from 13). -INT_MIN wraps.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct NegFn {
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(U(0) - static_cast<U>(x));
    } else {
      return -x;
    }
  }
};

}  // namespace

void RegisterOp_neg(OpRegistry& registry) {
  registry.Register({"", "Neg", 1, 21, MakeFactory<UnaryKernel<SignedNumericTypes, NegFn>>()});
}

}  // namespace onnxedge::ops
