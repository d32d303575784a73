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

// Resolves a Reshape target against a known input shape (0 copies, -1 infers).
std::optional<Shape> Resolve(const Shape& in, const std::vector<int64_t>& target, bool allowzero) {
  Shape out(target.size());
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allowzero) {
      if (i >= in.size()) return std::nullopt;
      d = in[i];
    }
    if (d == -1) {
      if (infer >= 0) return std::nullopt;
      infer = static_cast<int>(i);
      continue;
    }
    if (d < 0) return std::nullopt;
    out[i] = d;
    // Targets come from the model file: a product past int64 is no shape (UBSan found one).
    if (__builtin_mul_overflow(known, d, &known)) return std::nullopt;
  }
  const int64_t total = ShapeElementCount(in);
  if (total < 0) return std::nullopt;  // unknown or overflowing input shape
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return std::nullopt;
    out[static_cast<size_t>(infer)] = total / known;
  } else if (known != total) {
    return std::nullopt;
  }
  return out;
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
        auto out = Resolve(*in, *target, allowzero);
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
