// Copyright onnxedge authors.
#include "ir/onnx/saver.h"

#include <climits>
#include <cstring>
#include <map>

#include "core/file_util.h"
#include "ir/onnx/opset_upgrade.h"
#include "ir/onnx/proto_convert.h"
#include "onnx/onnx_pb.h"

namespace onnxedge::onnx_io {

namespace {

void CollectOpsets(const ir::Graph& g, std::map<std::string, int64_t>* need) {
  for (const auto& n : g.nodes) {
    auto& v = (*need)[n->domain];
    v = std::max<int64_t>(v, n->opset);
    for (const auto& a : n->attributes) {
      if (a.g) CollectOpsets(*a.g, need);
      for (const auto& sg : a.graphs) CollectOpsets(*sg, need);
    }
  }
}

// The IR version that introduced each default-domain opset (ONNX's versioning table).
int64_t IrVersionForOpset(int64_t opset) {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

}  // namespace

StatusOr<std::string> SerializeModel(const ir::Model& model) {
  if (!model.graph) return MakeError(StatusCode::kInvalidArgument, "the model has no graph");
  std::map<std::string, int64_t> imports = model.opset_imports;
  std::map<std::string, int64_t> need;
  CollectOpsets(*model.graph, &need);
  for (const auto& [domain, version] : need) {
    auto it = imports.find(domain);
    if (it == imports.end()) {
      imports[domain] = version;
    } else if (version > it->second) {
      if (!domain.empty()) {
        it->second = version;
        continue;
      }
      std::string blocker;
      if (!CanUpgradeOnnxOpset(*model.graph, static_cast<int>(it->second),
                               static_cast<int>(version), &blocker)) {
        return MakeError(StatusCode::kInvalidArgument, "cannot save: a node needs ONNX opset ",
                         version, " but the model imports opset ", it->second,
                         " and cannot be raised to it because of ", blocker);
      }
      it->second = version;
    }
  }
  onnx::ModelProto mp;
  int64_t ir_version = std::max<int64_t>(model.ir_version, 4);
  auto def = imports.find("");
  if (def != imports.end()) ir_version = std::max(ir_version, IrVersionForOpset(def->second));
  mp.set_ir_version(ir_version);
  for (const auto& [domain, version] : imports) {
    auto* op = mp.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }
  mp.set_producer_name(model.producer_name.empty() ? "onnxedge" : model.producer_name);
  mp.set_producer_version(model.producer_version);
  if (!model.domain.empty()) mp.set_domain(model.domain);
  mp.set_model_version(model.model_version);
  if (!model.doc.empty()) mp.set_doc_string(model.doc);
  for (const auto& [k, v] : model.metadata) {
    auto* p = mp.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  GraphToProto(*model.graph, mp.mutable_graph());
  const size_t size = mp.ByteSizeLong();
  if (size > static_cast<size_t>(INT_MAX)) {
    return MakeError(StatusCode::kNotImplemented, "the model is ", size,
                     " bytes; saving models above 2 GiB (external data) is not supported");
  }
  std::string bytes;
  if (!mp.SerializeToString(&bytes)) {
    return MakeError(StatusCode::kInternal, "protobuf serialization failed");
  }
  return bytes;
}

Status SaveModel(const ir::Model& model, const std::string& path) {
  OE_ASSIGN_OR_RETURN(std::string bytes, SerializeModel(model));
  // Temp file next to `path`, fsync, rename: a reader sees the old file or the whole new one.
  return WriteFileAtomically(path, bytes);
}

}  // namespace onnxedge::onnx_io
