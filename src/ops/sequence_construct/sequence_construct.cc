// Copyright onnxedge authors.
// SequenceConstruct: a sequence of the input tensors (at least one, all of one element type),
// sharing their storage. Opsets 11-21, all types.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SequenceConstructKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SequenceConstructKernel>> Create(const KernelInfo& info) {
    if (info.num_inputs() == 0) {
      return info.Error(StatusCode::kInvalidModel, "needs at least one input");
    }
    return std::make_unique<SequenceConstructKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    std::vector<Tensor> elems;
    elems.reserve(ctx.num_inputs());
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(i));
      if (i > 0 && t->dtype() != elems[0].dtype()) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", i, " has element type ",
                         DataTypeName(t->dtype()), " but input 0 has ",
                         DataTypeName(elems[0].dtype()));
      }
      elems.push_back(*t);
    }
    const DataType type = elems[0].dtype();
    ctx.SetOutput(0, Value::Sequence(std::move(elems), type));
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_sequence_construct(OpRegistry& registry) {
  registry.Register({"", "SequenceConstruct", 11, 21, MakeFactory<SequenceConstructKernel>()});
}

}  // namespace onnxedge::ops
