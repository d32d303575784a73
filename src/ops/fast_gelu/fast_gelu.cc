// Copyright onnxedge authors.
// com.microsoft FastGelu (version 1; float, double, float16, bfloat16), ONNX Runtime's contrib op:
//   Y = 0.5 * Z * (1 + tanh(sqrt(2 / pi) * (Z + 0.044715 * Z^3))),  Z = X + bias
// The optional bias is 1-D with the size of X's last dim. The optimizer creates this op for the
// tanh form of GELU in models below opset 20 (where ONNX Gelu does not exist yet).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

template <typename C>
inline C GeluTanh(C x) {
  const C k = static_cast<C>(0.79788456080286535587989211986876);  // sqrt(2 / pi)
  return C(0.5) * x * (C(1) + std::tanh(k * (x + static_cast<C>(0.044715) * x * x * x)));
}

class FastGeluKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<FastGeluKernel>> Create(const KernelInfo& info) {
    return std::make_unique<FastGeluKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const Tensor* bias = ctx.Input(1);
    if (bias) {
      OE_RETURN_IF_ERROR(CheckSameType(ctx, *x, 0, *bias, 1));
      if (bias->rank() != 1 || x->rank() == 0 || bias->dim(0) != x->dim(x->rank() - 1)) {
        return ctx.Error(StatusCode::kInvalidArgument, "bias of shape ",
                         ShapeToString(bias->shape()),
                         " must be 1-D with the size of the last dim of X ",
                         ShapeToString(x->shape()));
      }
    }
    return DispatchInput<FloatTypes>(ctx, 0, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      if (!bias) {
        return UnaryMap<T, T>(ctx, *x, x->dtype(),
                              [](T v) { return FromCompute<T>(GeluTanh(ToCompute(v))); });
      }
      return BinaryMap<T, T, T>(ctx, *x, *bias, x->dtype(), [](T a, T b) {
        return FromCompute<T>(GeluTanh(ToCompute(a) + ToCompute(b)));
      });
    });
  }
};

}  // namespace

void RegisterOp_fast_gelu(OpRegistry& registry) {
  registry.Register({"com.microsoft", "FastGelu", 1, 1, MakeFactory<FastGeluKernel>()});
}

}  // namespace onnxedge::ops
