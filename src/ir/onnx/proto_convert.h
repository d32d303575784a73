// Copyright onnxedge authors.
// Field-by-field conversion of protobuf graph structures to the IR and back.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ir/graph.h"
#include "ir/onnx/tensor_proto.h"

namespace onnx {
class AttributeProto;
class GraphProto;
class NodeProto;
class TypeProto;
}  // namespace onnx

namespace onnxedge::onnx_io {

/// State shared while converting one model.
struct ConvertContext {
  TensorLoadContext tensors;
  const std::map<std::string, int64_t>* opset_imports = nullptr;
  /// Counter for names of values created by the loader (function expansion).
  int64_t next_id = 0;
  /// The protos being converted are the loader's own (non-const) objects: each large tensor
  /// payload (initializers, tensor attributes) is freed once decoded (ReleaseLargePayload), so
  /// the model is not held twice while it is converted.
  bool release_large_payloads = false;
};

ir::TypeInfo ConvertType(const onnx::TypeProto& type);
void TypeToProto(const ir::TypeInfo& type, onnx::TypeProto* proto);

StatusOr<ir::Attribute> ConvertAttribute(const onnx::AttributeProto& proto, ConvertContext& ctx,
                                         int depth);
/// Writes an initializer into `proto` instead of TensorToProto when it returns true (the saver's
/// external-data writer). Called for the initializers of every graph, subgraphs included.
using InitializerWriter =
    std::function<bool(const std::string& name, const Tensor& tensor, onnx::TensorProto* proto)>;

/// IR -> proto for attributes (graphs are converted with GraphToProto).
void AttributeToProto(const ir::Attribute& attr, onnx::AttributeProto* proto,
                      const InitializerWriter* writer = nullptr);

/// Converts a node. `opset_imports` decides the node's opset; the domain must be imported.
StatusOr<std::unique_ptr<ir::Node>> ConvertNode(const onnx::NodeProto& proto, ConvertContext& ctx,
                                                int depth,
                                                const std::map<std::string, int64_t>& imports);
StatusOr<std::shared_ptr<ir::Graph>> ConvertGraph(const onnx::GraphProto& proto,
                                                  ConvertContext& ctx, int depth);

/// IR -> proto for a whole graph (tensors as raw_data, except initializers `writer` takes).
void GraphToProto(const ir::Graph& graph, onnx::GraphProto* proto,
                  const InitializerWriter* writer = nullptr);

/// Replaces every Constant node (in this graph and all subgraphs) by an initializer.
Status FoldConstantNodes(ir::Graph& graph);

}  // namespace onnxedge::onnx_io
