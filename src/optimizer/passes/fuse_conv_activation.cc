// Copyright onnxedge authors.
// fuse_conv_activation: merges an activation (and, for Conv, a residual Add) into the Conv or
// Gemm before it.
//
//   x -> Conv -> c -> Relu | Clip | Sigmoid | LeakyRelu | HardSigmoid | HardSwish -> y
//   x -> Conv -> c -> Mul(c, Sigmoid(c)) -> y                                 (SiLU)
//   x -> Conv -> c -> Div(Mul(c, Clip(Add(c, 3), 0, 6)), 6) -> y               (HardSwish as
//        exporters decompose it; also with Mul by 1/6)
//     =>  x -> com.onnxedge.FusedConv(activation = "Relu" | ... | "Silu", activation_params) -> y
//   x -> Conv -> c -> Add(c, z) -> s -> activation -> y
//     =>  x, z -> com.onnxedge.FusedConv(X, W, B, Z = z, activation) -> y
//   x -> Conv -> c -> Reshape -> r -> Relu | Sigmoid | LeakyRelu | HardSigmoid | HardSwish -> y
//     =>  x -> com.onnxedge.FusedConv(activation) -> c -> Reshape -> y
//   x -> Conv -> c -> Add(c, z) -> y   (no activation after it)
//     =>  x, z -> com.onnxedge.FusedConv(X, W, B, Z = z) -> y
//   and the activation forms for Gemm -> com.onnxedge.FusedGemm (no residual input).
//
// The attribute contract is the kernels' (src/ops/fused_conv, fused_gemm): Conv/Gemm's own
// attributes plus `activation` (an ONNX op name, "Silu" for x * sigmoid(x)) and
// `activation_params` (Clip [min, max] with missing bounds -inf/+inf, LeakyRelu [alpha],
// HardSigmoid [alpha, beta]; none for the others). Z is added before the activation.
// Conditions: the fused kernels are registered (OpRegistry has com.onnxedge FusedConv /
// FusedGemm; without them the pass does nothing); Clip bounds are constants; the Conv/Gemm
// output (and the Add's) is read only inside the pattern; z has the Conv output's static shape
// and is not the Conv output itself; float32. FusedConv/FusedGemm are onnxedge-private, so when
// the model is to be saved this pass runs only at level "all".
#include <limits>

#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

constexpr const char* kDomain = "com.onnxedge";

