// Copyright onnxedge authors.
// Size: the input's element count as an int64 scalar. Opsets 1-21, all element types.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SizeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SizeKernel>> Create(const KernelInfo&) {
    return std::make_unique<SizeKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt64, {}));
    y->data<int64_t>()[0] = x->size();
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_size(OpRegistry& registry) {
  registry.Register({"", "Size", 1, 21, MakeFactory<SizeKernel>()});
}

}  // namespace onnxedge::ops
