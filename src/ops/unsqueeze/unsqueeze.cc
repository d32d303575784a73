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
    std::vector<int64_t> axes = axes_;
    if (axes_from_input_) {
      OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(1));
      OE_ASSIGN_OR_RETURN(axes, ReadInt64s(*a, ctx.Describe() + " input 'axes'"));
    }
    const int64_t out_rank = static_cast<int64_t>(x->rank() + axes.size());
    OE_ASSIGN_OR_RETURN(auto norm, NormalizeAxes(axes, out_rank, ctx.Describe()));
    std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
    for (int64_t a : norm) inserted[static_cast<size_t>(a)] = true;
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
