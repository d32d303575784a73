// Copyright onnxedge authors.
// layout_nhwc: runs 2-D convolutions channels-last, with the layout conversions as transposes
// that the transpose passes then cancel between consecutive convolutions.
//
//   x -> Conv | FusedConv(X, W, B, Z) -> y
//     =>  x -> Transpose(0,2,3,1) -> com.onnxedge.FusedConv(channels_last = 1) -> Transpose(0,3,1,2) -> y
//         (Z, when present, gets its own Transpose(0,2,3,1))
//   x -> MaxPool (2-D, no Indices) -> y
//     =>  x -> Transpose(0,2,3,1) -> com.onnxedge.MaxPool(channels_last = 1) -> Transpose(0,3,1,2) -> y
//
// Between two converted convolutions the graph then reads ... -> Transpose(0,3,1,2) ->
// [elementwise ops, Concat, Resize] -> Transpose(0,2,3,1) -> ...; sink_transposes moves the
// first transpose down to the second and fuse_transposes cancels the pair, so transposes are
// left where the graph meets a non-converted op (its inputs, outputs, pools, reshapes).
// Conditions: the output's static width is at most 56 when dense windowed convolutions carry
// most of the graph's work, at most 28 in a depthwise/pointwise network (kMaxWidth,
// kMaxWidthSeparable and WorthIt below say why), and so is the input's, except that a dense
// convolution with column stride 2 in such a dense graph may read a map up to 112 wide
// (InputWidthFactor);
// the FusedConv (com.onnxedge MaxPool) kernel is registered; X has rank 4 and element type float32; W is
// a constant float32 [M, C/group, kh, kw] with group 1 or depthwise with one output channel per
// group (the groupings the channels-last kernel has; others stay NCHW); not when exporting
// below level "all" (FusedConv is onnxedge-private). The attributes of the convolution (pads,
// strides, dilations, auto_pad, activation) carry over unchanged: they are spatial.
#include <map>

#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

constexpr const char* kDomain = "com.onnxedge";
const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};
// Widest output row converted. The early high-resolution layers of these networks have few
// channels (3 to 32): channels-last, the GEMM tile is only as wide as the output channel count
// (16 columns for 16 channels, where the AVX-512 tile holds 64), while the NCHW engine's tile
// runs along the wide rows; measured (one thread, CPU time) YOLOX-nano's 208x208 12->16 conv
// took 1.4x, MobileNetV2's 112x112 layers 1.1-1.6x their NCHW time, the 56-wide and narrower
// layers 0.8-1.0x. So those layers stay NCHW and the layout switches once, at the first
// narrower map.
constexpr int64_t kMaxWidth = 56;
// Widest output row converted in depthwise/pointwise networks (MobileNetV2, YOLOX-nano, the
// PP-OCR models). Channels-last, a depthwise layer's vector holds 16 channels of one pixel, so a
// narrow map fills every lane (NCHW vectors run along rows: a 7-wide row fills 7 of 16), and the
// 1x1 layers of small maps fill their GEMM tiles better. Measured (one thread, CPU time of the
// converted layers, same run): depthwise 7x7 x 960 0.36x, 14x14 x 576 0.65x, 26x26 x 64 0.62x of
// their NCHW time, 1x1 on 7x7 and 14x14 maps 0.75-1.0x; the whole of MobileNetV2 0.92x,
// YOLOX-nano 0.93x. At 52-56 wide, the depthwise layers still gain (0.75-0.8x) but the 1x1 layers
// with 32 channels lose (1.1x) and channel Concats take twice as long channels-last, a wash.
constexpr int64_t kMaxWidthSeparable = 28;

