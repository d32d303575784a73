// Copyright onnxedge authors.
// fuse_attention: multi-head scaled-dot-product self-attention in the sequence-first layout
// PyTorch's nn.MultiheadAttention exports (after constant folding, Slice -> Split and
// MatMul + Add -> Gemm) into one com.microsoft Attention with packed Q|K|V weights.
//
//   x[B,S,E] -> Transpose(1,0,2) -> xs[S,B,E]
//   q|k|v = projections of xs: one Gemm/MatMul+Add to [S,B,3H] then Split(last axis, H each),
//           or three Gemm/MatMul+Add of xs to [S,B,H] each (their weights are concatenated)
//   qh = Transpose(1,0,2)(Reshape(q, [S, B*n, d]))       (Div/Mul by a scalar before or after
//   kh = Transpose(1,2,0)(Reshape(k, [S, B*n, d]))        the Transpose, or after the first
//   vh = Transpose(1,0,2)(Reshape(v, [S, B*n, d]))        MatMul, or none: `scale`)
//   o  = MatMul(Softmax(MatMul(qh, kh), last axis), vh) -> Transpose(1,0,2) -> Reshape(T) -> y
//     =>  Attention(x, W[E,3H], bias[3H], num_heads = n, scale) [-> Transpose(1,0,2) if B > 1]
//         -> Reshape(T) -> y
//
// com.microsoft Attention is ONNX Runtime's contrib op with exactly this meaning: head h uses
// columns h*d .. h*d+d of each of Q, K, V, which is what Reshape(.., [S, B*n, d]) selects
// (row b*n + h), and its output (B,S,H) holds head h at the same columns, which the
// Transpose(1,0,2) + Reshape of the original restore in the [S,B,..] layout.
// Conditions: float32; every shape on the way statically known and consistent (H = n * d,
// Reshape targets [S, B*n, d], Split sizes H each, Gemm alpha = beta = 1 without transA,
// weights and biases constant); Softmax over the last axis (axis -1 or 2 at opset >= 13, or
// axis 2 before); the scale a one-element nonzero constant (ORT reads scale = 0 as unset).
// Nothing is added to the logits (a masked attention does not match). If x does not come from
// a Transpose(1,0,2), one is inserted. Every intermediate must be read only inside the
// rewritten nodes.
#include <algorithm>
#include <cmath>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

NodePredicate Perm(std::vector<int64_t> want) {
  return [want](const ir::Node& n, const GraphEditor&) {
    auto p = AttrInts(n, "perm");
    return p && *p == want;
  };
}

bool OnlyUse(const GraphEditor& g, const std::string& v) { return g.HasSingleUse(v); }

// Static shape of `v`: recorded, or derived through a Transpose of a value with a known shape
// (value_info is not always there after the basic rewrites).
std::optional<Shape> ShapeOf(const GraphEditor& g, const std::string& v) {
  if (auto s = g.StaticShape(v)) return s;
  const ir::Node* t = g.Producer(v);
  if (!t || t->op_type != "Transpose" || !t->domain.empty()) return std::nullopt;
  auto in = g.StaticShape(t->inputs[0]);
  auto perm = AttrInts(*t, "perm");
  if (!in || !perm || perm->size() != in->size()) return std::nullopt;
  Shape out;
  for (int64_t p : *perm) {
    if (p < 0 || p >= static_cast<int64_t>(in->size())) return std::nullopt;
    out.push_back((*in)[static_cast<size_t>(p)]);
  }
  return out;
}

// The output shape of a Reshape with a constant target applied to a tensor of shape `in`
// (0 copies the input dim unless allowzero; one -1 is inferred).
std::optional<Shape> ReshapeTarget(const GraphEditor& g, const ir::Node& r, const Shape& in) {
  if (r.op_type != "Reshape" || !r.domain.empty() || r.inputs.size() < 2) return std::nullopt;
  const Tensor* c = g.Constant(r.inputs[1]);
  if (!c) return std::nullopt;
  auto target = ReadInts(*c);
  if (!target) return std::nullopt;
  return ResolveReshapeTarget(in, *target, AttrInt(r, "allowzero", 0) != 0);
}

