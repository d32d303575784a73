// Copyright onnxedge authors.
// Unsqueeze: inserts size-1 dims at `axes` (relative to the output rank, negative allowed from
// opset 11); the output views the input's storage. Opsets 1-21: axes is an attribute up to
// opset 12 and a required int64 input from 13. All element types.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class UnsqueezeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<UnsqueezeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<UnsqueezeKernel>();
    k->axes_from_input_ = info.since_version() >= 13;
    if (!k->axes_from_input_) {
      OE_ASSIGN_OR_RETURN(k->axes_, info.GetInts("axes"));
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    // Shapes (inline storage) throughout: a run allocates nothing.
    Shape axes(axes_.begin(), axes_.end());
    if (axes_from_input_) {
      OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(1));
      OE_RETURN_IF_ERROR(ReadInt64sInto(*a, ctx.Describe(), "axes", &axes));
    }
    const int64_t out_rank = static_cast<int64_t>(x->rank() + axes.size());
    Shape inserted(static_cast<size_t>(out_rank), 0);
    for (int64_t a : axes) {
      OE_ASSIGN_OR_RETURN(int64_t n, NormalizeAxis(a, out_rank, ctx.Describe()));
      if (inserted[static_cast<size_t>(n)]) {
        return ctx.Error(StatusCode::kInvalidArgument, "axis ", a, " is repeated");
      }
      inserted[static_cast<size_t>(n)] = 1;
    }
    Shape out(static_cast<size_t>(out_rank));
    size_t j = 0;
    for (size_t i = 0; i < out.size(); ++i) out[i] = inserted[i] ? 1 : x->dim(j++);
    OE_ASSIGN_OR_RETURN(Tensor y, x->Reshaped(std::move(out)));
    ctx.SetOutput(0, Value(std::move(y)));
    return Status::Ok();
  }

 private:
  bool axes_from_input_ = false;
  std::vector<int64_t> axes_;
};

}  // namespace

void RegisterOp_unsqueeze(OpRegistry& registry) {
  registry.Register({"", "Unsqueeze", 1, 21, MakeFactory<UnsqueezeKernel>()});
}

}  // namespace onnxedge::ops
