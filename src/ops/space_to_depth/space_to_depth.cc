// Copyright onnxedge authors.
// SpaceToDepth: [N, C, H, W] -> [N, C * b^2, H / b, W / b], output channel (bh * b + bw) * C + c
// (the inverse of DepthToSpace in DCR mode). Opsets 1-21, every element type; one strided copy
// of a 6-D view.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class SpaceToDepthKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SpaceToDepthKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SpaceToDepthKernel>();
    OE_ASSIGN_OR_RETURN(k->block_, info.GetInt("blocksize"));
    if (k->block_ < 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'blocksize' must be >= 1, got ",
                        k->block_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() != 4) {
      return ctx.Error(StatusCode::kInvalidArgument, "input must be 4-D, got shape ",
                       ShapeToString(x->shape()));
    }
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), b = block_;
    if (h % b != 0 || w % b != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input height ", h, " and width ", w,
                       " must be divisible by blocksize ", b);
    }
    OE_ASSIGN_OR_RETURN(Tensor * y,
                        ctx.AllocateOutput(0, x->dtype(), {n, c * b * b, h / b, w / b}));
    if (y->size() == 0) return Status::Ok();
    TransposeCopy(x->dtype(), x->raw_data(), {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4},
                  y->raw_data(), &ctx.thread_pool());
    return Status::Ok();
  }

 private:
  int64_t block_ = 1;
};

}  // namespace

void RegisterOp_space_to_depth(OpRegistry& registry) {
  registry.Register({"", "SpaceToDepth", 1, 21, MakeFactory<SpaceToDepthKernel>()});
}

}  // namespace onnxedge::ops
