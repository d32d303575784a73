// Copyright onnxedge authors.
// GlobalLpPool: (sum |x|^p)^(1/p) over all spatial positions, [N, C, D1..Dn] -> [N, C, 1..1]
// (opsets 1-21; p is a float in opset 1 and an int from 2, default 2).
// Types: float32, float64, float16 (and bfloat16).
#include <cmath>
#include <memory>

#include "ops/common/pool_util.h"

namespace onnxedge::ops {

namespace {

class GlobalLpPoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GlobalLpPoolKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<GlobalLpPoolKernel>();
    const ir::Attribute* a = info.node().FindAttribute("p");
    if (a && a->type == ir::Attribute::Type::kFloat) {
      k->p_ = a->f;
    } else if (a) {
      OE_ASSIGN_OR_RETURN(int64_t v, info.GetInt("p"));
      k->p_ = static_cast<double>(v);
    }
    if (!(k->p_ > 0)) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'p' must be > 0, got ", k->p_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(Shape out_shape, GlobalPoolShape(*x, ctx.Describe()));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    const int64_t planes = x->dim(0) * x->dim(1);
    if (planes == 0) return Status::Ok();
    const int64_t plane = x->size() / planes;
    const double p = p_;
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      ReducePlanes(x->data<T>(), y->data<T>(), planes, plane, &ctx.thread_pool(),
                   [p](const T* v, int64_t n) {
                     double acc = 0;
                     for (int64_t i = 0; i < n; ++i) {
                       acc += std::pow(std::abs(static_cast<double>(ToCompute(v[i]))), p);
                     }
                     return FromCompute<T>(static_cast<C>(std::pow(acc, 1.0 / p)));
                   });
      return Status::Ok();
    });
  }

 private:
  double p_ = 2;
};

}  // namespace

void RegisterOp_global_lp_pool(OpRegistry& registry) {
  registry.Register({"", "GlobalLpPool", 1, 21, MakeFactory<GlobalLpPoolKernel>()});
}

}  // namespace onnxedge::ops
