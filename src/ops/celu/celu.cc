// Copyright onnxedge authors.
// Celu: Y = max(0, X) + min(0, alpha * (e^(X / alpha) - 1)), alpha default 1 (opset 12-21; the
// spec lists float only, double and 16-bit floats are accepted too). alpha = 0 is rejected.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct CeluFn {
  float alpha = 1.f;
  static StatusOr<CeluFn> Make(const KernelInfo& info) {
    CeluFn fn;
    OE_ASSIGN_OR_RETURN(fn.alpha, info.GetFloat("alpha", 1.f));
    if (fn.alpha == 0.f) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'alpha' must not be 0");
    }
    return fn;
  }
  void ApplyF32(const float* x, float* y, int64_t n) const {
    // Blocks through a local buffer, so y may alias x.
    float t[256];
    for (int64_t b = 0; b < n; b += 256) {
      const int64_t m = std::min<int64_t>(256, n - b);
      for (int64_t i = 0; i < m; ++i) t[i] = x[b + i] / alpha;
      kernels::ApplyUnary(kernels::UnaryFn::kExpm1, t, t, m);
      for (int64_t i = 0; i < m; ++i) {
        const float neg = alpha * t[i];
        y[b + i] = (x[b + i] > 0.f ? x[b + i] : 0.f) + (neg < 0.f ? neg : 0.f);
      }
    }
  }
  template <typename C>
  C operator()(C x) const {
    const C a = static_cast<C>(alpha);
    const C neg = a * std::expm1(x / a);
    return (x > C(0) ? x : C(0)) + (neg < C(0) ? neg : C(0));
  }
};

}  // namespace

void RegisterOp_celu(OpRegistry& registry) {
  registry.Register({"", "Celu", 12, 21, MakeFactory<UnaryKernel<FloatTypes, CeluFn>>()});
}

}  // namespace onnxedge::ops
