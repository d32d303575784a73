// Copyright onnxedge authors.
// Reading ONNX model files (protobuf) into the IR.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ir/graph.h"
#include "onnxedge/options.h"
#include "onnxedge/status.h"

namespace onnxedge::onnx_io {

/// Supported range of ModelProto.ir_version.
constexpr int64_t kMinIrVersion = 3;
constexpr int64_t kMaxIrVersion = 10;
/// Deepest nesting of subgraphs (If/Loop/Scan bodies) accepted.
constexpr int kMaxSubgraphDepth = 64;
/// Most nodes a graph may have once every model-local function call is inlined (default of
/// LoadOptions::max_expanded_nodes).
constexpr uint64_t kMaxExpandedNodes = uint64_t{1} << 20;

/// Answers whether the runtime has a kernel for an op; ops without one are expanded into their
/// ONNX function body when the schema (or the model) defines one.
using KernelQuery =
    std::function<bool(const std::string& domain, const std::string& op_type, int opset)>;

struct LoadOptions {
  /// Folder for external data. LoadModel defaults it to the model file's folder.
  std::string base_dir;
  int64_t max_tensor_elements = int64_t{1} << 34;
  uint64_t memory_limit_bytes = 0;
  /// Nodes the graph may expand to through model-local functions (a few doubling functions
  /// could otherwise ask for 2^40); the fuzz targets lower it.
  uint64_t max_expanded_nodes = kMaxExpandedNodes;
  /// Null: no function expansion.
  KernelQuery has_kernel;
  /// Run ONNX type and shape inference and record the results as value_info.
  bool infer_shapes = true;
  /// Turn Constant nodes into initializers (the runtime needs this; `inspect` keeps them).
  bool fold_constants = true;
  /// Messages below this level are not printed.
  LogLevel log_level = LogLevel::kWarning;
};

/// Loads and validates a model file. Errors name the file.
StatusOr<ir::Model> LoadModel(const std::string& path, LoadOptions options);
/// Loads a model from serialized bytes.
StatusOr<ir::Model> LoadModelFromBuffer(const void* data, size_t size, const LoadOptions& options);

}  // namespace onnxedge::onnx_io
