// Copyright onnxedge authors.
// OptionalHasElement: a bool scalar, true when the input holds a value. Opset 15 takes an
// optional; opset 18 also accepts plain tensors and sequences (always true) and an omitted
// input (false). Because an optional holding a value is represented by the value itself, one
// kernel covers both definitions. Opsets 15-21.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class OptionalHasElementKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<OptionalHasElementKernel>> Create(const KernelInfo& info) {
    if (info.since_version() < 18 && !info.HasInput(0)) {
      return info.Error(StatusCode::kInvalidModel, "input 'input' is required before opset 18");
    }
    return std::make_unique<OptionalHasElementKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    const Value* v = ctx.InputValue(0);
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, DataType::kBool, {}));
    *out->data<bool>() = v != nullptr && !v->is_none();
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_optional_has_element(OpRegistry& registry) {
  registry.Register({"", "OptionalHasElement", 15, 21, MakeFactory<OptionalHasElementKernel>()});
}

}  // namespace onnxedge::ops
