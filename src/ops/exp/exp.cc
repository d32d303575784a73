// Copyright onnxedge authors.
// Exp: Y = e^X (opset 1-21; float types, bfloat16 from 13).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct ExpFn {
  void ApplyF32(const float* x, float* y, int64_t n) const {
    kernels::ApplyUnary(kernels::UnaryFn::kExp, x, y, n);
  }
  template <typename C>
  C operator()(C x) const {
    return std::exp(x);
  }
};

}  // namespace

void RegisterOp_exp(OpRegistry& registry) {
  registry.Register({"", "Exp", 1, 21, MakeFactory<UnaryKernel<FloatTypes, ExpFn>>()});
}

}  // namespace onnxedge::ops
