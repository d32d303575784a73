// Copyright onnxedge authors.
// SequenceInsert: a new sequence with `tensor` inserted at `position` (optional int32/int64
// scalar in [-n, n], negative counts from the back; default: append). The tensor's element type
// must match the sequence's. Elements are shared, not copied. Opsets 11-21, all types.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class SequenceInsertKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SequenceInsertKernel>> Create(const KernelInfo&) {
    return std::make_unique<SequenceInsertKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    const Value* seq = ctx.InputValue(0);
    if (!seq || !seq->is_sequence()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input_sequence' must be a sequence");
    }
    OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(1));
    const auto& elems = seq->sequence();
    DataType type = seq->element_type();
    if (type == DataType::kUndefined && !elems.empty()) type = elems[0].dtype();
    if (type != DataType::kUndefined && t->dtype() != type) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'tensor' has element type ",
                       DataTypeName(t->dtype()), " but the sequence holds ", DataTypeName(type));
    }
    const int64_t n = static_cast<int64_t>(elems.size());
    int64_t pos = n;
    if (const Tensor* p = ctx.Input(2)) {
      OE_ASSIGN_OR_RETURN(pos, control::ReadIntScalar(*p, ctx.Describe() + ": input 'position'"));
      if (pos < -n || pos > n) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'position' is ", pos,
                         " but must be in [", -n, ", ", n, "] for a sequence of length ", n);
      }
      if (pos < 0) pos += n;
    }
    std::vector<Tensor> out;
    out.reserve(elems.size() + 1);
    out.insert(out.end(), elems.begin(), elems.begin() + pos);
    out.push_back(*t);
    out.insert(out.end(), elems.begin() + pos, elems.end());
    ctx.SetOutput(0, Value::Sequence(std::move(out), t->dtype()));
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_sequence_insert(OpRegistry& registry) {
  registry.Register({"", "SequenceInsert", 11, 21, MakeFactory<SequenceInsertKernel>()});
}

}  // namespace onnxedge::ops
