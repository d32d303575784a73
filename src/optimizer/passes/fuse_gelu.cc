// Copyright onnxedge authors.
// fuse_gelu: recognises GELU written out in elementary ops and replaces it by one Gelu node.
//
//   erf form:   0.5 * x * (1 + Erf(x / sqrt(2)))                          =>  Gelu(x)
//   tanh form:  0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))   =>  Gelu(x, tanh)
//
// Accepted spellings: x / sqrt(2) or x * (1/sqrt(2)); x^3 as Pow(x, 3), x * x * x in either
// association; the outer product as (x * (1 + f)) * 0.5, x * ((1 + f) * 0.5) or
// (x * 0.5) * (1 + f); every Mul/Add with its operands in either order.
// The fused node is ONNX Gelu (approximate = none/tanh) when the model's opset is 20 or newer,
// otherwise com.microsoft Gelu / FastGelu, which ONNX Runtime defines identically.
// Conditions: constants within 1e-4 (relative) of the exact ones; x a float tensor (float32 only
// when the result will be saved, as ORT's contrib kernels are float32); every intermediate is
// read only inside the pattern.
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

constexpr double kTol = 1e-4;

class FuseGeluPass final : public Pass {
 public:
  const char* name() const override { return "fuse_gelu"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    Pattern p;
    auto x = p.Any("x");
    // erf(x / sqrt(2))
    auto scaled = p.OneOf({p.Op("Div", {x, p.Scalar(1.4142135623730951, kTol)}),
                           p.Op("Mul", {x, p.Scalar(0.7071067811865476, kTol)},
                                Opts().Commutative())});
    auto erf = p.Op("Erf", {scaled}, Opts().Bind("erf"));
    // tanh(sqrt(2/pi) * (x + 0.044715 * x^3))
    auto cube = p.OneOf({
        p.Op("Pow", {x, p.Scalar(3.0, kTol)}),
        p.Op("Mul", {p.Op("Mul", {x, x}), x}, Opts().Commutative()),
    });
    auto inner = p.Op("Add", {x, p.Op("Mul", {cube, p.Scalar(0.044715, kTol)},
                                      Opts().Commutative())},
                      Opts().Commutative());
    auto tanh = p.Op("Tanh", {p.Op("Mul", {inner, p.Scalar(0.7978845608028654, kTol)},
                                   Opts().Commutative())},
                     Opts().Bind("tanh"));
    auto one_plus = p.Op("Add", {p.OneOf({erf, tanh}), p.Scalar(1.0, kTol)},
                         Opts().Commutative());
    auto half = p.Scalar(0.5, kTol);
    p.SetRoot(p.OneOf({
        p.Op("Mul", {p.Op("Mul", {x, one_plus}, Opts().Commutative()), half},
             Opts().Bind("root").Commutative()),
        p.Op("Mul", {x, p.Op("Mul", {one_plus, half}, Opts().Commutative())},
             Opts().Bind("root").Commutative()),
        p.Op("Mul", {p.Op("Mul", {x, half}, Opts().Commutative()), one_plus},
             Opts().Bind("root").Commutative()),
    }));
    const int opset = ctx.Opset("");
    const bool use_onnx = opset >= 20;
    return p.ForEachMatch(g, [&](const Match& m) {
      const bool tanh_form = m.HasNode("tanh");
      const DataType type = g.ElemType(m.V("x"));
      if (ctx.for_export ? type != DataType::kFloat
                         : (type != DataType::kFloat && type != DataType::kDouble &&
                            type != DataType::kFloat16)) {
        return false;
      }
      const char* op = use_onnx ? "Gelu" : tanh_form ? "FastGelu" : "Gelu";
      const std::string domain = use_onnx ? "" : "com.microsoft";
      const int node_opset = use_onnx ? opset : 1;
      if (!PassContext::HasKernel(domain, op, node_opset)) return false;
      ir::Node* root = m.root;
      const std::string y = root->outputs[0];
      for (ir::Node* n : m.nodes) g.RemoveNode(n);
      ir::Node* gelu = g.AddNode(op, {m.V("x")}, {y}, domain, root, root->name + "_gelu");
      gelu->opset = node_opset;
      if (use_onnx && tanh_form) SetAttrString(*gelu, "approximate", "tanh");
      if (!use_onnx) ctx.RequireDomain("com.microsoft", 1);
      return true;
    });
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseGeluPass() { return std::make_unique<FuseGeluPass>(); }

}  // namespace onnxedge::opt
