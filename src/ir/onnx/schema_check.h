// Copyright onnxedge authors.
// Checks a node against its ONNX schema: input/output counts, unknown or missing required
// attributes, attribute types.
#pragma once

#include "ir/graph.h"
#include "onnxedge/status.h"

namespace onnxedge::onnx_io {

/// Verifies `node` against the ONNX schema for `since_version` (ONNX-domain ops up to the
/// opsets libonnx knows). Ops without a schema here are accepted. Errors name node and field.
Status CheckNodeAgainstSchema(const ir::Node& node, int since_version);

}  // namespace onnxedge::onnx_io
