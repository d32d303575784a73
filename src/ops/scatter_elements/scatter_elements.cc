// Copyright onnxedge authors.
// ScatterElements: output = data, then for every position p of `indices`,
// output[p with p[axis] = indices[p]] (op)= updates[p]. Opsets 11-21: reduction none (later
// duplicates win) / add / mul from opset 16, max / min from 18. Every element type without a
// reduction, numeric types with one; int32/int64 indices, negative count from the back.
#include "ops/common/elements_util.h"
#include "ops/common/scatter_util.h"

namespace onnxedge::ops {

namespace {

class ScatterElementsKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ScatterElementsKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ScatterElementsKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 0));
    OE_ASSIGN_OR_RETURN(k->reduction_, ReadScatterReduction(info));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* data, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* ind, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* upd, ctx.RequiredInput(2));
    const int64_t rank = static_cast<int64_t>(data->rank());
    if (rank == 0)
      return ctx.Error(StatusCode::kInvalidArgument, "input 'data' must have rank >= 1");
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    if (upd->shape() != ind->shape() || upd->dtype() != data->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'updates' (",
                       DataTypeName(upd->dtype()), ShapeToString(upd->shape()),
                       ") must have the shape of 'indices' ", ShapeToString(ind->shape()),
                       " and the type of 'data'");
    }
    OE_ASSIGN_OR_RETURN(auto idx, ReadElementIndices(ctx, *data, *ind, ax));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, data->dtype(), data->shape()));
    CopyElements(data->dtype(), data->raw_data(), y->raw_data(), data->size());
    return ApplyScatter(reduction_, *y, *upd, [&](auto&& apply) {
      ForEachElementIndex(ind->shape(), data->shape(), ax, idx,
                          [&](int64_t k, int64_t off) { apply(off, k); });
    });
  }

 private:
  int64_t axis_ = 0;
  ScatterReduction reduction_ = ScatterReduction::kNone;
};

}  // namespace

void RegisterOp_scatter_elements(OpRegistry& registry) {
  registry.Register({"", "ScatterElements", 11, 21, MakeFactory<ScatterElementsKernel>()});
}

// Scatter (opsets 9-10) is the earlier name of ScatterElements without reductions.
void RegisterScatterAlias(OpRegistry& registry) {
  registry.Register({"", "Scatter", 9, 10, MakeFactory<ScatterElementsKernel>()});
}

}  // namespace onnxedge::ops
