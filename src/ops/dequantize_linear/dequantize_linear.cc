// Copyright onnxedge authors.
// DequantizeLinear: y = (x - x_zero_point) * x_scale, computed in float32 (as the ONNX
// reference does) and stored in the scale's type.
// Opset 10: per-tensor scale. 13: per-axis (1-D scale along 'axis', default 1). 19: float16 /
// bfloat16 scales (and outputs). 21: blocked ('block_size'), int16/uint16 inputs.
// Inputs: uint8, int8, uint16, int16, int32 (no float8 / 4-bit types); the zero point must have
// x's type.
#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

template <typename TX, typename TY>
void Dequantize(const TX* x, const QuantParamLayout& l, const std::vector<float>& scale,
                const std::vector<int32_t>& zp, TY* y, ThreadPool& pool) {
  if (l.per_tensor) {
    const float s = scale[0];
    const float z = zp.empty() ? 0.f : static_cast<float>(zp[0]);
    pool.ParallelFor(l.outer, 32768, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) y[i] = FromCompute<TY>((static_cast<float>(x[i]) - z) * s);
    });
    return;
  }
  const int64_t rows = l.outer * l.axis_len;
  const int64_t min_rows = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, l.inner));
  pool.ParallelFor(rows, min_rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r / l.axis_len, a = r % l.axis_len;
      const TX* xr = x + r * l.inner;
      TY* yr = y + r * l.inner;
      for (int64_t i = 0; i < l.inner; ++i) {
        const size_t p = static_cast<size_t>(l.Index(o, a, i));
        const float z = zp.empty() ? 0.f : static_cast<float>(zp[p]);
        yr[i] = FromCompute<TY>((static_cast<float>(xr[i]) - z) * scale[p]);
      }
    }
  });
}

class DequantizeLinearKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<DequantizeLinearKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<DequantizeLinearKernel>();
    k->since_ = info.since_version();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 1));
    OE_ASSIGN_OR_RETURN(k->block_size_, info.GetInt("block_size", 0));
    if (k->block_size_ < 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'block_size' must be >= 0, got ",
                        k->block_size_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* scale, ctx.RequiredInput(1));
    const Tensor* zp = ctx.Input(2);
    if (zp && zp->dtype() != x->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'x_zero_point' (",
                       DataTypeName(zp->dtype()), ") must have the type of 'x' (",
                       DataTypeName(x->dtype()), ")");
    }
    const DataType out_type = scale->dtype();
    if (out_type != DataType::kFloat && out_type != DataType::kFloat16 &&
        out_type != DataType::kBfloat16) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'x_scale' must be float, float16 or bfloat16, got ",
                       DataTypeName(out_type));
    }
    if (since_ < 13 && scale->size() != 1) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'x_scale' must be a scalar before opset 13, got shape ",
                       ShapeToString(scale->shape()));
    }
    OE_ASSIGN_OR_RETURN(QuantParamLayout l,
                        MakeQuantParamLayout(x->shape(), *scale, zp, axis_, block_size_,
                                             ctx.Describe(), "x_scale", "x_zero_point"));
    // Scales and zero points in buffers of the calling thread, refilled in place (no allocation
    // once grown).
    thread_local std::vector<float> tls_s;
    thread_local std::vector<int32_t> tls_z;
    std::vector<float>& s = tls_s;
    ReadFloatsInto(*scale, &s);
    std::vector<int32_t>& z = tls_z;
    z.clear();
    if (zp) ReadInt32sInto(*zp, &z);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type, x->shape()));
    if (y->size() == 0) return Status::Ok();
    using XTypes = TypeList<uint8_t, int8_t, uint16_t, int16_t, int32_t>;
    return Dispatch<XTypes>(x->dtype(), [&](auto xtag) -> Status {
      using TX = typename decltype(xtag)::type;
      return Dispatch<TypeList<float, Float16, BFloat16>>(out_type, [&](auto ytag) -> Status {
        using TY = typename decltype(ytag)::type;
        Dequantize<TX, TY>(x->data<TX>(), l, s, z, y->data<TY>(), ctx.thread_pool());
        return Status::Ok();
      });
    });
  }

 private:
  int since_ = 13;
  int64_t axis_ = 1;
  int64_t block_size_ = 0;
};

}  // namespace

void RegisterOp_dequantize_linear(OpRegistry& registry) {
  registry.Register({"", "DequantizeLinear", 10, 21, MakeFactory<DequantizeLinearKernel>()});
}

}  // namespace onnxedge::ops
