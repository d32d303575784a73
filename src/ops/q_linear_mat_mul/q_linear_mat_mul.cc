// Copyright onnxedge authors.
// QLinearMatMul (opsets 10-21): quantized numpy matmul.
//   acc = (a - a_zero_point) x (b - b_zero_point)               exact, int32
//   y = saturate(round_half_even(acc * (a_scale * b_scale / y_scale)) + y_zero_point)
// with the multiplier computed in the scales' precision (float32; float16 / bfloat16 when all
// three scales have that type) and applied in double, as the ONNX reference does.
// Rounding comes before the zero point, as the definition's formula says ("for x / y_scale, it
// is rounding to nearest ties to even") and as QuantizeLinear does; the Python reference adds
// the zero point first, which differs only on exact ties with an odd zero point.
// a and b are uint8 or int8 in any combination; y has y_zero_point's type. Scales and zero
// points: per tensor, per row of a / per column of b ([M] / [N]), or per matrix and row/column
// (the operand's shape with K replaced by 1); y's like a's. Scales may be float, float16 or
// bfloat16 (opset 21). Opset 21's float8 types are not supported (no such tensor type).
#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

bool IsQuant8(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

struct Param {
  std::vector<float> values;
  MatMulParamIndex index;
};

// a_scale * b_scale / y_scale, rounded after each step to the scales' type when it is 16-bit
// (products of 16-bit floats are exact in float32, so only the division may round twice).
inline float Multiplier(float a, float b, float y, DataType t) {
  if (t == DataType::kFloat16) {
    return static_cast<float>(Float16(static_cast<float>(Float16(a * b)) / y));
  }
  if (t == DataType::kBfloat16) {
    return static_cast<float>(BFloat16(static_cast<float>(BFloat16(a * b)) / y));
  }
  return (a * b) / y;
}

template <typename TQ>
void Requantize(const int32_t* acc, const IntMatMulShapes& s, const Param& as, const Param& bs,
                const Param& ys, const ZeroPoints& yz, DataType scale_type, TQ* y,
                ThreadPool& pool) {
  const int64_t rows = s.batch * s.m, n = s.n;
  constexpr double kLo = std::numeric_limits<TQ>::lowest(), kHi = std::numeric_limits<TQ>::max();
  pool.ParallelFor(
      rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t bi = r / s.m, i = r % s.m;
          const int64_t am = s.a_index[static_cast<size_t>(bi)];
          const int64_t bm = s.b_index[static_cast<size_t>(bi)];
          const float a_s = as.values[as.index.At(am, i)];
          const float y_s = ys.values[ys.index.At(am, i)];
          const double z = yz.At(am, i);
          for (int64_t j = 0; j < n; ++j) {
            const float mult = Multiplier(a_s, bs.values[bs.index.At(bm, j)], y_s, scale_type);
            // The definition rounds acc * multiplier (= x / y_scale) half to even, then adds the
            // zero point and saturates.
            double v =
                std::nearbyint(static_cast<double>(acc[r * n + j]) * static_cast<double>(mult));
            v = v != v ? z : v + z;
            y[r * n + j] = static_cast<TQ>(v < kLo ? kLo : (v > kHi ? kHi : v));
          }
        }
      });
}

class QLinearMatMulKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<QLinearMatMulKernel>> Create(const KernelInfo&) {
    return std::make_unique<QLinearMatMulKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* a_scale, ctx.RequiredInput(1));
    const Tensor* azp = ctx.Input(2);
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(3));
    OE_ASSIGN_OR_RETURN(const Tensor* b_scale, ctx.RequiredInput(4));
    const Tensor* bzp = ctx.Input(5);
    OE_ASSIGN_OR_RETURN(const Tensor* y_scale, ctx.RequiredInput(6));
    const Tensor* yzp = ctx.Input(7);
    if (!IsQuant8(a->dtype()) || !IsQuant8(b->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "inputs 'a' and 'b' must be uint8 or int8, got ", DataTypeName(a->dtype()),
                       " and ", DataTypeName(b->dtype()));
    }
    if ((azp && azp->dtype() != a->dtype()) || (bzp && bzp->dtype() != b->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "inputs 'a_zero_point' / 'b_zero_point' must have the types of 'a' / 'b'");
    }
    const DataType out_type = yzp ? yzp->dtype() : a->dtype();
    if (!IsQuant8(out_type)) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'y_zero_point' must be uint8 or int8, got ", DataTypeName(out_type));
    }
    OE_ASSIGN_OR_RETURN(IntMatMulShapes s,
                        MakeIntMatMulShapes(a->shape(), b->shape(), ctx.Describe()));
    OE_ASSIGN_OR_RETURN(ZeroPoints za, ReadMatMulZeroPoints(azp, a->shape(), s, true,
                                                            ctx.Describe(), "a_zero_point"));
    OE_ASSIGN_OR_RETURN(ZeroPoints zb, ReadMatMulZeroPoints(bzp, b->shape(), s, false,
                                                            ctx.Describe(), "b_zero_point"));
    auto param = [&](const Tensor* t, const Shape& operand, bool is_a,
                     const char* name) -> StatusOr<Param> {
      if (t->dtype() != DataType::kFloat && t->dtype() != DataType::kFloat16 &&
          t->dtype() != DataType::kBfloat16) {
        return ctx.Error(StatusCode::kInvalidArgument, "input '", name,
                         "' must be float, float16 or bfloat16, got ", DataTypeName(t->dtype()));
      }
      Param p;
      OE_ASSIGN_OR_RETURN(p.index,
                          MakeMatMulParamIndex(*t, operand, s, is_a, ctx.Describe(), name));
      p.values = ReadFloats(*t);
      return p;
    };
    OE_ASSIGN_OR_RETURN(Param as, param(a_scale, a->shape(), true, "a_scale"));
    OE_ASSIGN_OR_RETURN(Param bs, param(b_scale, b->shape(), false, "b_scale"));
    // y's parameters are per tensor or per row, laid out like a's.
    OE_ASSIGN_OR_RETURN(Param ys, param(y_scale, a->shape(), true, "y_scale"));
    OE_ASSIGN_OR_RETURN(ZeroPoints yz, ReadMatMulZeroPoints(yzp, a->shape(), s, true,
                                                            ctx.Describe(), "y_zero_point"));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, out_type, s.out));
    if (y->size() == 0) return Status::Ok();
    OE_ASSIGN_OR_RETURN(Tensor acc, ctx.AllocateTemp(DataType::kInt32, {s.batch, s.m, s.n}));
    MatMulInt32(*a, za, *b, zb, s, acc.data<int32_t>(), ctx.thread_pool());
    const DataType scale_type =
        a_scale->dtype() == b_scale->dtype() && b_scale->dtype() == y_scale->dtype()
            ? a_scale->dtype()
            : DataType::kFloat;
    if (out_type == DataType::kUint8) {
      Requantize(acc.data<int32_t>(), s, as, bs, ys, yz, scale_type, y->data<uint8_t>(),
                 ctx.thread_pool());
    } else {
      Requantize(acc.data<int32_t>(), s, as, bs, ys, yz, scale_type, y->data<int8_t>(),
                 ctx.thread_pool());
    }
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_q_linear_mat_mul(OpRegistry& registry) {
  registry.Register({"", "QLinearMatMul", 10, 21, MakeFactory<QLinearMatMulKernel>()});
}

}  // namespace onnxedge::ops
