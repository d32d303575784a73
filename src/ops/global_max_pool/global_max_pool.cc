// Copyright onnxedge authors.
// GlobalMaxPool: max over all spatial positions, [N, C, D1..Dn] -> [N, C, 1..1] (opsets 1-21).
// A NaN in a plane propagates. Types: float32, float64, float16 (and bfloat16).
#include <cmath>
#include <limits>
#include <memory>

#include "ops/common/pool_util.h"

namespace onnxedge::ops {

namespace {

class GlobalMaxPoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GlobalMaxPoolKernel>> Create(const KernelInfo&) {
    return std::make_unique<GlobalMaxPoolKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(Shape out_shape, GlobalPoolShape(*x, ctx.Describe()));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    const int64_t planes = x->dim(0) * x->dim(1);
    if (planes == 0) return Status::Ok();
    const int64_t plane = x->size() / planes;
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      ReducePlanes(x->data<T>(), y->data<T>(), planes, plane, &ctx.thread_pool(),
                   [](const T* p, int64_t n) {
                     C best = -std::numeric_limits<C>::infinity();
                     bool nan = false;
                     for (int64_t i = 0; i < n; ++i) {
                       const C v = ToCompute(p[i]);
                       best = v > best ? v : best;
                       nan |= v != v;
                     }
                     return FromCompute<T>(nan ? std::numeric_limits<C>::quiet_NaN() : best);
                   });
      return Status::Ok();
    });
  }
};

}  // namespace

void RegisterOp_global_max_pool(OpRegistry& registry) {
  registry.Register({"", "GlobalMaxPool", 1, 21, MakeFactory<GlobalMaxPoolKernel>()});
}

}  // namespace onnxedge::ops
