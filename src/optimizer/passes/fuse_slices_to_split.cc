// Copyright onnxedge authors.
// fuse_slices_to_split: turns slices that cut one tensor into consecutive pieces into one Split.
//
//   x[.., 768, ..] -> Slice(axis a, 0:256)   -> q
//                  -> Slice(axis a, 256:512) -> k       =>  x -> Split(axis a, [256, 256, 256])
//                  -> Slice(axis a, 512:768) -> v                 -> q, k, v
//
// The usual export of a packed QKV projection (ORT makes the same rewrite): x is read once
// instead of once per piece.
// Conditions: at least two Slices of x, each over one axis with constant starts/ends (and axes,
// steps = 1 when given); x's size on that axis is known; after resolving negative and
// out-of-range bounds the pieces are non-empty and tile [0, size) exactly, without gaps or
// overlaps. Other readers of x are unaffected.
#include <algorithm>
#include <map>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

struct Piece {
  ir::Node* node;
  int64_t axis;
  int64_t start;
  int64_t end;
};

// One constant int from a 1-element constant input (or nullopt).
std::optional<int64_t> OneInt(const GraphEditor& g, const ir::Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i].empty()) return std::nullopt;
  const Tensor* t = g.Constant(n.inputs[i]);
  if (!t) return std::nullopt;
  auto v = ReadInts(*t);
  if (!v || v->size() != 1) return std::nullopt;
  return (*v)[0];
}

std::optional<Piece> AsPiece(const GraphEditor& g, ir::Node* n) {
  if (n->op_type != "Slice" || !n->domain.empty() || n->outputs.size() != 1 ||
      n->outputs[0].empty() || n->inputs.empty() || n->inputs[0].empty()) {
    return std::nullopt;
  }
  const int rank = g.Rank(n->inputs[0]);
  if (rank <= 0) return std::nullopt;
  int64_t axis = 0, start = 0, end = 0;
  if (n->opset < 10) {
    auto starts = AttrInts(*n, "starts"), ends = AttrInts(*n, "ends");
    auto axes = AttrInts(*n, "axes");
    if (!starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
    if (axes && axes->size() != 1) return std::nullopt;
    start = (*starts)[0];
    end = (*ends)[0];
    axis = axes ? (*axes)[0] : 0;
  } else {
    auto s = OneInt(g, *n, 1), e = OneInt(g, *n, 2);
    if (!s || !e) return std::nullopt;
    start = *s;
    end = *e;
    if (n->inputs.size() > 3 && !n->inputs[3].empty()) {
      auto a = OneInt(g, *n, 3);
      if (!a) return std::nullopt;
      axis = *a;
    }
    if (n->inputs.size() > 4 && !n->inputs[4].empty()) {
      auto step = OneInt(g, *n, 4);
      if (!step || *step != 1) return std::nullopt;
    }
  }
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  auto dims = g.PartialShape(n->inputs[0]);
  if (!dims) return std::nullopt;
  const int64_t size = (*dims)[static_cast<size_t>(axis)];
  if (size <= 0) return std::nullopt;
  auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + size : v, 0, size); };
  start = clamp(start);
  end = clamp(end);
  if (end <= start) return std::nullopt;
  return Piece{n, axis, start, end};
}

class FuseSlicesToSplitPass final : public Pass {
 public:
  const char* name() const override { return "fuse_slices_to_split"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (ctx.Opset("") < 2) return 0;  // Split-1 took the sizes differently.
    std::map<std::string, std::vector<Piece>> by_input;
    std::vector<std::string> order;
    for (ir::Node* n : g.Nodes()) {
      auto p = AsPiece(g, n);
      if (!p) continue;
      auto& v = by_input[n->inputs[0]];
      if (v.empty()) order.push_back(n->inputs[0]);
      v.push_back(*p);
    }
    int count = 0;
    for (const auto& x : order) {
      auto pieces = by_input[x];
      if (pieces.size() < 2) continue;
      std::sort(pieces.begin(), pieces.end(),
                [](const Piece& a, const Piece& b) { return a.start < b.start; });
      const int64_t axis = pieces[0].axis;
      const int64_t size = (*g.PartialShape(x))[static_cast<size_t>(axis)];
      int64_t at = 0;
      bool tiles = true;
      std::vector<int64_t> split;
      std::vector<std::string> outputs;
      for (const auto& p : pieces) {
        tiles &= p.axis == axis && p.start == at;
        at = p.end;
        split.push_back(p.end - p.start);
        outputs.push_back(p.node->outputs[0]);
      }
      if (!tiles || at != size) continue;
      const ir::Node* anchor = pieces[0].node;
      for (const auto& p : pieces) g.RemoveNode(p.node);
      const int opset = ctx.Opset("");
      std::vector<std::string> inputs = {x};
      if (opset >= 13) inputs.push_back(g.AddConstant(x + "_split", MakeInt64Tensor(split)));
      ir::Node* s = g.AddNode("Split", inputs, outputs, "", anchor, x + "_split");
      SetAttrInt(*s, "axis", axis);
      if (opset < 13) SetAttrInts(*s, "split", split);
      ++count;
    }
    return count;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseSlicesToSplitPass() {
  return std::make_unique<FuseSlicesToSplitPass>();
}

}  // namespace onnxedge::opt
