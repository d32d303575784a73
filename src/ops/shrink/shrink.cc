// Copyright onnxedge authors.
// Shrink: Y = X < -lambd ? X + bias : (X > lambd ? X - bias : 0), lambd 0.5 and bias 0 by default
// (opset 9-21; every numeric type). Integer inputs are compared and shifted in double and
// converted back (truncating, wrapping out-of-range results).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct ShrinkFn {
  float lambd = 0.5f;
  float bias = 0.f;
  static StatusOr<ShrinkFn> Make(const KernelInfo& info) {
    ShrinkFn fn;
    OE_ASSIGN_OR_RETURN(fn.lambd, info.GetFloat("lambd", 0.5f));
    OE_ASSIGN_OR_RETURN(fn.bias, info.GetFloat("bias", 0.f));
    return fn;
  }
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_integral_v<C>) {
      const double v = static_cast<double>(x);
      if (v < -static_cast<double>(lambd)) return FloatToInt<C>(v + bias);
      if (v > static_cast<double>(lambd)) return FloatToInt<C>(v - bias);
      return C(0);
    } else {
      if (x < -static_cast<C>(lambd)) return x + static_cast<C>(bias);
      if (x > static_cast<C>(lambd)) return x - static_cast<C>(bias);
      return C(0);
    }
  }
};

}  // namespace

void RegisterOp_shrink(OpRegistry& registry) {
  registry.Register({"", "Shrink", 9, 21, MakeFactory<UnaryKernel<NumericTypes, ShrinkFn>>()});
}

}  // namespace onnxedge::ops
