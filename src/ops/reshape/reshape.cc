// Copyright onnxedge authors.
// Reshape: the output views the input's storage with a new shape (no copy).
// Opsets 1-21: opset 1-4 take the target shape from the `shape` attribute, 5+ from an int64
// input. In the target shape -1 is inferred from the element count and 0 copies the input's dim,
// unless allowzero=1 (opset 14+), where 0 means an empty dim. All element types.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class ReshapeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ReshapeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ReshapeKernel>();
    if (info.since_version() < 5) {
      k->shape_from_attr_ = true;
      OE_ASSIGN_OR_RETURN(k->attr_shape_, info.GetInts("shape", {}));
    }
    if (info.since_version() >= 14) {
      OE_ASSIGN_OR_RETURN(int64_t allowzero, info.GetInt("allowzero", 0));
      if (allowzero != 0 && allowzero != 1) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'allowzero' must be 0 or 1, got ",
                          allowzero);
      }
      k->allowzero_ = allowzero == 1;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    Shape target;  // Inline storage: no allocation per run.
    if (shape_from_attr_) {
      target = attr_shape_;
    } else {
      OE_ASSIGN_OR_RETURN(const Tensor* s, ctx.RequiredInput(1));
      if (s->rank() != 1) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'shape' must be 1-D, got shape ",
                         ShapeToString(s->shape()));
      }
      if (s->dtype() == DataType::kInt64) {
        target.assign(s->data<int64_t>(), s->data<int64_t>() + s->size());
      } else {
        OE_ASSIGN_OR_RETURN(target, ReadInt64s(*s, ctx.Describe() + " input 'shape'"));
      }
    }
    Shape out(target.size());
    int64_t infer = -1;
    int64_t known = 1;
    bool has_zero = false;
    for (size_t i = 0; i < target.size(); ++i) {
      int64_t d = target[i];
      if (d == -1) {
        if (infer >= 0) {
          return ctx.Error(StatusCode::kInvalidArgument, "shape ", ShapeToString(target),
                           " has more than one -1");
        }
        infer = static_cast<int64_t>(i);
        continue;
      }
      if (d < -1) {
        return ctx.Error(StatusCode::kInvalidArgument, "shape ", ShapeToString(target),
                         " has a negative dim");
      }
      if (d == 0 && !allowzero_) {
        if (i >= x->rank()) {
          return ctx.Error(StatusCode::kInvalidArgument, "shape ", ShapeToString(target),
                           " copies dim ", i, " (0) but the input ", ShapeToString(x->shape()),
                           " has rank ", x->rank());
        }
        d = x->dim(i);
      }
      if (d == 0) has_zero = true;
      out[i] = d;
      if (__builtin_mul_overflow(known, d, &known)) {
        return ctx.Error(StatusCode::kInvalidArgument, "shape ", ShapeToString(target),
                         " is too large");
      }
    }
    if (infer >= 0) {
      if (allowzero_ && has_zero) {
        return ctx.Error(StatusCode::kInvalidArgument, "shape ", ShapeToString(target),
                         " has both 0 and -1 with allowzero=1");
      }
      if (known == 0 || x->size() % known != 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "cannot reshape input ",
                         ShapeToString(x->shape()), " to ", ShapeToString(target));
      }
      out[static_cast<size_t>(infer)] = x->size() / known;
    }
    auto y = x->Reshaped(out);
    if (!y.ok()) {
      return ctx.Error(StatusCode::kInvalidArgument, "cannot reshape input ",
                       ShapeToString(x->shape()), " to ", ShapeToString(target));
    }
    ctx.SetOutput(0, Value(std::move(y).value()));
    return Status::Ok();
  }

 private:
  bool shape_from_attr_ = false;
  std::vector<int64_t> attr_shape_;
  bool allowzero_ = false;
};

}  // namespace

void RegisterOp_reshape(OpRegistry& registry) {
  registry.Register({"", "Reshape", 1, 21, MakeFactory<ReshapeKernel>()});
}

}  // namespace onnxedge::ops
