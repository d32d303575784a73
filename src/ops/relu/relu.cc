// Copyright onnxedge authors.
// Relu: Y = max(X, 0) (opset 6-21; 14 added integer types).
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class ReluKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ReluKernel>> Create(const KernelInfo&) {
    return std::make_unique<ReluKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    return Dispatch<SignedNumericTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return UnaryElementwise<T, T>(ctx, *x, x->dtype(), [](T v) {
        auto c = ToCompute(v);
        return FromCompute<T>(c > 0 ? c : decltype(c)(0));
      });
    });
  }
};

}  // namespace

void RegisterOp_relu(OpRegistry& registry) {
  registry.Register({"", "Relu", 6, 21, MakeFactory<ReluKernel>()});
}

}  // namespace onnxedge::ops
