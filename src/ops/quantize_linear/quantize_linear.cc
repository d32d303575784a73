// Copyright onnxedge authors.
// QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point).
// Opset 10: per-tensor scale. 13: per-axis (1-D scale along 'axis', default 1). 19: x and
// y_scale may be float16/bfloat16 ('saturate' only concerns float8, which onnxedge has no type
// for). 21: blocked quantization ('block_size'), 'output_dtype', int16/uint16 outputs.
// Output type: y_zero_point's type, else output_dtype, else uint8; supported outputs are uint8,
// int8, uint16, int16 (no float8 / 4-bit types). The division is done in the precision the
// ONNX reference uses: float32 (the 16-bit types when x and y_scale are both that type, double
// for int32 inputs). NaN quantizes to the zero point.
#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

enum class DivMode { kFloat, kHalf, kBHalf, kDouble };

// One element: x / scale in the reference's precision, rounded half to even, plus the zero
// point, saturated. NaN becomes the zero point.
template <typename TQ, typename TX>
inline TQ QuantizeOne(TX xv, float s, double sd, double z, DivMode mode) {
  constexpr double kLo = std::numeric_limits<TQ>::lowest(), kHi = std::numeric_limits<TQ>::max();
  const float xf = static_cast<float>(ToCompute(xv));
  double q;
  switch (mode) {
    case DivMode::kFloat:
      q = std::nearbyint(xf / s);
      break;
    case DivMode::kHalf:
      q = std::nearbyint(static_cast<float>(Float16(xf / s)));
      break;
    case DivMode::kBHalf:
      q = std::nearbyint(static_cast<float>(BFloat16(xf / s)));
      break;
    default:
      q = std::nearbyint(static_cast<double>(ToCompute(xv)) / sd);
      break;
  }
  if (q != q) q = 0;
  double v = q + z;  // exact below 2^53; anything larger saturates anyway
  v = v < kLo ? kLo : (v > kHi ? kHi : v);
  return static_cast<TQ>(v);
}

template <typename TX, typename TQ>
void Quantize(const TX* x, const QuantParamLayout& l, const std::vector<float>& scale,
              const std::vector<double>& scale_d, const std::vector<int32_t>& zp, DivMode mode,
              TQ* y, ThreadPool& pool) {
  auto zp_at = [&](size_t p) { return zp.empty() ? 0.0 : static_cast<double>(zp[p]); };
  auto sd_at = [&](size_t p) { return scale_d.empty() ? 0.0 : scale_d[p]; };
  if (l.per_tensor) {
    const float s = scale[0];
    const double sd = sd_at(0), z = zp_at(0);
    pool.ParallelFor(l.outer, 32768, [&](int64_t i0, int64_t i1) {
      if (mode == DivMode::kFloat) {
        for (int64_t i = i0; i < i1; ++i) y[i] = QuantizeOne<TQ>(x[i], s, sd, z, DivMode::kFloat);
      } else {
        for (int64_t i = i0; i < i1; ++i) y[i] = QuantizeOne<TQ>(x[i], s, sd, z, mode);
      }
    });
    return;
  }
  const int64_t rows = l.outer * l.axis_len;
  const int64_t min_rows = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, l.inner));
  pool.ParallelFor(rows, min_rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r / l.axis_len, a = r % l.axis_len;
      const TX* xr = x + r * l.inner;
      TQ* yr = y + r * l.inner;
      for (int64_t i = 0; i < l.inner; ++i) {
        const size_t p = static_cast<size_t>(l.Index(o, a, i));
        yr[i] = QuantizeOne<TQ>(xr[i], scale[p], sd_at(p), zp_at(p), mode);
      }
    }
  });
}

bool IsQuantOutput(DataType t) {
  return t == DataType::kUint8 || t == DataType::kInt8 || t == DataType::kUint16 ||
         t == DataType::kInt16;
}

class QuantizeLinearKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<QuantizeLinearKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<QuantizeLinearKernel>();
    k->since_ = info.since_version();
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 1));
    OE_ASSIGN_OR_RETURN(k->block_size_, info.GetInt("block_size", 0));
    if (k->block_size_ < 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'block_size' must be >= 0, got ",
                        k->block_size_);
    }
    OE_ASSIGN_OR_RETURN(int64_t out_dtype, info.GetInt("output_dtype", 0));
    if (out_dtype != 0) {
      k->output_dtype_ = static_cast<DataType>(out_dtype);
      if (!IsQuantOutput(k->output_dtype_)) {
        return info.Error(StatusCode::kNotImplemented, "attribute 'output_dtype' (", out_dtype,
                          ") is not a supported quantized type (uint8, int8, uint16, int16)");
      }
    }
    OE_ASSIGN_OR_RETURN(int64_t saturate, info.GetInt("saturate", 1));
    (void)saturate;  // Only meaningful for float8 outputs.
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* scale, ctx.RequiredInput(1));
    const Tensor* zp = ctx.Input(2);
    DataType out_type = DataType::kUint8;
    if (zp) {
      out_type = zp->dtype();
      if (output_dtype_ != DataType::kUndefined && output_dtype_ != out_type) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'y_zero_point' (",
                         DataTypeName(out_type), ") contradicts attribute 'output_dtype' (",
                         DataTypeName(output_dtype_), ")");
      }
    } else if (output_dtype_ != DataType::kUndefined) {
      out_type = output_dtype_;
    }
    if (!IsQuantOutput(out_type)) {
      return ctx.Error(StatusCode::kNotImplemented, "quantized type ", DataTypeName(out_type),
                       " is not supported (uint8, int8, uint16, int16)");
    }
    if (since_ < 13 && scale->size() != 1) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'y_scale' must be a scalar before opset 13, got shape ",
                       ShapeToString(scale->shape()));
    }
    OE_ASSIGN_OR_RETURN(QuantParamLayout l,
                        MakeQuantParamLayout(x->shape(), *scale, zp, axis_, block_size_,
                                             ctx.Describe(), "y_scale", "y_zero_point"));
    const DataType xt = x->dtype(), st = scale->dtype();
    DivMode mode = DivMode::kFloat;
    if (xt == DataType::kInt32 || st == DataType::kInt32 || xt == DataType::kDouble) {
      mode = DivMode::kDouble;
    } else if (xt == DataType::kFloat16 && st == DataType::kFloat16) {
      mode = DivMode::kHalf;
    } else if (xt == DataType::kBfloat16 && st == DataType::kBfloat16) {
      mode = DivMode::kBHalf;
    }
    // Scales and zero points in buffers of the calling thread, refilled in place (no allocation
    // once grown).
    thread_local std::vector<float> tls_s;
    thread_local std::vector<int32_t> tls_z;
    std::vector<float>& s = tls_s;
    ReadFloatsInto(*scale, &s);
    std::vector<double> sd;
    if (mode == DivMode::kDouble) {
      OE_ASSIGN_OR_RETURN(sd, ReadDoubles(*scale, ctx.Describe() + " input 'y_scale'"));
    }
    std::vector<int32_t>& z = tls_z;
    z.clear();
    if (zp) ReadInt32sInto(*zp, &z);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type, x->shape()));
    if (y->size() == 0) return Status::Ok();
    using XTypes = TypeList<float, Float16, BFloat16, int32_t, double>;
    return Dispatch<XTypes>(xt, [&](auto xtag) -> Status {
      using TX = typename decltype(xtag)::type;
      using QTypes = TypeList<uint8_t, int8_t, uint16_t, int16_t>;
      return Dispatch<QTypes>(out_type, [&](auto qtag) -> Status {
        using TQ = typename decltype(qtag)::type;
        Quantize<TX, TQ>(x->data<TX>(), l, s, sd, z, mode, y->data<TQ>(), ctx.thread_pool());
        return Status::Ok();
      });
    });
  }

 private:
  int since_ = 13;
  int64_t axis_ = 1;
  int64_t block_size_ = 0;
  DataType output_dtype_ = DataType::kUndefined;
};

}  // namespace

void RegisterOp_quantize_linear(OpRegistry& registry) {
  registry.Register({"", "QuantizeLinear", 10, 21, MakeFactory<QuantizeLinearKernel>()});
}

}  // namespace onnxedge::ops
