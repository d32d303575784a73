// Copyright onnxedge authors.
// GatherElements: out[p] = data[p with p[axis] replaced by indices[p]]; the output has the
// indices' shape. Opsets 11-21, data of every element type, int32/int64 indices (negative
// count from the back, out of range is a run error).
#include "ops/common/elements_util.h"

namespace onnxedge::ops {

namespace {

class GatherElementsKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GatherElementsKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<GatherElementsKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 0));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* data, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* ind, ctx.RequiredInput(1));
    const int64_t rank = static_cast<int64_t>(data->rank());
    if (rank == 0)
      return ctx.Error(StatusCode::kInvalidArgument, "input 'data' must have rank >= 1");
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    OE_ASSIGN_OR_RETURN(auto idx, ReadElementIndices(ctx, *data, *ind, ax));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, data->dtype(), ind->shape()));
    return DispatchBySize(data->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      const U* src = data->data<U>();
      U* dst = y->data<U>();
      ForEachElementIndex(ind->shape(), data->shape(), ax, idx,
                          [&](int64_t k, int64_t off) { dst[k] = src[off]; });
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = 0;
};

}  // namespace

void RegisterOp_gather_elements(OpRegistry& registry) {
  registry.Register({"", "GatherElements", 11, 21, MakeFactory<GatherElementsKernel>()});
}

}  // namespace onnxedge::ops
