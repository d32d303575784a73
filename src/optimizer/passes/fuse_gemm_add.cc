// Copyright onnxedge authors.
// fuse_gemm_add: folds a constant added to a Gemm's result into its C input.
//
//   A, B -> Gemm(C, alpha, beta) -> Add(c) -> y   =>  A, B -> Gemm(C', alpha, beta = 1) -> y
//   with C' = beta * C + c  (C' = c when C is absent)
//
// Conditions: C (when present) and c are constants of one float type; c broadcasts to the
// Gemm output [M, N] without enlarging it (rank <= 2, each dim 1 or the output's: the last
// dim must equal N when N is known, a leading dim other than 1 needs M known); the Gemm output
// is read only by the Add; Add may have c on either side.
#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool ConstC(const ir::Node& n, const GraphEditor& g) {
  return n.opset >= 7 &&
         (n.inputs.size() < 3 || n.inputs[2].empty() || g.Constant(n.inputs[2]) != nullptr);
}

class FuseGemmAddPass final : public Pass {
 public:
  const char* name() const override { return "fuse_gemm_add"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    Pattern p;
    auto gemm = p.Op("Gemm", {p.Any("a"), p.Any("b")},
                     Opts().Bind("gemm").ExtraInputs().Where(ConstC));
    p.SetRoot(p.Op("Add", {gemm, p.Const("c")}, Opts().Bind("add").Commutative()));
    return p.ForEachMatch(g, [&](const Match& m) { return Apply(g, m); });
  }

 private:
  static bool Apply(GraphEditor& g, const Match& m) {
    ir::Node* gemm = m.N("gemm");
    ir::Node* add = m.N("add");
    const Tensor& c = *g.Constant(m.V("c"));
    const DataType type = c.dtype();
    if (!IsFloatType(type) || c.rank() > 2) return false;
    // Output dims [M, N] as far as known.
    auto out = g.PartialShape(gemm->outputs[0]);
    int64_t m_dim = -1, n_dim = -1;
    if (out && out->size() == 2) {
      m_dim = (*out)[0];
      n_dim = (*out)[1];
    }
    if (n_dim < 0) {
      // N from B's shape.
      auto bs = g.PartialShape(gemm->inputs[1]);
      if (bs && bs->size() == 2) n_dim = AttrInt(*gemm, "transB", 0) ? (*bs)[0] : (*bs)[1];
    }
    const Shape c2 = c.rank() == 2 ? c.shape() : c.rank() == 1 ? Shape{1, c.dim(0)} : Shape{1, 1};
    if (c2[1] != 1 && c2[1] != n_dim) return false;
    if (c2[0] != 1 && c2[0] != m_dim) return false;
    auto cv = ReadFloats(c);
    if (!cv) return false;
    Shape merged_shape = c2;
    std::vector<double> merged = *cv;
    const bool has_c = gemm->inputs.size() > 2 && !gemm->inputs[2].empty();
    if (has_c) {
      const Tensor& old = *g.Constant(gemm->inputs[2]);
      auto ov = ReadFloats(old);
      if (!ov || old.dtype() != type || old.rank() > 2) return false;
      const Shape o2 = old.rank() == 2   ? old.shape()
                       : old.rank() == 1 ? Shape{1, old.dim(0)}
                                         : Shape{1, 1};
      auto shape = BroadcastShapes(o2, c2);
      if (!shape) return false;
      const double beta = AttrFloat(*gemm, "beta", 1.f);
      auto a = BroadcastValues(*ov, o2, *shape);
      auto b = BroadcastValues(*cv, c2, *shape);
      for (size_t i = 0; i < a.size(); ++i) a[i] = beta * a[i] + b[i];
      merged = std::move(a);
      merged_shape = *shape;
    }
    // Keep C 1-D when it is a row vector (the common bias form).
    Shape final_shape = merged_shape[0] == 1 ? Shape{merged_shape[1]} : merged_shape;
    g.SetInput(gemm, 2, g.AddConstant(gemm->name + "_bias", MakeFloatTensor(type, final_shape,
                                                                             merged)));
    SetAttrFloat(*gemm, "beta", 1.f);
    const std::string y = add->outputs[0];
    g.RemoveNode(add);
    g.SetOutput(gemm, 0, y);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseBiasAddPass() { return std::make_unique<FuseGemmAddPass>(); }

}  // namespace onnxedge::opt
