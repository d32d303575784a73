// Copyright onnxedge authors.
// OptionalGetElement: the value held by an optional; an empty optional is a run error. Opset 15
// takes an optional; opset 18 also accepts a plain tensor or sequence and returns it. Since an
// optional holding a value is represented by the value itself, both pass the input through
// without copying. Opsets 15-21, all types.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class OptionalGetElementKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<OptionalGetElementKernel>> Create(const KernelInfo&) {
    return std::make_unique<OptionalGetElementKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    const Value* v = ctx.InputValue(0);
    if (!v) return ctx.Error(StatusCode::kInvalidArgument, "input 'input' is missing");
    if (v->is_none()) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'input' is an empty optional; it has no element to get");
    }
    ctx.SetOutput(0, *v);
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_optional_get_element(OpRegistry& registry) {
  registry.Register({"", "OptionalGetElement", 15, 21, MakeFactory<OptionalGetElementKernel>()});
}

}  // namespace onnxedge::ops
