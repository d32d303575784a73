// Copyright onnxedge authors.
// BitShift: Z = X << Y or X >> Y by the required `direction` ("LEFT" / "RIGHT"), with numpy
// broadcasting (opset 11-21; unsigned integer types). Shifts by the bit width or more give 0
// (instead of C's undefined behaviour).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

template <bool kLeft>
struct ShiftFn {
  template <typename C>
  C operator()(C x, C n) const {
    if (n >= sizeof(C) * 8) return C(0);
    return static_cast<C>(kLeft ? static_cast<WrapType<C>>(x) << n
                                : static_cast<WrapType<C>>(x) >> n);
  }
};

class BitShiftKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<BitShiftKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<BitShiftKernel>();
    OE_ASSIGN_OR_RETURN(std::string dir, info.GetString("direction"));
    if (dir != "LEFT" && dir != "RIGHT") {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \"", dir, "\"");
    }
    k->left_ = dir == "LEFT";
    return k;
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* y, ctx.RequiredInput(1));
    OE_RETURN_IF_ERROR(CheckSameType(ctx, *x, 0, *y, 1));
    return DispatchInput<UnsignedIntTypes>(ctx, 0, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      if (left_) return BinaryMap<T, T, T>(ctx, *x, *y, x->dtype(), ShiftFn<true>{});
      return BinaryMap<T, T, T>(ctx, *x, *y, x->dtype(), ShiftFn<false>{});
    });
  }

 private:
  bool left_ = true;
};

}  // namespace

void RegisterOp_bit_shift(OpRegistry& registry) {
  registry.Register({"", "BitShift", 11, 21, MakeFactory<BitShiftKernel>()});
}

}  // namespace onnxedge::ops
