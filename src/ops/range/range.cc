// Copyright onnxedge authors.
// Range: [start, start + delta, ...) up to `limit` (exclusive), with
// max(ceil((limit - start) / delta), 0) elements; element i is start + i * delta. Opsets 11-21;
// float, double, int16, int32, int64 (scalar inputs of one type). A kernel rather than the ONNX
// function body (a Loop) because shape subgraphs call it often.
#include <cmath>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

using RangeTypes = TypeList<float, double, int16_t, int32_t, int64_t>;

class RangeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<RangeKernel>> Create(const KernelInfo&) {
    return std::make_unique<RangeKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* s, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* l, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* d, ctx.RequiredInput(2));
    for (const Tensor* t : {s, l, d}) {
      if (t->size() != 1 || t->dtype() != s->dtype()) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "inputs 'start', 'limit', 'delta' must be scalars of one type, got ",
                         DataTypeName(t->dtype()), ShapeToString(t->shape()));
      }
    }
    return Dispatch<RangeTypes>(s->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T start = s->data<T>()[0], limit = l->data<T>()[0], delta = d->data<T>()[0];
      if (delta == T(0)) return ctx.Error(StatusCode::kInvalidArgument, "input 'delta' is 0");
      int64_t n;
      if constexpr (std::is_floating_point_v<T>) {
        const double c = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) /
                                   static_cast<double>(delta));
        if (!(c < 9e18)) {
          return ctx.Error(StatusCode::kInvalidArgument, "the range has too many elements");
        }
        n = c > 0 ? static_cast<int64_t>(c) : 0;
      } else {
        // Integer arithmetic in 128 bits: limit - start may overflow int64.
        const __int128 span = static_cast<__int128>(limit) - static_cast<__int128>(start);
        const __int128 dl = delta;
        __int128 q = span / dl;
        if (q * dl != span && ((span > 0) == (dl > 0))) ++q;  // ceil
        n = q > 0 ? static_cast<int64_t>(q) : 0;
      }
      OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, s->dtype(), {n}));
      T* out = y->data<T>();
      for (int64_t i = 0; i < n; ++i) {
        out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      }
      return Status::Ok();
    });
  }
};

}  // namespace

void RegisterOp_range(OpRegistry& registry) {
  registry.Register({"", "Range", 11, 21, MakeFactory<RangeKernel>()});
}

}  // namespace onnxedge::ops
