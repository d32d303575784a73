// Copyright onnxedge authors.
// eliminate_dead_nodes: removes nodes and initializers nothing reads.
//
//   x -> A -> a (unread)           =>  (A removed; then x's producer if a was its only reader)
//   initializer w (unread)         =>  (w removed)
//
// A node is dead when none of its outputs is read by a node, a subgraph or the graph outputs.
// Nodes are visited in reverse topological order so whole dead chains go in one sweep. Graph
// inputs stay (they are the model's interface) even when unread; an initializer that is also a
// graph input stays too.
#include "optimizer/graph_editor.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

class EliminateDeadNodesPass final : public Pass {
 public:
  const char* name() const override { return "eliminate_dead_nodes"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    std::vector<ir::Node*> nodes = g.Nodes();
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      ir::Node* n = *it;
      bool used = false;
      for (const auto& o : n->outputs) used |= !o.empty() && g.NumUses(o) > 0;
      if (used) continue;
      g.RemoveNode(n);
      ++count;
    }
    std::vector<std::string> unused;
    for (const auto& [name, t] : g.graph().initializers) {
      if (!g.IsGraphInput(name) && g.NumUses(name) == 0) unused.push_back(name);
    }
    for (const auto& name : unused) {
      g.graph().initializers.erase(name);
      g.graph().value_info.erase(name);
      ++count;
    }
    return count;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeEliminateDeadNodesPass() {
  return std::make_unique<EliminateDeadNodesPass>();
}

}  // namespace onnxedge::opt
