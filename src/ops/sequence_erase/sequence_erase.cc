// Copyright onnxedge authors.
// SequenceErase: a new sequence without the element at `position` (optional int32/int64 scalar
// in [-n, n-1], negative counts from the back; default: the last). Opsets 11-21, all types.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SequenceEraseKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SequenceEraseKernel>> Create(const KernelInfo&) {
    return std::make_unique<SequenceEraseKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    const Value* seq = ctx.InputValue(0);
    if (!seq || !seq->is_sequence()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input_sequence' must be a sequence");
    }
    const auto& elems = seq->sequence();
    const int64_t n = static_cast<int64_t>(elems.size());
    int64_t pos = n - 1;
    if (const Tensor* p = ctx.Input(1)) {
      OE_ASSIGN_OR_RETURN(pos, control::ReadIntScalar(*p, ctx.Describe() + ": input 'position'"));
    }
    if (pos < -n || pos >= n) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'position' is ", pos,
                       " but must be in [", -n, ", ", n - 1, "] for a sequence of length ", n);
    }
    if (pos < 0) pos += n;
    std::vector<Tensor> out;
    out.reserve(elems.size() - 1);
    for (int64_t i = 0; i < n; ++i) {
      if (i != pos) out.push_back(elems[static_cast<size_t>(i)]);
    }
    DataType type = seq->element_type();
    if (type == DataType::kUndefined) type = elems[0].dtype();
    ctx.SetOutput(0, Value::Sequence(std::move(out), type));
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_sequence_erase(OpRegistry& registry) {
  registry.Register({"", "SequenceErase", 11, 21, MakeFactory<SequenceEraseKernel>()});
}

}  // namespace onnxedge::ops