// A linear projection y = xs W + b of a value `y`, found by walking up from it.
struct Projection {
  std::string input;      ///< xs, [S, B, E].
  std::vector<double> w;  ///< E x N, row-major.
  std::vector<double> b;  ///< N (zeros when absent).
  int64_t e = 0, n = 0;
  Shape shape;                   ///< xs's shape [S, B, E].
  std::string w_name, b_name;    ///< Initializers usable as they are (else empty; w_name
                                 ///< set means w was not read).
  std::vector<ir::Node*> nodes;  ///< Nodes computing y from xs (removed on rewrite).
};

// y[S,B,N] = Reshape(Gemm(Reshape(xs, [S*B, E]), W, b), [S,B,N]) or Add(MatMul(xs, W), b).
// `want_values_if_reusable`: also read W's values when the initializer itself could be used.
std::optional<Projection> FindProjection(const GraphEditor& g, const std::string& y,
                                         bool want_values_if_reusable) {
  Projection p;
  ir::Node* n = g.Producer(y);
  if (!n) return std::nullopt;
  const Tensor* w = nullptr;
  const Tensor* b = nullptr;
  bool trans_b = false;
  std::string w_name, b_name;
  if (n->op_type == "Reshape" && n->domain.empty()) {
    ir::Node* gemm = g.Producer(n->inputs[0]);
    if (!gemm || gemm->op_type != "Gemm" || !gemm->domain.empty() || !OnlyUse(g, n->inputs[0])) {
      return std::nullopt;
    }
    if (AttrInt(*gemm, "transA", 0) != 0 || AttrFloat(*gemm, "alpha", 1.f) != 1.f ||
        AttrFloat(*gemm, "beta", 1.f) != 1.f || gemm->inputs.size() < 2) {
      return std::nullopt;
    }
    trans_b = AttrInt(*gemm, "transB", 0) != 0;
    w = g.Constant(gemm->inputs[1]);
    w_name = gemm->inputs[1];
    if (gemm->inputs.size() > 2 && !gemm->inputs[2].empty()) {
      b = g.Constant(gemm->inputs[2]);
      b_name = gemm->inputs[2];
      if (!b) return std::nullopt;
    }
    ir::Node* flat = g.Producer(gemm->inputs[0]);
    if (!flat || flat->op_type != "Reshape" || !flat->domain.empty() ||
        !OnlyUse(g, gemm->inputs[0])) {
      return std::nullopt;
    }
    p.input = flat->inputs[0];
    p.nodes = {n, gemm, flat};
  } else if (n->op_type == "Add" && n->domain.empty()) {
    for (int side = 0; side < 2 && !w; ++side) {
      ir::Node* mm = g.Producer(n->inputs[side]);
      const Tensor* c = g.Constant(n->inputs[1 - side]);
      if (!mm || mm->op_type != "MatMul" || !mm->domain.empty() || !c ||
          !OnlyUse(g, n->inputs[side])) {
        continue;
      }
      w = g.Constant(mm->inputs[1]);
      w_name = mm->inputs[1];
      b = c;
      b_name = n->inputs[1 - side];
      p.input = mm->inputs[0];
      p.nodes = {n, mm};
    }
  } else {
    return std::nullopt;
  }
  if (!w || w->dtype() != DataType::kFloat || w->rank() != 2) return std::nullopt;
  auto xs = ShapeOf(g, p.input);
  if (!xs || xs->size() != 3) return std::nullopt;
  p.e = (*xs)[2];
  p.n = w->dim(trans_b ? 0 : 1);
  if (w->dim(trans_b ? 1 : 0) != p.e) return std::nullopt;
  // y must be [S, B, N]: the Gemm form's Reshapes flatten to [S*B, E] and back.
  if (p.nodes.size() == 3) {
    const Shape flat = {(*xs)[0] * (*xs)[1], p.e};
    if (ReshapeTarget(g, *p.nodes[2], *xs) != flat) return std::nullopt;
    if (ReshapeTarget(g, *p.nodes[0], {flat[0], p.n}) != Shape({(*xs)[0], (*xs)[1], p.n})) {
      return std::nullopt;
    }
  }
  p.shape = *xs;
  // Weight values are read only when a new packed weight must be written (BERT-sized layers
  // would otherwise convert megabytes for nothing).
  if (trans_b || !want_values_if_reusable) {
    if (!trans_b) {
      p.w_name = w_name;
    } else {
      auto wv = ReadFloats(*w);
      if (!wv) return std::nullopt;
      p.w.resize(static_cast<size_t>(p.e * p.n));
      for (int64_t i = 0; i < p.e; ++i) {
        for (int64_t j = 0; j < p.n; ++j)
          p.w[static_cast<size_t>(i * p.n + j)] = (*wv)[static_cast<size_t>(j * p.e + i)];
      }
    }
  } else {
    auto wv = ReadFloats(*w);
    if (!wv) return std::nullopt;
    p.w = std::move(*wv);
  }
  p.b.assign(static_cast<size_t>(p.n), 0.0);
  if (b) {
    // A true bias: one value per output column (leading 1s allowed) or a single value, of a
    // rank that does not raise y's rank above 3.
    if (b->dtype() != DataType::kFloat || b->rank() > 3) return std::nullopt;
    auto bv = ReadFloats(*b);
    if (!bv) return std::nullopt;
    if (bv->size() == 1) {
      p.b.assign(static_cast<size_t>(p.n), (*bv)[0]);
    } else {
      if (static_cast<int64_t>(bv->size()) != p.n || b->dim(b->rank() - 1) != p.n) {
        return std::nullopt;
      }
      p.b = *bv;
    }
  }
  // The model's own bias when it already has Attention's layout (no copy).
  if (b && b->rank() == 1 && b->dim(0) == p.n) p.b_name = b_name;
  return p;
}

