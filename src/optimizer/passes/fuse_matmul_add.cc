// Copyright onnxedge authors.
// fuse_matmul_add: turns MatMul followed by a bias Add into one Gemm (whose packed GEMM adds
// the bias in its epilogue instead of a second pass over the output).
//
//   A[M,K] -> MatMul(B[K,N]) -> Add(c) -> y         =>  Gemm(A, B, c) -> y
//   A[d0,..,K] -> MatMul(B[K,N]) -> Add(c) -> y     =>  Reshape(A, [-1, K]) -> Gemm(.., B, c)
//                                                       -> Reshape([d0, .., N]) -> y
//
// Conditions: B has rank 2; A's rank is known and >= 2 (above 2 all of A's dims must be known
// for the reshape back, and Reshape is free in onnxedge: it shares the buffer); c is a constant
// whose dims after dropping leading 1s are [N] or [1, N] or a single value (a true bias); the
// element type is a known float type; the MatMul output is read only by the Add; Add may have
// c on either side.
#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

class FuseMatMulAddPass final : public Pass {
 public:
  const char* name() const override { return "fuse_matmul_add"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    Pattern p;
    auto mm = p.Op("MatMul", {p.Any("a"), p.Any("b")}, Opts().Bind("matmul"));
    p.SetRoot(p.Op("Add", {mm, p.Const("c")}, Opts().Bind("add").Commutative()));
    return p.ForEachMatch(g, [&](const Match& m) { return Apply(g, m); });
  }

 private:
  static bool Apply(GraphEditor& g, const Match& m) {
    if (m.N("matmul")->opset < 7) return false;  // Gemm broadcasts C from opset 7.
    const std::string& a = m.V("a");
    const std::string& b = m.V("b");
    const Tensor& c = *g.Constant(m.V("c"));
    const DataType type = g.ElemType(a);
    if (!IsFloatType(type) || c.dtype() != type) return false;
    auto bs = g.PartialShape(b);
    auto as = g.PartialShape(a);
    if (!bs || bs->size() != 2 || !as || as->size() < 2) return false;
    const int64_t n = (*bs)[1];
    const int64_t k = (*bs)[0];
    // c must be a bias over N: drop leading 1s, then [N], [1]...
    size_t lead = 0;
    while (lead < c.rank() && c.dim(lead) == 1) ++lead;
    if (c.rank() > as->size()) return false;
    Shape bias_shape;
    if (lead == c.rank()) {
      bias_shape = {1};
    } else if (lead == c.rank() - 1 && c.dim(lead) == n && n > 0) {
      bias_shape = {n};
    } else {
      return false;
    }
    auto bias = c.Reshaped(bias_shape);
    if (!bias.ok()) return false;
    std::string bias_name = m.V("c");
    if (c.shape() != bias_shape) bias_name = g.AddConstant(bias_name + "_1d", *bias);

    ir::Node* add = m.N("add");
    ir::Node* matmul = m.N("matmul");
    const std::string y = add->outputs[0];
    if (as->size() == 2) {
      g.RemoveNode(add);
      g.RemoveNode(matmul);
      ir::Node* gemm = g.AddNode("Gemm", {a, b, bias_name}, {y}, "", add, matmul->name + "_gemm");
      (void)gemm;
      return true;
    }
    for (int64_t d : *as) {
      if (d < 0) return false;
    }
    if (k < 0 || (*as).back() != k) return false;
    Shape out_shape(as->begin(), as->end() - 1);
    out_shape.push_back(n);
    if (n < 0) return false;
    g.RemoveNode(add);
    g.RemoveNode(matmul);
    const std::string a2 = g.NewName(a + "_2d");
    const std::string y2 = g.NewName(y + "_2d");
    g.AddNode("Reshape", {a, g.AddConstant(a2 + "_shape", MakeInt64Tensor({-1, k}))}, {a2}, "",
              add, matmul->name + "_flatten");
    ir::Node* gemm = g.AddNode("Gemm", {a2, b, bias_name}, {y2}, "", add, matmul->name + "_gemm");
    g.AddNode("Reshape", {y2, g.AddConstant(y2 + "_shape", MakeInt64Tensor(out_shape))}, {y}, "",
              gemm, matmul->name + "_unflatten");
    ir::TypeInfo t2 = ir::TypeInfo::Tensor(type);
    t2.has_shape = true;
    t2.dims = {ir::Dim{ShapeElementCount(*as) / std::max<int64_t>(k, 1), ""}, ir::Dim{k, ""}};
    g.SetType(a2, t2);
    t2.dims[1] = ir::Dim{n, ""};
    g.SetType(y2, t2);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseMatMulAddPass() { return std::make_unique<FuseMatMulAddPass>(); }

}  // namespace onnxedge::opt
