// Copyright onnxedge authors.
// Slice: numpy-style basic slicing along chosen axes. Opsets 1-21: opsets 1-9 read `starts`,
// `ends`, `axes` attributes (step 1); 10+ read int32/int64 inputs starts, ends, axes, steps
// (negative steps from 10, negative axes from 11). Starts and ends are clamped like Python slices,
// so INT64_MAX / INT64_MIN ends mean "to the end" / "to the front". All element types; the copy is
// one strided pass (contiguous inner runs when the innermost step is 1).
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class SliceKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SliceKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SliceKernel>();
    if (info.since_version() < 10) {
      k->from_attrs_ = true;
      OE_ASSIGN_OR_RETURN(k->starts_, info.GetInts("starts"));
      OE_ASSIGN_OR_RETURN(k->ends_, info.GetInts("ends"));
      OE_ASSIGN_OR_RETURN(k->axes_, info.GetInts("axes", {}));
      if (k->starts_.size() != k->ends_.size()) {
        return info.Error(StatusCode::kInvalidModel,
                          "attributes 'starts' and 'ends' differ in length (", k->starts_.size(),
                          " vs ", k->ends_.size(), ")");
      }
      if (info.HasAttribute("axes") && k->axes_.size() != k->starts_.size()) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'axes' has ", k->axes_.size(),
                          " entries but 'starts' has ", k->starts_.size());
      }
      k->has_axes_ = info.HasAttribute("axes");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    // Shapes (inline storage) throughout: a steady-state run allocates nothing.
    Shape starts = starts_, ends = ends_, axes = axes_, steps;
    bool has_axes = has_axes_;
    if (!from_attrs_) {
      OE_ASSIGN_OR_RETURN(const Tensor* s, ctx.RequiredInput(1));
      OE_ASSIGN_OR_RETURN(const Tensor* e, ctx.RequiredInput(2));
      OE_RETURN_IF_ERROR(ReadInts(ctx, *s, "starts", &starts));
      OE_RETURN_IF_ERROR(ReadInts(ctx, *e, "ends", &ends));
      if (starts.size() != ends.size()) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "inputs 'starts' and 'ends' differ in length (", starts.size(), " vs ",
                         ends.size(), ")");
      }
      if (const Tensor* a = ctx.Input(3)) {
        OE_RETURN_IF_ERROR(ReadInts(ctx, *a, "axes", &axes));
        has_axes = true;
        if (axes.size() != starts.size()) {
          return ctx.Error(StatusCode::kInvalidArgument, "input 'axes' has ", axes.size(),
                           " entries but 'starts' has ", starts.size());
        }
      }
      if (const Tensor* st = ctx.Input(4)) {
        OE_RETURN_IF_ERROR(ReadInts(ctx, *st, "steps", &steps));
        if (steps.size() != starts.size()) {
          return ctx.Error(StatusCode::kInvalidArgument, "input 'steps' has ", steps.size(),
                           " entries but 'starts' has ", starts.size());
        }
      }
    }
    const int64_t rank = static_cast<int64_t>(x->rank());
    if (!has_axes) {
      axes.resize(starts.size());
      for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    // Axes normalized inline; the shared helper builds the message when they are invalid.
    Shape norm(axes.size());
    bool valid = rank > 0 || axes.empty();
    for (size_t i = 0; i < axes.size() && valid; ++i) {
      valid = axes[i] >= -rank && axes[i] < rank;
      norm[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
      for (size_t j = 0; j < i && valid; ++j) valid = norm[j] != norm[i];
    }
    if (!valid) {
      auto r = NormalizeAxesForRank(axes, rank, ctx.Describe());
      if (!r.ok()) return r.status();
      return ctx.Error(StatusCode::kInternal, "axes ", ShapeToString(axes), " rejected");
    }

    Shape in_strides(x->rank(), 1);
    for (size_t i = x->rank(); i-- > 1;) in_strides[i - 1] = in_strides[i] * x->dim(i);
    Shape out_shape = x->shape();
    Shape src_strides = in_strides;
    int64_t offset = 0;
    for (size_t i = 0; i < norm.size(); ++i) {
      const size_t a = static_cast<size_t>(norm[i]);
      const int64_t d = x->dim(a);
      int64_t step = steps[i];
      if (step == 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'steps' has a 0 for axis ", norm[i]);
      }
      // A step longer than the dim selects at most one element; capping it avoids overflow.
      const int64_t max_step = std::max<int64_t>(d, 1);
      if (step > max_step) step = max_step;
      if (step < -max_step) step = -max_step;
      int64_t s = starts[i], e = ends[i];
      if (s < 0) s += d;
      if (e < 0) e += d;
      int64_t len;
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, d);
        e = std::clamp<int64_t>(e, 0, d);
        len = e > s ? (e - s - 1) / step + 1 : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, d - 1);
        e = std::clamp<int64_t>(e, -1, d - 1);
        len = s > e ? (s - e - 1) / (-step) + 1 : 0;
      }
      out_shape[a] = len;
      if (len > 0) offset += s * in_strides[a];
      src_strides[a] = in_strides[a] * step;
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    Shape out_strides(out_shape.size(), 1);
    for (size_t i = out_shape.size(); i-- > 1;) out_strides[i - 1] = out_strides[i] * out_shape[i];
    StridedCopy(x->dtype(), ElementPtr(x->raw_data(), x->dtype(), offset), src_strides,
                y->raw_data(), out_strides, out_shape, &ctx.thread_pool());
    return Status::Ok();
  }

 private:
  bool from_attrs_ = false;
  bool has_axes_ = false;
  // Reads a 1-D int32/int64 input into `out`; other types get ReadInt64s's error.
  static Status ReadInts(const KernelContext& ctx, const Tensor& t, const char* what, Shape* out) {
    if (t.dtype() == DataType::kInt64) {
      out->assign(t.data<int64_t>(), t.data<int64_t>() + t.size());
      return Status::Ok();
    }
    if (t.dtype() == DataType::kInt32) {
      out->assign(t.data<int32_t>(), t.data<int32_t>() + t.size());
      return Status::Ok();
    }
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> v,
                        ReadInt64s(t, ctx.Describe() + " input '" + what + "'"));
    *out = v;
    return Status::Ok();
  }

  std::vector<int64_t> starts_, ends_, axes_;
};

}  // namespace

void RegisterOp_slice(OpRegistry& registry) {
  registry.Register({"", "Slice", 1, 21, MakeFactory<SliceKernel>()});
}

}  // namespace onnxedge::ops
