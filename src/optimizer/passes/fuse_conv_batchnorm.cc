// Copyright onnxedge authors.
// fuse_conv_batchnorm: folds an inference BatchNormalization into the preceding Conv.
//
//   x -> Conv(W, B) -> BatchNormalization(scale, bias, mean, var, epsilon) -> y
//     =>  x -> Conv(W', B') -> y
//   with f[m] = scale[m] / sqrt(var[m] + epsilon),  W'[m] = W[m] * f[m],
//        B'[m] = (B[m] - mean[m]) * f[m] + bias[m]   (B = 0 when absent)
//
// Conditions: W, B and the four BatchNormalization parameters are constants of one float type;
// the Conv output is read only by the BatchNormalization; the BatchNormalization is in inference
// mode (training_mode = 0, only output 0 read) and, before opset 9, spatial = 1. The folded
// weights get fresh names (the originals may be shared). Computed in float64, rounded once.
#include <cmath>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

bool ConstBias(const ir::Node& n, const GraphEditor& g) {
  return n.inputs.size() < 3 || n.inputs[2].empty() || g.Constant(n.inputs[2]) != nullptr;
}

bool InferenceBatchNorm(const ir::Node& n, const GraphEditor& g) {
  if (AttrInt(n, "training_mode", 0) != 0) return false;
  if (n.opset < 9 && AttrInt(n, "spatial", 1) != 1) return false;
  for (size_t i = 1; i < n.outputs.size(); ++i) {
    if (!n.outputs[i].empty() && g.NumUses(n.outputs[i]) > 0) return false;
  }
  return true;
}

class FuseConvBatchNormPass final : public Pass {
 public:
  const char* name() const override { return "fuse_conv_batchnorm"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    Pattern p;
    auto conv = p.Op("Conv", {p.Any("x"), p.Const("w")},
                     Opts().Bind("conv").ExtraInputs().Where(ConstBias));
    p.SetRoot(p.Op("BatchNormalization",
                   {conv, p.Const("scale"), p.Const("bias"), p.Const("mean"), p.Const("var")},
                   Opts().Bind("bn").Where(InferenceBatchNorm)));
    return p.ForEachMatch(g, [&](const Match& m) { return Apply(g, m); });
  }

 private:
  static bool Apply(GraphEditor& g, const Match& m) {
    ir::Node* conv = m.N("conv");
    ir::Node* bn = m.N("bn");
    const Tensor& w = *g.Constant(m.V("w"));
    const DataType type = w.dtype();
    if (!IsFloatType(type) || w.rank() < 3) return false;
    const int64_t out_ch = w.dim(0);
    auto wv = ReadFloats(w);
    std::vector<std::vector<double>> params;
    for (const char* name : {"scale", "bias", "mean", "var"}) {
      const Tensor& t = *g.Constant(m.V(name));
      auto v = ReadFloats(t);
      if (!v || t.dtype() != type || t.size() != out_ch) return false;
      params.push_back(std::move(*v));
    }
    std::vector<double> b(static_cast<size_t>(out_ch), 0.0);
    if (conv->inputs.size() > 2 && !conv->inputs[2].empty()) {
      const Tensor& bt = *g.Constant(conv->inputs[2]);
      auto v = ReadFloats(bt);
      if (!v || bt.dtype() != type || bt.size() != out_ch) return false;
      b = std::move(*v);
    }
    if (!wv) return false;
    const double eps = AttrFloat(*bn, "epsilon", 1e-5f);
    const int64_t per = w.size() / std::max<int64_t>(out_ch, 1);
    std::vector<double> bias(static_cast<size_t>(out_ch));
    for (int64_t c = 0; c < out_ch; ++c) {
      const size_t ci = static_cast<size_t>(c);
      const double f = params[0][ci] / std::sqrt(params[3][ci] + eps);
      for (int64_t i = 0; i < per; ++i) (*wv)[static_cast<size_t>(c * per + i)] *= f;
      bias[ci] = (b[ci] - params[2][ci]) * f + params[1][ci];
    }
    const std::string w_name =
        g.AddConstant(m.V("w") + "_bn", MakeFloatTensor(type, w.shape(), *wv));
    const std::string b_name =
        g.AddConstant(conv->name + "_bias_bn", MakeFloatTensor(type, {out_ch}, bias));
    g.SetInput(conv, 1, w_name);
    g.SetInput(conv, 2, b_name);
    const std::string y = bn->outputs[0];
    g.RemoveNode(bn);
    g.SetOutput(conv, 0, y);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseConvBatchNormPass() {
  return std::make_unique<FuseConvBatchNormPass>();
}

}  // namespace onnxedge::opt
