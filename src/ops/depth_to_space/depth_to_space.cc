// Copyright onnxedge authors.
// DepthToSpace: [N, C, H, W] -> [N, C / b^2, H * b, W * b]. Opsets 1-21; mode DCR (default,
// depth-column-row: channel = (bh * b + bw) * C' + c) or CRD from opset 11
// (channel = c * b^2 + bh * b + bw). Every element type; one strided copy of a 6-D view.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class DepthToSpaceKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<DepthToSpaceKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<DepthToSpaceKernel>();
    OE_ASSIGN_OR_RETURN(k->block_, info.GetInt("blocksize"));
    if (k->block_ < 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'blocksize' must be >= 1, got ",
                        k->block_);
    }
    if (info.since_version() >= 11) {
      OE_ASSIGN_OR_RETURN(std::string mode, info.GetString("mode", "DCR"));
      if (mode != "DCR" && mode != "CRD") {
        return info.Error(StatusCode::kInvalidModel, "attribute 'mode' must be DCR or CRD, got '",
                          mode, "'");
      }
      k->crd_ = mode == "CRD";
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
    if (c % (b * b) != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input channels ", c,
                       " are not divisible by blocksize^2 = ", b * b);
    }
    const int64_t oc = c / (b * b);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), {n, oc, h * b, w * b}, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    // View the input as 6-D and permute it into the output's [N, C', H, b, W, b] order.
    Shape view;
    std::vector<int64_t> perm;
    if (crd_) {
      view = {n, oc, b, b, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      view = {n, b, b, oc, h, w};
      perm = {0, 3, 4, 1, 5, 2};
    }
    TransposeCopy(x->dtype(), x->raw_data(), view, perm, y->raw_data(), &ctx.thread_pool());
    return Status::Ok();
  }

 private:
  int64_t block_ = 1;
  bool crd_ = false;
};

}  // namespace

void RegisterOp_depth_to_space(OpRegistry& registry) {
  registry.Register({"", "DepthToSpace", 1, 21, MakeFactory<DepthToSpaceKernel>()});
}

}  // namespace onnxedge::ops
