// Copyright onnxedge authors.
// Selu: Y = gamma * (X > 0 ? X : alpha * (e^X - 1)) (opset 1-21; float, double, float16, also
// bfloat16). The attribute defaults changed in opset 6 (1.6732/1.0507 before, the full-precision
// constants after); opset 1's consumed_inputs attribute is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SeluFn {
  float alpha = 1.67326319217681884765625f;
  float gamma = 1.05070102214813232421875f;
  static StatusOr<SeluFn> Make(const KernelInfo& info) {
    SeluFn fn;
    const bool v1 = info.since_version() < 6;
    OE_ASSIGN_OR_RETURN(fn.alpha, info.GetFloat("alpha", v1 ? 1.6732f : fn.alpha));
    OE_ASSIGN_OR_RETURN(fn.gamma, info.GetFloat("gamma", v1 ? 1.0507f : fn.gamma));
    return fn;
  }
  void ApplyF32(const float* x, float* y, int64_t n) const {
    // Blocks through a local buffer, so y may alias x.
    float t[256];
    for (int64_t b = 0; b < n; b += 256) {
      const int64_t m = std::min<int64_t>(256, n - b);
      kernels::ApplyUnary(kernels::UnaryFn::kExpm1, x + b, t, m);
      for (int64_t i = 0; i < m; ++i) {
        y[b + i] = gamma * (x[b + i] > 0.f ? x[b + i] : alpha * t[i]);
      }
    }
  }
  template <typename C>
  C operator()(C x) const {
    return static_cast<C>(gamma) * (x > C(0) ? x : static_cast<C>(alpha) * std::expm1(x));
  }
};

}  // namespace

void RegisterOp_selu(OpRegistry& registry) {
  registry.Register({"", "Selu", 1, 21, MakeFactory<UnaryKernel<FloatTypes, SeluFn>>()});
}

}  // namespace onnxedge::ops
