// Copyright onnxedge authors.
// If: runs then_branch or else_branch (subgraphs without inputs) depending on a one-element bool
// `cond` and forwards the branch's outputs. Outputs may be tensors, sequences or optionals; a
// branch may return outer-scope values or its own initializers (shared, not copied).
// Opsets 1-21 (later versions only widen the type lists). Branches must have exactly as many
// outputs as the node.
#include <memory>
#include <vector>

#include "ops/common/control_util.h"
#include "ops/common/op_util.h"
#include "runtime/graph_plan.h"

namespace onnxedge::ops {

namespace {

class IfKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<IfKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<IfKernel>();
    OE_ASSIGN_OR_RETURN(k->then_, info.GetSubgraph("then_branch"));
    OE_ASSIGN_OR_RETURN(k->else_, info.GetSubgraph("else_branch"));
    for (const auto* b : {k->then_.get(), k->else_.get()}) {
      const char* name = b == k->then_.get() ? "then_branch" : "else_branch";
      if (b->num_inputs() != 0) {
        return info.Error(StatusCode::kInvalidModel, "attribute '", name,
                          "' must not declare inputs, it declares ", b->num_inputs());
      }
      if (b->num_outputs() != info.num_outputs()) {
        return info.Error(StatusCode::kInvalidModel, "attribute '", name, "' has ",
                          b->num_outputs(), " outputs but the node has ", info.num_outputs());
      }
    }
    return k;
  }

  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (then_) then_->CollectPrepacked(out);
    if (else_) else_->CollectPrepacked(out);
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* c, ctx.RequiredInput(0));
    // The error context is built only on the error path (no string per run).
    bool cond = false;
    if (c->dtype() == DataType::kBool && c->size() == 1) {
      cond = *c->data<bool>();
    } else {
      OE_ASSIGN_OR_RETURN(cond, control::ReadBoolScalar(*c, ctx.Describe() + ": input 'cond'"));
    }
    const GraphPlan& branch = cond ? *then_ : *else_;
    // The branch's results go to a vector of the calling thread per nesting level (an If
    // inside a branch runs while its parent's vector is in use), kept between runs: no
    // allocation for it in steady-state runs.
    thread_local std::vector<std::unique_ptr<std::vector<Value>>> tls_results;
    thread_local size_t tls_depth = 0;
    if (tls_results.size() <= tls_depth) {
      tls_results.push_back(std::make_unique<std::vector<Value>>());
    }
    std::vector<Value>& outs = *tls_results[tls_depth];
    ++tls_depth;
    Status st = ctx.RunSubgraphInto(branch, {}, &outs);
    --tls_depth;
    if (st.ok()) {
      for (size_t i = 0; i < outs.size(); ++i) ctx.SetOutput(i, std::move(outs[i]));
    }
    outs.clear();  // Releases the values; the capacity stays.
    if (!st.ok()) {
      return st.WithContext(ctx.Describe() + (cond ? " then_branch" : " else_branch"));
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<const GraphPlan> then_;
  std::shared_ptr<const GraphPlan> else_;
};

}  // namespace

void RegisterOp_if(OpRegistry& registry) {
  registry.Register({"", "If", 1, 21, MakeFactory<IfKernel>()});
}

}  // namespace onnxedge::ops
