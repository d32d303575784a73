// Copyright onnxedge authors.
// cascade_max_pools: MaxPools of one input with growing "same" windows (YOLOX's and YOLOv5-v5's
// SPP: 5x5, 9x9 and 13x13 on the same map) become a chain of smaller pools, as SPPF computes
// them.
//
//   x -> MaxPool(k_a) -> a        x -> MaxPool(k_a) -> a
//   x -> MaxPool(k_b) -> b   =>   a -> MaxPool(k_b - k_a + 1) -> b     (k_a < k_b, per axis)
//
// With stride 1 and the window centred (pads (k - 1) / 2 on both sides of every axis, padding
// never winning), the max over a window of k_b is the max over a window of k_b - k_a + 1 of the
// maxima over windows of k_a: every input position j within (k_b - 1) / 2 of output i is within
// (k_a - 1) / 2 of some position i + d inside the map with |d| <= (k_b - k_a) / 2 (d clamped
// towards j), so both sides take the max of the same inputs. Exact, NaNs included (a NaN in a
// window reaches the result through any chain of NaN-propagating maxima).
//
// Each pool reads the largest sibling window below its own; a separable max pool costs about
// k_h + k_w per output, so the SPP's 5 + 9 + 13 windows (54 taps per output and axis pair)
// become three 5x5 pools (30). Conditions: default-domain MaxPool, opset >= 8 (pads as
// attributes; Indices absent or unread), odd kernels, strides and dilations 1, explicit pads
// (k - 1) / 2 on both sides (auto_pad NOTSET, or SAME_UPPER/SAME_LOWER, which pad the same for
// stride 1 and odd k), storage_order irrelevant without Indices. Standard ONNX: runs at basic.
#include <algorithm>
#include <map>

#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

// The window of a MaxPool that qualifies (see above), else empty.
std::vector<int64_t> CentredWindow(const ir::Node& n, const GraphEditor& g) {
  if (n.op_type != "MaxPool" || !n.domain.empty() || n.opset < 8 || n.inputs.size() != 1 ||
      n.outputs.empty()) {
    return {};
  }
  if (n.outputs.size() > 1 && !n.outputs[1].empty() && g.NumUses(n.outputs[1]) > 0) return {};
  auto kernel = AttrInts(n, "kernel_shape");
  if (!kernel || kernel->empty()) return {};
  const size_t r = kernel->size();
  for (int64_t k : *kernel) {
    if (k < 1 || k % 2 == 0) return {};
  }
  auto all_ones = [&](const char* name) {
    auto v = AttrInts(n, name);
    if (!v) return true;
    if (v->size() != r) return false;
    return std::all_of(v->begin(), v->end(), [](int64_t s) { return s == 1; });
  };
  if (!all_ones("strides") || !all_ones("dilations")) return {};
  const std::string auto_pad = AttrString(n, "auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") return *kernel;
  if (auto_pad != "NOTSET") return {};
  auto pads = AttrInts(n, "pads");
  if (!pads || pads->size() != 2 * r) return {};
  for (size_t i = 0; i < r; ++i) {
    const int64_t half = ((*kernel)[i] - 1) / 2;
    if ((*pads)[i] != half || (*pads)[i + r] != half) return {};
  }
  return *kernel;
}

class CascadeMaxPoolsPass final : public Pass {
 public:
  const char* name() const override { return "cascade_max_pools"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext&) const override {
    // Qualifying pools by input value.
    std::map<std::string, std::vector<std::pair<std::vector<int64_t>, ir::Node*>>> by_input;
    for (ir::Node* n : g.Nodes()) {
      std::vector<int64_t> k = CentredWindow(*n, g);
      if (!k.empty()) by_input[n->inputs[0]].push_back({std::move(k), n});
    }
    int count = 0;
    for (auto& [x, pools] : by_input) {
      if (pools.size() < 2) continue;
      // Smallest windows first (by area, then lexicographically): a pool's source is the
      // largest earlier window that fits inside it on every axis.
      std::stable_sort(pools.begin(), pools.end(), [](const auto& a, const auto& b) {
        int64_t pa = 1, pb = 1;
        for (int64_t k : a.first) pa *= k;
        for (int64_t k : b.first) pb *= k;
        return pa != pb ? pa < pb : a.first < b.first;
      });
      for (size_t i = 1; i < pools.size(); ++i) {
        const std::vector<int64_t>& kb = pools[i].first;
        ir::Node* best = nullptr;
        std::vector<int64_t> best_k;
        int64_t best_area = 0;
        for (size_t j = 0; j < i; ++j) {
          const std::vector<int64_t>& ka = pools[j].first;
          if (ka.size() != kb.size() || ka == kb) continue;
          bool fits = true;
          int64_t area = 1;
          for (size_t d = 0; d < ka.size(); ++d) {
            fits &= ka[d] <= kb[d];
            area *= ka[d];
          }
          if (fits && area > best_area) {
            best = pools[j].second;
            best_k = ka;
            best_area = area;
          }
        }
        if (!best) continue;
        ir::Node* n = pools[i].second;
        const size_t r = kb.size();
        std::vector<int64_t> rest(r), pads(2 * r);
        for (size_t d = 0; d < r; ++d) {
          rest[d] = kb[d] - best_k[d] + 1;
          pads[d] = pads[d + r] = (rest[d] - 1) / 2;
        }
        g.SetInput(n, 0, best->outputs[0]);
        SetAttrInts(*n, "kernel_shape", rest);
        SetAttrInts(*n, "pads", pads);
        SetAttrString(*n, "auto_pad", "NOTSET");
        ++count;
      }
    }
    return count;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeCascadeMaxPoolsPass() { return std::make_unique<CascadeMaxPoolsPass>(); }

}  // namespace onnxedge::opt
