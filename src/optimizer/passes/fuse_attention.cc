// Copyright onnxedge authors.
// fuse_attention: multi-head scaled-dot-product self-attention, optionally with an additive
// mask, into one com.microsoft Attention with packed Q|K|V weights. Two head layouts:
//
// Sequence-first (PyTorch's nn.MultiheadAttention export, after constant folding, Slice ->
// Split and MatMul + Add -> Gemm):
//   x[B,S,E] -> Transpose(1,0,2) -> xs[S,B,E]
//   q|k|v = projections of xs: one Gemm/MatMul+Add to [S,B,3H] then Split(last axis, H each),
//           or three Gemm/MatMul+Add of xs to [S,B,H] each (their weights are concatenated)
//   qh = Transpose(1,0,2)(Reshape(q, [S, B*n, d]))
//   kh = Transpose(1,2,0)(Reshape(k, [S, B*n, d]))
//   vh = Transpose(1,0,2)(Reshape(v, [S, B*n, d]))
//   o  = MatMul(Softmax(logits, last axis), vh) -> Transpose(1,0,2) -> Reshape(T) -> y
//     =>  Attention(x, W[E,3H], bias[3H], num_heads = n, scale) [-> Transpose(1,0,2) if B > 1]
//         -> Reshape(T) -> y
//
// Batch-first (Hugging Face BertSelfAttention):
//   q|k|v = projections of x[B,S,E] to [B,S,H] (as above)
//   qh = Transpose(0,2,1,3)(Reshape(q, [B, S, n, d]))                   [B, n, S, d]
//   kh = Transpose(0,2,3,1)(Reshape(k, [B, S, n, d]))                   [B, n, d, S]
//        (or Transpose(0,2,1,3) then a swap of the last two axes: any Transpose chain that
//        composes to these permutations)
//   vh = Transpose(0,2,1,3)(Reshape(v, [B, S, n, d]))
//   o  = MatMul(Softmax(logits, last axis), vh) -> Transpose(0,2,1,3) -> Reshape(T) -> y
//     =>  Attention(x, W, bias, [attention_bias], num_heads = n, scale) [-> Reshape(T)] -> y
//         (no Reshape when T resolves to [B, S, H], Attention's own output shape)
//
//   logits = MatMul(qh, kh), with scalar Div/Mul anywhere on the Q and K chains or after the
//   MatMul (all multiplied into `scale`: q*s and k*s with s = d^-1/4 give s*s), and at most one
//   Add of a mask M (anything computed outside the rewritten nodes) after or before the
//   logits' scale factors.
//
// com.microsoft Attention is ONNX Runtime's contrib op with exactly this meaning: head h uses
// columns h*d .. h*d+d of each of Q, K, V, which is what both head Reshapes select (row b*n + h
// of [S, B*n, d]; index h of [B, S, n, d]), and its output (B,S,H) holds head h at the same
// columns, which the merge Transpose + Reshape of the original restore. Its attention_bias
// (input 5, shape [B or 1, n or 1, S, S]) is added to scale * Q K^T before the softmax, which is
// the graph's Add: M itself when the Add follows every scale factor, else M times the factors
// after the Add ((QK + M) / c = QK / c + M / c; a Mul is inserted), expanded to [B or 1, n or
// 1, S, S] by an Expand when it broadcasts over other axes (BERT's [B,1,1,S] extended mask;
// layers sharing a mask share the Expand). The mask is never read as 0/1 (ORT's mask_index
// with mask_filter_value would be equal only for 0/1 inputs, which the graph does not promise).
// Conditions: float32; every shape on the way statically known and consistent (H = n * d,
// Reshape targets as above, Split sizes H each, Gemm alpha = beta = 1 without transA,
// weights and biases constant); Softmax over the last axis; every scale factor a one-element
// float constant and their product finite and nonzero (ORT reads scale = 0 as unset); M of
// static shape whose dims (right-aligned) are 1 or the logits' ([B, n, S, S]; [1, S, S] in the
// sequence-first layout, whose leading B*n axis cannot be split). If x does not come from a
// Transpose(1,0,2) in the sequence-first layout, one is inserted. Every intermediate must be
// read only inside the rewritten nodes.
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

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

