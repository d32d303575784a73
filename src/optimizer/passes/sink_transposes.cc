// Copyright onnxedge authors.
// sink_transposes: moves transposes below elementwise ops, towards a matching inverse
// transpose that fuse_transposes then cancels.
//
//   x -> Transpose(p) -> Unary -> y              =>  x -> Unary -> Transpose(p) -> y
//   x -> Transpose(p) -> Binary(k) -> y          =>  x -> Binary(k') -> Transpose(p) -> y
//        with k a constant, k' = k unsqueezed to the rank and transposed by p's inverse
//   x -> Transpose(p), z -> Transpose(p) -> Binary -> y
//                                                =>  x, z -> Binary -> Transpose(p) -> y
//
// Unary ops: Relu, Sigmoid, Tanh, Erf, Exp, Log, Sqrt, Neg, Abs, Reciprocal, Softplus, Elu,
// LeakyRelu, HardSigmoid, HardSwish, Gelu, Cast (and Clip with constant bounds). Binary ops: Add,
// Sub, Mul, Div, Pow, Max, Min (two inputs), PRelu is excluded (slope broadcasts differently).
// Conditions: the transpose output has exactly one reader; for a constant operand, its rank is
// at most the transpose's and it does not enlarge the result (each of its dims is 1 or equals
// the transposed dim, which must be known); for two transposes, both have one reader and the
// same permutation and both inputs have the same known rank. Each move keeps the number of
// transposes (or removes one), so the pass never makes the graph slower.
#include <set>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool IsUnary(const ir::Node& n, const GraphEditor& g) {
  static const std::set<std::string> kOps = {
      "Relu", "Sigmoid", "Tanh",        "Erf",         "Exp",       "Log",  "Sqrt",
      "Neg",  "Abs",     "Reciprocal",  "Softplus",    "Elu",       "Cast", "LeakyRelu",
      "HardSigmoid", "HardSwish", "Gelu"};
  if (!n.domain.empty() || n.outputs.size() != 1) return false;
  if (n.op_type == "Clip") {
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      if (!n.inputs[i].empty() && !g.Constant(n.inputs[i])) return false;
    }
    return !n.inputs.empty();
  }
  return kOps.count(n.op_type) && n.inputs.size() == 1;
}

bool IsBinary(const ir::Node& n) {
  static const std::set<std::string> kOps = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"};
  return n.domain.empty() && kOps.count(n.op_type) && n.inputs.size() == 2 &&
         n.outputs.size() == 1 && n.opset >= 7;
}

std::optional<std::vector<int64_t>> Perm(const ir::Node& t, const GraphEditor& g) {
  auto perm = AttrInts(t, "perm");
  if (perm) return perm;
  const int rank = g.Rank(t.inputs[0]);
  if (rank < 0) return std::nullopt;
  std::vector<int64_t> p(static_cast<size_t>(rank));
  for (int i = 0; i < rank; ++i) p[static_cast<size_t>(i)] = rank - 1 - i;
  return p;
}

bool IsTranspose(const ir::Node* n) {
  return n && n->op_type == "Transpose" && n->domain.empty() && n->inputs.size() == 1 &&
         n->outputs.size() == 1;
}

class SinkTransposesPass final : public Pass {
 public:
  const char* name() const override { return "sink_transposes"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    // Each move may enable the next one further down; a few sweeps reach the fixpoint.
    for (int sweep = 0; sweep < 8; ++sweep) {
      int moved = 0;
      for (ir::Node* t : g.Nodes()) {
        if (g.IsRemoved(t) || !IsTranspose(t) || !g.HasSingleUse(t->outputs[0])) continue;
        auto perm = Perm(*t, g);
        if (!perm) continue;
        const Use use = g.Consumers(t->outputs[0])[0];
        ir::Node* c = use.node;
        if (IsUnary(*c, g) && use.index == 0) {
          Move(g, t, c, *perm);
          ++moved;
        } else if (IsBinary(*c) && SinkBinary(g, t, c, use.index, *perm)) {
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
  // Rewires x -> T -> C -> y into x -> C -> T -> y (C's other inputs already adjusted).
  static void Move(GraphEditor& g, ir::Node* t, ir::Node* c, const std::vector<int64_t>& perm) {
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
    // u has x's shape and y's element type.
    auto xt = g.Type(x);
    const DataType et = g.ElemType(y);
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
      auto p2 = Perm(*t2, g);
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
