// Copyright onnxedge authors.
// Add: C = A + B with multidirectional broadcasting (opset 1-21; broadcasting semantics from 7).
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class AddKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<AddKernel>> Create(const KernelInfo&) {
    return std::make_unique<AddKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(1));
    if (a->dtype() != b->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input types differ: ",
                       DataTypeName(a->dtype()), " and ", DataTypeName(b->dtype()));
    }
    return Dispatch<NumericTypes>(a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return BinaryBroadcast<T, T, T>(ctx, *a, *b, a->dtype(), [](T x, T y) {
        return FromCompute<T>(ToCompute(x) + ToCompute(y));
      });
    });
  }
};

}  // namespace

void RegisterOp_add(OpRegistry& registry) {
  registry.Register({"", "Add", 7, 21, MakeFactory<AddKernel>()});
}

}  // namespace onnxedge::ops
