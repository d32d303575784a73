// Copyright onnxedge authors.
#include "ir/onnx/opset_upgrade.h"

#include <algorithm>
#include <map>
#include <set>

#include "ir/onnx/opset.h"

namespace onnxedge::onnx_io {

namespace {

// Definition changes in opsets 14-17 that keep the meaning of every node written for the
// previous definition: new types, or new attributes whose defaults are the old behaviour.
// (RoiAlign-16 changed the default coordinate_transformation_mode and is deliberately absent.)
const std::map<std::string, std::set<int>>& BenignChanges() {
  static const auto* table = new std::map<std::string, std::set<int>>{
      {"Add", {14}},       {"BatchNormalization", {14, 15}},
      {"CumSum", {14}},    {"Div", {14}},
      {"GRU", {14}},       {"GreaterOrEqual", {16}},
      {"Identity", {14, 16}}, {"If", {16}},
      {"LSTM", {14}},      {"LeakyRelu", {16}},
      {"LessOrEqual", {16}}, {"Loop", {16}},
      {"Mul", {14}},       {"PRelu", {16}},
      {"Pow", {15}},       {"RNN", {14}},
      {"Relu", {14}},      {"Reshape", {14}},
      {"Scan", {16}},      {"ScatterElements", {16}},
      {"ScatterND", {16}}, {"Shape", {15}},
      {"Sub", {14}},       {"Where", {16}},
  };
  return *table;
}

constexpr int kMinUpgradeFrom = 13;
constexpr int kMaxUpgradeTo = 17;

bool NodeOk(const ir::Node& n, int from, int to) {
  if (!n.domain.empty()) return true;
  if (n.opset > from) return n.opset <= to;  // Created for the newer opset already.
  const int since_from = ResolveSinceVersion("", n.op_type, from);
  if (since_from < 0) return false;
  auto it = BenignChanges().find(n.op_type);
  for (int v = from + 1; v <= to; ++v) {
    const int since = ResolveSinceVersion("", n.op_type, v);
    if (since == since_from || since <= from) continue;
    if (it == BenignChanges().end() || !it->second.count(since)) return false;
  }
  if (n.op_type == "BatchNormalization") {
    // Opset 14 redefined the optional outputs (training only); inference uses output 0 alone.
    for (size_t i = 1; i < n.outputs.size(); ++i) {
      if (!n.outputs[i].empty()) return false;
    }
  }
  return true;
}

bool GraphOk(const ir::Graph& g, int from, int to, std::string* blocker) {
  for (const auto& n : g.nodes) {
    if (!NodeOk(*n, from, to)) {
      if (blocker) *blocker = n->Describe();
      return false;
    }
    for (const auto& a : n->attributes) {
      if (a.g && !GraphOk(*a.g, from, to, blocker)) return false;
      for (const auto& sg : a.graphs) {
        if (!GraphOk(*sg, from, to, blocker)) return false;
      }
    }
  }
  return true;
}

}  // namespace

bool CanUpgradeOnnxOpset(const ir::Graph& graph, int from, int to, std::string* blocker) {
  if (to <= from) return true;
  if (from < kMinUpgradeFrom || to > kMaxUpgradeTo) {
    if (blocker) {
      *blocker = "opset " + std::to_string(from) + " -> " + std::to_string(to) +
                 " is outside the judged range " + std::to_string(kMinUpgradeFrom) + "-" +
                 std::to_string(kMaxUpgradeTo);
    }
    return false;
  }
  return GraphOk(graph, from, to, blocker);
}

}  // namespace onnxedge::onnx_io
