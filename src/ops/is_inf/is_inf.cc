// Copyright onnxedge authors.
// IsInf: Y = X is +inf (when detect_positive, default 1) or -inf (when detect_negative, default
// 1), as bool (opset 10-21; float and double, 16-bit floats as opset 20 allows).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

class IsInfKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<IsInfKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<IsInfKernel>();
    OE_ASSIGN_OR_RETURN(int64_t neg, info.GetInt("detect_negative", 1));
    OE_ASSIGN_OR_RETURN(int64_t pos, info.GetInt("detect_positive", 1));
    k->negative_ = neg != 0;
    k->positive_ = pos != 0;
    return k;
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const bool neg = negative_, pos = positive_;
    return DispatchInput<FloatTypes>(ctx, 0, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return UnaryMap<T, bool>(ctx, *x, DataType::kBool, [neg, pos](T v) {
        const auto c = ToCompute(v);
        return std::isinf(c) && (c > 0 ? pos : neg);
      });
    });
  }

 private:
  bool negative_ = true;
  bool positive_ = true;
};

}  // namespace

void RegisterOp_is_inf(OpRegistry& registry) {
  registry.Register({"", "IsInf", 10, 21, MakeFactory<IsInfKernel>()});
}

}  // namespace onnxedge::ops
