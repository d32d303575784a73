// Copyright onnxedge authors.
#include "ir/onnx/saver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

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

Status SysError(const std::string& what, const std::string& path) {
  return MakeError(StatusCode::kInternal, "cannot ", what, " '", path, "': ",
                   std::strerror(errno));
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
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = mkstemp(buf.data());
  if (fd < 0) return SysError("create a temporary file next to", path);
  const std::string tmp(buf.data());
  auto fail = [&](const std::string& what) {
    Status s = SysError(what, tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(w);
  }
  // mkstemp creates 0600; give the file the usual permissions for a model.
  if (::fchmod(fd, 0644) != 0) return fail("set permissions of");
  if (::fsync(fd) != 0) return fail("flush");
  if (::close(fd) != 0) {
    Status s = SysError("close", tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = SysError("rename the temporary file to", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

}  // namespace onnxedge::onnx_io
