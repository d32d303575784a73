// Copyright onnxedge authors.
// Tanh: Y = tanh(X) (opset 1-21; float types, bfloat16 from 13).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct TanhFn {
  void ApplyF32(const float* x, float* y, int64_t n) const {
    kernels::ApplyUnary(kernels::UnaryFn::kTanh, x, y, n);
  }
  template <typename C>
  C operator()(C x) const {
    return std::tanh(x);
  }
};

}  // namespace

void RegisterOp_tanh(OpRegistry& registry) {
  registry.Register({"", "Tanh", 1, 21, MakeFactory<UnaryKernel<FloatTypes, TanhFn>>()});
}

}  // namespace onnxedge::ops
