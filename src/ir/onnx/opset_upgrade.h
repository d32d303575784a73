// Copyright onnxedge authors.
// Whether a model's default-domain opset can be raised without changing what any node means.
//
// Fused ops sometimes need a newer opset than the model imports (LayerNormalization is
// opset 17). A saved model has one opset per domain, so the saver may raise it only when
// every other node keeps its meaning at the new opset: either its definition did not change,
// or every change in between only added types or attributes whose defaults keep the old
// behaviour (taken from the ONNX changelog for opsets 14-17).
#pragma once

#include <string>

#include "ir/graph.h"

namespace onnxedge::onnx_io {

/// True when every default-domain node of `graph` (and its subgraphs) at opset `from` means the
/// same at opset `to`. Only upgrades from opset 13 or newer to at most 17 are judged safe.
/// On false, `blocker` (if not null) names the first node that prevents the upgrade.
bool CanUpgradeOnnxOpset(const ir::Graph& graph, int from, int to, std::string* blocker);

}  // namespace onnxedge::onnx_io
