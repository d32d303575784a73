// Copyright onnxedge authors.
// GlobalAveragePool: mean over all spatial positions, [N, C, D1..Dn] -> [N, C, 1..1] (opsets
// 1-21). Types: float32, float64, float16 (and bfloat16, accumulated in float32).
#include <memory>

#include "kernels/vecmath.h"
#include "ops/common/pool_util.h"

namespace onnxedge::ops {

namespace {

class GlobalAveragePoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GlobalAveragePoolKernel>> Create(const KernelInfo&) {
    return std::make_unique<GlobalAveragePoolKernel>();
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
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      ReducePlanes(x->data<T>(), y->data<T>(), planes, plane, &ctx.thread_pool(),
                   [](const T* p, int64_t n) {
                     // Accumulate in double: planes can be large and float sums drift.
                     double acc = 0;
                     if constexpr (std::is_same_v<T, float>) {
                       acc = kernels::ReduceSumF32ToF64(p, n);  // vectorised
                     } else {
                       for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(ToCompute(p[i]));
                     }
                     return FromCompute<T>(
                         static_cast<C>(n > 0 ? acc / static_cast<double>(n) : std::nan("")));
                   });
      return Status::Ok();
    });
  }
};

}  // namespace

void RegisterOp_global_average_pool(OpRegistry& registry) {
  registry.Register({"", "GlobalAveragePool", 1, 21, MakeFactory<GlobalAveragePoolKernel>()});
}

}  // namespace onnxedge::ops
