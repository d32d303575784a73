// Copyright onnxedge authors.
// SequenceAt: the element at `position` (int32/int64 scalar in [-n, n-1], negative counts from
// the back). The element is shared with the sequence, not copied. Opsets 11-21, all types.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SequenceAtKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SequenceAtKernel>> Create(const KernelInfo&) {
    return std::make_unique<SequenceAtKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    const Value* seq = ctx.InputValue(0);
    if (!seq || !seq->is_sequence()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input_sequence' must be a sequence");
    }
    OE_ASSIGN_OR_RETURN(const Tensor* p, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(int64_t pos,
                        control::ReadIntScalar(*p, ctx.Describe() + ": input 'position'"));
    const int64_t n = static_cast<int64_t>(seq->sequence().size());
    if (pos < -n || pos >= n) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'position' is ", pos,
                       " but must be in [", -n, ", ", n - 1, "] for a sequence of length ", n);
    }
    if (pos < 0) pos += n;
    ctx.SetOutput(0, Value(seq->sequence()[static_cast<size_t>(pos)]));
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_sequence_at(OpRegistry& registry) {
  registry.Register({"", "SequenceAt", 11, 21, MakeFactory<SequenceAtKernel>()});
}

}  // namespace onnxedge::ops
