// Copyright onnxedge authors.
// fuse_focus_conv: folds a space-to-depth made of strided slices (the "Focus" stem of YOLOv5
// before v6 and of YOLOX) into the convolution that reads it.
//
//   x[N, C, H, W] -> Slice(rows dy::2, cols dx::2), one per phase (dy, dx) in {0, 1}^2
//                 -> Concat(axis 1) -> [N, 4C, H/2, W/2]
//                 -> Conv(W[M, 4C, kh, kw], B, pads (t, l, b, r), stride 1) -> y
//     =>  x -> Conv(W'[M, C, 2kh, 2kw], B, pads (2t, 2l, 2b, 2r), stride 2) -> y
//   with W'[m, c, 2a + dy, 2b + dx] = W[m, q C + c, a, b], q the Concat position of (dy, dx).
//
// Why it is exact: output row o of the old Conv reads phase row i = o - t + a, which is row
// 2i + dy = 2o - 2t + (2a + dy) of x; the new Conv's tap u = 2a + dy at stride 2 and top pad 2t
// reads that same row. Row i lies outside [0, H/2) exactly when row 2i + dy lies outside
// [0, H) (dy is 0 or 1), so the zero padding agrees too; taps 2a + dy cover 0 .. 2kh - 1 once
// each, so W' has no holes. Columns alike. The output size, H/2 + t + b - kh + 1, is the same.
// Both convolutions do M C 4 kh kw multiply-adds per output pixel; the gain is that x is no
// longer copied through four Slices and a Concat.
//
// Conditions: the Concat (axis 1 of a rank-4 tensor) has four inputs, each a Slice (one with
// axes 2 and 3, or a chain of Slices) of the same x, together the four distinct phases (any
// order); every slice bound is constant, H and W take step 2 from start 0 or 1 to the end of
// the axis, any other sliced axis keeps its full range with step 1; x has a known C and known
// even H and W (so the phases have one shape; N may be dynamic). The Concat's only reader is
// input 0 of a Conv with a constant float weight [M, 4C, kh, kw], group 1, strides and
// dilations 1, and auto_pad NOTSET, VALID or SAME_* (stride 1 makes the SAME pads fixed). The
// Conv keeps its name, bias and output; the Concat goes, the Slices stay for dead-node
// elimination when nothing else reads them.
#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

struct AxisSlice {
  int64_t axis;
  int64_t start;
  int64_t end;
  int64_t step;
};

// The per-axis bounds of one Slice (constant inputs, or the attributes before opset 10, which
// have no steps). Axes are made non-negative for a `rank`-D input; nullopt when not constant or
// malformed.
std::optional<std::vector<AxisSlice>> SliceBounds(const GraphEditor& g, const ir::Node& n,
                                                  int rank) {
  std::optional<std::vector<int64_t>> starts, ends, axes, steps;
  if (n.opset < 10) {
    starts = AttrInts(n, "starts");
    ends = AttrInts(n, "ends");
    axes = AttrInts(n, "axes");
  } else {
    // An absent input leaves its vector unset; a present one must be a constant int tensor.
    auto read = [&](size_t i, std::optional<std::vector<int64_t>>* out) {
      if (i >= n.inputs.size() || n.inputs[i].empty()) return true;
      const Tensor* t = g.Constant(n.inputs[i]);
      if (!t) return false;
      *out = ReadInts(*t);
      return out->has_value();
    };
    if (!read(1, &starts) || !read(2, &ends) || !read(3, &axes) || !read(4, &steps)) {
      return std::nullopt;
    }
  }
  if (!starts || !ends || starts->empty() || starts->size() != ends->size()) return std::nullopt;
  const size_t count = starts->size();
  if ((axes && axes->size() != count) || (steps && steps->size() != count)) return std::nullopt;
  std::vector<AxisSlice> out;
  std::array<bool, 8> seen{};
  for (size_t i = 0; i < count; ++i) {
    int64_t axis = axes ? (*axes)[i] : static_cast<int64_t>(i);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || rank > static_cast<int>(seen.size())) return std::nullopt;
    if (seen[static_cast<size_t>(axis)]) return std::nullopt;
    seen[static_cast<size_t>(axis)] = true;
    out.push_back({axis, (*starts)[i], (*ends)[i], steps ? (*steps)[i] : 1});
  }
  return out;
}

// ONNX's clamping of a bound for a positive step on an axis of `size`.
int64_t ClampBound(int64_t v, int64_t size) {
  if (v < 0) v += size;
  return std::clamp<int64_t>(v, 0, size);
}