// A scalar constant factor: Div(x, c) -> 1/c, Mul(x, c) or Mul(c, x) -> c, with c a
// one-element float constant of rank <= `rank` (so it does not raise x's rank). `x` is the
// other input.
bool ScalarFactor(const GraphEditor& g, const ir::Node& n, size_t rank, std::string* x,
                  double* factor) {
  if (!n.domain.empty() || n.inputs.size() != 2 || (n.op_type != "Div" && n.op_type != "Mul")) {
    return false;
  }
  for (size_t side : {size_t{1}, size_t{0}}) {  // the constant second, then (Mul) first
    if (side == 0 && n.op_type == "Div") break;
    const Tensor* c = g.Constant(n.inputs[side]);
    double v = 0;
    if (!c || c->dtype() != DataType::kFloat || static_cast<size_t>(c->rank()) > rank ||
        !ScalarValue(*c, &v)) {
      continue;
    }
    *x = n.inputs[1 - side];
    *factor = n.op_type == "Div" ? 1.0 / v : v;
    return std::isfinite(*factor);
  }
  return false;
}

// One head operand (Q, K or V) walked up from the value the attention MatMul reads: a chain of
// Transposes and scalar Div/Mul, each read only by the next, ending at the head-split Reshape.
struct HeadChain {
  ir::Node* reshape = nullptr;
  std::vector<int64_t> perm;  ///< The Transposes composed: out[i] = reshape_out[perm[i]].
  double scale = 1.0;
  std::vector<ir::Node*> nodes;  ///< The chain including the Reshape.
};

