// Copyright onnxedge authors.
// Where: Y = condition ? X : Y elementwise, with three-way numpy broadcasting (opset 9-21; any
// element type including string, bfloat16 from 16).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

class WhereKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<WhereKernel>> Create(const KernelInfo&) {
    return std::make_unique<WhereKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* cond, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* y, ctx.RequiredInput(2));
    if (cond->dtype() != DataType::kBool) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 0 (condition) must be bool, got ",
                       DataTypeName(cond->dtype()));
    }
    OE_RETURN_IF_ERROR(CheckSameType(ctx, *x, 1, *y, 2));
    return DispatchInput<AllTypes>(ctx, 1, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return TernaryMap<bool, T, T, T>(
          ctx, *cond, *x, *y, x->dtype(),
          [](bool c, const T& a, const T& b) -> const T& { return c ? a : b; });
    });
  }
};

}  // namespace

void RegisterOp_where(OpRegistry& registry) {
  registry.Register({"", "Where", 9, 21, MakeFactory<WhereKernel>()});
}

}  // namespace onnxedge::ops
