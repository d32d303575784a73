// Copyright onnxedge authors.
// Clip: Y = min(max(X, min), max) (opset 1-21; float types, every numeric type from 12).
//   opset 1-10: bounds from the float attributes `min` / `max` (absent: unbounded);
//   opset 11+: bounds from the optional inputs 1 and 2, one-element tensors of X's type.
// When min > max every element becomes max (the order above, as the spec says). NaN stays NaN.
// Opset 1's consumed_inputs attribute is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

class ClipKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ClipKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ClipKernel>();
    k->from_inputs_ = info.since_version() >= 11;
    if (!k->from_inputs_) {
      k->has_min_ = info.HasAttribute("min");
      k->has_max_ = info.HasAttribute("max");
      if (k->has_min_) {
        OE_ASSIGN_OR_RETURN(k->min_, info.GetFloat("min"));
      }
      if (k->has_max_) {
        OE_ASSIGN_OR_RETURN(k->max_, info.GetFloat("max"));
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const Tensor* lo_t = from_inputs_ ? ctx.Input(1) : nullptr;
    const Tensor* hi_t = from_inputs_ ? ctx.Input(2) : nullptr;
    for (const Tensor* b : {lo_t, hi_t}) {
      if (b == nullptr) continue;
      const size_t idx = b == lo_t ? 1 : 2;
      OE_RETURN_IF_ERROR(CheckSameType(ctx, *x, 0, *b, idx));
      if (b->size() != 1) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", idx, " (",
                         idx == 1 ? "min" : "max", ") must hold one value, got shape ",
                         ShapeToString(b->shape()));
      }
    }
    return DispatchInput<NumericTypes>(ctx, 0, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      C lo, hi;
      if constexpr (std::numeric_limits<C>::has_infinity) {
        lo = -std::numeric_limits<C>::infinity();
        hi = std::numeric_limits<C>::infinity();
      } else {
        lo = std::numeric_limits<C>::lowest();
        hi = std::numeric_limits<C>::max();
      }
      if (from_inputs_) {
        if (lo_t) lo = ToCompute(lo_t->data<T>()[0]);
        if (hi_t) hi = ToCompute(hi_t->data<T>()[0]);
      } else {
        if (has_min_) lo = ConvertValue<C>(min_);
        if (has_max_) hi = ConvertValue<C>(max_);
      }
      return UnaryMap<T, T>(ctx, *x, x->dtype(), [lo, hi](T v) {
        C c = ToCompute(v);
        c = c < lo ? lo : c;
        c = c > hi ? hi : c;
        return FromCompute<T>(c);
      });
    });
  }

 private:
  bool from_inputs_ = true;
  bool has_min_ = false, has_max_ = false;
  float min_ = 0.f, max_ = 0.f;
};

}  // namespace

void RegisterOp_clip(OpRegistry& registry) {
  registry.Register({"", "Clip", 1, 21, MakeFactory<ClipKernel>()});
}

}  // namespace onnxedge::ops
