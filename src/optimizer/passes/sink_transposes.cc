// Copyright onnxedge authors.
// sink_transposes: moves transposes below elementwise ops, towards a matching inverse
// transpose that fuse_transposes then cancels.
//
//   x -> Transpose(p) -> Unary -> y              =>  x -> Unary -> Transpose(p) -> y
//   x -> Transpose(p) -> Binary(k) -> y          =>  x -> Binary(k') -> Transpose(p) -> y
//        with k a constant, k' = k unsqueezed to the rank and transposed by p's inverse
//   x -> Transpose(p), z -> Transpose(p) -> Binary -> y
//                                                =>  x, z -> Binary -> Transpose(p) -> y
//   x1 -> Transpose(p), ..., xn -> Transpose(p) -> Concat(axis a) -> y
//                                                =>  x1..xn -> Concat(axis p[a]) -> Transpose(p) -> y
//   x1 -> Transpose(p), x2 (no such transpose) -> Concat(axis a) -> Transpose(p^-1) -> y
//                                                =>  x1, Transpose(p^-1)(x2) -> Concat(axis p[a]) -> y
//        (the transpose moved below the Concat cancels against the reader)
//   x -> Transpose(p) -> Reshape (merges runs of dims adjacent and in order in x) -> y
//                                                =>  x -> Reshape(the same runs of x) -> Transpose(p') -> y
//   x -> Transpose(p) -> Resize(scales s | sizes s) -> y
//                                                =>  x -> Resize(s') -> Transpose(p) -> y,
//        s'[p[i]] = s[i] (constant scales or sizes, no roi, no `axes`, not tf_crop_and_resize)
//   x -> Transpose(p) -> GlobalAveragePool | GlobalMaxPool -> y
//                                                =>  x -> ReduceMean | ReduceMax(axes p[2..],
//                                                         keepdims) -> Transpose(p) -> y
//
// Each sweep also cancels Transpose(q) of Transpose(p) when p then q is the identity (so the
// first transpose loses a reader and may sink), and at level "all" in a graph that has
// channels-last ops (layout_nhwc ran) gives a transpose read by
// several Concat/Resize/binary nodes one copy per reader (layout_nhwc's conversions back to
// NCHW are often read by a skip connection and the next block; each copy then sinks on its own
// to the next convolution's inverse transpose).
//
// Unary ops: Relu, Sigmoid, Tanh, Erf, Exp, Log, Sqrt, Neg, Abs, Reciprocal, Softplus, Elu,
// LeakyRelu, HardSigmoid, HardSwish, Gelu, Cast (and Clip with constant bounds). Binary ops: Add,
// Sub, Mul, Div, Pow, Max, Min (two inputs), PRelu is excluded (slope broadcasts differently).
// Conditions: the transpose output has exactly one reader; for a constant operand, its rank is
// at most the transpose's and it does not enlarge the result (each of its dims is 1 or equals
// the transposed dim, which must be known); for two transposes, both have one reader and the
// same permutation and both inputs have the same known rank; for Concat, every input is such a
// transpose (the layout_nhwc pass leaves them between channels-last convolutions). Each move keeps the number of
// transposes (or removes one), so the pass never makes the graph slower.
#include <algorithm>
#include <set>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool IsBinary(const ir::Node& n) {
  static const std::set<std::string> kOps = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"};
  return n.domain.empty() && kOps.count(n.op_type) && n.inputs.size() == 2 &&
         n.outputs.size() == 1 && n.opset >= 7;
}

class SinkTransposesPass final : public Pass {
 public:
  const char* name() const override { return "sink_transposes"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    // Each move may enable the next one further down; a few sweeps reach the fixpoint.
    for (int sweep = 0; sweep < 32; ++sweep) {
      int moved = CancelPairs(g);
      if (ctx.level == OptimizationLevel::kAll && HasChannelsLastOps(g)) moved += SplitShared(g);
      for (ir::Node* t : g.Nodes()) {
        if (g.IsRemoved(t) || !IsTranspose(t) || !g.HasSingleUse(t->outputs[0])) continue;
        auto perm = TransposePerm(*t, g);
        if (!perm) continue;
        const Use use = g.Consumers(t->outputs[0])[0];
        ir::Node* c = use.node;
        if (IsUnaryElementwise(*c, g) && use.index == 0) {
          Move(g, t, c, *perm);
          ++moved;
        } else if (IsBinary(*c) && SinkBinary(g, t, c, use.index, *perm)) {
          ++moved;
        } else if (IsOp(*c, "Concat") && SinkConcat(g, t, c, *perm)) {
          ++moved;
        } else if (IsOp(*c, "Resize") && use.index == 0 && SinkResize(g, t, c, *perm)) {
          ++moved;
        } else if ((IsOp(*c, "GlobalAveragePool") || IsOp(*c, "GlobalMaxPool")) &&
                   SinkGlobalPool(g, t, c, *perm)) {
          ++moved;
        } else if (IsOp(*c, "Reshape") && use.index == 0 && SinkMergingReshape(g, t, c, *perm)) {
          ++moved;
        }
      }
      count += moved;
      if (moved == 0) break;
      OE_RETURN_IF_ERROR(g.Commit());
    }
    return count;
  }

