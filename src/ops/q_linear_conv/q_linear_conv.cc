// Copyright onnxedge authors.
// QLinearConv (opset 10): quantized N-D convolution.
//   acc = conv(x - x_zero_point, w - w_zero_point) + B                  exact, int32
//   y = saturate(round_half_even(acc * (x_scale * w_scale / y_scale)) + y_zero_point)
// with the multiplier computed in float32 and applied in double (the ONNX reference), rounding
// before adding the zero point as QuantizeLinear's formula does (the Python reference adds it
// first: different only on exact ties with an odd zero point). x, w and y are uint8 or int8
// (y has y_zero_point's type); x and y parameters are per tensor, w_scale and w_zero_point per
// tensor or per output channel; B is optional int32 [M]. auto_pad, pads, strides, dilations and
// groups as in Conv. Constant weights are packed at session creation.
#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

template <typename TQ>
void Requantize(const int32_t* acc, const ConvGeometry& g, float x_scale,
                const std::vector<float>& w_scale, float y_scale, const std::vector<int32_t>& bias,
                double y_zp, TQ* y, ThreadPool& pool) {
  constexpr double kLo = std::numeric_limits<TQ>::lowest(), kHi = std::numeric_limits<TQ>::max();
  const int64_t planes = g.n * g.m, S = g.out_size;
  pool.ParallelFor(
      planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, S)), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const size_t m = static_cast<size_t>(p % g.m);
          const float ws = w_scale.size() == 1 ? w_scale[0] : w_scale[m];
          const double mult = static_cast<double>((x_scale * ws) / y_scale);
          const int32_t b = bias.empty() ? 0 : bias[m];
          const int32_t* a = acc + p * S;
          TQ* out = y + p * S;
          for (int64_t s = 0; s < S; ++s) {
            const int32_t v =
                static_cast<int32_t>(static_cast<uint32_t>(a[s]) + static_cast<uint32_t>(b));
            // Round x / y_scale half to even, then add the zero point.
            double q = std::nearbyint(static_cast<double>(v) * mult);
            q = q != q ? y_zp : q + y_zp;
            out[s] = static_cast<TQ>(q < kLo ? kLo : (q > kHi ? kHi : q));
          }
        }
      });
}

class QLinearConvKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<QLinearConvKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<QLinearConvKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ReadConvAttrs(info));
    const Tensor* w = info.ConstantInput(3);
    const Tensor* wzp = info.ConstantInput(5);
    if (w && (wzp || !info.HasInput(5))) {
      OE_ASSIGN_OR_RETURN(IntWeights packed,
                          PackIntWeights(*w, wzp, info.Describe(), "w_zero_point"));
      k->packed_ = std::make_shared<IntWeights>(std::move(packed));
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* x_scale, ctx.RequiredInput(1));
    const Tensor* xzp = ctx.Input(2);
    OE_ASSIGN_OR_RETURN(const Tensor* w, ctx.RequiredInput(3));
    OE_ASSIGN_OR_RETURN(const Tensor* w_scale, ctx.RequiredInput(4));
    OE_ASSIGN_OR_RETURN(const Tensor* y_scale, ctx.RequiredInput(6));
    const Tensor* yzp = ctx.Input(7);
    const Tensor* bias = ctx.Input(8);
    if (x->dtype() != DataType::kUint8 && x->dtype() != DataType::kInt8) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'x' must be uint8 or int8, got ",
                       DataTypeName(x->dtype()));
    }
    auto one_value = [&](const Tensor* t, const char* name) -> Status {
      if (t && t->size() != 1) {
        return ctx.Error(StatusCode::kInvalidArgument, "input '", name,
                         "' must hold one value (per-tensor), got shape ",
                         ShapeToString(t->shape()));
      }
      return Status::Ok();
    };
    OE_RETURN_IF_ERROR(one_value(x_scale, "x_scale"));
    OE_RETURN_IF_ERROR(one_value(xzp, "x_zero_point"));
    OE_RETURN_IF_ERROR(one_value(y_scale, "y_scale"));
    OE_RETURN_IF_ERROR(one_value(yzp, "y_zero_point"));
    if (xzp && xzp->dtype() != x->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'x_zero_point' must have the type of 'x'");
    }
    const DataType out_type = yzp ? yzp->dtype() : x->dtype();
    if (out_type != DataType::kUint8 && out_type != DataType::kInt8) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'y_zero_point' must be uint8 or int8, got ", DataTypeName(out_type));
    }
    OE_ASSIGN_OR_RETURN(ConvGeometry g,
                        MakeConvGeometry(attrs_, x->shape(), w->shape(), ctx.Describe()));
    if (w_scale->size() != 1 && !(w_scale->rank() == 1 && w_scale->size() == g.m)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'w_scale' (shape ",
                       ShapeToString(w_scale->shape()),
                       ") must be a scalar or hold one value per output channel (", g.m, ")");
    }
    // Bias and weight scales in buffers of the calling thread, refilled in place (no allocation
    // once grown).
    thread_local std::vector<int32_t> tls_b;
    thread_local std::vector<float> tls_ws;
    std::vector<int32_t>& b = tls_b;
    b.clear();
    if (bias) {
      if (bias->dtype() != DataType::kInt32 || bias->rank() != 1 || bias->size() != g.m) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'B' must be int32 of shape [", g.m,
                         "], got ", DataTypeName(bias->dtype()), " ", ShapeToString(bias->shape()));
      }
      ReadInt32sInto(*bias, &b);
    }
    IntWeights local;
    const IntWeights* weights = packed_.get();
    if (!weights) {
      OE_ASSIGN_OR_RETURN(local, PackIntWeights(*w, ctx.Input(5), ctx.Describe(), "w_zero_point"));
      weights = &local;
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type, g.out_shape));
    if (y->size() == 0) return Status::Ok();
    OE_ASSIGN_OR_RETURN(Tensor acc, ctx.AllocateTemp(DataType::kInt32, g.out_shape));
    const int32_t x_zp = xzp ? ReadInt32At(*xzp, 0) : 0;
    ConvInt32(*x, x_zp, *weights, g, acc.data<int32_t>(), ctx.thread_pool());
    const float xs = ReadFloatAt(*x_scale, 0), ys = ReadFloatAt(*y_scale, 0);
    std::vector<float>& ws = tls_ws;
    ReadFloatsInto(*w_scale, &ws);
    const double yz = yzp ? ReadInt32At(*yzp, 0) : 0;
    if (out_type == DataType::kUint8) {
      Requantize(acc.data<int32_t>(), g, xs, ws, ys, b, yz, y->data<uint8_t>(), ctx.thread_pool());
    } else {
      Requantize(acc.data<int32_t>(), g, xs, ws, ys, b, yz, y->data<int8_t>(), ctx.thread_pool());
    }
    return Status::Ok();
  }

 private:
  ConvAttrs attrs_;
  std::shared_ptr<IntWeights> packed_;
};

}  // namespace

void RegisterOp_q_linear_conv(OpRegistry& registry) {
  registry.Register({"", "QLinearConv", 10, 21, MakeFactory<QLinearConvKernel>()});
}

}  // namespace onnxedge::ops
