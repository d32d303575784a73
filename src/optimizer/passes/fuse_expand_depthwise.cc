// Copyright onnxedge authors.
// fuse_expand_depthwise: the expansion 1x1 convolution of an inverted residual block and the
// depthwise convolution that reads it become one op, so the expanded tensor (6x the block's
// input) never goes to memory.
//
//   x -> Conv | FusedConv (1x1, group 1, stride 1, no pads; W1, B1, act1) -> e
//     -> Conv | FusedConv (depthwise k x k, stride s; W2, B2, act2) -> y
//     =>  x -> com.onnxedge.FusedExpandDepthwise(X, W1, B1, W2, B2; expand_activation = act1,
//               activation = act2, strides, pads, kernel_shape) -> y
//
// Conditions: both convolutions NCHW (not channels_last: the pass runs after layout_nhwc, so it
// takes only the wide layers that stay NCHW), float32, 2-D, dilations 1, auto_pad NOTSET; W1 a
// constant [E, C, 1, 1] with E >= kMinExpansion x C; W2 a constant [E, 1, k, k] with group E,
// k 3 or 5, strides [s, s] with s 1 or 2 and each pad below k (the direct depthwise kernels'
// shapes); neither has a residual input Z; e is read only by the depthwise convolution and is
// not a graph output; X's width is static and in [kMinWidth, kMaxWidth]. FusedExpandDepthwise
// is onnxedge-private: when the model is to be saved the pass runs only at level "all"; a no-op
// until the kernel is registered.
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

constexpr const char* kDomain = "com.onnxedge";
// Input widths fused. MobileNetV2's 56-wide blocks gain (thread CPU time, 1 and 2 threads,
// interleaved runs: 1x1 24->144 + dw 3x3 stride 2 311-388 vs 359-469 us, -11 to -22 %; stride 1
// 355-524 vs 370-600 us, -4 to -13 %); its 112-wide block (16->96, stride 2) went from -10 % at
// one thread to +4 % at two, so wider maps stay separate. Narrower maps are channels-last in
// the separable networks (layout_nhwc's kMaxWidthSeparable = 28) and never reach this pass.
constexpr int64_t kMinWidth = 32;
constexpr int64_t kMaxWidth = 64;
// Fewest expanded channels per input channel. YOLOX-nano's six 52-wide 1x1 -> dw pairs with as
// many channels out as in (32 -> 32, 64 -> 64, SiLU) ran even fused (12.92 against 12.91 ms of
// CPU time per run, 6 interleaved rounds): the expanded tensor is no larger than the input.
constexpr int64_t kMinExpansion = 2;

bool IsNchwConv(const ir::Node& n) {
  const bool conv = n.domain.empty() && n.op_type == "Conv";
  const bool fused = n.domain == kDomain && n.op_type == "FusedConv";
  if (!(conv || fused) || n.outputs.size() != 1 || n.inputs.size() < 2) return false;
  if (fused && AttrInt(n, "channels_last", 0) != 0) return false;
  if (n.inputs.size() > 3 && !n.inputs[3].empty()) return false;  // residual Z
  if (AttrString(n, "auto_pad", "NOTSET") != "NOTSET") return false;
  if (auto d = AttrInts(n, "dilations")) {
    for (int64_t v : *d) {
      if (v != 1) return false;
    }
  }
  return true;
}