 private:
  // Transpose(q) reading Transpose(p) with p then q the identity: its readers read the first
  // one's input (what fuse_transposes does, here so that the first transpose, now with fewer
  // readers, can sink in the same pass).
  static int CancelPairs(GraphEditor& g) {
    int n_cancelled = 0;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || !IsTranspose(n)) continue;
      ir::Node* t = g.Producer(n->inputs[0]);
      if (!IsTranspose(t) || g.IsRemoved(t)) continue;
      auto p = TransposePerm(*t, g), q = TransposePerm(*n, g);
      if (!p || !q || p->size() != q->size()) continue;
      bool identity = true;
      for (size_t i = 0; i < q->size(); ++i) {
        identity &= (*p)[static_cast<size_t>((*q)[i])] == static_cast<int64_t>(i);
      }
      const std::string y = n->outputs[0], x = t->inputs[0];
      if (!identity || !g.CanReplaceValue(y, x)) continue;
      g.RemoveNode(n);
      g.ReplaceValue(y, x);
      if (g.NumUses(t->outputs[0]) == 0) g.RemoveNode(t);
      ++n_cancelled;
    }
    return n_cancelled;
  }

  // Level all only (layout_nhwc): a transpose read by several Concat/Resize/binary nodes gets
  // one copy per reader, so each can sink on its own towards the next convolution's inverse
  // transpose. A copy that finds no partner costs one extra transpose, which the channels-last
  // graphs rarely leave (the readers lead to convolutions).
  static bool HasChannelsLastOps(const GraphEditor& g) {
    for (const ir::Node* n : g.Nodes()) {
      if (n->domain == "com.onnxedge" && AttrInt(*n, "channels_last", 0) == 1) return true;
    }
    return false;
  }

  static int SplitShared(GraphEditor& g) {
    int n_split = 0;
    for (ir::Node* t : g.Nodes()) {
      if (g.IsRemoved(t) || !IsTranspose(t)) continue;
      const std::string& v = t->outputs[0];
      const std::vector<Use> uses = g.Consumers(v);
      if (uses.size() < 2 || g.IsGraphOutput(v) || g.HasImplicitUses(v)) continue;
      bool all = true;
      for (const Use& u : uses) {
        all &= IsOp(*u.node, "Concat") || (IsOp(*u.node, "Resize") && u.index == 0) ||
               IsBinary(*u.node);
      }
      if (!all) continue;
      for (size_t i = 1; i < uses.size(); ++i) {
        const std::string copy = g.NewName(v + "_copy");
        ir::Node* c = g.AddNode("Transpose", {t->inputs[0]}, {copy}, "", t);
        c->attributes = t->attributes;
        if (auto type = g.Type(v)) g.SetType(copy, *type);
        g.SetInput(uses[i].node, uses[i].index, copy);
      }
      ++n_split;
    }
    return n_split;
  }

  static bool IsOp(const ir::Node& n, const char* op) {
    return n.domain.empty() && n.op_type == op && n.outputs.size() == 1;
  }

  static std::vector<int64_t> Inverse(const std::vector<int64_t>& perm) {
    std::vector<int64_t> inv(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    return inv;
  }

  // Every input a single-use Transpose(perm) of a known-rank value: they go, the Concat axis
  // follows the permutation. When only some inputs are such transposes but the Concat's one
  // reader is the inverse transpose, the other inputs get Transpose(perm^-1) instead (x =
  // perm(perm^-1(x))) and the sunk transpose then cancels against the reader: k transposed
  // inputs and the reader (whose size is the whole output) become n - k transposes of inputs.
  static bool SinkConcat(GraphEditor& g, ir::Node* t, ir::Node* c,
                         const std::vector<int64_t>& perm) {
    const int64_t r = static_cast<int64_t>(perm.size());
    std::vector<ir::Node*> ts;
    bool mixed = false;
    for (const std::string& in : c->inputs) {
      if (in.empty()) return false;
      ir::Node* p = g.Producer(in);
      std::optional<std::vector<int64_t>> pp;
      if (IsTranspose(p) && g.HasSingleUse(in)) pp = TransposePerm(*p, g);
      if (pp && *pp == perm && g.Rank(p->inputs[0]) == r) {
        ts.push_back(p);
      } else {
        if (g.Rank(in) != r) return false;
        ts.push_back(nullptr);
        mixed = true;
      }
    }
    const std::vector<int64_t> inv = Inverse(perm);
    if (mixed) {
      // The reader must be Transpose(perm^-1), so that the moved transpose cancels.
      if (!g.HasSingleUse(c->outputs[0])) return false;
      ir::Node* reader = g.Consumers(c->outputs[0])[0].node;
      auto rp = IsTranspose(reader) ? TransposePerm(*reader, g) : std::nullopt;
      if (!rp || *rp != inv) return false;
    }
    int64_t axis = AttrInt(*c, "axis", 0);
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return false;
    for (size_t i = 0; i < ts.size(); ++i) {
      if (ts[i] == t) continue;
      if (ts[i] == nullptr) {
        const std::string& v = c->inputs[i];
        const std::string u = g.NewName(v + "_inv_transpose");
        ir::Node* n = g.AddNode("Transpose", {v}, {u}, "", c);
        SetAttrInts(*n, "perm", inv);
        if (auto vt = g.Type(v); vt && vt->kind == ir::TypeInfo::Kind::kTensor) {
          ir::TypeInfo ut = *vt;
          if (ut.has_shape && ut.dims.size() == perm.size()) {
            for (size_t j = 0; j < perm.size(); ++j) ut.dims[j] = vt->dims[static_cast<size_t>(inv[j])];
          }
          g.SetType(u, ut);
        }
        g.SetInput(c, i, u);
        continue;
      }
      g.SetInput(c, i, ts[i]->inputs[0]);
      g.RemoveNode(ts[i]);
    }
    SetAttrInt(*c, "axis", perm[static_cast<size_t>(axis)]);
    Move(g, t, c, perm, /*type_from_output=*/true);
    return true;
  }

  // x -> Transpose(p) -> y -> Reshape -> z, where the Reshape only merges runs of adjacent
  // dims of y and each run's source dims in x are adjacent and in order (NHWC -> NCHW ->
  // [N, C, H*W]): x -> Reshape(x with the same runs merged) -> Transpose(p on the runs) -> z.
  // Static shapes, no zero-sized dims, z of lower rank than y.
  static bool SinkMergingReshape(GraphEditor& g, ir::Node* t, ir::Node* c,
                                 const std::vector<int64_t>& perm) {
    if (c->opset < 5) return false;
    auto xs = g.StaticShape(t->inputs[0]);
    const size_t r = perm.size();
    if (!xs || xs->size() != r || c->inputs.size() < 2) return false;
    // z's shape: the constant target resolved against y's shape.
    const Tensor* target = g.Constant(c->inputs[1]);
    auto tv = target ? ReadInts(*target) : std::nullopt;
    if (!tv) return false;
    Shape ys(r);
    for (size_t i = 0; i < r; ++i) ys[i] = (*xs)[static_cast<size_t>(perm[i])];
    auto zs = ResolveReshapeTarget(ys, *tv, AttrInt(*c, "allowzero", 0) != 0);
    if (!zs || zs->size() >= r || zs->empty()) return false;
    for (int64_t d : *xs) {
      if (d <= 0) return false;
    }
    // Runs of y's dims, one per z dim: [begin[k], begin[k + 1]).
    std::vector<size_t> begin;
    size_t i = 0;
    for (int64_t zd : *zs) {
      begin.push_back(i);
      int64_t prod = 1;
      do {
        if (i >= r) return false;
        prod *= (*xs)[static_cast<size_t>(perm[i])];
        ++i;
      } while (prod < zd);
      if (prod != zd) return false;
    }
    if (i != r) return false;
    begin.push_back(r);
    const size_t m = zs->size();
    // Each run's source dims: perm[b], perm[b] + 1, ...
    std::vector<std::pair<int64_t, size_t>> first;  // (first source dim, run)
    for (size_t k = 0; k < m; ++k) {
      for (size_t j = begin[k] + 1; j < begin[k + 1]; ++j) {
        if (perm[j] != perm[j - 1] + 1) return false;
      }
      first.push_back({perm[begin[k]], k});
    }
    std::sort(first.begin(), first.end());
    // Runs in x's order give the merged shape; run k (z dim k) sits at position pos[k] there.
    std::vector<int64_t> merged(m), new_perm(m);
    for (size_t q = 0; q < m; ++q) {
      const size_t k = first[q].second;
      merged[q] = (*zs)[k];
      new_perm[k] = static_cast<int64_t>(q);
    }
    const std::string x = t->inputs[0], z = c->outputs[0];
    const std::string u = g.NewName(z + "_pre_transpose");
    g.SetInput(c, 0, x);
    g.SetInput(c, 1, g.AddConstant(z + "_merged_shape",
                                   Tensor::FromVector<int64_t>({static_cast<int64_t>(m)}, merged)));
    g.SetOutput(c, 0, u);
    g.SetInput(t, 0, u);
    g.SetOutput(t, 0, z);
    SetAttrInts(*t, "perm", new_perm);
    ir::TypeInfo ut = ir::TypeInfo::Tensor(g.ElemType(z));
    ut.has_shape = true;
    for (int64_t d : merged) ut.dims.push_back(ir::Dim{d, ""});
    g.SetType(u, ut);
    return true;
  }

  // Resize with constant scales or sizes (one per dim) and no region of interest.
  static bool SinkResize(GraphEditor& g, ir::Node* t, ir::Node* c,
                         const std::vector<int64_t>& perm) {
    if (c->opset < 11 || AttrInts(*c, "axes") ||
        AttrString(*c, "coordinate_transformation_mode", "") == "tf_crop_and_resize") {
      return false;
    }
    const size_t r = perm.size();
    if (c->inputs.size() > 1 && !c->inputs[1].empty()) {
      const Tensor* roi = g.Constant(c->inputs[1]);
      if (!roi || roi->size() != 0) return false;
    }
    const std::vector<int64_t> inv = Inverse(perm);
    bool any = false;
    for (size_t i = 2; i < c->inputs.size() && i < 4; ++i) {
      if (c->inputs[i].empty()) continue;
      const Tensor* k = g.Constant(c->inputs[i]);
      if (!k) return false;
      if (k->size() == 0) continue;  // an empty scales input next to sizes
      if (k->rank() != 1 || k->size() != static_cast<int64_t>(r)) return false;
      // s'[perm[i]] = s[i]: gather with the inverse permutation.
      std::optional<Tensor> permuted;
      if (k->dtype() == DataType::kFloat) {
        std::vector<float> v(r);
        for (size_t j = 0; j < r; ++j) v[j] = k->data<float>()[inv[j]];
        permuted = Tensor::FromVector<float>({static_cast<int64_t>(r)}, v);
      } else if (k->dtype() == DataType::kInt64) {
        std::vector<int64_t> v(r);
        for (size_t j = 0; j < r; ++j) v[j] = k->data<int64_t>()[inv[j]];
        permuted = Tensor::FromVector<int64_t>({static_cast<int64_t>(r)}, v);
      } else {
        return false;
      }
      g.SetInput(c, i, g.AddConstant(c->inputs[i] + "_t", std::move(*permuted)));
      any = true;
    }
    if (!any) return false;
    Move(g, t, c, perm, /*type_from_output=*/true);
    return true;
  }

  // GlobalAveragePool / GlobalMaxPool of Transpose(perm)(x) reduce the transposed axes 2, 3,
  // ..., which are x's axes perm[2], perm[3], ...: the pool becomes ReduceMean / ReduceMax over
  // those axes of x (keepdims), and the transpose, now of an [N, 1, 1, C]-like tensor, moves
  // after it (a channels-last network's classifier head: the 7x7x1280 transpose back to NCHW
  // before the pool becomes a 1280-float one).
  static bool SinkGlobalPool(GraphEditor& g, ir::Node* t, ir::Node* c,
                             const std::vector<int64_t>& perm) {
    const size_t r = perm.size();
    if (r < 3 || g.Rank(t->inputs[0]) != static_cast<int>(r)) return false;
    const bool mean = c->op_type == "GlobalAveragePool";
    std::vector<int64_t> axes(perm.begin() + 2, perm.end());
    std::sort(axes.begin(), axes.end());
    const std::string in = c->inputs[0], out = c->outputs[0];
    g.RemoveNode(c);
    ir::Node* red = g.AddNode(mean ? "ReduceMean" : "ReduceMax", {in}, {out}, "", t);
    // ReduceMean and ReduceMax take their axes as an input from opset 18.
    if (red->opset >= 18) {
      g.SetInput(red, 1, g.AddConstant(g.NewName(out + "_axes"),
                                       Tensor::FromVector<int64_t>(
                                           {static_cast<int64_t>(axes.size())}, axes)));
    } else {
      SetAttrInts(*red, "axes", axes);
    }
    SetAttrInt(*red, "keepdims", 1);
    Move(g, t, red, perm, /*type_from_output=*/true);
    return true;
  }

  // Rewires x -> T -> C -> y into x -> C -> T -> y (C's other inputs already adjusted). The
  // new intermediate takes x's shape, or (type_from_output: C changes the shape) y's shape
  // permuted back.
  static void Move(GraphEditor& g, ir::Node* t, ir::Node* c, const std::vector<int64_t>& perm,
                   bool type_from_output = false) {
    const std::string x = t->inputs[0];
    const std::string y = c->outputs[0];
    const std::string u = g.NewName(y + "_pre_transpose");
    for (size_t i = 0; i < c->inputs.size(); ++i) {
      if (c->inputs[i] == t->outputs[0]) g.SetInput(c, i, x);
    }
    g.SetOutput(c, 0, u);
    g.SetInput(t, 0, u);
    g.SetOutput(t, 0, y);
    SetAttrInts(*t, "perm", perm);
    const DataType et = g.ElemType(y);
    if (type_from_output) {
      auto yt = g.Type(y);
      if (yt && yt->kind == ir::TypeInfo::Kind::kTensor) {
        ir::TypeInfo ut = *yt;
        if (ut.has_shape && ut.dims.size() == perm.size()) {
          const std::vector<int64_t> inv = Inverse(perm);
          for (size_t i = 0; i < perm.size(); ++i) ut.dims[i] = yt->dims[static_cast<size_t>(inv[i])];
        } else {
          ut.has_shape = false;
          ut.dims.clear();
        }
        g.SetType(u, ut);
      }
      return;
    }
    // u has x's shape and y's element type.
    auto xt = g.Type(x);
    if (xt && xt->kind == ir::TypeInfo::Kind::kTensor && et != DataType::kUndefined) {
      ir::TypeInfo ut = *xt;
      ut.elem_type = et;
      g.SetType(u, ut);
    }
  }

  static bool SinkBinary(GraphEditor& g, ir::Node* t, ir::Node* c, size_t index,
                         const std::vector<int64_t>& perm) {
    const std::string& other = c->inputs[1 - index];
    if (other == t->outputs[0]) return false;  // Both operands the same transpose.
    const size_t r = perm.size();
    ir::Node* t2 = g.Producer(other);
    if (IsTranspose(t2) && g.HasSingleUse(other)) {
      auto p2 = TransposePerm(*t2, g);
      if (!p2 || *p2 != perm || g.Rank(t2->inputs[0]) != static_cast<int>(r) ||
          g.Rank(t->inputs[0]) != static_cast<int>(r)) {
        return false;
      }
      g.SetInput(c, 1 - index, t2->inputs[0]);
      g.RemoveNode(t2);
      Move(g, t, c, perm);
      return true;
    }
    const Tensor* k = g.Constant(other);
    auto ts = g.PartialShape(t->outputs[0]);
    if (!k || k->rank() > r || !ts || ts->size() != r) return false;
    // k right-aligned against the transposed shape; it must not enlarge the result.
    Shape k_full(r - k->rank(), 1);
    k_full.insert(k_full.end(), k->shape().begin(), k->shape().end());
    for (size_t i = 0; i < r; ++i) {
      if (k_full[i] != 1 && k_full[i] != (*ts)[i]) return false;
    }
    auto kr = k->Reshaped(k_full);
    if (!kr.ok()) return false;
    std::vector<int64_t> inv(r);
    for (size_t i = 0; i < r; ++i) inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    auto kt = TransposeTensor(*kr, inv);
    if (!kt) return false;
    g.SetInput(c, 1 - index, g.AddConstant(other + "_t", *kt));
    Move(g, t, c, perm);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeSinkTransposesPass() { return std::make_unique<SinkTransposesPass>(); }

}  // namespace onnxedge::opt
