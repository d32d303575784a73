// Copyright onnxedge authors.
// Pow: Z = X ^ Y with numpy broadcasting (opset 1-21; legacy `broadcast`/`axis` before 7).
// X (and Z) may be float, double, float16, bfloat16, int32 or int64; Y any numeric type, mixed
// with X's type as opset 12 allows (accepted at every opset).
//   float X: computed as std::pow in double and rounded once to X's type;
//   integer X, integer Y >= 0: exact repeated squaring, wrapping on overflow;
//   integer X, integer Y < 0: the truncated real result (1 for X = 1, +-1 for X = -1, else 0;
//     0 ^ negative, undefined for integers, gives 0);
//   integer X, float Y: std::pow in double truncated toward zero (FloatToInt).
// A float X with a one-element Y of 2 takes a multiply-only fast path (same result).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

using PowBaseTypes = TypeList<float, double, Float16, BFloat16, int32_t, int64_t>;

template <typename T, typename E>
T IntPow(T x, E y) {
  if constexpr (std::is_signed_v<E>) {
    if (y < 0) {
      if (x == 1) return T(1);
      if (x == -1) return (y % 2 == 0) ? T(1) : T(-1);
      return T(0);
    }
  }
  T result = 1;
  T base = x;
  auto n = static_cast<std::make_unsigned_t<E>>(y);
  while (n != 0) {
    if (n & 1u) result = WrapMul(result, base);
    n >>= 1;
    if (n != 0) base = WrapMul(base, base);
  }
  return result;
}

template <typename T, typename E>
T PowValue(T x, E y) {
  if constexpr (kIsFloat<T>) {
    const double r = std::pow(static_cast<double>(ToCompute(x)), static_cast<double>(ToCompute(y)));
    return ConvertValue<T>(r);
  } else if constexpr (std::is_integral_v<E>) {
    return IntPow(x, y);
  } else {
    return FloatToInt<T>(std::pow(static_cast<double>(x), static_cast<double>(ToCompute(y))));
  }
}

class PowKernel final : public Kernel {
 public:
  explicit PowKernel(LegacyBroadcast bc) : bc_(bc) {}
  static StatusOr<std::unique_ptr<PowKernel>> Create(const KernelInfo& info) {
    OE_ASSIGN_OR_RETURN(LegacyBroadcast bc, LegacyBroadcast::Read(info));
    return std::make_unique<PowKernel>(bc);
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* y, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(Shape y_shape, bc_.ShapeOfB(ctx, x->shape(), y->shape()));
    if (x->dtype() == DataType::kFloat && y->dtype() == DataType::kFloat && y->size() == 1 &&
        y->data<float>()[0] == 2.f) {
      OE_ASSIGN_OR_RETURN(Shape out_shape,
                          BroadcastShapes({&x->shape(), &y_shape}, ctx.Describe()));
      if (out_shape == x->shape()) {
        return UnaryMap<float, float>(ctx, *x, DataType::kFloat, [](float v) { return v * v; });
      }
    }
    return DispatchInput<PowBaseTypes>(ctx, 0, x->dtype(), [&](auto xtag) -> Status {
      using T = typename decltype(xtag)::type;
      return DispatchInput<NumericTypes>(ctx, 1, y->dtype(), [&](auto ytag) -> Status {
        using E = typename decltype(ytag)::type;
        return BinaryMap<T, E, T>(ctx, *x, x->shape(), *y, y_shape, x->dtype(),
                                  [](T a, E b) { return PowValue(a, b); });
      });
    });
  }

 private:
  LegacyBroadcast bc_;
};

}  // namespace

void RegisterOp_pow(OpRegistry& registry) {
  registry.Register({"", "Pow", 1, 21, MakeFactory<PowKernel>()});
}

}  // namespace onnxedge::ops