std::optional<HeadChain> WalkHead(const GraphEditor& g, const std::string& value, size_t rank,
                                  bool allow_scale) {
  HeadChain h;
  for (size_t i = 0; i < rank; ++i) h.perm.push_back(static_cast<int64_t>(i));
  std::string cur = value;
  for (int depth = 0; depth < 8; ++depth) {
    ir::Node* n = g.Producer(cur);
    if (!n || !g.HasSingleUse(cur) || !n->domain.empty()) return std::nullopt;
    h.nodes.push_back(n);
    if (n->op_type == "Reshape") {
      h.reshape = n;
      return h;
    }
    std::string x;
    double f = 0;
    if (n->op_type == "Transpose") {
      auto p = AttrInts(*n, "perm");
      if (!p || p->size() != rank) return std::nullopt;
      std::vector<int64_t> composed(rank);
      for (size_t i = 0; i < rank; ++i) {
        const int64_t j = h.perm[i];
        if ((*p)[static_cast<size_t>(j)] < 0 || (*p)[static_cast<size_t>(j)] >= int64_t(rank)) {
          return std::nullopt;
        }
        composed[i] = (*p)[static_cast<size_t>(j)];
      }
      h.perm = composed;
      cur = n->inputs[0];
    } else if (allow_scale && ScalarFactor(g, *n, rank, &x, &f)) {
      h.scale *= f;
      cur = x;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// The logits walked up from the Softmax input to the Q K^T MatMul: scalar Div/Mul and at most
// one Add of a value `mask` (anything computed outside the chain), each read only by the next.
struct LogitsChain {
  ir::Node* qk = nullptr;
  double scale = 1.0;       ///< All scalar factors.
  double mask_scale = 1.0;  ///< The factors applied after the Add (they scale the mask too).
  std::string mask;         ///< Empty: no Add.
  std::vector<ir::Node*> nodes;
};

bool WalkLogits(const GraphEditor& g, const std::string& value, size_t rank, LogitsChain* c,
                int depth = 0) {
  ir::Node* n = g.Producer(value);
  if (depth > 8 || !n || !g.HasSingleUse(value) || !n->domain.empty()) return false;
  c->nodes.push_back(n);
  if (n->op_type == "MatMul") {
    c->qk = n;
    return true;
  }
  std::string x;
  double f = 0;
  if (ScalarFactor(g, *n, rank, &x, &f)) {
    c->scale *= f;
    if (c->mask.empty()) c->mask_scale *= f;
    return WalkLogits(g, x, rank, c, depth + 1);
  }
  if (n->op_type == "Add" && c->mask.empty() && n->inputs.size() == 2) {
    for (size_t side = 0; side < 2; ++side) {
      LogitsChain tried = *c;
      tried.mask = n->inputs[1 - side];
      if (WalkLogits(g, n->inputs[side], rank, &tried, depth + 1)) {
        *c = std::move(tried);
        return true;
      }
    }
  }
  return false;
}

class FuseAttentionPass final : public Pass {
 public:
  const char* name() const override { return "fuse_attention"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (!PassContext::HasKernel("com.microsoft", "Attention", 1)) return 0;
    // Only the merge of the heads is a fixed pattern; the Q, K, V operands and the logits are
    // walked by hand (scales and Transposes may sit anywhere on them).
    Pattern p;
    auto softmax = p.Op("Softmax", {p.Any("logits")}, Opts().Bind("softmax"));
    auto pv = p.Op("MatMul", {softmax, p.Any("v_side")}, Opts().Bind("pv"));
    auto out_t = p.Op("Transpose", {pv}, Opts().Bind("out_t"));
    p.SetRoot(p.Op("Reshape", {out_t, p.Const("out_shape")}));
    BiasCache biases;
    return p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m, &biases); });
  }

 private:
  // attention_bias inputs already built in this run, by (mask, factor, shape): the layers of a
  // BERT share one extended mask and so one bias.
  using BiasCache = std::map<std::tuple<std::string, double, Shape>, std::string>;

  static bool Apply(GraphEditor& g, const PassContext& ctx, const Match& m, BiasCache* biases) {
    // The layout, from the merge Transpose: sequence-first [B*n, S, d] heads (PyTorch's
    // nn.MultiheadAttention) or batch-first [B, n, S, d] (Hugging Face BERT).
    const auto out_perm = AttrInts(*m.N("out_t"), "perm");
    const bool batch_first = out_perm == std::vector<int64_t>{0, 2, 1, 3};
    if (!batch_first && out_perm != std::vector<int64_t>{1, 0, 2}) return false;
    const size_t rank = batch_first ? 4 : 3;
    // Softmax over the last axis (at opset < 13 "flatten from axis" with the last axis is the
    // same).
    const ir::Node* sm = m.N("softmax");
    const int64_t axis = AttrInt(*sm, "axis", sm->opset >= 13 ? -1 : 1);
    if (axis != -1 && axis != static_cast<int64_t>(rank) - 1) return false;
    LogitsChain logits;
    if (!WalkLogits(g, m.V("logits"), rank, &logits)) return false;
    auto qc = WalkHead(g, logits.qk->inputs[0], rank, true);
    auto kc = WalkHead(g, logits.qk->inputs.size() == 2 ? logits.qk->inputs[1] : "", rank, true);
    auto vc = WalkHead(g, m.V("v_side"), rank, false);
    if (!qc || !kc || !vc) return false;
    const std::vector<int64_t> want_q =
        batch_first ? std::vector<int64_t>{0, 2, 1, 3} : std::vector<int64_t>{1, 0, 2};
    const std::vector<int64_t> want_k =
        batch_first ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{1, 2, 0};
    if (qc->perm != want_q || vc->perm != want_q || kc->perm != want_k) return false;
    const double scale = logits.scale * qc->scale * kc->scale;
    // 0 would read as "default" in ONNX Runtime's kernel.
    if (!std::isfinite(scale) || static_cast<float>(scale) == 0.f) return false;
    const std::string q_in = qc->reshape->inputs[0], k_in = kc->reshape->inputs[0],
                      v_in = vc->reshape->inputs[0];

    // The projections: q, k, v from one Split or three projections of the same input.
    std::vector<ir::Node*> removed;
    std::vector<double> w, bias;
    int64_t e = 0, H = 0;
    Shape shape;                     // xs: [S, B, E] (sequence-first) or [B, S, E]
    std::string xs, w_name, b_name;  // Packed weight and bias already in the model, if any.
    ir::Node* split = g.Producer(q_in);
    if (split && split->op_type == "Split" && split->domain.empty() && split->outputs.size() == 3 &&
        split->outputs[0] == q_in && split->outputs[1] == k_in && split->outputs[2] == v_in) {
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
      for (const std::string& v : {q_in, k_in, v_in}) {
        auto proj = FindProjection(g, v, true);
        if (!proj || !OnlyUse(g, v)) return false;
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
    // Heads: each of q, k, v reshaped to [S, B*n, d] (sequence-first, from [S, B, H]) or to
    // [B, S, n, d] (batch-first, from [B, S, H]) with n * d = H.
    const int64_t S = batch_first ? shape[1] : shape[0], B = batch_first ? shape[0] : shape[1];
    if (S <= 0 || B <= 0 || H <= 0) return false;
    const Shape proj_shape = {shape[0], shape[1], H};
    auto qh = ReshapeTarget(g, *qc->reshape, proj_shape);
    if (!qh || qh->size() != rank) return false;
    for (const HeadChain* c : {&*kc, &*vc}) {
      if (ReshapeTarget(g, *c->reshape, proj_shape) != qh) return false;
    }
    int64_t heads = 0, d = 0;
    if (batch_first) {
      if ((*qh)[0] != B || (*qh)[1] != S) return false;
      heads = (*qh)[2];
      d = (*qh)[3];
    } else {
      if ((*qh)[0] != S || (*qh)[1] % B != 0) return false;
      heads = (*qh)[1] / B;
      d = (*qh)[2];
    }
    if (heads <= 0 || heads * d != H) return false;

    // The merge of the heads: the Transpose gives [S, B*n, d] or [B, S, n, d], then the
    // Reshape(target).
    auto merged =
        ReshapeTarget(g, *m.root, batch_first ? Shape{B, S, heads, d} : Shape{S, B * heads, d});
    if (!merged) return false;

    // The mask: whatever is added to the logits [B, n, S, S] (or [B*n, S, S]), which becomes
    // Attention's attention_bias of shape [B or 1, n or 1, S, S]. It must broadcast to the
    // logits without growing them: dims (right-aligned) 1 or B, 1 or n, 1 or S, 1 or S; in the
    // sequence-first layout the leading (B*n) dim must be 1.
    Shape bias_shape;
    if (!logits.mask.empty()) {
      auto ms = g.StaticShape(logits.mask);
      if (!ms || ms->size() > rank || g.ElemType(logits.mask) != DataType::kFloat) return false;
      Shape padded(rank - ms->size(), 1);
      padded.insert(padded.end(), ms->begin(), ms->end());
      const Shape full = batch_first ? Shape{B, heads, S, S} : Shape{B * heads, S, S};
      for (size_t i = 0; i < rank; ++i) {
        if (padded[i] != 1 && padded[i] != full[i]) return false;
      }
      if (!batch_first && padded[0] != 1) return false;
      bias_shape = batch_first ? Shape{padded[0], padded[1], S, S} : Shape{1, 1, S, S};
      // Computed outside the rewritten nodes (they are all removed).
      const ir::Node* mp = g.Producer(logits.mask);
      for (const auto* list : {&logits.nodes, &qc->nodes, &kc->nodes, &vc->nodes, &removed}) {
        if (mp && std::find(list->begin(), list->end(), mp) != list->end()) return false;
      }
    }

    // Attention reads [B, S, E]: xs itself (batch-first), else the input of xs's
    // Transpose(1,0,2) or a new Transpose.
    ir::Node* root = m.root;
    const std::string y = root->outputs[0];
    std::string x;
    ir::Node* xt = g.Producer(xs);
    const bool reuse_x = !batch_first && xt && xt->op_type == "Transpose" && xt->domain.empty() &&
                         AttrInts(*xt, "perm") == std::vector<int64_t>{1, 0, 2};
    for (ir::Node* n : m.nodes) g.RemoveNode(n);
    for (const auto* list : {&logits.nodes, &qc->nodes, &kc->nodes, &vc->nodes, &removed}) {
      for (ir::Node* n : *list) g.RemoveNode(n);
    }
    const std::string base = root->name.empty() ? "attention" : root->name;
    ir::TypeInfo t = ir::TypeInfo::Tensor(DataType::kFloat);
    t.has_shape = true;
    auto set_type = [&](const std::string& v, const Shape& dims) {
      t.dims.clear();
      for (int64_t dim : dims) t.dims.push_back(ir::Dim{dim, ""});
      g.SetType(v, t);
    };
    if (batch_first) {
      x = xs;
    } else if (reuse_x) {
      x = xt->inputs[0];
    } else {
      x = g.NewName(xs + "_bse");
      SetAttrInts(*g.AddNode("Transpose", {xs}, {x}, "", root, base + "_to_bse"), "perm",
                  {1, 0, 2});
      set_type(x, {B, S, e});
    }
    if (w_name.empty()) {
      w_name =
          g.AddConstant(base + "_qkv_weight", MakeFloatTensor(DataType::kFloat, {e, 3 * H}, w));
    }
    if (b_name.empty()) {
      b_name = g.AddConstant(base + "_qkv_bias", MakeFloatTensor(DataType::kFloat, {3 * H}, bias));
    }
    std::vector<std::string> inputs = {x, w_name, b_name};
    if (!logits.mask.empty()) {
      // Input 5; mask_index and past are omitted.
      inputs.insert(inputs.end(),
                    {"", "", AttentionBias(g, root, base, logits, bias_shape, biases)});
    }
    const bool direct = batch_first && *merged == Shape{B, S, H};
    std::string a = direct ? y : g.NewName(base + "_attention");
    ir::Node* att = g.AddNode("Attention", inputs, {a}, "com.microsoft", root, base + "_attention");
    att->opset = 1;
    SetAttrInt(*att, "num_heads", heads);
    SetAttrFloat(*att, "scale", static_cast<float>(scale));
    ctx.RequireDomain("com.microsoft", 1);
    if (direct) return true;
    set_type(a, {B, S, H});
    if (!batch_first && B > 1) {
      // [B,S,H] -> [S,B,H], the layout the Reshape after the heads expects.
      const std::string a_t = g.NewName(a + "_sbh");
      SetAttrInts(*g.AddNode("Transpose", {a}, {a_t}, "", att, base + "_to_sbh"), "perm",
                  {1, 0, 2});
      set_type(a_t, {S, B, H});
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

  // The attention_bias value for `logits.mask`: the mask times the factors applied after it
  // (when the scale follows the Add), expanded to `shape` ([B or 1, n or 1, S, S]) unless it
  // has that shape already. Built once per (mask, factor, shape).
  static std::string AttentionBias(GraphEditor& g, const ir::Node* root, const std::string& base,
                                   const LogitsChain& logits, const Shape& shape,
                                   BiasCache* cache) {
    const auto key = std::make_tuple(logits.mask, logits.mask_scale, shape);
    if (auto it = cache->find(key); it != cache->end()) return it->second;
    ir::TypeInfo t = ir::TypeInfo::Tensor(DataType::kFloat);
    std::string v = logits.mask;
    if (logits.mask_scale != 1.0) {
      const std::string c = g.AddConstant(
          base + "_mask_scale", MakeFloatTensor(DataType::kFloat, {}, {logits.mask_scale}));
      const std::string scaled = g.NewName(base + "_scaled_mask");
      g.AddNode("Mul", {v, c}, {scaled}, "", root, base + "_scale_mask");
      auto ms = g.StaticShape(v);
      t.has_shape = ms.has_value();
      if (ms) {
        for (int64_t dim : *ms) t.dims.push_back(ir::Dim{dim, ""});
      }
      g.SetType(scaled, t);
      v = scaled;
    }
    if (g.StaticShape(v) != shape) {
      const std::string target = g.AddConstant(base + "_bias_shape", MakeInt64Tensor(shape));
      const std::string expanded = g.NewName(base + "_attention_bias");
      g.AddNode("Expand", {v, target}, {expanded}, "", root, base + "_expand_mask");
      t.has_shape = true;
      t.dims.clear();
      for (int64_t dim : shape) t.dims.push_back(ir::Dim{dim, ""});
      g.SetType(expanded, t);
      v = expanded;
    }
    (*cache)[key] = v;
    return v;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseAttentionPass() { return std::make_unique<FuseAttentionPass>(); }

}  // namespace onnxedge::opt
