// Copyright onnxedge authors.
// Identity: output shares the input's storage (tensors, sequences and optionals alike).
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class IdentityKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<IdentityKernel>> Create(const KernelInfo&) {
    return std::make_unique<IdentityKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    const Value* v = ctx.InputValue(0);
    if (!v) return ctx.Error(StatusCode::kInvalidArgument, "input 0 is missing");
    ctx.SetOutput(0, *v);
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_identity(OpRegistry& registry) {
  registry.Register({"", "Identity", 1, 21, MakeFactory<IdentityKernel>()});
}

}  // namespace onnxedge::ops
