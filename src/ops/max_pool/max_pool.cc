// Copyright onnxedge authors.
// MaxPool: max over sliding windows (opsets 1-21; Indices output and storage_order from 8,
// ceil_mode and dilations from 10, int8/uint8 from 12). Padded positions never win. Indices
// are flattened over the whole input tensor (row-major, or column-major over the spatial dims
// when storage_order = 1). A NaN in a window propagates to its output.
// Types: float32, float64, float16 (and bfloat16), int8, uint8. Limits: 1 to 3 spatial dims.
#include <memory>

#include "ops/common/pool_util.h"

namespace onnxedge::ops {

namespace {

class MaxPoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MaxPoolKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<MaxPoolKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ParsePoolAttrs(info, &k->ceil_mode_));
    OE_ASSIGN_OR_RETURN(k->opt_.storage_order, info.GetInt("storage_order", 0));
    if (k->opt_.storage_order != 0 && k->opt_.storage_order != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'storage_order' must be 0 or 1, got ",
                        k->opt_.storage_order);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(WindowGeometry g, PoolGeometry(attrs_, ceil_mode_, *x, ctx.Describe()));
    Shape out_shape{x->dim(0), x->dim(1)};
    for (int64_t d : g.OutDims()) out_shape.push_back(d);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    int64_t* indices = nullptr;
    if (ctx.OutputRequested(1)) {
      OE_ASSIGN_OR_RETURN(Tensor * idx, ctx.AllocateOutput(1, DataType::kInt64, out_shape));
      indices = idx->data<int64_t>();
    }
    if (y->size() == 0) return Status::Ok();
    const int64_t planes = x->dim(0) * x->dim(1);
    return Dispatch<TypeList<float, double, Float16, BFloat16, int8_t, uint8_t>>(
        x->dtype(), [&](auto tag) -> Status {
          using T = typename decltype(tag)::type;
          if (indices) {
            PoolPlanes<PoolKind::kMax, T>(x->data<T>(), y->data<T>(), indices, planes, g, opt_,
                                          &ctx.thread_pool());
          } else {
            PoolPlanesSeparable<PoolKind::kMax, T>(x->data<T>(), y->data<T>(), planes, g, opt_,
                                                   &ctx.thread_pool());
          }
          return Status::Ok();
        });
  }

 private:
  WindowAttrs attrs_;
  bool ceil_mode_ = false;
  PoolOptions opt_;
};

}  // namespace

void RegisterOp_max_pool(OpRegistry& registry) {
  registry.Register({"", "MaxPool", 1, 21, MakeFactory<MaxPoolKernel>()});
}

}  // namespace onnxedge::ops
