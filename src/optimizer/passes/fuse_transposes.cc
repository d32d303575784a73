// Copyright onnxedge authors.
// fuse_transposes: merges consecutive transposes and drops identity transposes.
//
//   x -> Transpose(p1) -> Transpose(p2) -> y   =>  x -> Transpose(q) -> y,  q[i] = p1[p2[i]]
//                                              =>  x                       when q is the identity
//   x -> Transpose(identity perm) -> y         =>  x
//
// The first transpose stays if something else reads it. A missing `perm` (reverse the dims)
// needs the input rank to be known.
#include <numeric>

#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool IsTranspose(const ir::Node* n) {
  return n && n->op_type == "Transpose" && n->domain.empty() && n->inputs.size() == 1 &&
         n->outputs.size() == 1;
}

// The node's permutation, or nullopt when it is absent and the rank unknown, or invalid.
std::optional<std::vector<int64_t>> Perm(const ir::Node& n, const GraphEditor& g) {
  auto perm = AttrInts(n, "perm");
  if (!perm) {
    const int rank = g.Rank(n.inputs[0]);
    if (rank < 0) return std::nullopt;
    std::vector<int64_t> p(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) p[static_cast<size_t>(i)] = rank - 1 - i;
    return p;
  }
  std::vector<bool> seen(perm->size(), false);
  for (int64_t v : *perm) {
    if (v < 0 || v >= static_cast<int64_t>(perm->size()) || seen[static_cast<size_t>(v)]) {
      return std::nullopt;
    }
    seen[static_cast<size_t>(v)] = true;
  }
  return perm;
}

bool IsIdentity(const std::vector<int64_t>& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

class FuseTransposesPass final : public Pass {
 public:
  const char* name() const override { return "fuse_transposes"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || !IsTranspose(n)) continue;
      auto p2 = Perm(*n, g);
      if (!p2) continue;
      ir::Node* first = g.Producer(n->inputs[0]);
      std::vector<int64_t> q = *p2;
      std::string src = n->inputs[0];
      if (IsTranspose(first)) {
        auto p1 = Perm(*first, g);
        if (!p1 || p1->size() != p2->size()) continue;
        for (size_t i = 0; i < q.size(); ++i) q[i] = (*p1)[static_cast<size_t>((*p2)[i])];
        src = first->inputs[0];
      } else if (!IsIdentity(q)) {
        continue;
      }
      const std::string y = n->outputs[0];
      if (IsIdentity(q)) {
        if (!g.CanReplaceValue(y, src)) continue;
        g.RemoveNode(n);
        g.ReplaceValue(y, src);
      } else {
        g.SetInput(n, 0, src);
        SetAttrInts(*n, "perm", q);
      }
      ++count;
    }
    return count;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseTransposesPass() { return std::make_unique<FuseTransposesPass>(); }

}  // namespace onnxedge::opt
