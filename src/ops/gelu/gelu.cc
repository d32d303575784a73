// Copyright onnxedge authors.
// Gelu (opset 20-21; float, double, float16, bfloat16):
//   approximate="none": Y = 0.5 * X * (1 + erf(X / sqrt(2)))
//   approximate="tanh": Y = 0.5 * X * (1 + tanh(sqrt(2 / pi) * (X + 0.044715 * X^3)))
// Any other value of `approximate` is rejected at load.
// Also com.microsoft Gelu (version 1, the erf form without attributes): ONNX Runtime's contrib op
// with the same definition, which the optimizer creates for models below opset 20.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct GeluFn {
  bool tanh_approx = false;
  static StatusOr<GeluFn> Make(const KernelInfo& info) {
    GeluFn fn;
    // Kept as StatusOr: GCC 12 warns (falsely) about a moved-out std::string here.
    const StatusOr<std::string> attr = info.GetString("approximate", "none");
    if (!attr.ok()) return attr.status();
    const std::string& mode = *attr;
    if (mode == "tanh") {
      fn.tanh_approx = true;
    } else if (mode != "none") {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'approximate' must be \"none\" or \"tanh\", got \"", mode, "\"");
    }
    return fn;
  }
  void ApplyF32(const float* x, float* y, int64_t n) const {
    kernels::ApplyUnary(tanh_approx ? kernels::UnaryFn::kGeluTanh : kernels::UnaryFn::kGeluErf,
                        x, y, n);
  }
  template <typename C>
  C operator()(C x) const {
    if (tanh_approx) {
      const C k = static_cast<C>(0.79788456080286535587989211986876);  // sqrt(2 / pi)
      return C(0.5) * x * (C(1) + std::tanh(k * (x + static_cast<C>(0.044715) * x * x * x)));
    }
    return C(0.5) * x * (C(1) + std::erf(x * static_cast<C>(0.70710678118654752440084436210485)));
  }
};

}  // namespace

void RegisterOp_gelu(OpRegistry& registry) {
  registry.Register({"", "Gelu", 20, 21, MakeFactory<UnaryKernel<FloatTypes, GeluFn>>()});
  registry.Register(
      {"com.microsoft", "Gelu", 1, 1, MakeFactory<UnaryKernel<FloatTypes, GeluFn>>()});
}

}  // namespace onnxedge::ops