class FuseConvActivationPass final : public Pass {
 public:
  const char* name() const override { return "fuse_conv_activation"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (ctx.for_export && ctx.level != OptimizationLevel::kAll) return 0;
    int count = 0;
    for (const char* base : {"Conv", "Gemm"}) {
      const std::string fused = std::string("Fused") + base;
      if (!PassContext::HasKernel(kDomain, fused, 1)) continue;
      const bool residual = std::string(base) == "Conv";
      {  // With an activation (optionally after a residual Add).
        Pattern p;
        auto op = p.Op(base, {p.Any()}, Opts().Bind("op").ExtraInputs());
        std::vector<P> sources = {op};
        if (residual) {
          sources.push_back(p.Op("Add", {op, p.Any("z")}, Opts().Bind("sum").Commutative()));
        }
        std::vector<P> roots;
        for (P s : sources) {
          roots.push_back(
              p.Op("Relu|Sigmoid|LeakyRelu|HardSigmoid|HardSwish", {s}, Opts().Bind("act")));
          roots.push_back(p.Op("Clip", {s}, Opts().Bind("act").ExtraInputs()));
          roots.push_back(p.Op("Mul", {s, p.Op("Sigmoid", {s})}, Opts().Bind("act").Commutative()));
          // HardSwish as exporters decompose it (PaddlePaddle, older PyTorch): s * Clip(s + 3,
          // 0, 6) / 6, or * (1/6).
          auto plus3 = p.Op("Add", {s, p.Scalar(3.0)}, Opts().Commutative());
          auto relu6 = p.OneOf(
              {p.Op("Clip", {plus3, p.Scalar(0.0), p.Scalar(6.0)}),
               // Opset < 11: the bounds are attributes.
               p.Op("Clip", {plus3}, Opts().Where([](const ir::Node& n, const GraphEditor&) {
                 return n.opset < 11 && AttrFloat(n, "min", -1.f) == 0.f &&
                        AttrFloat(n, "max", -1.f) == 6.f;
               }))});
          auto scaled = p.Op("Mul", {s, relu6}, Opts().Bind("hswish").Commutative());
          roots.push_back(p.Op("Div", {scaled, p.Scalar(6.0)}, Opts().Bind("act")));
          roots.push_back(
              p.Op("Mul", {scaled, p.Scalar(1.0 / 6.0)}, Opts().Bind("act").Commutative()));
        }
        p.SetRoot(p.OneOf(roots));
        count += p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m, fused); });
      }
      if (residual) {
        // An activation after a Reshape of the output (YOLOv5's detection heads: Conv ->
        // Reshape -> Sigmoid, once sink_transposes has moved the head's Transpose past the
        // Sigmoid): the activation moves into the convolution, the Reshape stays after it.
        Pattern p;
        auto op = p.Op(base, {p.Any()}, Opts().Bind("op").ExtraInputs());
        auto reshape = p.Op("Reshape", {op, p.Any()}, Opts().Bind("reshape"));
        p.SetRoot(
            p.Op("Relu|Sigmoid|LeakyRelu|HardSigmoid|HardSwish", {reshape}, Opts().Bind("act")));
        count += p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m, fused); });
      }
      if (residual) {  // A residual Add alone (after the activation forms took theirs).
        Pattern p;
        auto op = p.Op(base, {p.Any()}, Opts().Bind("op").ExtraInputs());
        p.SetRoot(p.Op("Add", {op, p.Any("z")}, Opts().Bind("sum").Commutative()));
        count += p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m, fused); });
      }
    }
    return count;
  }

 private:
  static bool Apply(GraphEditor& g, const PassContext& ctx, const Match& m,
                    const std::string& fused_type) {
    ir::Node* op = m.N("op");
    ir::Node* act = m.N("act");
    if (g.ElemType(op->outputs[0]) != DataType::kFloat &&
        g.ElemType(op->inputs[0]) != DataType::kFloat) {
      return false;
    }
    const std::string& z = m.V("z");
    if (!z.empty()) {
      auto zs = g.StaticShape(z);
      auto ys = g.StaticShape(op->outputs[0]);
      if (z == op->outputs[0] || !zs || !ys || *zs != *ys || g.ElemType(z) != DataType::kFloat) {
        return false;
      }
    }
    std::string activation = act ? act->op_type : "";
    std::vector<float> params;
    if (!act) {
      // Residual Add only.
    } else if (m.N("hswish")) {
      activation = "HardSwish";
    } else if (act->op_type == "Mul") {
      activation = "Silu";
    } else if (act->op_type == "LeakyRelu") {
      params = {AttrFloat(*act, "alpha", 0.01f)};
    } else if (act->op_type == "HardSigmoid") {
      params = {AttrFloat(*act, "alpha", 0.2f), AttrFloat(*act, "beta", 0.5f)};
    } else if (act->op_type == "Clip") {
      float lo = -std::numeric_limits<float>::infinity();
      float hi = std::numeric_limits<float>::infinity();
      if (act->opset < 11) {
        lo = AttrFloat(*act, "min", lo);
        hi = AttrFloat(*act, "max", hi);
      } else {
        for (size_t i = 1; i < act->inputs.size() && i < 3; ++i) {
          if (act->inputs[i].empty()) continue;
          const Tensor* t = g.Constant(act->inputs[i]);
          double v = 0;
          if (!t || !ScalarValue(*t, &v)) return false;
          (i == 1 ? lo : hi) = static_cast<float>(v);
        }
      }
      params = {lo, hi};
    }
    ir::Node* root = m.root;
    const std::string y = root->outputs[0];
    // Through a Reshape, the fused node writes the convolution's output and the Reshape
    // (re-added after it) gives y.
    const ir::Node* reshape = m.N("reshape");
    const ir::Node reshape_copy = reshape ? *reshape : ir::Node();
    const std::string fused_out = reshape ? op->outputs[0] : y;
    std::vector<std::string> inputs = op->inputs;
    if (!z.empty()) {
      inputs.resize(3);  // B stays "" (absent) when the Conv has none.
      inputs.push_back(z);
    }
    std::vector<ir::Attribute> attrs = op->attributes;
    const std::string name = op->name;
    for (ir::Node* n : m.nodes) g.RemoveNode(n);
    ir::Node* f = g.AddNode(fused_type, inputs, {fused_out}, kDomain, root, name + "_fused");
    f->opset = 1;
    f->attributes = attrs;
    if (!activation.empty()) SetAttrString(*f, "activation", activation);
    if (!params.empty()) SetAttrFloats(*f, "activation_params", params);
    if (reshape) {
      ir::Node* r = g.AddNode("Reshape", {fused_out, reshape_copy.inputs[1]}, {y},
                              reshape_copy.domain, root, reshape_copy.name);
      r->opset = reshape_copy.opset;
      r->attributes = reshape_copy.attributes;
    }
    ctx.RequireDomain(kDomain, 1);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseConvActivationPass() {
  return std::make_unique<FuseConvActivationPass>();
}

}  // namespace onnxedge::opt
