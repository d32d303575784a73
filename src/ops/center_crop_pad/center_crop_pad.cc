// Copyright onnxedge authors.
// CenterCropPad: crops or zero-pads each chosen dim to the target length from the `shape` input,
// keeping the content centred: a crop starts at (dim - target) / 2 and a pad puts
// (target - dim) / 2 zeros before the data (integer division, so odd differences leave the extra
// element at the end). `axes` (negative allowed) pick the dims `shape` refers to; default all.
// Opsets 18-21, every element type (strings pad with ""). One strided copy of the kept region.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class CenterCropPadKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<CenterCropPadKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<CenterCropPadKernel>();
    if (info.HasAttribute("axes")) {
      OE_ASSIGN_OR_RETURN(k->axes_, info.GetInts("axes"));
      k->has_axes_ = true;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* s, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(auto target, ReadInt64s(*s, ctx.Describe() + " input 'shape'"));
    const int64_t rank = static_cast<int64_t>(x->rank());
    std::vector<int64_t> axes;
    if (has_axes_) {
      OE_ASSIGN_OR_RETURN(axes, NormalizeAxesForRank(axes_, rank, ctx.Describe()));
    } else {
      for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    }
    if (s->rank() != 1 || target.size() != axes.size()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'shape' must be 1-D with ", axes.size(),
                       " entries, got shape ", ShapeToString(s->shape()));
    }
    Shape out_shape = x->shape(), copy_shape = x->shape();
    std::vector<int64_t> src_start(x->rank(), 0), dst_start(x->rank(), 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      const int64_t n = x->dim(a), t = target[i];
      if (t < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'shape' has a negative length ", t);
      }
      out_shape[a] = t;
      copy_shape[a] = std::min(n, t);
      if (t < n) src_start[a] = (n - t) / 2;
      if (t > n) dst_start[a] = (t - n) / 2;
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    if (ShapeElementCount(copy_shape) == 0) return Status::Ok();
    const std::vector<int64_t> ss = Strides(x->shape()), ds = Strides(out_shape);
    int64_t soff = 0, doff = 0;
    for (size_t d = 0; d < x->rank(); ++d) {
      soff += src_start[d] * ss[d];
      doff += dst_start[d] * ds[d];
    }
    StridedCopy(x->dtype(), ElementPtr(x->raw_data(), x->dtype(), soff), ss,
                ElementPtr(y->raw_data(), x->dtype(), doff), ds, copy_shape, &ctx.thread_pool());
    return Status::Ok();
  }

 private:
  std::vector<int64_t> axes_;
  bool has_axes_ = false;
};

}  // namespace

void RegisterOp_center_crop_pad(OpRegistry& registry) {
  registry.Register({"", "CenterCropPad", 18, 21, MakeFactory<CenterCropPadKernel>()});
}

}  // namespace onnxedge::ops
