// Copyright onnxedge authors.
// ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along
// `time_axis` and copies the rest. batch_axis / time_axis are 0 and 1 in either order (defaults
// batch_axis=1, time_axis=0). Opsets 10-21, every element type; lengths must lie in
// [0, time steps].
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class ReverseSequenceKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ReverseSequenceKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ReverseSequenceKernel>();
    OE_ASSIGN_OR_RETURN(k->batch_axis_, info.GetInt("batch_axis", 1));
    OE_ASSIGN_OR_RETURN(k->time_axis_, info.GetInt("time_axis", 0));
    if ((k->batch_axis_ != 0 && k->batch_axis_ != 1) ||
        (k->time_axis_ != 0 && k->time_axis_ != 1) || k->batch_axis_ == k->time_axis_) {
      return info.Error(
          StatusCode::kInvalidModel,
          "attributes 'batch_axis' and 'time_axis' must be 0 and 1 in some order, got ",
          k->batch_axis_, " and ", k->time_axis_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* lens_t, ctx.RequiredInput(1));
    if (x->rank() < 2) {
      return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 2, got shape ",
                       ShapeToString(x->shape()));
    }
    const int64_t batch = x->dim(static_cast<size_t>(batch_axis_));
    const int64_t steps = x->dim(static_cast<size_t>(time_axis_));
    OE_ASSIGN_OR_RETURN(auto lens, ReadInt64s(*lens_t, ctx.Describe() + " input 'sequence_lens'"));
    if (lens_t->rank() != 1 || static_cast<int64_t>(lens.size()) != batch) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'sequence_lens' must be 1-D of size ",
                       batch, ", got shape ", ShapeToString(lens_t->shape()));
    }
    for (int64_t l : lens) {
      if (l < 0 || l > steps) {
        return ctx.Error(StatusCode::kInvalidArgument, "sequence length ", l, " is outside [0, ",
                         steps, "]");
      }
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape()));
    if (y->size() == 0) return Status::Ok();
    const int64_t inner = DimProduct(x->shape(), 2, x->rank());
    // Element offset of (batch b, time t): the two leading dims in either order.
    const int64_t bstride = (batch_axis_ == 0 ? steps : 1) * inner;
    const int64_t tstride = (time_axis_ == 0 ? batch : 1) * inner;
    return DispatchBySize(x->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      const U* src = x->data<U>();
      U* dst = y->data<U>();
      for (int64_t b = 0; b < batch; ++b) {
        const int64_t len = lens[static_cast<size_t>(b)];
        for (int64_t t = 0; t < steps; ++t) {
          const int64_t from = t < len ? len - 1 - t : t;
          const U* s = src + b * bstride + from * tstride;
          std::copy(s, s + inner, dst + b * bstride + t * tstride);
        }
      }
      return Status::Ok();
    });
  }

 private:
  int64_t batch_axis_ = 1;
  int64_t time_axis_ = 0;
};

}  // namespace

void RegisterOp_reverse_sequence(OpRegistry& registry) {
  registry.Register({"", "ReverseSequence", 10, 21, MakeFactory<ReverseSequenceKernel>()});
}

}  // namespace onnxedge::ops
