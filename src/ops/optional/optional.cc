// Copyright onnxedge authors.
// Optional: wraps its input (tensor or sequence) as an optional with an element, or, without
// input, produces an empty optional of the type given by the `type` attribute. onnxedge
// represents optional(T) holding a value by the value itself, so the input passes through.
// Opsets 15-21, all types.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class OptionalKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<OptionalKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<OptionalKernel>();
    const ir::Attribute* a = info.node().FindAttribute("type");
    if (a && (a->type != ir::Attribute::Type::kTypeProto || a->type_protos.empty())) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'type' must be a type proto");
    }
    if (!info.HasInput(0)) {
      if (!a) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'type' is required when the input is omitted");
      }
      const ir::TypeInfo& t = a->type_protos[0];
      if (t.kind != ir::TypeInfo::Kind::kTensor && t.kind != ir::TypeInfo::Kind::kSequence) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'type' must be a tensor or sequence type, got ", t.ToString());
      }
      k->none_is_sequence_ = t.kind == ir::TypeInfo::Kind::kSequence;
      k->none_type_ = control::DeclaredElemType(&t);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    const Value* v = ctx.InputValue(0);
    ctx.SetOutput(0, v ? *v : Value::None(none_is_sequence_, none_type_));
    return Status::Ok();
  }

 private:
  bool none_is_sequence_ = false;
  DataType none_type_ = DataType::kUndefined;
};

}  // namespace

void RegisterOp_optional(OpRegistry& registry) {
  registry.Register({"", "Optional", 15, 21, MakeFactory<OptionalKernel>()});
}

}  // namespace onnxedge::ops
