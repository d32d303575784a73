// Copyright onnxedge authors.
// CastLike: converts input to the element type of target_type (opset 15-21; the types and rules
// of Cast, see ops/common/cast_util.h). Opset 19's `saturate` (float8 only) is ignored.
#include "ops/common/cast_util.h"
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

class CastLikeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<CastLikeKernel>> Create(const KernelInfo&) {
    return std::make_unique<CastLikeKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* like, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, like->dtype(), x->shape()));
    return CastTensor(*x, y, ctx.thread_pool(), ctx.Describe());
  }
};

}  // namespace

void RegisterOp_cast_like(OpRegistry& registry) {
  registry.Register({"", "CastLike", 15, 21, MakeFactory<CastLikeKernel>()});
}

}  // namespace onnxedge::ops