class LayoutNhwcPass final : public Pass {
 public:
  const char* name() const override { return "layout_nhwc"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    if (ctx.for_export && ctx.level != OptimizationLevel::kAll) return 0;
    if (!PassContext::HasKernel(kDomain, "FusedConv", 1)) return 0;
    const int64_t max_width = WorthIt(g) ? kMaxWidth : kMaxWidthSeparable;
    int count = 0;
    const bool pools = PassContext::HasKernel(kDomain, "MaxPool", 1);
    // NCHW value -> its NHWC transpose, shared by every converted reader (a skip connection
    // and the next convolution read the same value).
    std::map<std::string, std::string> nhwc;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n)) continue;
      if (Convertible(g, *n, max_width)) {
        Convert(g, ctx, n, "FusedConv", &nhwc);
      } else if (pools && PoolConvertible(g, *n, max_width)) {
        Convert(g, ctx, n, "MaxPool", &nhwc);
      } else {
        continue;
      }
      ++count;
    }
    return count;
  }

 private:
  // Whether the graph is dense enough to convert every layer up to kMaxWidth: the dense
  // convolutions with windows larger than 1x1 (where channels-last wins: Winograd without
  // layout transposes, small maps filling whole GEMM tiles) make up at least half of the
  // multiply-adds of the convertible convolutions. In depthwise/pointwise networks the wider
  // 1x1 layers run as fast or faster NCHW (its tile runs along the rows; the channels-last GEMM
  // packs the input), so they are converted only up to kMaxWidthSeparable: at 56, MobileNetV2
  // took 12-22 % longer channels-last before the channels-last depthwise kernel, while ResNet-18
  // took 17 % and YOLO-tiny 7 % less (docs/performance.md, "Channels-last layout").
  static bool WorthIt(const GraphEditor& g) {
    double dense = 0, total = 0;
    for (const ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || !Convertible(g, *n, kMaxWidth)) continue;
      const Tensor* w = g.Constant(n->inputs[1]);
      auto y = g.PartialShape(n->outputs[0]);
      double pixels = 1;
      for (size_t d = 0; y && d < y->size(); ++d) {
        if (d != 1 && (*y)[d] > 0) pixels *= static_cast<double>((*y)[d]);
      }
      const double macs = pixels * static_cast<double>(w->size());  // M x C/group x kh x kw
      total += macs;
      if (AttrInt(*n, "group", 1) == 1 && w->dim(2) * w->dim(3) > 1) dense += macs;
    }
    return total > 0 && 2 * dense >= total;
  }

  // The input and output rows are known and at most `max_width` wide (the input too, so the
  // layout switch, a transpose of this op's input, happens on a small map). `input_width_factor`
  // lets the input be that many times wider (a strided dense convolution into a narrow map).
  static bool NarrowOutput(const GraphEditor& g, const ir::Node& n, int64_t max_width,
                           int64_t input_width_factor = 1) {
    for (const std::string& v : {n.inputs[0], n.outputs[0]}) {
      auto s = g.PartialShape(v);
      const int64_t limit = v == n.inputs[0] ? max_width * input_width_factor : max_width;
      if (!s || s->size() != 4 || (*s)[3] < 0 || (*s)[3] > limit) return false;
    }
    return true;
  }

  // Dense (group 1) convolutions with column stride 2 into a map at most kMaxWidth wide convert
  // even from an input up to twice that wide: the layout switch then transposes the wider input
  // instead of the output, and the layer gains more than that costs. Measured in YOLO-tiny (one
  // thread, CPU time): the 3x3 stride-2 32 -> 64 layer from 80x80 to 40x40 took 428 instead
  // of 596 us channels-last, while its input's transpose (32x80x80) took 85 us where the
  // output's (64x40x40) took 41. Not for depthwise layers: there the NCHW kernel is as fast,
  // and MobileNetV2's 144x56x56 transpose would cost 3x the 28x28 one it replaces.
  static int64_t InputWidthFactor(const ir::Node& n, int64_t max_width) {
    if (max_width != kMaxWidth || AttrInt(n, "group", 1) != 1) return 1;
    auto strides = AttrInts(n, "strides");
    return strides && strides->size() == 2 && (*strides)[1] == 2 ? 2 : 1;
  }

  static bool Convertible(const GraphEditor& g, const ir::Node& n, int64_t max_width) {
    const bool conv = n.domain.empty() && n.op_type == "Conv";
    const bool fused = n.domain == kDomain && n.op_type == "FusedConv";
    if (!(conv || fused) || n.outputs.size() != 1 || n.inputs.size() < 2) return false;
    if (fused && AttrInt(n, "channels_last", 0) != 0) return false;
    if (g.Rank(n.inputs[0]) != 4 || g.ElemType(n.inputs[0]) != DataType::kFloat) return false;
    const Tensor* w = g.Constant(n.inputs[1]);
    if (!w || w->dtype() != DataType::kFloat || w->rank() != 4) return false;
    const int64_t group = AttrInt(n, "group", 1);
    if (group != 1 && !(w->dim(1) == 1 && w->dim(0) == group)) return false;
    if (fused && n.inputs.size() > 3 && !n.inputs[3].empty() && g.Rank(n.inputs[3]) != 4) {
      return false;
    }
    return NarrowOutput(g, n, max_width, InputWidthFactor(n, max_width));
  }

  static bool PoolConvertible(const GraphEditor& g, const ir::Node& n, int64_t max_width) {
    if (!n.domain.empty() || n.op_type != "MaxPool" || n.inputs.size() != 1) return false;
    if (n.outputs.empty() || (n.outputs.size() > 1 && !n.outputs[1].empty())) return false;
    auto ks = AttrInts(n, "kernel_shape");
    return ks && ks->size() == 2 && g.Rank(n.inputs[0]) == 4 &&
           g.ElemType(n.inputs[0]) == DataType::kFloat && NarrowOutput(g, n, max_width);
  }

  // `value`'s static type with its dims permuted (element type kept); nullopt when unknown.
  static std::optional<ir::TypeInfo> Permuted(const GraphEditor& g, const std::string& value,
                                              const std::vector<int64_t>& perm) {
    auto t = g.Type(value);
    if (!t || t->kind != ir::TypeInfo::Kind::kTensor) return std::nullopt;
    if (t->has_shape && t->dims.size() == perm.size()) {
      std::vector<ir::Dim> dims;
      for (int64_t p : perm) dims.push_back(t->dims[static_cast<size_t>(p)]);
      t->dims = dims;
    } else {
      t->has_shape = false;
      t->dims.clear();
    }
    return t;
  }

  // Adds Transpose(value, perm) -> a fresh name (typed), placed after `anchor`.
  static std::string AddTranspose(GraphEditor& g, const std::string& value,
                                  const std::vector<int64_t>& perm, const ir::Node* anchor) {
    const std::string out = g.NewName(value + "_nhwc");
    ir::Node* t = g.AddNode("Transpose", {value}, {out}, "", anchor);
    SetAttrInts(*t, "perm", perm);
    if (auto type = Permuted(g, value, perm)) g.SetType(out, *type);
    return out;
  }

  static void Convert(GraphEditor& g, const PassContext& ctx, ir::Node* n, const char* op,
                      std::map<std::string, std::string>* nhwc) {
    const std::string y = n->outputs[0];
    std::vector<std::string> inputs = n->inputs;
    std::vector<ir::Attribute> attrs;
    for (const ir::Attribute& a : n->attributes) {
      if (a.name != "storage_order") attrs.push_back(a);  // MaxPool's, for Indices only
    }
    const std::string name = n->name;
    auto y_type = Permuted(g, y, kToNhwc);
    auto to_nhwc = [&](const std::string& v) {
      auto it = nhwc->find(v);
      if (it != nhwc->end()) return it->second;
      return (*nhwc)[v] = AddTranspose(g, v, kToNhwc, n);
    };
    inputs[0] = to_nhwc(inputs[0]);
    if (inputs.size() > 3 && !inputs[3].empty()) inputs[3] = to_nhwc(inputs[3]);
    g.RemoveNode(n);
    const std::string yt = g.NewName(y + "_nhwc");
    ir::Node* f = g.AddNode(op, inputs, {yt}, kDomain, n, name + "_nhwc");
    f->opset = 1;
    f->attributes = attrs;
    SetAttrInt(*f, "channels_last", 1);
    if (y_type) g.SetType(yt, *y_type);
    ir::Node* back = g.AddNode("Transpose", {yt}, {y}, "", f);
    SetAttrInts(*back, "perm", kToNchw);
    ctx.RequireDomain(kDomain, 1);
  }
};

}  // namespace

std::unique_ptr<Pass> MakeLayoutNhwcPass() { return std::make_unique<LayoutNhwcPass>(); }

}  // namespace onnxedge::opt
