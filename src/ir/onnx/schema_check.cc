// Copyright onnxedge authors.
#include "ir/onnx/schema_check.h"

#include "ir/onnx/opset.h"
#include "ir/onnx/proto_convert.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

namespace onnxedge::onnx_io {

Status CheckNodeAgainstSchema(const ir::Node& node, int since_version) {
  if (since_version <= 0) return Status::Ok();
  if (!node.domain.empty() && node.domain != "ai.onnx.ml") return Status::Ok();
  if (node.domain.empty() && !NewerVersions(node.op_type, node.opset).empty()) {
    return Status::Ok();  // Newer than libonnx's schemas; the kernel validates.
  }
  const auto* schema = ::onnx::OpSchemaRegistry::Schema(
      node.op_type, node.domain.empty() ? std::min(node.opset, kMaxSchemaOpset) : node.opset,
      node.domain);
  if (!schema) return Status::Ok();
  onnx::NodeProto np;
  np.set_name(node.name);
  np.set_op_type(node.op_type);
  np.set_domain(node.domain);
  for (const auto& in : node.inputs) np.add_input(in);
  for (const auto& out : node.outputs) np.add_output(out);
  for (const auto& a : node.attributes) {
    auto* ap = np.add_attribute();
    if (a.type == ir::Attribute::Type::kGraph) {
      ap->set_name(a.name);
      ap->set_type(onnx::AttributeProto::GRAPH);
      ap->mutable_g();
    } else if (a.type == ir::Attribute::Type::kGraphs) {
      ap->set_name(a.name);
      ap->set_type(onnx::AttributeProto::GRAPHS);
      for (size_t i = 0; i < a.graphs.size(); ++i) ap->add_graphs();
    } else if (a.type == ir::Attribute::Type::kTensor ||
               a.type == ir::Attribute::Type::kSparseTensor) {
      ap->set_name(a.name);
      ap->set_type(a.type == ir::Attribute::Type::kTensor ? onnx::AttributeProto::TENSOR
                                                          : onnx::AttributeProto::SPARSE_TENSOR);
      auto* t = a.type == ir::Attribute::Type::kTensor ? ap->mutable_t()
                                                       : ap->mutable_sparse_tensor()->mutable_values();
      t->set_data_type(static_cast<int32_t>(a.t.dtype()));
    } else {
      AttributeToProto(a, ap);
    }
  }
  try {
    schema->Verify(np);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    // libonnx appends a "==> Context: ..." block; keep the first line.
    auto cut = msg.find("==>");
    if (cut != std::string::npos) msg = msg.substr(0, cut);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return MakeError(StatusCode::kInvalidModel, node.Describe(), " (opset ", node.opset,
                     "): ", msg);
  }
  return Status::Ok();
}

}  // namespace onnxedge::onnx_io
