// Copyright onnxedge authors.
// Sigmoid: Y = 1 / (1 + e^-X) (opset 1-21; float types, bfloat16 from 13). Evaluated so that
// e^x never overflows for large |x|.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SigmoidFn {
  void ApplyF32(const float* x, float* y, int64_t n) const {
    kernels::ApplyUnary(kernels::UnaryFn::kSigmoid, x, y, n);
  }
  template <typename C>
  C operator()(C x) const {
    if (x >= 0) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
  }
};

}  // namespace

void RegisterOp_sigmoid(OpRegistry& registry) {
  registry.Register({"", "Sigmoid", 1, 21, MakeFactory<UnaryKernel<FloatTypes, SigmoidFn>>()});
}

}  // namespace onnxedge::ops
