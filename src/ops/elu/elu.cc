// Copyright onnxedge authors.
// Elu: Y = X >= 0 ? X : alpha * (e^X - 1), alpha default 1 (opset 1-21; float, double, float16,
// also bfloat16). Opset 1's consumed_inputs attribute is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct EluFn {
  float alpha = 1.f;
  static StatusOr<EluFn> Make(const KernelInfo& info) {
    EluFn fn;
    OE_ASSIGN_OR_RETURN(fn.alpha, info.GetFloat("alpha", 1.f));
    return fn;
  }
  void ApplyF32(const float* x, float* y, int64_t n) const {
    // Blocks through a local buffer, so y may alias x.
    float t[256];
    for (int64_t b = 0; b < n; b += 256) {
      const int64_t m = std::min<int64_t>(256, n - b);
      kernels::ApplyUnary(kernels::UnaryFn::kExpm1, x + b, t, m);
      for (int64_t i = 0; i < m; ++i) y[b + i] = x[b + i] < 0.f ? alpha * t[i] : x[b + i];
    }
  }
  template <typename C>
  C operator()(C x) const {
    return x < C(0) ? static_cast<C>(alpha) * std::expm1(x) : x;
  }
};

}  // namespace

void RegisterOp_elu(OpRegistry& registry) {
  registry.Register({"", "Elu", 1, 21, MakeFactory<UnaryKernel<FloatTypes, EluFn>>()});
}

}  // namespace onnxedge::ops
