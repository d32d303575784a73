// Copyright onnxedge authors.
// Squeeze: removes size-1 dims (the listed axes, or every size-1 dim when none are given); the
// output views the input's storage. Opsets 1-21: axes is an attribute up to opset 12 (negative
// values from 11) and an optional int64 input from 13. All element types.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class SqueezeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SqueezeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SqueezeKernel>();
    k->axes_from_input_ = info.since_version() >= 13;
    if (!k->axes_from_input_ && info.HasAttribute("axes")) {
      OE_ASSIGN_OR_RETURN(k->axes_, info.GetInts("axes"));
      k->has_axes_ = true;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    // Shapes (inline storage) throughout: a run allocates nothing.
    Shape axes(axes_.begin(), axes_.end());
    bool has_axes = has_axes_;
    if (axes_from_input_ && ctx.Input(1)) {
      OE_RETURN_IF_ERROR(ReadInt64sInto(*ctx.Input(1), ctx.Describe(), "axes", &axes));
      has_axes = true;
    }
    const int64_t rank = static_cast<int64_t>(x->rank());
    Shape drop(x->rank(), 0);
    if (has_axes && !axes.empty()) {
      if (rank == 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "axis ", axes[0],
                         " is out of range for rank 0");
      }
      Shape norm;
      OE_RETURN_IF_ERROR(NormalizeAxesInto(axes, rank, ctx.Describe(), &norm));
      for (int64_t a : norm) {
        if (x->dim(static_cast<size_t>(a)) != 1) {
          return ctx.Error(StatusCode::kInvalidArgument, "cannot squeeze axis ", a,
                           " of input shape ", ShapeToString(x->shape()), ": its size is not 1");
        }
        drop[static_cast<size_t>(a)] = 1;
      }
    } else {
      for (size_t i = 0; i < x->rank(); ++i) drop[i] = x->dim(i) == 1;
    }
    Shape out;
    for (size_t i = 0; i < x->rank(); ++i) {
      if (!drop[i]) out.push_back(x->dim(i));
    }
    OE_ASSIGN_OR_RETURN(Tensor y, x->Reshaped(std::move(out)));
    ctx.SetOutput(0, Value(std::move(y)));
    return Status::Ok();
  }

 private:
  bool axes_from_input_ = false;
  bool has_axes_ = false;
  std::vector<int64_t> axes_;
};

}  // namespace

void RegisterOp_squeeze(OpRegistry& registry) {
  registry.Register({"", "Squeeze", 1, 21, MakeFactory<SqueezeKernel>()});
}

}  // namespace onnxedge::ops
