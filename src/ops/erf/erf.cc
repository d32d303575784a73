// Copyright onnxedge authors.
// Erf: Y = erf(X) (opset 9-21; every numeric type, bfloat16 from 13). Integer inputs are
// computed in double and truncated back (erf of an integer is -1, 0 or 1 after truncation).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct ErfFn {
  void ApplyF32(const float* x, float* y, int64_t n) const {
    kernels::ApplyUnary(kernels::UnaryFn::kErf, x, y, n);
  }
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_integral_v<C>) {
      return FloatToInt<C>(std::erf(static_cast<double>(x)));
    } else {
      return std::erf(x);
    }
  }
};

}  // namespace

void RegisterOp_erf(OpRegistry& registry) {
  registry.Register({"", "Erf", 9, 21, MakeFactory<UnaryKernel<NumericTypes, ErfFn>>()});
}

}  // namespace onnxedge::ops
