// Copyright onnxedge authors.
// ConstantOfShape: a tensor of the shape given by the 1-D int64 input (empty = scalar), filled
// with the one-element `value` attribute (default float32 0), whose type is the output's.
// Opsets 9-21 (20 and 21 only add float8/int4 types, which onnxedge does not hold).
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class ConstantOfShapeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ConstantOfShapeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ConstantOfShapeKernel>();
    if (info.HasAttribute("value")) {
      OE_ASSIGN_OR_RETURN(k->value_, info.GetTensor("value"));
      if (k->value_.size() != 1) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'value' must have exactly one element, got shape ",
                          ShapeToString(k->value_.shape()));
      }
    } else {
      k->value_ = Tensor::Scalar<float>(0.0f);
    }
    // Outputs come zero-filled; a zero value (the common case) needs no fill pass.
    if (k->value_.dtype() != DataType::kString) {
      const auto* bytes = static_cast<const unsigned char*>(k->value_.raw_data());
      k->value_is_zero_ =
          std::all_of(bytes, bytes + k->value_.bytes(), [](unsigned char b) { return b == 0; });
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* s, ctx.RequiredInput(0));
    if (s->rank() != 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input must be 1-D, got shape ",
                       ShapeToString(s->shape()));
    }
    OE_ASSIGN_OR_RETURN(Shape shape, ReadInt64s(*s, ctx.Describe() + " input 'input'"));
    for (int64_t d : shape) {
      if (d < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "shape ", ShapeToString(shape),
                         " has a negative dim");
      }
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, value_.dtype(), shape));
    if (!value_is_zero_) FillElements(value_.dtype(), y->raw_data(), value_.raw_data(), y->size());
    return Status::Ok();
  }

 private:
  Tensor value_;
  bool value_is_zero_ = false;
};

}  // namespace

void RegisterOp_constant_of_shape(OpRegistry& registry) {
  registry.Register({"", "ConstantOfShape", 9, 21, MakeFactory<ConstantOfShapeKernel>()});
}

}  // namespace onnxedge::ops
