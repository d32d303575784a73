// Copyright onnxedge authors.
// fuse_layer_norm: recognises LayerNormalization written out in elementary ops.
//
//   m = ReduceMean(x, axes)            d = x - m
//   v = ReduceMean(d^2, axes)          n = d / Sqrt(v + eps)     (or d * Reciprocal(...))
//   y = n * gamma + beta                                          (d^2 as Pow(d, 2) or d * d)
//     =>  y = LayerNormalization(x, gamma, beta, axis = -len(axes), epsilon = eps)
//
// Also without beta (y = n * gamma) and without both (y = n; gamma becomes ones).
// Conditions: both ReduceMeans reduce the same trailing, contiguous axes with keepdims = 1; x's
// rank and normalized dims are known; eps, gamma and beta are constants that broadcast to the
// normalized dims (they are stored expanded to exactly those dims, the form every runtime
// accepts); x is a float tensor (float32 only when saving); every intermediate is read only
// inside the pattern. LayerNormalization is ONNX opset 17: a model at a lower opset gets the
// node at opset 17 (onnxedge runs it), and when saving only if the model's opset can be raised
// to 17 without changing any other node (see ir/onnx/opset_upgrade.h).
#include <algorithm>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

// ReduceMean's axes (attribute, or constant input from opset 18), keepdims must be 1.
std::optional<std::vector<int64_t>> ReduceAxes(const ir::Node& n, const GraphEditor& g) {
  if (AttrInt(n, "keepdims", 1) != 1) return std::nullopt;
  if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    const Tensor* t = g.Constant(n.inputs[1]);
    if (!t) return std::nullopt;
    return ReadInts(*t);
  }
  return AttrInts(n, "axes");
}

bool ReduceOk(const ir::Node& n, const GraphEditor& g) {
  auto axes = ReduceAxes(n, g);
  return axes && !axes->empty() && n.inputs.size() <= 2 &&
         AttrInt(n, "noop_with_empty_axes", 0) == 0;
}

class FuseLayerNormPass final : public Pass {
 public:
  const char* name() const override { return "fuse_layer_norm"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (!ctx.CanUseOnnxOpset(17)) return 0;
    int count = 0;
    for (int form = 0; form < 3; ++form) {  // with beta, without beta, without gamma and beta
      Pattern p;
      auto x = p.Any("x");
      auto mean = p.Op("ReduceMean", {x}, Opts().Bind("mean").ExtraInputs().Where(ReduceOk));
      auto d = p.Op("Sub", {x, mean});
      auto sq = p.OneOf({p.Op("Pow", {d, p.Scalar(2.0, 1e-6)}), p.Op("Mul", {d, d})});
      auto var = p.Op("ReduceMean", {sq}, Opts().Bind("var").ExtraInputs().Where(ReduceOk));
      auto stddev = p.Op("Sqrt", {p.Op("Add", {var, p.Const("eps")}, Opts().Commutative())});
      auto norm = p.OneOf({p.Op("Div", {d, stddev}, Opts().Bind("norm")),
                           p.Op("Mul", {d, p.Op("Reciprocal", {stddev})},
                                Opts().Bind("norm").Commutative())});
      if (form == 2) {
        p.SetRoot(norm);
      } else {
        auto scaled = p.Op("Mul", {norm, p.Const("gamma")}, Opts().Commutative());
        p.SetRoot(form == 0 ? p.Op("Add", {scaled, p.Const("beta")}, Opts().Commutative())
                            : scaled);
      }
      count += p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m); });
    }
    return count;
  }

 private:
  static bool Apply(GraphEditor& g, const PassContext& ctx, const Match& m) {
    const std::string& x = m.V("x");
    const DataType type = g.ElemType(x);
    if (ctx.for_export ? type != DataType::kFloat
                       : (type != DataType::kFloat && type != DataType::kDouble &&
                          type != DataType::kFloat16)) {
      return false;
    }
    auto dims = g.PartialShape(x);
    if (!dims || dims->empty()) return false;
    const int64_t rank = static_cast<int64_t>(dims->size());
    auto a1 = ReduceAxes(*m.N("mean"), g);
    auto a2 = ReduceAxes(*m.N("var"), g);
    auto normalize = [&](std::vector<int64_t> axes) {
      for (auto& a : axes) a = a < 0 ? a + rank : a;
      std::sort(axes.begin(), axes.end());
      return axes;
    };
    const auto axes = normalize(*a1);
    if (axes != normalize(*a2)) return false;
    const int64_t k = static_cast<int64_t>(axes.size());
    for (int64_t i = 0; i < k; ++i) {
      if (axes[static_cast<size_t>(i)] != rank - k + i) return false;
    }
    const Shape norm_shape(dims->end() - k, dims->end());
    for (int64_t dd : norm_shape) {
      if (dd <= 0) return false;
    }
    double eps = 0;
    if (!ScalarValue(*g.Constant(m.V("eps")), &eps) || eps < 0) return false;
    // gamma and beta, expanded to the normalized dims.
    auto affine = [&](const std::string& bind, double fill) -> std::optional<std::string> {
      if (bind.empty() || m.V(bind).empty()) {
        return g.AddConstant(m.root->name + "_" + (fill == 1 ? "ones" : "zeros"),
                             MakeFloatTensor(type, norm_shape,
                                             std::vector<double>(ShapeElementCount(norm_shape),
                                                                 fill)));
      }
      const Tensor& t = *g.Constant(m.V(bind));
      if (t.dtype() != type) return std::nullopt;
      size_t lead = 0;
      while (lead < t.rank() && t.dim(lead) == 1 && t.rank() - lead > norm_shape.size()) ++lead;
      Shape core(t.shape().begin() + static_cast<int64_t>(lead), t.shape().end());
      if (core.size() > norm_shape.size()) return std::nullopt;
      auto b = BroadcastShapes(core, norm_shape);
      if (!b || *b != norm_shape) return std::nullopt;
      if (t.shape() == norm_shape) return m.V(bind);
      auto v = ReadFloats(t);
      if (!v) return std::nullopt;
      return g.AddConstant(m.V(bind) + "_ln",
                           MakeFloatTensor(type, norm_shape,
                                           BroadcastValues(*v, core, norm_shape)));
    };
    const bool has_gamma = !m.V("gamma").empty();
    const bool has_beta = !m.V("beta").empty();
    // Validate before creating anything.
    for (const char* bind : {"gamma", "beta"}) {
      if (m.V(bind).empty()) continue;
      const Tensor& t = *g.Constant(m.V(bind));
      if (t.dtype() != type || t.size() > ShapeElementCount(norm_shape)) return false;
    }
    auto gamma = affine(has_gamma ? "gamma" : "", 1.0);
    if (!gamma) return false;
    std::vector<std::string> inputs = {x, *gamma};
    if (has_beta) {
      auto beta = affine("beta", 0.0);
      if (!beta) return false;
      inputs.push_back(*beta);
    }
    ir::Node* root = m.root;
    const std::string y = root->outputs[0];
    for (ir::Node* n : m.nodes) g.RemoveNode(n);
    ir::Node* ln = g.AddNode("LayerNormalization", inputs, {y}, "", root,
                             root->name + "_layernorm");
    ln->opset = std::max(17, ctx.Opset(""));
    SetAttrInt(*ln, "axis", -k);
    SetAttrFloat(*ln, "epsilon", static_cast<float>(eps));
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseLayerNormPass() { return std::make_unique<FuseLayerNormPass>(); }

}  // namespace onnxedge::opt
