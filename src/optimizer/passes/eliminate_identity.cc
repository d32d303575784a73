// Copyright onnxedge authors.
// eliminate_identity: removes Identity and inference-mode Dropout.
//
//   x -> Identity -> y -> consumers                      =>  x -> consumers
//   x -> Dropout(training_mode absent or false) -> y     =>  x -> consumers
//
// Conditions: Dropout's mask output is unread and, before opset 7, is_test = 1. When y is a
// graph output, the node producing x writes y instead (x must be produced by a node of this
// graph and be neither a graph input nor a graph output); otherwise the node stays.
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool IsInferenceDropout(const ir::Node& n, const GraphEditor& g) {
  if (n.op_type != "Dropout" || !n.domain.empty()) return false;
  if (n.opset < 7 && AttrInt(n, "is_test", 0) == 0) return false;
  if (n.outputs.size() > 1 && !n.outputs[1].empty() && g.NumUses(n.outputs[1]) > 0) return false;
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const Tensor* training = g.Constant(n.inputs[2]);
    double v = 1;
    if (!training || !ScalarValue(*training, &v) || v != 0) return false;
  }
  return true;
}

class EliminateIdentityPass final : public Pass {
 public:
  const char* name() const override { return "eliminate_identity"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    for (ir::Node* n : g.Nodes()) {
      const bool identity = n->op_type == "Identity" && n->domain.empty();
      if (!identity && !IsInferenceDropout(*n, g)) continue;
      if (n->inputs.empty() || n->outputs.empty()) continue;
      const std::string x = n->inputs[0];
      const std::string y = n->outputs[0];
      if (x.empty() || y.empty() || !g.CanReplaceValue(y, x)) continue;
      g.RemoveNode(n);
      g.ReplaceValue(y, x);
      ++count;
    }
    return count;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeEliminateIdentityPass() {
  return std::make_unique<EliminateIdentityPass>();
}

}  // namespace onnxedge::opt
