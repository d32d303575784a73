// Copyright onnxedge authors.
// OneHot: out has a new dim of size `depth` inserted at `axis` (in [-rank-1, rank]);
// out[..., j, ...] = values[1] where j == indices[...] (negative indices count from depth's end),
// else values[0]. Indices outside [-depth, depth) produce an all-off row. Opsets 9-21 (negative
// axis from 11). Indices and depth of any numeric type (truncated to integers), values of every
// element type.
#include <cmath>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class OneHotKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<OneHotKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<OneHotKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", -1));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* ind, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* dep, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* vals, ctx.RequiredInput(2));
    if (dep->size() != 1) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'depth' must have one element, got shape ",
                       ShapeToString(dep->shape()));
    }
    if (vals->size() != 2) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'values' must have two elements, got shape ",
                       ShapeToString(vals->shape()));
    }
    OE_ASSIGN_OR_RETURN(auto dv, ReadDoubles(*dep, ctx.Describe() + " input 'depth'"));
    if (!(dv[0] >= 1) || dv[0] > 1e15) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'depth' must be a positive count, got ",
                       dv[0]);
    }
    const int64_t depth = static_cast<int64_t>(dv[0]);
    const int64_t rank = static_cast<int64_t>(ind->rank());
    int64_t axis = axis_ < 0 ? axis_ + rank + 1 : axis_;
    if (axis < 0 || axis > rank) {
      return ctx.Error(StatusCode::kInvalidArgument, "attribute 'axis' ", axis_,
                       " is out of range for output rank ", rank + 1);
    }
    OE_ASSIGN_OR_RETURN(auto idx, ReadDoubles(*ind, ctx.Describe() + " input 'indices'"));
    Shape out_shape = ind->shape();
    out_shape.insert(out_shape.begin() + axis, depth);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, vals->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();
    const int64_t outer = DimProduct(ind->shape(), 0, static_cast<size_t>(axis));
    const int64_t inner = DimProduct(ind->shape(), static_cast<size_t>(axis), ind->rank());
    return DispatchBySize(vals->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      const U off = vals->data<U>()[0], on = vals->data<U>()[1];
      U* dst = y->data<U>();
      std::fill(dst, dst + y->size(), off);
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const double v = idx[static_cast<size_t>(o * inner + i)];
          if (!std::isfinite(v)) continue;
          int64_t j = static_cast<int64_t>(std::trunc(v));
          if (j < 0) j += depth;
          if (j < 0 || j >= depth) continue;
          dst[(o * depth + j) * inner + i] = on;
        }
      }
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = -1;
};

}  // namespace

void RegisterOp_one_hot(OpRegistry& registry) {
  registry.Register({"", "OneHot", 9, 21, MakeFactory<OneHotKernel>()});
}

}  // namespace onnxedge::ops