// True when `s` (step 1) keeps the whole axis of `size` (-1: unknown, then only an end at
// least INT32_MAX, as exporters write "to the end", is accepted).
bool KeepsWholeAxis(const AxisSlice& s, int64_t size) {
  if (s.step != 1) return false;
  if (size < 0) return s.start == 0 && s.end >= std::numeric_limits<int32_t>::max();
  return ClampBound(s.start, size) == 0 && ClampBound(s.end, size) == size;
}

// The phase (0 or 1) of a step-2 slice that takes every other element of an axis of even
// `size` to its end, or -1.
int PhaseOf(const AxisSlice& s, int64_t size) {
  if (s.step != 2 || size <= 0 || size % 2 != 0) return -1;
  const int64_t start = ClampBound(s.start, size), end = ClampBound(s.end, size);
  if (start > 1 || end <= start) return -1;
  const int64_t taken = (end - start + 1) / 2;
  return taken == size / 2 ? static_cast<int>(start) : -1;
}

struct Phase {
  std::string source;
  int dy = -1;
  int dx = -1;
};

// Follows the Slices above `value` to the tensor they cut: each Slice may step 2 over H (axis
// 2) or W (axis 3), each of these at most once, and must keep every other axis it names whole.
std::optional<Phase> AsPhase(const GraphEditor& g, const std::string& value) {
  std::vector<AxisSlice> cuts;
  std::string at = value;
  bool h = false, w = false;
  while (!(h && w)) {
    const ir::Node* n = g.Producer(at);
    if (!n || n->op_type != "Slice" || !n->domain.empty() || n->inputs.empty() ||
        n->inputs[0].empty()) {
      return std::nullopt;
    }
    auto bounds = SliceBounds(g, *n, 4);
    if (!bounds || g.Rank(n->inputs[0]) != 4) return std::nullopt;
    for (const auto& s : *bounds) {
      if (s.step == 2 && (s.axis == 2 || s.axis == 3)) {
        bool& done = s.axis == 2 ? h : w;
        if (done) return std::nullopt;
        done = true;
      } else if (s.step != 1) {
        return std::nullopt;
      }
      cuts.push_back(s);
    }
    at = n->inputs[0];
  }
  // Every bound is judged against x's sizes. A step-2 cut saw exactly x's size on its axis
  // (each axis is cut once, whole-axis slices keep sizes). A whole-axis slice below a cut saw
  // half of it, and bounds that keep x's whole axis also keep any shorter one, so the test
  // can only be stricter than needed.
  auto dims = g.PartialShape(at);
  if (!dims || dims->size() != 4) return std::nullopt;
  Phase p{at};
  for (const auto& s : cuts) {
    const int64_t size = (*dims)[static_cast<size_t>(s.axis)];
    if (s.step == 1) {
      if (!KeepsWholeAxis(s, size)) return std::nullopt;
      continue;
    }
    const int phase = PhaseOf(s, size);
    if (phase < 0) return std::nullopt;
    (s.axis == 2 ? p.dy : p.dx) = phase;
  }
  return p;
}

// Explicit begin/end pads of a stride-1, dilation-1 Conv per spatial axis {top, left, bottom,
// right}, or nullopt for an auto_pad it does not know.
std::optional<std::array<int64_t, 4>> ExplicitPads(const ir::Node& conv, int64_t kh, int64_t kw) {
  const std::string auto_pad = AttrString(conv, "auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    auto pads = AttrInts(conv, "pads");
    if (!pads) return std::array<int64_t, 4>{0, 0, 0, 0};
    if (pads->size() != 4) return std::nullopt;
    for (int64_t v : *pads) {
      if (v < 0) return std::nullopt;
    }
    return std::array<int64_t, 4>{(*pads)[0], (*pads)[1], (*pads)[2], (*pads)[3]};
  }
  if (auto_pad == "VALID") return std::array<int64_t, 4>{0, 0, 0, 0};
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") return std::nullopt;
  // Stride 1 keeps the size: k - 1 pad in all, the odd one at the end (UPPER) or start (LOWER).
  const bool upper = auto_pad == "SAME_UPPER";
  auto split = [&](int64_t k) {
    const int64_t total = k - 1;
    return upper ? std::pair{total / 2, total - total / 2}
                 : std::pair{total - total / 2, total / 2};
  };
  const auto [t, b] = split(kh);
  const auto [l, r] = split(kw);
  return std::array<int64_t, 4>{t, l, b, r};
}

bool AllOnes(const ir::Node& n, const char* name) {
  auto v = AttrInts(n, name);
  if (!v) return true;
  if (v->size() != 2) return false;
  for (int64_t x : *v) {
    if (x != 1) return false;
  }
  return true;
}

