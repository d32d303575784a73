// Copyright onnxedge authors.
// Structural checks of an IR graph, run by the optimizer after every pass in debug builds and
// when verification is requested (tests, CI): a pass that breaks the graph is caught at the
// pass that broke it instead of as a wrong answer much later.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "onnxedge/status.h"

namespace onnxedge::ir {

/// Checks, for `graph` and every subgraph:
///   - nodes are in topological order: every input is a graph input, an initializer, an output
///     of an earlier node, or a name visible from `outer_scope`;
///   - every value is produced once (no two nodes, no node and an input/initializer);
///   - every graph output is defined;
///   - every node has an op type and an opset;
///   - types agree where known: an initializer matches its value_info entry, Cast outputs have
///     the `to` type, and ops whose inputs and output share one type variable (Add, MatMul, Conv,
///     LayerNormalization, ...) have consistent known element types.
/// The error names the graph and the node.
Status VerifyGraph(const Graph& graph, const std::vector<std::string>& outer_scope = {});

}  // namespace onnxedge::ir