class FuseAttentionPass final : public Pass {
 public:
  const char* name() const override { return "fuse_attention"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (!PassContext::HasKernel("com.microsoft", "Attention", 1)) return 0;
    Pattern p;
    auto head_split = [&](const char* value, const char* bind) {
      return p.Op("Reshape", {p.Any(value), p.Const()}, Opts().Bind(bind));
    };
    // Reshapes are shared between the alternatives below: a handle stands for one node.
    auto qr = head_split("q", "q_reshape");
    auto q_plain = p.Op("Transpose", {qr}, Opts().Bind("q_t").Where(Perm({1, 0, 2})));
    auto q_side = p.OneOf({
        p.Op("Transpose", {p.Op("Div|Mul", {qr, p.Const("scale")}, Opts().Bind("scale_op"))},
             Opts().Bind("q_t").Where(Perm({1, 0, 2}))),
        p.Op("Div|Mul", {q_plain, p.Const("scale")}, Opts().Bind("scale_op")),
        q_plain,
    });
    auto kt = p.Op("Transpose", {head_split("k", "k_reshape")},
                   Opts().Bind("k_t").Where(Perm({1, 2, 0})));
    auto logits = p.OneOf({
        p.Op("Div|Mul", {p.Op("MatMul", {q_plain, kt}, Opts().Bind("qk")), p.Const("scale")},
             Opts().Bind("scale_op")),
        p.Op("MatMul", {q_side, kt}, Opts().Bind("qk")),
    });
    auto softmax = p.Op("Softmax", {logits}, Opts().Bind("softmax"));
    auto vt = p.Op("Transpose", {head_split("v", "v_reshape")},
                   Opts().Bind("v_t").Where(Perm({1, 0, 2})));
    auto pv = p.Op("MatMul", {softmax, vt}, Opts().Bind("pv"));
    auto out_t = p.Op("Transpose", {pv}, Opts().Bind("out_t").Where(Perm({1, 0, 2})));
    p.SetRoot(p.Op("Reshape", {out_t, p.Const("out_shape")}));
    return p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m); });
  }

 private:
  static bool Apply(GraphEditor& g, const PassContext& ctx, const Match& m) {
    // Softmax over the last axis of its rank-3 input.
    const ir::Node* sm = m.N("softmax");
    const int64_t axis = AttrInt(*sm, "axis", sm->opset >= 13 ? -1 : 1);
    if (!(axis == 2 || (sm->opset >= 13 && axis == -1))) return false;
    // The scale.
    double scale = 1.0;
    if (const ir::Node* s = m.N("scale_op")) {
      double c = 0;
      const Tensor& sc = *g.Constant(m.V("scale"));
      // Rank <= 3 keeps every tensor of the match at rank 3 (Softmax axis 2 is the last).
      if (sc.rank() > 3 || !ScalarValue(sc, &c)) return false;
      scale = s->op_type == "Div" ? 1.0 / c : c;
      // 0 would read as "default" in ONNX Runtime's kernel.
      if (!std::isfinite(scale) || static_cast<float>(scale) == 0.f) return false;
    }
    // The projections: q, k, v from one Split or three projections of the same input.
    std::vector<ir::Node*> removed;
    std::vector<double> w, bias;
    int64_t e = 0, H = 0;
    Shape shape;                     // xs: [S, B, E]
    std::string xs, w_name, b_name;  // Packed weight and bias already in the model, if any.
    ir::Node* split = g.Producer(m.V("q"));
    if (split && split->op_type == "Split" && split->domain.empty() && split->outputs.size() == 3 &&
        split->outputs[0] == m.V("q") && split->outputs[1] == m.V("k") &&
        split->outputs[2] == m.V("v")) {
      const int64_t sa = AttrInt(*split, "axis", 0);
      if (sa != 2 && sa != -1) return false;
      auto proj = FindProjection(g, split->inputs[0], false);
      if (!proj || proj->n % 3 != 0 || !OnlyUse(g, split->inputs[0])) return false;
      H = proj->n / 3;
      // Sizes: equal thirds, from the `split` input (opset >= 13) or attribute, or absent.
      std::optional<std::vector<int64_t>> sizes;
      if (split->inputs.size() > 1 && !split->inputs[1].empty()) {
        const Tensor* c = g.Constant(split->inputs[1]);
        if (!c) return false;
        sizes = ReadInts(*c);
      } else {
        sizes = AttrInts(*split, "split");
      }
      if (sizes && *sizes != std::vector<int64_t>{H, H, H}) return false;
      for (const auto& o : split->outputs) {
        if (!OnlyUse(g, o)) return false;
      }
      removed = proj->nodes;
      removed.push_back(split);
      shape = proj->shape;
      w = std::move(proj->w);
      bias = std::move(proj->b);
      w_name = proj->w_name;
      b_name = proj->b_name;
      e = proj->e;
      xs = proj->input;
    } else {
      std::vector<Projection> projs;
      for (const char* v : {"q", "k", "v"}) {
        auto proj = FindProjection(g, m.V(v), true);
        if (!proj || !OnlyUse(g, m.V(v))) return false;
        if (!projs.empty() && (proj->input != projs[0].input || proj->n != projs[0].n)) {
          return false;
        }
        projs.push_back(std::move(*proj));
      }
      H = projs[0].n;
      shape = projs[0].shape;
      e = projs[0].e;
      xs = projs[0].input;
      w.resize(static_cast<size_t>(e * 3 * H));
      for (int64_t i = 0; i < e; ++i) {
        for (int part = 0; part < 3; ++part) {
          for (int64_t j = 0; j < H; ++j) {
            w[static_cast<size_t>(i * 3 * H + part * H + j)] =
                projs[static_cast<size_t>(part)].w[static_cast<size_t>(i * H + j)];
          }
        }
      }
      for (auto& pr : projs) {
        bias.insert(bias.end(), pr.b.begin(), pr.b.end());
        removed.insert(removed.end(), pr.nodes.begin(), pr.nodes.end());
      }
    }
    if (g.ElemType(xs) != DataType::kFloat) return false;
    // Heads: each of q, k, v [S, B, H] reshaped to [S, B*n, d] with n * d = H.
    const int64_t S = shape[0], B = shape[1];
    if (S <= 0 || B <= 0 || H <= 0) return false;
    auto qh = ReshapeTarget(g, *m.N("q_reshape"), {S, B, H});
    if (!qh || qh->size() != 3 || (*qh)[0] != S || (*qh)[1] % B != 0) return false;
    for (const char* r : {"k_reshape", "v_reshape"}) {
      if (ReshapeTarget(g, *m.N(r), {S, B, H}) != qh) return false;
    }
    const int64_t heads = (*qh)[1] / B, d = (*qh)[2];
    if (heads <= 0 || heads * d != H) return false;

    // The merge of the heads: [B*n, S, d] -> Transpose -> [S, B*n, d] -> Reshape(target).
    auto merged = ReshapeTarget(g, *m.root, {S, B * heads, d});
    if (!merged) return false;

    // Attention reads [B, S, E]: the input of xs's Transpose(1,0,2), or a new Transpose.
    ir::Node* root = m.root;
    const std::string y = root->outputs[0];
    std::string x;
    ir::Node* xt = g.Producer(xs);
    const bool reuse_x = xt && xt->op_type == "Transpose" && xt->domain.empty() &&
                         AttrInts(*xt, "perm") == std::vector<int64_t>{1, 0, 2};
    for (ir::Node* n : m.nodes) g.RemoveNode(n);
    for (ir::Node* n : removed) g.RemoveNode(n);
    const std::string base = root->name.empty() ? "attention" : root->name;
    ir::TypeInfo t = ir::TypeInfo::Tensor(DataType::kFloat);
    t.has_shape = true;
    if (reuse_x) {
      x = xt->inputs[0];
    } else {
      x = g.NewName(xs + "_bse");
      SetAttrInts(*g.AddNode("Transpose", {xs}, {x}, "", root, base + "_to_bse"), "perm",
                  {1, 0, 2});
      t.dims = {ir::Dim{B, ""}, ir::Dim{S, ""}, ir::Dim{e, ""}};
      g.SetType(x, t);
    }
    if (w_name.empty()) {
      w_name =
          g.AddConstant(base + "_qkv_weight", MakeFloatTensor(DataType::kFloat, {e, 3 * H}, w));
    }
    if (b_name.empty()) {
      b_name = g.AddConstant(base + "_qkv_bias", MakeFloatTensor(DataType::kFloat, {3 * H}, bias));
    }
    std::string a = g.NewName(base + "_attention");
    ir::Node* att = g.AddNode("Attention", {x, w_name, b_name}, {a}, "com.microsoft", root,
                              base + "_attention");
    att->opset = 1;
    SetAttrInt(*att, "num_heads", heads);
    SetAttrFloat(*att, "scale", static_cast<float>(scale));
    ctx.RequireDomain("com.microsoft", 1);
    t.dims = {ir::Dim{B, ""}, ir::Dim{S, ""}, ir::Dim{H, ""}};
    g.SetType(a, t);
    if (B > 1) {
      // [B,S,H] -> [S,B,H], the layout the Reshape after the heads expects.
      const std::string a_t = g.NewName(a + "_sbh");
      SetAttrInts(*g.AddNode("Transpose", {a}, {a_t}, "", att, base + "_to_sbh"), "perm",
                  {1, 0, 2});
      t.dims = {ir::Dim{S, ""}, ir::Dim{B, ""}, ir::Dim{H, ""}};
      g.SetType(a_t, t);
      a = a_t;
    }
    // The merge Reshape's target read a 0 as "the input's dim", which is a different tensor
    // now: give it the resolved dims then.
    std::string target = m.V("out_shape");
    auto target_values = ReadInts(*g.Constant(target));
    if (!target_values ||
        std::find(target_values->begin(), target_values->end(), 0) != target_values->end()) {
      target = g.AddConstant(base + "_merge_shape", MakeInt64Tensor(*merged));
    }
    g.AddNode("Reshape", {a, target}, {y}, "", att, root->name);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseAttentionPass() { return std::make_unique<FuseAttentionPass>(); }

}  // namespace onnxedge::opt
