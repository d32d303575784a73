// Copyright onnxedge authors.
// LpPool: (sum |x|^p)^(1/p) over sliding windows (opsets 1-21; p is a float in opset 1 and an
// int from 2; ceil_mode and dilations from 18). Padded positions contribute 0.
// Types: float32, float64, float16 (and bfloat16). Limits: 1 to 3 spatial dims.
#include <memory>

#include "ops/common/pool_util.h"

namespace onnxedge::ops {

namespace {

// Reads `p`, an int from opset 2 and a float in opset 1 (either accepted).
StatusOr<double> ReadP(const KernelInfo& info) {
  const ir::Attribute* a = info.node().FindAttribute("p");
  double p = 2;
  if (a && a->type == ir::Attribute::Type::kFloat) {
    p = a->f;
  } else if (a) {
    OE_ASSIGN_OR_RETURN(int64_t v, info.GetInt("p"));
    p = static_cast<double>(v);
  }
  if (!(p > 0)) return info.Error(StatusCode::kInvalidModel, "attribute 'p' must be > 0, got ", p);
  return p;
}

class LpPoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<LpPoolKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<LpPoolKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ParsePoolAttrs(info, &k->ceil_mode_));
    OE_ASSIGN_OR_RETURN(k->opt_.p, ReadP(info));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(WindowGeometry g, PoolGeometry(attrs_, ceil_mode_, *x, ctx.Describe()));
    Shape out_shape{x->dim(0), x->dim(1)};
    for (int64_t d : g.OutDims()) out_shape.push_back(d);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();
    const int64_t planes = x->dim(0) * x->dim(1);
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      PoolPlanes<PoolKind::kLp, T>(x->data<T>(), y->data<T>(), nullptr, planes, g, opt_,
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

void RegisterOp_lp_pool(OpRegistry& registry) {
  registry.Register({"", "LpPool", 1, 21, MakeFactory<LpPoolKernel>()});
}

}  // namespace onnxedge::ops
