// Copyright onnxedge authors.
// MatMulInteger (opset 10): Y (int32) = (A - a_zero_point) x (B - b_zero_point) with numpy
// matmul semantics (batch broadcasting, 1-D operands promoted). A and B are uint8 or int8 in any
// combination. a_zero_point: scalar, one per row ([M]) or per matrix and row (A's shape with K
// replaced by 1); b_zero_point likewise per column ([N] or B's shape with K replaced by 1).
// Products are exact and accumulate in int32 (no 16-bit saturation).
#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

bool IsQuant8(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

class MatMulIntegerKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MatMulIntegerKernel>> Create(const KernelInfo&) {
    return std::make_unique<MatMulIntegerKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(1));
    const Tensor* azp = ctx.Input(2);
    const Tensor* bzp = ctx.Input(3);
    if (!IsQuant8(a->dtype()) || !IsQuant8(b->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "inputs 'A' and 'B' must be uint8 or int8, got ", DataTypeName(a->dtype()),
                       " and ", DataTypeName(b->dtype()));
    }
    if ((azp && azp->dtype() != a->dtype()) || (bzp && bzp->dtype() != b->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "inputs 'a_zero_point' / 'b_zero_point' must have the types of 'A' / 'B'");
    }
    OE_ASSIGN_OR_RETURN(IntMatMulShapes s,
                        MakeIntMatMulShapes(a->shape(), b->shape(), ctx.Describe()));
    OE_ASSIGN_OR_RETURN(ZeroPoints za, ReadMatMulZeroPoints(azp, a->shape(), s, true,
                                                            ctx.Describe(), "a_zero_point"));
    OE_ASSIGN_OR_RETURN(ZeroPoints zb, ReadMatMulZeroPoints(bzp, b->shape(), s, false,
                                                            ctx.Describe(), "b_zero_point"));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt32, s.out));
    MatMulInt32(*a, za, *b, zb, s, y->data<int32_t>(), ctx.thread_pool());
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_mat_mul_integer(OpRegistry& registry) {
  registry.Register({"", "MatMulInteger", 10, 21, MakeFactory<MatMulIntegerKernel>()});
}

}  // namespace onnxedge::ops
