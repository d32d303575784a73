// Copyright onnxedge authors.
// fuse_reshapes: collapses chains of shape-only ops and drops reshapes that change nothing.
//
//   x -> Reshape/Flatten/Squeeze/Unsqueeze -> Reshape(s) -> y   =>  x -> Reshape(s) -> y
//   x[2,3,4] -> Reshape([2,-1,4]) -> y                          =>  x   (the shape is unchanged)
//
// The first rule needs a constant target `s` without 0 entries (or allowzero = 1): such a target
// depends only on the element count, which every op in the chain preserves. The second needs
// x's static shape and a constant target. The first op stays if something else reads it.
#include <set>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool IsShapeOp(const ir::Node* n) {
  static const std::set<std::string> kOps = {"Reshape", "Flatten", "Squeeze", "Unsqueeze"};
  return n && n->domain.empty() && kOps.count(n->op_type) && !n->inputs.empty() &&
         n->outputs.size() == 1;
}

class FuseReshapesPass final : public Pass {
 public:
  const char* name() const override { return "fuse_reshapes"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || n->op_type != "Reshape" || !n->domain.empty() ||
          n->inputs.size() != 2 || n->outputs.size() != 1) {
        continue;
      }
      const Tensor* st = g.Constant(n->inputs[1]);
      auto target = st ? ReadInts(*st) : std::nullopt;
      if (!target) continue;
      const bool allowzero = AttrInt(*n, "allowzero", 0) != 0;
      bool has_zero = false;
      for (int64_t d : *target) has_zero |= d == 0;
      // Unchanged shape: drop the reshape.
      if (auto in = g.StaticShape(n->inputs[0])) {
        auto out = ResolveReshapeTarget(*in, *target, allowzero);
        if (out && *out == *in && g.CanReplaceValue(n->outputs[0], n->inputs[0])) {
          const std::string x = n->inputs[0], y = n->outputs[0];
          g.RemoveNode(n);
          g.ReplaceValue(y, x);
          ++count;
          continue;
        }
      }
      ir::Node* first = g.Producer(n->inputs[0]);
      if (!IsShapeOp(first) || (has_zero && !allowzero)) continue;
      g.SetInput(n, 0, first->inputs[0]);
      ++count;
    }
    return count;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseReshapesPass() { return std::make_unique<FuseReshapesPass>(); }

}  // namespace onnxedge::opt
