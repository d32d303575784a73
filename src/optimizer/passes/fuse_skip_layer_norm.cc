// Copyright onnxedge authors.
// fuse_skip_layer_norm: merges the residual Add of a transformer block into the LayerNorm
// after it.
//
//   a, b -> Add -> s -> LayerNormalization(gamma, beta, axis = -1) -> y
//     =>  SkipLayerNormalization(a, b, gamma, beta) -> y  [, s as input_skip_bias_sum]
//
// com.microsoft SkipLayerNormalization is ONNX Runtime's contrib op with this exact meaning;
// when the sum s is read elsewhere (pre-norm transformers keep the residual stream), the fused
// node returns it as its fourth output.
// Conditions: a and b have the same fully known shape of rank 2 or 3 (ORT's kernel accepts
// those); gamma and beta are 1-D constants of the last dim's size; the LayerNormalization
// normalizes the last axis only and its Mean/InvStdDev outputs are unread; float32 (ORT's
// kernel types) or, when not saving, float64 / float16.
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool LastAxisLayerNorm(const ir::Node& n, const GraphEditor& g) {
  for (size_t i = 1; i < n.outputs.size(); ++i) {
    if (!n.outputs[i].empty() && g.NumUses(n.outputs[i]) > 0) return false;
  }
  const int64_t axis = AttrInt(n, "axis", -1);
  const int rank = g.Rank(n.inputs[0]);
  return axis == -1 || (rank > 0 && axis == rank - 1);
}

class FuseSkipLayerNormPass final : public Pass {
 public:
  const char* name() const override { return "fuse_skip_layer_norm"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (!PassContext::HasKernel("com.microsoft", "SkipLayerNormalization", 1)) return 0;
    int count = 0;
    for (bool with_beta : {true, false}) {
      Pattern p;
      auto add = p.Op("Add", {p.Any("a"), p.Any("b")}, Opts().Bind("add").ExternalUses());
      std::vector<P> ln_inputs = {add, p.Const("gamma")};
      if (with_beta) ln_inputs.push_back(p.Const("beta"));
      p.SetRoot(p.Op("LayerNormalization", ln_inputs, Opts().Where(LastAxisLayerNorm)));
      count += p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m); });
    }
    return count;
  }

 private:
  static bool Apply(GraphEditor& g, const PassContext& ctx, const Match& m) {
    const std::string& a = m.V("a");
    const std::string& b = m.V("b");
    auto sa = g.StaticShape(a);
    auto sb = g.StaticShape(b);
    if (!sa || !sb || *sa != *sb || sa->size() < 2 || sa->size() > 3) return false;
    const DataType type = g.ElemType(a);
    if (ctx.for_export ? type != DataType::kFloat
                       : (type != DataType::kFloat && type != DataType::kDouble &&
                          type != DataType::kFloat16)) {
      return false;
    }
    const int64_t d = sa->back();
    for (const char* bind : {"gamma", "beta"}) {
      if (m.V(bind).empty()) continue;
      const Tensor& t = *g.Constant(m.V(bind));
      if (t.dtype() != type || t.rank() != 1 || t.dim(0) != d) return false;
    }
    ir::Node* ln = m.root;
    ir::Node* add = m.N("add");
    const std::string s = add->outputs[0];
    const bool keep_sum = g.NumUses(s) > 1;
    const float eps = AttrFloat(*ln, "epsilon", 1e-5f);
    const std::string y = ln->outputs[0];
    g.RemoveNode(ln);
    g.RemoveNode(add);
    std::vector<std::string> inputs = {a, b, m.V("gamma")};
    if (!m.V("beta").empty()) inputs.push_back(m.V("beta"));
    std::vector<std::string> outputs = {y};
    if (keep_sum) outputs = {y, "", "", s};
    ir::Node* fused = g.AddNode("SkipLayerNormalization", inputs, outputs, "com.microsoft", ln,
                                ln->name + "_skip");
    fused->opset = 1;
    SetAttrFloat(*fused, "epsilon", eps);
    ctx.RequireDomain("com.microsoft", 1);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseSkipLayerNormPass() {
  return std::make_unique<FuseSkipLayerNormPass>();
}

}  // namespace onnxedge::opt
