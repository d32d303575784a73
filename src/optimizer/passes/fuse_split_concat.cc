// Copyright onnxedge authors.
// fuse_split_concat: a Concat that puts a Split's pieces back together, some of them changed,
// becomes a copy of the Split's input with the changed pieces written over it.
//
//   x -> Split(axis a) -> p_0 .. p_{n-1}
//   Concat(axis a)(q_0, .., q_{n-1}) -> y,  q_i = p_i (passes through) or any value of p_i's shape
//     =>  x -> Split (only the pieces still read) -> ...
//         com.onnxedge.ConcatInto(x, q_j for the changed pieces; axis a, starts = their offsets) -> y
//
// YOLOv5's detection heads split each level's [1, 3, H, W, 85] into 2 + 2 + 81 columns, decode
// the first two pieces and concatenate them back with the 81 untouched ones: the Split copied
// the 81 columns out and the Concat copied them back, two passes over the level's data. Now the
// 81 columns stay where they are: ConcatInto runs in place on x when x dies there (the Split,
// its other reader, runs before it) and writes the 4 decoded columns.
//
// Conditions: default-domain Split and Concat on the same axis; x's shape static; the split
// lengths known (constant input, attribute, or an even split); Concat input i has piece i's
// static shape; at least one piece passes through (read only by the Concat) and at least one
// does not. The pass-through outputs of the Split lose their names (unread optional outputs,
// not computed). ConcatInto is onnxedge-private: when the model is to be saved this pass runs
// only at level "all"; a no-op until the kernel is registered.
#include <algorithm>
#include <optional>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

constexpr const char* kDomain = "com.onnxedge";

// Split's lengths along an axis of size `dim`, when known.
std::optional<std::vector<int64_t>> SplitLengths(const ir::Node& s, const GraphEditor& g,
                                                 int64_t dim) {
  const size_t n = s.outputs.size();
  if (s.opset >= 13 || s.opset == 1) {
    if (s.inputs.size() > 1 && !s.inputs[1].empty()) {
      const Tensor* t = g.Constant(s.inputs[1]);
      if (!t) return std::nullopt;
      auto v = ReadInts(*t);
      if (!v || v->size() != n) return std::nullopt;
      return v;
    }
  } else if (auto v = AttrInts(s, "split")) {
    if (v->size() != n) return std::nullopt;
    return v;
  }
  if (s.opset >= 18 && AttrInt(s, "num_outputs", 0) > 0) {
    const int64_t chunk = (dim + static_cast<int64_t>(n) - 1) / static_cast<int64_t>(n);
    std::vector<int64_t> v;
    for (size_t i = 0; i < n; ++i) {
      v.push_back(std::clamp<int64_t>(dim - static_cast<int64_t>(i) * chunk, 0, chunk));
    }
    return v;
  }
  if (n == 0 || dim % static_cast<int64_t>(n) != 0) return std::nullopt;
  return std::vector<int64_t>(n, dim / static_cast<int64_t>(n));
}

class FuseSplitConcatPass final : public Pass {
 public:
  const char* name() const override { return "fuse_split_concat"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (ctx.for_export && ctx.level != OptimizationLevel::kAll) return 0;
    if (!PassContext::HasKernel(kDomain, "ConcatInto", 1)) return 0;
    int count = 0;
    for (ir::Node* c : g.Nodes()) {
      if (g.IsRemoved(c) || c->op_type != "Concat" || !c->domain.empty() ||
          c->outputs.size() != 1 || c->inputs.size() < 2) {
        continue;
      }
      ir::Node* s = nullptr;
      for (const std::string& in : c->inputs) {
        ir::Node* p = in.empty() ? nullptr : g.Producer(in);
        if (p && !g.IsRemoved(p) && p->op_type == "Split" && p->domain.empty()) {
          s = p;
          break;
        }
      }
      if (s && Fuse(g, ctx, s, c)) ++count;
    }
    return count;
  }

 private:
  static bool Fuse(GraphEditor& g, const PassContext& ctx, ir::Node* s, ir::Node* c) {
    const size_t n = c->inputs.size();
    if (s->outputs.size() != n || s->inputs.empty() || s->inputs[0].empty()) return false;
    const std::string x = s->inputs[0];
    auto xs = g.StaticShape(x);
    if (!xs || xs->empty()) return false;
    const int64_t r = static_cast<int64_t>(xs->size());
    int64_t sa = AttrInt(*s, "axis", 0), ca = AttrInt(*c, "axis", c->opset < 4 ? 1 : 0);
    if (sa < 0) sa += r;
    if (ca < 0) ca += r;
    if (sa != ca || sa < 0 || sa >= r) return false;
    const size_t ax = static_cast<size_t>(sa);
    auto lengths = SplitLengths(*s, g, (*xs)[ax]);
    if (!lengths) return false;
    int64_t total = 0;
    for (int64_t l : *lengths) total += l;
    if (total != (*xs)[ax]) return false;
    std::vector<std::string> updates;
    std::vector<int64_t> starts;
    std::vector<size_t> through;
    int64_t offset = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string& in = c->inputs[i];
      const int64_t len = (*lengths)[i];
      if (in.empty()) return false;
      if (in == s->outputs[i] && g.HasSingleUse(in)) {
        through.push_back(i);
      } else {
        auto us = g.StaticShape(in);
        if (!us || us->size() != xs->size() || g.ElemType(in) != g.ElemType(x)) return false;
        for (size_t d = 0; d < us->size(); ++d) {
          if ((*us)[d] != (d == ax ? len : (*xs)[d])) return false;
        }
        updates.push_back(in);
        starts.push_back(offset);
      }
      offset += len;
    }
    if (through.empty() || updates.empty()) return false;
    std::vector<std::string> inputs = {x};
    inputs.insert(inputs.end(), updates.begin(), updates.end());
    const std::string y = c->outputs[0];
    g.RemoveNode(c);
    for (size_t i : through) g.SetOutput(s, i, "");
    ir::Node* f = g.AddNode("ConcatInto", inputs, {y}, kDomain, c, c->name + "_into");
    f->opset = 1;
    SetAttrInt(*f, "axis", sa);
    SetAttrInts(*f, "starts", starts);
    ctx.RequireDomain(kDomain, 1);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseSplitConcatPass() { return std::make_unique<FuseSplitConcatPass>(); }

}  // namespace onnxedge::opt
