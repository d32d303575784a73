// Copyright onnxedge authors.
// PRelu: Y = X < 0 ? slope * X : X (opset 1-21; float types, int32/int64/uint32/uint64 from 9,
// bfloat16 from 16). From opset 7 slope broadcasts unidirectionally onto X (numpy rules, the
// result must keep X's shape). Before opset 7 a slope of more than one element is per channel
// (X's axis 1): a 1-D slope of X.dim(1) values is aligned to that axis. Opset 1's
// consumed_inputs attribute is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

using PReluTypes = TypeList<float, double, Float16, BFloat16, int32_t, int64_t, uint32_t, uint64_t>;

class PReluKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<PReluKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<PReluKernel>();
    k->per_channel_ = info.since_version() < 7;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* slope, ctx.RequiredInput(1));
    OE_RETURN_IF_ERROR(CheckSameType(ctx, *x, 0, *slope, 1));
    Shape slope_shape = slope->shape();
    if (per_channel_ && slope->rank() == 1 && x->rank() >= 2 && slope->size() > 1 &&
        slope->size() == x->dim(1)) {
      slope_shape.assign(x->rank() - 1, 1);
      slope_shape[0] = slope->size();
    }
    OE_ASSIGN_OR_RETURN(Shape out_shape,
                        BroadcastShapes({&x->shape(), &slope_shape}, ctx.Describe()));
    if (out_shape != x->shape()) {
      return ctx.Error(StatusCode::kInvalidArgument, "slope shape ", ShapeToString(slope->shape()),
                       " does not broadcast to X's shape ", ShapeToString(x->shape()));
    }
    return DispatchInput<PReluTypes>(ctx, 0, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return BinaryMap<T, T, T>(ctx, *x, x->shape(), *slope, slope_shape, x->dtype(), [](T v, T s) {
        const auto c = ToCompute(v);
        return c < 0 ? FromCompute<T>(WrapMul(c, ToCompute(s))) : v;
      });
    });
  }

 private:
  bool per_channel_ = false;
};

}  // namespace

void RegisterOp_prelu(OpRegistry& registry) {
  registry.Register({"", "PRelu", 1, 21, MakeFactory<PReluKernel>()});
}

}  // namespace onnxedge::ops
