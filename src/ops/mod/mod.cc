// Copyright onnxedge authors.
// Mod (opset 10-21; every numeric type, bfloat16 from 13), numpy broadcasting:
//   fmod=0 (default): integer remainder with the sign of the divisor (Python's %);
//   fmod=1: remainder with the sign of the dividend (C fmod / %).
// Floating-point inputs require fmod=1 (run error otherwise). Integer remainder by zero gives 0
// (as numpy) instead of trapping.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

template <typename C>
C IntRem(C a, C b) {
  if (b == 0) return C(0);
  if constexpr (std::is_signed_v<C>) {
    if (b == C(-1)) return C(0);  // Avoids the INT_MIN % -1 trap; the remainder is 0 anyway.
  }
  return static_cast<C>(a % b);
}

struct FmodFn {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      return IntRem(a, b);
    } else {
      return std::fmod(a, b);
    }
  }
};

struct PyModFn {
  template <typename C>
  C operator()(C a, C b) const {
    C r = IntRem(a, b);
    if constexpr (std::is_signed_v<C>) {
      if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
    }
    return r;
  }
};

class ModKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ModKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ModKernel>();
    OE_ASSIGN_OR_RETURN(int64_t fmod, info.GetInt("fmod", 0));
    if (fmod != 0 && fmod != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'fmod' must be 0 or 1, got ", fmod);
    }
    k->fmod_ = fmod == 1;
    return k;
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(1));
    OE_RETURN_IF_ERROR(CheckSameType(ctx, *a, 0, *b, 1));
    if (fmod_) {
      return DispatchInput<NumericTypes>(ctx, 0, a->dtype(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        return BinaryMap<T, T, T>(ctx, *a, *b, a->dtype(), [](T x, T y) {
          return FromCompute<T>(FmodFn{}(ToCompute(x), ToCompute(y)));
        });
      });
    }
    if (ListHas<FloatTypes>(a->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument, "attribute 'fmod' must be 1 for ",
                       DataTypeName(a->dtype()), " inputs");
    }
    return DispatchInput<IntTypes>(ctx, 0, a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return BinaryMap<T, T, T>(ctx, *a, *b, a->dtype(), [](T x, T y) { return PyModFn{}(x, y); });
    });
  }

 private:
  bool fmod_ = false;
};

}  // namespace

void RegisterOp_mod(OpRegistry& registry) {
  registry.Register({"", "Mod", 10, 21, MakeFactory<ModKernel>()});
}

}  // namespace onnxedge::ops
