// Copyright onnxedge authors.
// Flatten: views the input as 2-D [prod(dims[:axis]), prod(dims[axis:])] without copying.
// Opsets 1-21 (negative axis from 11; axis in [-rank, rank]). All element types.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class FlattenKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<FlattenKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<FlattenKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 1));
    if (info.since_version() < 11 && k->axis_ < 0) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'axis' must be >= 0 before opset 11, got ", k->axis_);
    }
    return k;
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const int64_t rank = static_cast<int64_t>(x->rank());
    int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis > rank) {
      return ctx.Error(StatusCode::kInvalidArgument, "attribute 'axis' ", axis_,
                       " is out of range for input rank ", rank);
    }
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= x->dim(static_cast<size_t>(i));
    OE_ASSIGN_OR_RETURN(Tensor y, x->Reshaped({outer, inner}));
    ctx.SetOutput(0, Value(std::move(y)));
    return Status::Ok();
  }

 private:
  int64_t axis_ = 1;
};

}  // namespace

void RegisterOp_flatten(OpRegistry& registry) {
  registry.Register({"", "Flatten", 1, 21, MakeFactory<FlattenKernel>()});
}

}  // namespace onnxedge::ops
