// Copyright onnxedge authors.
// com.microsoft QuickGelu (version 1; float types), ONNX Runtime's contrib op:
//   Y = X * Sigmoid(alpha * X),  alpha default 1.702
// With alpha = 1 this is SiLU (Swish), which the optimizer's fuse_quick_gelu pass creates from
// x * Sigmoid(x): one pass over the tensor instead of two. The sigmoid is evaluated so that
// e^x never overflows for large |x|, as in the Sigmoid kernel.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct QuickGeluFn {
  float alpha = 1.702f;
  static StatusOr<QuickGeluFn> Make(const KernelInfo& info) {
    QuickGeluFn fn;
    OE_ASSIGN_OR_RETURN(fn.alpha, info.GetFloat("alpha", 1.702f));
    return fn;
  }
  template <typename C>
  C operator()(C x) const {
    const C z = static_cast<C>(alpha) * x;
    if (z >= 0) return x / (C(1) + std::exp(-z));
    const C e = std::exp(z);
    return x * e / (C(1) + e);
  }
};

}  // namespace

void RegisterOp_quick_gelu(OpRegistry& registry) {
  registry.Register(
      {"com.microsoft", "QuickGelu", 1, 1, MakeFactory<UnaryKernel<FloatTypes, QuickGeluFn>>()});
}

}  // namespace onnxedge::ops
