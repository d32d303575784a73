// Copyright onnxedge authors.
// SequenceLength: the number of elements of a sequence as an int64 scalar. Opsets 11-21.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SequenceLengthKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SequenceLengthKernel>> Create(const KernelInfo&) {
    return std::make_unique<SequenceLengthKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    const Value* seq = ctx.InputValue(0);
    if (!seq || !seq->is_sequence()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input_sequence' must be a sequence");
    }
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, DataType::kInt64, {}));
    *out->data<int64_t>() = static_cast<int64_t>(seq->sequence().size());
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_sequence_length(OpRegistry& registry) {
  registry.Register({"", "SequenceLength", 11, 21, MakeFactory<SequenceLengthKernel>()});
}

}  // namespace onnxedge::ops