class FuseFocusConvPass final : public Pass {
 public:
  const char* name() const override { return "fuse_focus_conv"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& /*ctx*/) const override {
    int count = 0;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || n->op_type != "Concat" || !n->domain.empty()) continue;
      count += Apply(g, n) ? 1 : 0;
    }
    return count;
  }

 private:
  static bool Apply(GraphEditor& g, ir::Node* concat) {
    if (concat->inputs.size() != 4 || concat->outputs.size() != 1) return false;
    const std::string& cat = concat->outputs[0];
    if (cat.empty() || g.Rank(cat) != 4) return false;
    int64_t axis = AttrInt(*concat, "axis", 0);
    if (axis < 0) axis += 4;
    if (axis != 1 || !g.HasSingleUse(cat)) return false;
    const Use use = g.Consumers(cat)[0];
    ir::Node* conv = use.node;
    if (use.index != 0 || conv->op_type != "Conv" || !conv->domain.empty() ||
        conv->inputs.size() < 2 || conv->inputs.size() > 3 || conv->outputs.size() != 1) {
      return false;
    }
    // The four phases of one tensor, each once; slot[dy][dx] = Concat position.
    std::string source;
    int slot[2][2] = {{-1, -1}, {-1, -1}};
    for (size_t q = 0; q < 4; ++q) {
      auto p = AsPhase(g, concat->inputs[q]);
      if (!p || (q > 0 && p->source != source) || slot[p->dy][p->dx] >= 0) return false;
      source = p->source;
      slot[p->dy][p->dx] = static_cast<int>(q);
    }
    auto dims = g.PartialShape(source);
    if (!dims) return false;
    const int64_t c = (*dims)[1], h = (*dims)[2], w = (*dims)[3];
    if (c <= 0) return false;

    const Tensor* wt = g.Constant(conv->inputs[1]);
    if (!wt || !IsFloatType(wt->dtype()) || wt->rank() != 4 || wt->dim(1) != 4 * c) return false;
    if (g.ElemType(source) != wt->dtype()) return false;
    const int64_t m = wt->dim(0), kh = wt->dim(2), kw = wt->dim(3);
    if (m <= 0 || kh <= 0 || kw <= 0) return false;
    if (AttrInt(*conv, "group", 1) != 1 || !AllOnes(*conv, "strides") ||
        !AllOnes(*conv, "dilations")) {
      return false;
    }
    if (auto ks = AttrInts(*conv, "kernel_shape"); ks && *ks != std::vector<int64_t>{kh, kw}) {
      return false;
    }
    auto pads = ExplicitPads(*conv, kh, kw);
    if (!pads) return false;
    const auto [pt, pl, pb, pr] = *pads;
    if (h / 2 + pt + pb - kh + 1 <= 0 || w / 2 + pl + pr - kw + 1 <= 0) return false;

    auto src = ReadFloats(*wt);
    if (!src) return false;
    const int64_t kh2 = 2 * kh, kw2 = 2 * kw;
    std::vector<double> dst(static_cast<size_t>(m * c * kh2 * kw2));
    for (int dy = 0; dy < 2; ++dy) {
      for (int dx = 0; dx < 2; ++dx) {
        const int64_t q = slot[dy][dx];
        for (int64_t o = 0; o < m; ++o) {
          for (int64_t ci = 0; ci < c; ++ci) {
            for (int64_t a = 0; a < kh; ++a) {
              for (int64_t b = 0; b < kw; ++b) {
                const int64_t from = ((o * 4 * c + q * c + ci) * kh + a) * kw + b;
                const int64_t to = ((o * c + ci) * kh2 + 2 * a + dy) * kw2 + 2 * b + dx;
                dst[static_cast<size_t>(to)] = (*src)[static_cast<size_t>(from)];
              }
            }
          }
        }
      }
    }
    const std::string w_name = g.AddConstant(conv->inputs[1] + "_focus",
                                             MakeFloatTensor(wt->dtype(), {m, c, kh2, kw2}, dst));
    g.SetInput(conv, 0, source);
    g.SetInput(conv, 1, w_name);
    RemoveAttr(*conv, "auto_pad");
    SetAttrInts(*conv, "kernel_shape", {kh2, kw2});
    SetAttrInts(*conv, "strides", {2, 2});
    SetAttrInts(*conv, "pads", {2 * pt, 2 * pl, 2 * pb, 2 * pr});
    g.RemoveNode(concat);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseFocusConvPass() { return std::make_unique<FuseFocusConvPass>(); }

}  // namespace onnxedge::opt
