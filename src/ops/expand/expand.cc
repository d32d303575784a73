// Copyright onnxedge authors.
// Expand: broadcasts the input to broadcast(input.shape, shape) (numpy rules in both directions:
// a 1 in `shape` keeps the input's dim). Opsets 8-21, every element type. Broadcast dims read
// with stride 0; when the shape does not change, the output shares the input's storage. Shapes
// and strides live in Shape's inline storage, so a run allocates nothing but its output.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class ExpandKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ExpandKernel>> Create(const KernelInfo&) {
    return std::make_unique<ExpandKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* s, ctx.RequiredInput(1));
    if (s->rank() != 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'shape' must be 1-D, got shape ",
                       ShapeToString(s->shape()));
    }
    Shape shape;
    OE_RETURN_IF_ERROR(ReadInt64sInto(*s, ctx.Describe(), "shape", &shape));
    for (int64_t d : shape) {
      if (d < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'shape' ", ShapeToString(shape),
                         " has a negative dim");
      }
    }
    OE_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({&x->shape(), &shape}, ctx.Describe()));
    if (out_shape == x->shape()) {
      ctx.SetOutput(0, Value(*x));
      return Status::Ok();
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    // Source strides (0 along broadcast and padded dims) and the output's row-major strides.
    const size_t rank = out_shape.size(), pad = rank - x->rank();
    Shape ss(rank, 0), ys(rank, 0);
    for (int64_t i = static_cast<int64_t>(rank) - 1, sx = 1, sy = 1; i >= 0; --i) {
      const size_t u = static_cast<size_t>(i);
      ys[u] = sy;
      sy *= out_shape[u];
      if (u < pad) continue;
      const int64_t dim = x->dim(u - pad);
      ss[u] = dim == 1 ? 0 : sx;
      sx *= dim;
    }
    StridedCopy(x->dtype(), x->raw_data(), ss, y->raw_data(), ys, out_shape, &ctx.thread_pool());
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_expand(OpRegistry& registry) {
  registry.Register({"", "Expand", 8, 21, MakeFactory<ExpandKernel>()});
}

}  // namespace onnxedge::ops
