// Copyright onnxedge authors.
// ConvInteger (opset 10): Y (int32) = conv(x - x_zero_point, w - w_zero_point), N-D, with
// auto_pad, pads, strides, dilations and groups. x and w are uint8 or int8 in any combination;
// x_zero_point is per tensor, w_zero_point per tensor or per output channel. Padding contributes
// 0 (x's zero point). Products are exact and accumulate in int32 (no 16-bit saturation).
// Constant weights (and zero points) are packed once at session creation.
#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

class ConvIntegerKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ConvIntegerKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ConvIntegerKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ReadConvAttrs(info));
    const Tensor* w = info.ConstantInput(1);
    const Tensor* wzp = info.ConstantInput(3);
    if (w && (wzp || !info.HasInput(3))) {
      OE_ASSIGN_OR_RETURN(IntWeights packed,
                          PackIntWeights(*w, wzp, info.Describe(), "w_zero_point"));
      k->packed_ = std::make_shared<IntWeights>(std::move(packed));
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* w, ctx.RequiredInput(1));
    const Tensor* xzp = ctx.Input(2);
    if (x->dtype() != DataType::kUint8 && x->dtype() != DataType::kInt8) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'x' must be uint8 or int8, got ",
                       DataTypeName(x->dtype()));
    }
    int32_t x_zp = 0;
    if (xzp) {
      if (xzp->dtype() != x->dtype() || xzp->size() != 1) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "input 'x_zero_point' must be one value of the type of 'x', got ",
                         DataTypeName(xzp->dtype()), " of shape ", ShapeToString(xzp->shape()));
      }
      x_zp = ReadInt32At(*xzp, 0);
    }
    OE_ASSIGN_OR_RETURN(ConvGeometry g,
                        MakeConvGeometry(attrs_, x->shape(), w->shape(), ctx.Describe()));
    IntWeights local;
    const IntWeights* weights = packed_.get();
    if (!weights) {
      OE_ASSIGN_OR_RETURN(local, PackIntWeights(*w, ctx.Input(3), ctx.Describe(), "w_zero_point"));
      weights = &local;
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt32, g.out_shape));
    ConvInt32(*x, x_zp, *weights, g, y->data<int32_t>(), ctx.thread_pool());
    return Status::Ok();
  }

 private:
  ConvAttrs attrs_;
  std::shared_ptr<IntWeights> packed_;
};

}  // namespace

void RegisterOp_conv_integer(OpRegistry& registry) {
  registry.Register({"", "ConvInteger", 10, 21, MakeFactory<ConvIntegerKernel>()});
}

}  // namespace onnxedge::ops
