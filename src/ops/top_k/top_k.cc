// Copyright onnxedge authors.
// TopK: the k largest (or, with largest=0, smallest) elements along `axis` and their int64
// indices. Opsets 1-21: k is an attribute at opset 1 and a 1-element int64 input from 10;
// `largest` and `sorted` from 11 (the output is always sorted, which sorted=0 permits). Ties keep
// the lower index first; NaN counts as larger than every number. Numeric types.
#include <cmath>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

template <typename C>
inline bool IsNan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

class TopKKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<TopKKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<TopKKernel>();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", -1));
    if (info.since_version() < 10) {
      OE_ASSIGN_OR_RETURN(k->k_, info.GetInt("k"));
      k->k_from_attr_ = true;
    }
    if (info.since_version() >= 11) {
      OE_ASSIGN_OR_RETURN(int64_t largest, info.GetInt("largest", 1));
      k->largest_ = largest != 0;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    int64_t k = k_;
    if (!k_from_attr_) {
      OE_ASSIGN_OR_RETURN(const Tensor* kt, ctx.RequiredInput(1));
      OE_ASSIGN_OR_RETURN(k, ReadScalarInt(*kt, ctx.Describe() + " input 'K'"));
    }
    if (x->rank() == 0) return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 1");
    OE_ASSIGN_OR_RETURN(int64_t axis,
                        NormalizeAxis(axis_, static_cast<int64_t>(x->rank()), ctx.Describe()));
    const size_t ax = static_cast<size_t>(axis);
    const int64_t n = x->dim(ax);
    if (k < 0 || k > n) {
      return ctx.Error(StatusCode::kInvalidArgument, "k = ", k, " is outside [0, ", n,
                       "] (the size of axis ", axis, ")");
    }
    Shape out_shape = x->shape();
    out_shape[ax] = k;
    OE_ASSIGN_OR_RETURN(Tensor * values, ctx.AllocateOutput(0, x->dtype(), out_shape));
    OE_ASSIGN_OR_RETURN(Tensor * indices, ctx.AllocateOutput(1, DataType::kInt64, out_shape));
    if (values->size() == 0) return Status::Ok();
    const int64_t outer = DimProduct(x->shape(), 0, ax);
    const int64_t inner = DimProduct(x->shape(), ax + 1, x->rank());
    return Dispatch<NumericTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* src = x->data<T>();
      T* vout = values->data<T>();
      int64_t* iout = indices->data<int64_t>();
      const bool largest = largest_;
      auto body = [&](int64_t begin, int64_t end) {
        std::vector<C> row(static_cast<size_t>(n));
        std::vector<int64_t> order(static_cast<size_t>(n));
        for (int64_t r = begin; r < end; ++r) {
          const int64_t o = r / inner, i = r % inner;
          const T* s = src + o * n * inner + i;
          for (int64_t j = 0; j < n; ++j) {
            row[static_cast<size_t>(j)] = ToCompute(s[j * inner]);
            order[static_cast<size_t>(j)] = j;
          }
          // "a comes before b": the better value, or the lower index among equals.
          auto before = [&](int64_t a, int64_t b) {
            const C va = row[static_cast<size_t>(a)], vb = row[static_cast<size_t>(b)];
            const bool na = IsNan(va), nb = IsNan(vb);
            if (na || nb) {
              if (na && nb) return a < b;
              return largest ? na : nb;
            }
            if (va != vb) return largest ? va > vb : va < vb;
            return a < b;
          };
          std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
          T* vo = vout + o * k * inner + i;
          int64_t* io = iout + o * k * inner + i;
          for (int64_t j = 0; j < k; ++j) {
            const int64_t idx = order[static_cast<size_t>(j)];
            vo[j * inner] = s[idx * inner];
            io[j * inner] = idx;
          }
        }
      };
      ctx.thread_pool().ParallelFor(outer * inner,
                                    std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), body);
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = -1;
  int64_t k_ = 0;
  bool k_from_attr_ = false;
  bool largest_ = true;
};

}  // namespace

void RegisterOp_top_k(OpRegistry& registry) {
  registry.Register({"", "TopK", 1, 21, MakeFactory<TopKKernel>()});
}

}  // namespace onnxedge::ops
