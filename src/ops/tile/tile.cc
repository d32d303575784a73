// Copyright onnxedge authors.
// Tile: repeats the input `repeats[i]` times along each dim i. Opsets 1-21: opset 1 takes
// scalar inputs `tiles` and `axis` (one repeated dim), 6+ an int64 `repeats` input of length
// rank. Every element type. Each dim is split into (repeat, dim) with the repeat read at stride 0,
// so the copy is one strided pass with contiguous inner runs.
#include <cmath>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

// Opset 1 declares `tiles` and `axis` with the data's float types; accept integers too.
StatusOr<int64_t> ReadScalarAny(const Tensor& t, const std::string& what) {
  if (t.size() != 1) {
    return MakeError(StatusCode::kInvalidArgument, what, " must have one element, got shape ",
                     ShapeToString(t.shape()));
  }
  if (t.dtype() == DataType::kInt64 || t.dtype() == DataType::kInt32) {
    OE_ASSIGN_OR_RETURN(auto v, ReadInt64s(t, what));
    return v[0];
  }
  OE_ASSIGN_OR_RETURN(auto v, ReadDoubles(t, what));
  if (!std::isfinite(v[0])) return MakeError(StatusCode::kInvalidArgument, what, " is not finite");
  return static_cast<int64_t>(v[0]);
}

class TileKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<TileKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<TileKernel>();
    k->v1_ = info.since_version() < 6;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const size_t rank = x->rank();
    // Shapes (inline storage): no allocation per run up to rank 4 (the view has 2 * rank dims).
    Shape repeats(rank, 1);
    if (v1_) {
      OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(1));
      OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(2));
      OE_ASSIGN_OR_RETURN(int64_t tiles, ReadScalarAny(*t, ctx.Describe() + " input 'tiles'"));
      OE_ASSIGN_OR_RETURN(int64_t axis, ReadScalarAny(*a, ctx.Describe() + " input 'axis'"));
      OE_ASSIGN_OR_RETURN(axis, NormalizeAxis(axis, static_cast<int64_t>(rank), ctx.Describe()));
      if (rank > 0) repeats[static_cast<size_t>(axis)] = tiles;
    } else {
      OE_ASSIGN_OR_RETURN(const Tensor* r, ctx.RequiredInput(1));
      OE_RETURN_IF_ERROR(ReadInt64sInto(*r, ctx.Describe(), "repeats", &repeats));
      if (r->rank() != 1 || repeats.size() != rank) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'repeats' must be 1-D with ", rank,
                         " entries (the input's rank), got shape ", ShapeToString(r->shape()));
      }
    }
    Shape out_shape(rank), view_shape(2 * rank), ss(2 * rank);
    const Shape in_strides = InlineStrides(x->shape());
    for (size_t i = 0; i < rank; ++i) {
      if (repeats[i] < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'repeats' has a negative entry ",
                         repeats[i]);
      }
      if (repeats[i] != 0 && x->dim(i) > std::numeric_limits<int64_t>::max() / repeats[i]) {
        return ctx.Error(StatusCode::kInvalidArgument, "output dim ", i, " overflows");
      }
      out_shape[i] = x->dim(i) * repeats[i];
      view_shape[2 * i] = repeats[i];
      view_shape[2 * i + 1] = x->dim(i);
      ss[2 * i] = 0;
      ss[2 * i + 1] = in_strides[i];
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    StridedCopy(x->dtype(), x->raw_data(), ss, y->raw_data(), InlineStrides(view_shape), view_shape,
                &ctx.thread_pool());
    return Status::Ok();
  }

 private:
  bool v1_ = false;
};

}  // namespace

void RegisterOp_tile(OpRegistry& registry) {
  registry.Register({"", "Tile", 1, 21, MakeFactory<TileKernel>()});
}

}  // namespace onnxedge::ops
