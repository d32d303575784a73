// Copyright onnxedge authors.
// fuse_conv_mul_add: folds a per-channel constant scale or shift into the preceding Conv.
//
//   x -> Conv(W, B) -> Mul(c) -> y   =>  x -> Conv(W * c, B * c) -> y
//   x -> Conv(W, B) -> Div(c) -> y   =>  x -> Conv(W / c, B / c) -> y     (c != 0)
//   x -> Conv(W, B) -> Add(c) -> y   =>  x -> Conv(W, B + c) -> y
//   x -> Conv(W, B) -> Sub(c) -> y   =>  x -> Conv(W, B - c) -> y
//
// This catches BatchNormalization that an exporter decomposed into Mul and Add, biases added
// as a separate op, and constant rescaling after a convolution.
// Conditions: W (and B when present) and c are constants of one float type; c has one value
// per output channel ([M,1,1], [1,M,1,1]) or one value in total, so the Conv output's shape is
// unchanged; Mul/Add may have c on either side, Div/Sub only on the right; the Conv output is
// read only by that node.
#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool ConstBias(const ir::Node& n, const GraphEditor& g) {
  return n.inputs.size() < 3 || n.inputs[2].empty() || g.Constant(n.inputs[2]) != nullptr;
}

class FuseConvMulAddPass final : public Pass {
 public:
  const char* name() const override { return "fuse_conv_mul_add"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    Pattern p;
    auto conv = p.Op("Conv", {p.Any("x"), p.Const("w")},
                     Opts().Bind("conv").ExtraInputs().Where(ConstBias));
    p.SetRoot(p.OneOf({
        p.Op("Mul|Add", {conv, p.Const("c")}, Opts().Bind("op").Commutative()),
        p.Op("Div|Sub", {conv, p.Const("c")}, Opts().Bind("op")),
    }));
    return p.ForEachMatch(g, [&](const Match& m) { return Apply(g, m); });
  }

 private:
  static bool Apply(GraphEditor& g, const Match& m) {
    ir::Node* conv = m.N("conv");
    ir::Node* op = m.N("op");
    const Tensor& w = *g.Constant(m.V("w"));
    const Tensor& c = *g.Constant(m.V("c"));
    const DataType type = w.dtype();
    if (!IsFloatType(type) || w.rank() < 3 || c.dtype() != type) return false;
    const int64_t out_ch = w.dim(0);
    auto cv = PerChannelValues(c, out_ch, w.rank());
    if (!cv) return false;
    const bool has_b = conv->inputs.size() > 2 && !conv->inputs[2].empty();
    std::vector<double> b(static_cast<size_t>(out_ch), 0.0);
    if (has_b) {
      const Tensor& bt = *g.Constant(conv->inputs[2]);
      auto v = ReadFloats(bt);
      if (!v || bt.dtype() != type || bt.size() != out_ch) return false;
      b = std::move(*v);
    }
    const std::string& kind = op->op_type;
    if (kind == "Mul" || kind == "Div") {
      if (kind == "Div") {
        for (double& v : *cv) {
          if (v == 0) return false;
          v = 1.0 / v;
        }
      }
      auto wv = ReadFloats(w);
      if (!wv) return false;
      const int64_t per = w.size() / std::max<int64_t>(out_ch, 1);
      for (int64_t o = 0; o < out_ch; ++o) {
        for (int64_t i = 0; i < per; ++i) {
          (*wv)[static_cast<size_t>(o * per + i)] *= (*cv)[static_cast<size_t>(o)];
        }
        b[static_cast<size_t>(o)] *= (*cv)[static_cast<size_t>(o)];
      }
      g.SetInput(conv, 1,
                 g.AddConstant(m.V("w") + "_scaled", MakeFloatTensor(type, w.shape(), *wv)));
      if (has_b) {
        g.SetInput(conv, 2, g.AddConstant(conv->name + "_bias_scaled",
                                          MakeFloatTensor(type, {out_ch}, b)));
      }
    } else {
      const double sign = kind == "Sub" ? -1.0 : 1.0;
      for (int64_t o = 0; o < out_ch; ++o) {
        b[static_cast<size_t>(o)] += sign * (*cv)[static_cast<size_t>(o)];
      }
      g.SetInput(conv, 2,
                 g.AddConstant(conv->name + "_bias_added", MakeFloatTensor(type, {out_ch}, b)));
    }
    const std::string y = op->outputs[0];
    g.RemoveNode(op);
    g.SetOutput(conv, 0, y);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseConvMulAddPass() { return std::make_unique<FuseConvMulAddPass>(); }

}  // namespace onnxedge::opt
