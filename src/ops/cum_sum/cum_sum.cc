// Copyright onnxedge authors.
// CumSum: running sums along `axis` (an int32/int64 scalar input); exclusive=1 starts from 0
// without the current element, reverse=1 sums from the end. Opsets 11-21 (bfloat16 from 14);
// float, double, float16, bfloat16 (accumulated in float), int32, int64, uint32, uint64.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

using CumSumTypes =
    TypeList<float, double, Float16, BFloat16, int32_t, int64_t, uint32_t, uint64_t>;

class CumSumKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<CumSumKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<CumSumKernel>();
    OE_ASSIGN_OR_RETURN(int64_t exclusive, info.GetInt("exclusive", 0));
    OE_ASSIGN_OR_RETURN(int64_t reverse, info.GetInt("reverse", 0));
    k->exclusive_ = exclusive != 0;
    k->reverse_ = reverse != 0;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(1));
    if (a->rank() > 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'axis' must be a scalar, got shape ",
                       ShapeToString(a->shape()));
    }
    OE_ASSIGN_OR_RETURN(int64_t axis_v, ReadScalarInt(*a, ctx.Describe() + " input 'axis'"));
    if (x->rank() == 0) return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 1");
    OE_ASSIGN_OR_RETURN(int64_t axis,
                        NormalizeAxis(axis_v, static_cast<int64_t>(x->rank()), ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), x->shape()));
    if (y->size() == 0) return Status::Ok();
    const int64_t n = x->dim(ax);
    const int64_t outer = DimProduct(x->shape(), 0, ax);
    const int64_t inner = DimProduct(x->shape(), ax + 1, x->rank());
    return Dispatch<CumSumTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* src = x->data<T>();
      T* dst = y->data<T>();
      auto body = [&](int64_t begin, int64_t end) {
        std::vector<C> acc(static_cast<size_t>(inner));
        for (int64_t o = begin; o < end; ++o) {
          std::fill(acc.begin(), acc.end(), C(0));
          for (int64_t step = 0; step < n; ++step) {
            const int64_t j = reverse_ ? n - 1 - step : step;
            const T* s = src + (o * n + j) * inner;
            T* d = dst + (o * n + j) * inner;
            for (int64_t i = 0; i < inner; ++i) {
              C& a = acc[static_cast<size_t>(i)];
              if (exclusive_) {
                d[i] = FromCompute<T>(a);
                a += ToCompute(s[i]);
              } else {
                a += ToCompute(s[i]);
                d[i] = FromCompute<T>(a);
              }
            }
          }
        }
      };
      ctx.thread_pool().ParallelFor(outer, std::max<int64_t>(1, 32768 / (n * inner)), body);
      return Status::Ok();
    });
  }

 private:
  bool exclusive_ = false;
  bool reverse_ = false;
};

}  // namespace

void RegisterOp_cum_sum(OpRegistry& registry) {
  registry.Register({"", "CumSum", 11, 21, MakeFactory<CumSumKernel>()});
}

}  // namespace onnxedge::ops
