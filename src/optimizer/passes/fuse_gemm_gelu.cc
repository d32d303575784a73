// Copyright onnxedge authors.
// fuse_gemm_gelu: merges a GELU into the Gemm before it, as the FusedGemm epilogue.
//
//   a -> Gemm | FusedGemm(no activation) -> h -> Gelu -> y
//     =>  a -> com.onnxedge.FusedGemm(activation = "Gelu" | "GeluTanh") -> y
//   a -> Gemm -> h -> Reshape(h, shape) -> r -> Gelu -> y         (MatMul + Add on rank > 2
//        inputs, which fuse_matmul_add turns into Reshape -> Gemm -> Reshape)
//     =>  a -> com.onnxedge.FusedGemm(activation) -> h -> Reshape(h, shape) -> y
//
// Gelu is ONNX Gelu (opset 20+, approximate "none" -> "Gelu", "tanh" -> "GeluTanh") or
// com.microsoft Gelu (the erf form, created by fuse_gelu below opset 20). com.microsoft FastGelu
// is left alone: its kernel computes the tanh form in its own scalar formula, so the fused
// epilogue (kernels/vecmath.h kGeluTanh) would not give its values bit for bit. The epilogue
// applies the Gelu kernel's own vecmath.h function to each finished block of the output, so
// the fused output equals Gemm -> Gelu exactly.
// Conditions: the FusedGemm kernel is registered; float32; h (and r) are read only by the next
// node of the pattern and are not graph outputs; a FusedGemm has no activation yet.
// FusedGemm is onnxedge-private, so when the model is to be saved this pass runs only at level
// "all" (as fuse_conv_activation).
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

constexpr const char* kDomain = "com.onnxedge";

class FuseGemmGeluPass final : public Pass {
 public:
  const char* name() const override { return "fuse_gemm_gelu"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (ctx.for_export && ctx.level != OptimizationLevel::kAll) return 0;
    if (!PassContext::HasKernel(kDomain, "FusedGemm", 1)) return 0;
    int count = 0;
    for (bool reshape : {false, true}) {
      Pattern p;
      auto op = p.OneOf(
          {p.Op("Gemm", {p.Any()}, Opts().Bind("op").ExtraInputs()),
           p.Op("FusedGemm", {p.Any()},
                Opts().Bind("op").ExtraInputs().Domain(kDomain).Where(
                    [](const ir::Node& n, const GraphEditor&) {
                      return AttrString(n, "activation", "").empty();
                    }))});
      auto src = reshape ? p.Op("Reshape", {op, p.Any()}, Opts().Bind("reshape")) : op;
      p.SetRoot(p.OneOf({p.Op("Gelu", {src}, Opts().Bind("gelu")),
                         p.Op("Gelu", {src}, Opts().Bind("gelu").Domain("com.microsoft"))}));
      count += p.ForEachMatch(g, [&](const Match& m) { return Apply(g, ctx, m); });
    }
    return count;
  }

 private:
  static bool Apply(GraphEditor& g, const PassContext& ctx, const Match& m) {
    ir::Node* op = m.N("op");
    ir::Node* gelu = m.N("gelu");
    ir::Node* reshape = m.N("reshape");
    // A FusedGemm's output may be untyped (shape inference skips com.onnxedge): then A's type.
    if (g.ElemType(op->outputs[0]) != DataType::kFloat &&
        g.ElemType(op->inputs[0]) != DataType::kFloat) {
      return false;
    }
    std::string activation = "Gelu";
    if (gelu->domain.empty()) {
      const std::string approximate = AttrString(*gelu, "approximate", "none");
      if (approximate == "tanh") {
        activation = "GeluTanh";
      } else if (approximate != "none") {
        return false;
      }
    }
    const std::string y = gelu->outputs[0];
    const std::string h = op->outputs[0];
    std::vector<std::string> inputs = op->inputs;
    std::vector<ir::Attribute> attrs = op->attributes;
    const std::string name = op->name;
    g.RemoveNode(gelu);
    g.RemoveNode(op);
    ir::Node* f = g.AddNode("FusedGemm", inputs, {reshape ? h : y}, kDomain, op,
                            name + "_gelu");
    f->opset = 1;
    f->attributes = attrs;
    SetAttrString(*f, "activation", activation);
    if (reshape) g.SetOutput(reshape, 0, y);
    ctx.RequireDomain(kDomain, 1);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseGemmGeluPass() { return std::make_unique<FuseGemmGeluPass>(); }

}  // namespace onnxedge::opt
