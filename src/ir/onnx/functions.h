// Copyright onnxedge authors.
// Expansion of function ops (ONNX schema functions and model-local functions) into their bodies.
#pragma once

#include "ir/graph.h"
#include "ir/onnx/loader.h"
#include "ir/onnx/proto_convert.h"

namespace onnx {
class ModelProto;
}

namespace onnxedge::onnx_io {

/// Deepest chain of function calls inside function bodies.
constexpr int kMaxFunctionNesting = 16;

/// Checks the model-local functions before anything (our expansion or ONNX shape inference,
/// which recurses into function bodies) walks them: no duplicate definitions, no recursion
/// (direct or mutual), call chains at most kMaxFunctionNesting deep, and at most
/// kMaxExpandedNodes nodes once inlined (a few doubling functions could otherwise ask for 2^40).
Status CheckLocalFunctions(const onnx::ModelProto& model_proto,
                           uint64_t max_nodes = kMaxExpandedNodes);

/// Replaces every node that has no kernel (per `has_kernel`) but has a function body (in the
/// model's local functions or in the ONNX schema) by the nodes of that body, recursively.
/// Nodes without kernel and without body are left for the session to report.
Status ExpandFunctions(const onnx::ModelProto& model_proto, const KernelQuery& has_kernel,
                       ConvertContext& ctx, ir::Model* model);

}  // namespace onnxedge::onnx_io
