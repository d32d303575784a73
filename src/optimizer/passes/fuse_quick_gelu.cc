// Copyright onnxedge authors.
// fuse_quick_gelu: merges SiLU / QuickGELU written as a Sigmoid and a Mul into one node.
//
//   x -> Sigmoid -> s;  Mul(x, s) -> y                 =>  com.microsoft.QuickGelu(x, alpha = 1)
//   x -> Mul(a) -> Sigmoid -> s;  Mul(x, s) -> y       =>  com.microsoft.QuickGelu(x, alpha = a)
//
// com.microsoft QuickGelu is ONNX Runtime's contrib op with exactly this meaning (ORT makes the
// same rewrite). Runs after fuse_conv_activation so that a Conv followed by SiLU becomes one
// FusedConv when that kernel exists.
// Conditions: a is a constant scalar; x is float32 (ORT's kernel type) or, when the result is
// not saved, float64 / float16; the Sigmoid (and the scaling Mul) are read only by the pattern.
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

constexpr const char* kDomain = "com.microsoft";

class FuseQuickGeluPass final : public Pass {
 public:
  const char* name() const override { return "fuse_quick_gelu"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (!PassContext::HasKernel(kDomain, "QuickGelu", 1)) return 0;
    Pattern p;
    auto x = p.Any("x");
    auto sig = p.OneOf({
        p.Op("Sigmoid", {p.Op("Mul", {x, p.Const("alpha")}, Opts().Commutative())}),
        p.Op("Sigmoid", {x}),
    });
    p.SetRoot(p.Op("Mul", {x, sig}, Opts().Commutative()));
    return p.ForEachMatch(g, [&](const Match& m) {
      const DataType type = g.ElemType(m.V("x"));
      if (ctx.for_export ? type != DataType::kFloat
                         : (type != DataType::kFloat && type != DataType::kDouble &&
                            type != DataType::kFloat16)) {
        return false;
      }
      double alpha = 1;
      if (!m.V("alpha").empty()) {
        const Tensor* a = g.Constant(m.V("alpha"));
        if (!a || !ScalarValue(*a, &alpha) || a->dtype() != type) return false;
      }
      ir::Node* root = m.root;
      const std::string y = root->outputs[0];
      for (ir::Node* n : m.nodes) g.RemoveNode(n);
      ir::Node* q = g.AddNode("QuickGelu", {m.V("x")}, {y}, kDomain, root,
                              root->name + "_quickgelu");
      q->opset = 1;
      SetAttrFloat(*q, "alpha", static_cast<float>(alpha));
      ctx.RequireDomain(kDomain, 1);
      return true;
    });
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseQuickGeluPass() { return std::make_unique<FuseQuickGeluPass>(); }

}  // namespace onnxedge::opt
