// Copyright onnxedge authors.
// fuse_conv_activation: merges an activation into the Conv or Gemm before it.
//
//   x -> Conv -> c -> Relu | Clip | Sigmoid | LeakyRelu | HardSwish -> y
//   x -> Conv -> c -> Mul(c, Sigmoid(c)) -> y                          (SiLU)
//     =>  x -> com.onnxedge.FusedConv(activation = "Relu" | ..., activation_params) -> y
//   and the same for Gemm -> com.onnxedge.FusedGemm.
//
// activation_params: Clip [min, max] (missing bounds are -inf/+inf), LeakyRelu [alpha];
// none for the others. The fused node keeps the Conv/Gemm inputs and attributes.
// Conditions: the fused kernels are registered (OpRegistry has com.onnxedge FusedConv /
// FusedGemm); Clip bounds are constants; the Conv/Gemm output is read only by the activation;
// float32. FusedConv/FusedGemm are onnxedge-private, so when the model is to be saved this
// pass runs only at level "all".
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
      Pattern p;
      auto op = p.Op(base, {p.Any()}, Opts().Bind("op").ExtraInputs());
      p.SetRoot(p.OneOf({
          p.Op("Relu|Sigmoid|LeakyRelu|HardSwish", {op}, Opts().Bind("act")),
          p.Op("Clip", {op}, Opts().Bind("act").ExtraInputs()),
          p.Op("Mul", {op, p.Op("Sigmoid", {op})}, Opts().Bind("act").Commutative()),
      }));
      count += p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m, fused); });
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
    std::string activation = act->op_type;
    std::vector<float> params;
    if (act->op_type == "Mul") {
      activation = "SiLU";
    } else if (act->op_type == "LeakyRelu") {
      params = {AttrFloat(*act, "alpha", 0.01f)};
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
    const std::string y = act->outputs[0];
    std::vector<std::string> inputs = op->inputs;
    std::vector<ir::Attribute> attrs = op->attributes;
    const std::string name = op->name;
    g.RemoveNode(act);
    for (ir::Node* n : m.nodes) g.RemoveNode(n);
    ir::Node* f = g.AddNode(fused_type, inputs, {y}, kDomain, act, name + "_fused");
    f->opset = 1;
    f->attributes = attrs;
    SetAttrString(*f, "activation", activation);
    if (!params.empty()) SetAttrFloats(*f, "activation_params", params);
    ctx.RequireDomain(kDomain, 1);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseConvActivationPass() {
  return std::make_unique<FuseConvActivationPass>();
}

}  // namespace onnxedge::opt
