// Copyright onnxedge authors.
// Compress: keeps the slices along `axis` whose entry in the 1-D bool `condition` is true (the
// flattened input when no axis is given). Opsets 9-21 (negative axis from 11). A condition
// shorter than the dim counts as false for the rest; a longer one may only have false entries
// past the end. Every element type.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class CompressKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<CompressKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<CompressKernel>();
    if (info.HasAttribute("axis")) {
      OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis"));
      k->has_axis_ = true;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* cond, ctx.RequiredInput(1));
    if (cond->dtype() != DataType::kBool || cond->rank() != 1) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'condition' must be a 1-D bool tensor, got ",
                       DataTypeName(cond->dtype()), ShapeToString(cond->shape()));
    }
    Shape shape = x->shape();
    size_t ax = 0;
    if (has_axis_) {
      OE_ASSIGN_OR_RETURN(int64_t a,
                          NormalizeAxis(axis_, static_cast<int64_t>(x->rank()), ctx.Describe()));
      if (x->rank() == 0)
        return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 1");
      ax = static_cast<size_t>(a);
    } else {
      shape = {x->size()};
    }
    const int64_t dim = shape[ax];
    const bool* c = cond->data<bool>();
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < cond->size(); ++i) {
      if (!c[i]) continue;
      if (i >= dim) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'condition' selects index ", i,
                         " but the axis has size ", dim);
      }
      keep.push_back(i);
    }
    Shape out_shape = shape;
    out_shape[ax] = static_cast<int64_t>(keep.size());
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();
    const int64_t outer = DimProduct(shape, 0, ax);
    const int64_t inner = DimProduct(shape, ax + 1, shape.size());
    const int64_t k = static_cast<int64_t>(keep.size());
    return DispatchBySize(x->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      const U* src = x->data<U>();
      U* dst = y->data<U>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t j = 0; j < k; ++j) {
          const U* s = src + (o * dim + keep[static_cast<size_t>(j)]) * inner;
          std::copy(s, s + inner, dst + (o * k + j) * inner);
        }
      }
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = 0;
  bool has_axis_ = false;
};

}  // namespace

void RegisterOp_compress(OpRegistry& registry) {
  registry.Register({"", "Compress", 9, 21, MakeFactory<CompressKernel>()});
}

}  // namespace onnxedge::ops
