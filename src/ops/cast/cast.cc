// Copyright onnxedge authors.
// Cast: converts X to the element type of attribute `to` (opset 1-21; every pair among float,
// double, float16, bfloat16, int8-64, uint8-64, bool and string). Opset 1 names the type with a
// string ("FLOAT"); later opsets use the TensorProto enum. Opset 19's `saturate` only concerns
// float8 types, which onnxedge does not hold, and is ignored. Conversion rules (rounding,
// wrapping, string printing and parsing): ops/common/cast_util.h.
#include "ops/common/cast_util.h"
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

class CastKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<CastKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<CastKernel>();
    if (info.since_version() < 6) {
      OE_ASSIGN_OR_RETURN(std::string name, info.GetString("to"));
      k->to_ = ParseCastTypeName(name);
      if (k->to_ == DataType::kUndefined) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'to' names an unknown type \"",
                          name, "\"");
      }
    } else {
      OE_ASSIGN_OR_RETURN(int64_t to, info.GetInt("to"));
      k->to_ = static_cast<DataType>(to);
      if (to < 0 || to > 1000 || !IsSupportedDataType(k->to_)) {
        return info.Error(StatusCode::kNotImplemented, "attribute 'to' = ", to,
                          " is not a supported element type");
      }
    }
    return k;
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, to_, x->shape(), Fill::kNone));
    return CastTensor(*x, y, ctx.thread_pool(), ctx.Describe());
  }

 private:
  DataType to_ = DataType::kFloat;
};

}  // namespace

void RegisterOp_cast(OpRegistry& registry) {
  registry.Register({"", "Cast", 1, 21, MakeFactory<CastKernel>()});
}

}  // namespace onnxedge::ops
