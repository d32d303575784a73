// Copyright onnxedge authors.
// fuse_transposes: merges consecutive transposes and drops identity transposes.
//
//   x -> Transpose(p1) -> Transpose(p2) -> y   =>  x -> Transpose(q) -> y,  q[i] = p1[p2[i]]
//                                              =>  x                       when q is the identity
//   x -> Transpose(identity perm) -> y         =>  x
//
//   x -> Transpose(p1) -> Reshape -> [Unary ...] -> Transpose(p2) -> y
//        where the Reshape only splits axes (each transposed axis becomes a run of consecutive
//        axes, trailing 1s allowed) and Unary are one-input elementwise ops
//                                              =>  x -> Reshape(x's axes split the same way)
//                                                    -> [Unary ...] -> Transpose(q) -> y
//   (detection heads: a channels-last convolution's output transposed back to NCHW, reshaped to
//   [N, anchors, outputs, H, W] and transposed to [N, anchors, H, W, outputs] becomes one
//   transpose that moves whole runs of `outputs` floats; the reshape of x is free.)
//
// The first transpose stays if something else reads it (for the Reshape rule, the transpose and
// the Reshape must have no other reader and the shapes must be static). A missing `perm`
// (reverse the dims) needs the input rank to be known.
#include <numeric>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool IsIdentity(const std::vector<int64_t>& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

// The Reshape rule above for t2 = Transpose(p2), through any chain of one-input elementwise
// ops between the Reshape and t2 (YOLO heads apply Sigmoid there), which then run on the split
// x instead. Returns true when rewritten.
bool FoldThroughSplitReshape(GraphEditor& g, ir::Node* t2, const std::vector<int64_t>& p2) {
  std::vector<ir::Node*> chain;  // elementwise ops, nearest t2 first
  ir::Node* reshape = g.Producer(t2->inputs[0]);
  while (reshape && IsUnaryElementwise(*reshape, g) && chain.size() < 8) {
    if (!g.HasSingleUse(reshape->outputs[0]) || g.IsGraphOutput(reshape->outputs[0])) {
      return false;
    }
    chain.push_back(reshape);
    reshape = g.Producer(reshape->inputs[0]);
  }
  if (!reshape || reshape->op_type != "Reshape" || !reshape->domain.empty()) return false;
  ir::Node* t1 = g.Producer(reshape->inputs[0]);
  if (!IsTranspose(t1) || reshape->inputs.size() != 2) return false;
  const std::string& b_name = t1->outputs[0];
  const std::string& c_name = reshape->outputs[0];
  if (!g.HasSingleUse(b_name) || g.IsGraphOutput(b_name) || !g.HasSingleUse(c_name) ||
      g.IsGraphOutput(c_name)) {
    return false;
  }
  auto p1 = TransposePerm(*t1, g);
  const std::optional<Shape> a = g.StaticShape(t1->inputs[0]);
  const std::optional<Shape> c = g.StaticShape(c_name);
  if (!p1 || !a || !c || a->size() != p1->size() || a->empty() || c->size() != p2.size()) {
    return false;
  }
  const size_t r = a->size();
  for (int64_t d : *a) {
    if (d <= 0) return false;
  }
  // Axis i of the transposed tensor (size a[p1[i]]) becomes C's axes [lo[i], hi[i]).
  std::vector<size_t> lo(r), hi(r);
  size_t ci = 0;
  for (size_t i = 0; i < r; ++i) {
    const int64_t want = (*a)[static_cast<size_t>((*p1)[i])];
    lo[i] = ci;
    int64_t prod = 1;
    do {
      if (ci >= c->size() || (*c)[ci] <= 0) return false;
      prod *= (*c)[ci++];
    } while (prod < want);
    if (prod != want) return false;
    hi[i] = ci;
  }
  for (; ci < c->size(); ++ci) {
    if ((*c)[ci] != 1) return false;
    hi[r - 1] = ci + 1;
  }
  // x's axes split the same way, in x's order: axis p1[i] of x becomes C's [lo[i], hi[i]).
  std::vector<size_t> inv(r);
  for (size_t i = 0; i < r; ++i) inv[static_cast<size_t>((*p1)[i])] = i;
  std::vector<int64_t> split_dims;
  std::vector<int64_t> start(r);  // first axis of x's axis a in the split shape
  for (size_t ax = 0; ax < r; ++ax) {
    const size_t i = inv[ax];
    start[ax] = static_cast<int64_t>(split_dims.size());
    for (size_t k = lo[i]; k < hi[i]; ++k) split_dims.push_back((*c)[k]);
  }
  // C's axis k (in group i, position k - lo[i]) is axis start[p1[i]] + (k - lo[i]) of the split
  // x; the composed permutation reads through p2.
  std::vector<int64_t> from_split(c->size());
  for (size_t i = 0; i < r; ++i) {
    for (size_t k = lo[i]; k < hi[i]; ++k) {
      from_split[k] = start[static_cast<size_t>((*p1)[i])] + static_cast<int64_t>(k - lo[i]);
    }
  }
  std::vector<int64_t> q(p2.size());
  for (size_t j = 0; j < q.size(); ++j) q[j] = from_split[static_cast<size_t>(p2[j])];

  const std::string x = t1->inputs[0];
  const std::string split = g.NewName(x + "_split");
  const std::string target = g.AddConstant(split + "_shape", MakeInt64Tensor(split_dims));
  ir::Node* anchor = chain.empty() ? t2 : chain.back();
  g.AddNode("Reshape", {x, target}, {split}, "", anchor, t2->name + "_split");
  // The split x and the elementwise results over it (their element types as before).
  auto retype = [&](const std::string& value) {
    if (auto type = g.Type(value)) {
      ir::TypeInfo t = *type;
      t.has_shape = true;
      t.dims.clear();
      for (int64_t d : split_dims) t.dims.push_back(ir::Dim{d, ""});
      g.SetType(value, t);
    }
  };
  if (auto type = g.Type(c_name)) {
    g.SetType(split, *type);
    retype(split);
  }
  for (ir::Node* e : chain) retype(e->outputs[0]);
  if (chain.empty()) {
    g.SetInput(t2, 0, split);
  } else {
    g.SetInput(chain.back(), 0, split);
  }
  SetAttrInts(*t2, "perm", q);
  g.RemoveNode(reshape);
  g.RemoveNode(t1);
  return true;
}

class FuseTransposesPass final : public Pass {
 public:
  const char* name() const override { return "fuse_transposes"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || !IsTranspose(n)) continue;
      auto p2 = TransposePerm(*n, g);
      if (!p2) continue;
      ir::Node* first = g.Producer(n->inputs[0]);
      std::vector<int64_t> q = *p2;
      std::string src = n->inputs[0];
      if (first && !IsIdentity(q) &&
          ((first->op_type == "Reshape" && first->domain.empty()) ||
           IsUnaryElementwise(*first, g))) {
        if (FoldThroughSplitReshape(g, n, q)) ++count;
        continue;
      }
      if (IsTranspose(first)) {
        auto p1 = TransposePerm(*first, g);
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