const ir::Attribute* FindAttr(const ir::Node& n, const std::string& name) {
  for (const ir::Attribute& a : n.attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

class FuseExpandDepthwisePass final : public Pass {
 public:
  const char* name() const override { return "fuse_expand_depthwise"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (ctx.for_export && ctx.level != OptimizationLevel::kAll) return 0;
    if (!PassContext::HasKernel(kDomain, "FusedExpandDepthwise", 1)) return 0;
    int count = 0;
    for (ir::Node* dw : g.Nodes()) {
      if (g.IsRemoved(dw)) continue;
      ir::Node* ex = Match(g, *dw);
      if (!ex) continue;
      Apply(g, ctx, ex, dw);
      ++count;
    }
    return count;
  }

 private:
  // The expansion convolution feeding depthwise convolution `dw`, or null when the pair does
  // not qualify.
  static ir::Node* Match(const GraphEditor& g, const ir::Node& dw) {
    if (!IsNchwConv(dw)) return nullptr;
    const Tensor* w2 = g.Constant(dw.inputs[1]);
    if (!w2 || w2->dtype() != DataType::kFloat || w2->rank() != 4) return nullptr;
    const int64_t e = w2->dim(0), k = w2->dim(2);
    if (w2->dim(1) != 1 || w2->dim(3) != k || (k != 3 && k != 5)) return nullptr;
    if (AttrInt(dw, "group", 1) != e || e <= 1) return nullptr;
    if (auto ks = AttrInts(dw, "kernel_shape"); ks && *ks != std::vector<int64_t>{k, k}) {
      return nullptr;
    }
    auto strides = AttrInts(dw, "strides");
    const int64_t s = strides ? (strides->size() == 2 ? (*strides)[0] : -1) : 1;
    if (strides && (strides->size() != 2 || (*strides)[1] != s)) return nullptr;
    if (s != 1 && s != 2) return nullptr;
    if (auto pads = AttrInts(dw, "pads")) {
      if (pads->size() != 4) return nullptr;
      for (int64_t p : *pads) {
        if (p < 0 || p >= k) return nullptr;
      }
    }
    const std::string& mid = dw.inputs[0];
    if (g.IsGraphOutput(mid) || !g.HasSingleUse(mid) || g.HasImplicitUses(mid)) return nullptr;
    ir::Node* ex = g.Producer(mid);
    if (!ex || !IsNchwConv(*ex) || ex->outputs[0] != mid) return nullptr;
    const Tensor* w1 = g.Constant(ex->inputs[1]);
    if (!w1 || w1->dtype() != DataType::kFloat || w1->rank() != 4) return nullptr;
    if (w1->dim(0) != e || w1->dim(2) != 1 || w1->dim(3) != 1) return nullptr;
    if (e < kMinExpansion * w1->dim(1)) return nullptr;
    if (AttrInt(*ex, "group", 1) != 1) return nullptr;
    for (const char* a : {"strides", "pads"}) {
      if (auto v = AttrInts(*ex, a)) {
        for (int64_t x : *v) {
          if (x != (std::string(a) == "strides" ? 1 : 0)) return nullptr;
        }
      }
    }
    if (g.ElemType(ex->inputs[0]) != DataType::kFloat) return nullptr;
    auto xs = g.PartialShape(ex->inputs[0]);
    if (!xs || xs->size() != 4 || (*xs)[1] != w1->dim(1) || (*xs)[3] < kMinWidth ||
        (*xs)[3] > kMaxWidth) {
      return nullptr;
    }
    return ex;
  }

  static void Apply(GraphEditor& g, const PassContext& ctx, ir::Node* ex, ir::Node* dw) {
    auto input = [](const ir::Node* n, size_t i) {
      return i < n->inputs.size() ? n->inputs[i] : std::string();
    };
    const std::vector<std::string> inputs = {ex->inputs[0], ex->inputs[1], input(ex, 2),
                                             dw->inputs[1], input(dw, 2)};
    const int64_t k = g.Constant(dw->inputs[1])->dim(2);
    std::vector<ir::Attribute> attrs;
    for (const char* name : {"activation", "activation_params"}) {
      if (const ir::Attribute* a = FindAttr(*ex, name)) {
        attrs.push_back(*a);
        attrs.back().name = std::string("expand_") + name;
      }
      if (const ir::Attribute* a = FindAttr(*dw, name)) attrs.push_back(*a);
    }
    auto strides = AttrInts(*dw, "strides");
    auto pads = AttrInts(*dw, "pads");
    const std::string y = dw->outputs[0];
    const std::string node_name = dw->name;
    g.RemoveNode(ex);
    g.RemoveNode(dw);
    ir::Node* f = g.AddNode("FusedExpandDepthwise", inputs, {y}, kDomain, dw,
                            node_name + "_expand_fused");
    f->opset = 1;
    f->attributes = attrs;
    SetAttrInts(*f, "kernel_shape", {k, k});
    SetAttrInts(*f, "strides", strides ? *strides : std::vector<int64_t>{1, 1});
    SetAttrInts(*f, "pads", pads ? *pads : std::vector<int64_t>{0, 0, 0, 0});
    ctx.RequireDomain(kDomain, 1);
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseExpandDepthwisePass() {
  return std::make_unique<FuseExpandDepthwisePass>();
}

}  // namespace onnxedge::opt
