// Copyright onnxedge authors.
// IsNaN: Y = X is NaN, as bool (opset 9-21; float types, bfloat16 from 13).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

class IsNaNKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<IsNaNKernel>> Create(const KernelInfo&) {
    return std::make_unique<IsNaNKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    return DispatchInput<FloatTypes>(ctx, 0, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return UnaryMap<T, bool>(ctx, *x, DataType::kBool,
                               [](T v) { return std::isnan(ToCompute(v)); });
    });
  }
};

}  // namespace

void RegisterOp_is_nan(OpRegistry& registry) {
  registry.Register({"", "IsNaN", 9, 21, MakeFactory<IsNaNKernel>()});
}

}  // namespace onnxedge::ops
