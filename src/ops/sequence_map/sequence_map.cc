// Copyright onnxedge authors.
// SequenceMap: runs `body` once per element of the input sequence(s) and collects each body
// output into an output sequence. Input 0 must be a sequence; further inputs are sequences of
// the same length (element i is passed) or tensors (passed whole to every call).
// Opsets 17-21. A kernel instead of the ONNX function expansion: the schema's context-dependent
// body needs the `body` graph attribute, and running the body per element avoids the
// SequenceAt/SequenceInsert Loop the expansion builds (quadratic in the sequence length).
// Elements are processed in order, sequentially.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"
#include "runtime/graph_plan.h"

namespace onnxedge::ops {

namespace {

class SequenceMapKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SequenceMapKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<SequenceMapKernel>();
    OE_ASSIGN_OR_RETURN(k->body_, info.GetSubgraph("body"));
    if (k->body_->num_inputs() != info.num_inputs()) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'body' has ", k->body_->num_inputs(),
                        " inputs but the node has ", info.num_inputs());
    }
    if (k->body_->num_outputs() != info.num_outputs()) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'body' has ", k->body_->num_outputs(),
                        " outputs but the node has ", info.num_outputs());
    }
    return k;
  }

  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (body_) body_->CollectPrepacked(out);
  }

  Status Run(KernelContext& ctx) const override {
    const Value* first = ctx.InputValue(0);
    if (!first || !first->is_sequence()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input_sequence' must be a sequence");
    }
    const size_t n = first->sequence().size();
    std::vector<const Value*> ins(ctx.num_inputs());
    for (size_t i = 0; i < ins.size(); ++i) {
      ins[i] = ctx.InputValue(i);
      if (!ins[i] || ins[i]->is_none()) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", i, " is missing");
      }
      if (ins[i]->is_sequence() && ins[i]->sequence().size() != n) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", i, " is a sequence of length ",
                         ins[i]->sequence().size(), " but input 0 has length ", n);
      }
    }
    std::vector<std::vector<Tensor>> results(ctx.num_outputs());
    for (auto& r : results) r.reserve(n);
    std::vector<Value> feeds(ins.size());
    for (size_t e = 0; e < n; ++e) {
      OE_RETURN_IF_ERROR(ctx.CheckCancelled());
      for (size_t i = 0; i < ins.size(); ++i) {
        feeds[i] = ins[i]->is_sequence() ? Value(ins[i]->sequence()[e]) : *ins[i];
      }
      auto outs = ctx.RunSubgraph(*body_, feeds);
      if (!outs.ok()) {
        return outs.status().WithContext(ctx.Describe() + " body (element " + std::to_string(e) +
                                         ")");
      }
      for (size_t o = 0; o < results.size(); ++o) {
        Value& v = (*outs)[o];
        if (!v.is_tensor() || !v.tensor().defined()) {
          return ctx.Error(StatusCode::kInvalidArgument, "body output ", o,
                           " must be a tensor, got a ", control::ValueKindName(v));
        }
        results[o].push_back(std::move(v.tensor()));
      }
    }
    for (size_t o = 0; o < results.size(); ++o) {
      DataType type = results[o].empty()
                          ? control::DeclaredElemType(&body_->graph().outputs[o].type)
                          : results[o][0].dtype();
      ctx.SetOutput(o, Value::Sequence(std::move(results[o]), type));
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<const GraphPlan> body_;
};

}  // namespace

void RegisterOp_sequence_map(OpRegistry& registry) {
  registry.Register({"", "SequenceMap", 17, 21, MakeFactory<SequenceMapKernel>()});
}

}  // namespace onnxedge::ops
