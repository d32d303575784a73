// Copyright onnxedge authors.
// AveragePool: mean over sliding windows (opsets 1-21; count_include_pad from 7, ceil_mode from
// 10, dilations from 19). Without count_include_pad the divisor counts only input positions;
// with it, positions inside the padded extent [-pad_begin, in + pad_end) count too (a ceil_mode
// window reaching past the end padding is clipped there, as in PyTorch).
// Types: float32, float64, float16 (and bfloat16). Limits: 1 to 3 spatial dims.
#include <memory>

#include "ops/common/pool_util.h"

namespace onnxedge::ops {

namespace {

class AveragePoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<AveragePoolKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<AveragePoolKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ParsePoolAttrs(info, &k->ceil_mode_));
    OE_ASSIGN_OR_RETURN(int64_t include, info.GetInt("count_include_pad", 0));
    if (include != 0 && include != 1) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'count_include_pad' must be 0 or 1, got ", include);
    }
    k->opt_.count_include_pad = include == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(WindowGeometry g, PoolGeometry(attrs_, ceil_mode_, *x, ctx.Describe()));
    Shape out_shape{x->dim(0), x->dim(1)};
    for (int64_t d : g.OutDims()) out_shape.push_back(d);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    const int64_t planes = x->dim(0) * x->dim(1);
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      PoolPlanesSeparable<PoolKind::kAverage, T>(x->data<T>(), y->data<T>(), planes, g, opt_,
                                                 &ctx.thread_pool());
      return Status::Ok();
    });
  }

 private:
  WindowAttrs attrs_;
  bool ceil_mode_ = false;
  PoolOptions opt_;
};

}  // namespace

void RegisterOp_average_pool(OpRegistry& registry) {
  registry.Register({"", "AveragePool", 1, 21, MakeFactory<AveragePoolKernel>()});
}

}  // namespace onnxedge::ops
