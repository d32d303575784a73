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

/// Replaces every node that has no kernel (per `has_kernel`) but has a function body (in the
/// model's local functions or in the ONNX schema) by the nodes of that body, recursively.
/// Nodes without kernel and without body are left for the session to report.
Status ExpandFunctions(const onnx::ModelProto& model_proto, const KernelQuery& has_kernel,
                       ConvertContext& ctx, ir::Model* model);

}  // namespace onnxedge::onnx_io
