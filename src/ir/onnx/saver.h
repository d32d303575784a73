// Copyright onnxedge authors.
// Writing the IR back as an ONNX model file (protobuf).
#pragma once

#include <string>

#include "ir/graph.h"
#include "onnxedge/status.h"

namespace onnxedge::onnx_io {

/// Serializes `model` as an ONNX ModelProto. Opset imports are completed from the nodes: a
/// domain a node uses but the model does not import is imported at that node's opset, and when
/// a default-domain node needs a newer opset than the model imports (a fused
/// LayerNormalization needs 17), the import is raised if every other node keeps its meaning
/// (ir/onnx/opset_upgrade.h), else this fails naming the node in the way. The IR version is
/// raised to the one that introduced the final default opset when it is lower. Initializers are
/// written inline (raw_data); models above 2 GiB are refused (no external data writer yet).
StatusOr<std::string> SerializeModel(const ir::Model& model);

/// SerializeModel, then writes the bytes to `path` atomically: a temporary file in the same
/// folder is written, flushed to disk and renamed over `path`, so readers never see a partial
/// file and a failure leaves any existing file untouched.
Status SaveModel(const ir::Model& model, const std::string& path);

}  // namespace onnxedge::onnx_io
