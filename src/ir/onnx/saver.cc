// Copyright onnxedge authors.
#include "ir/onnx/saver.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>

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

// Fills `mp` from `model` (opset imports completed, IR version raised); `writer` takes the
// initializers it wants to store itself.
Status BuildModelProto(const ir::Model& model, const InitializerWriter* writer,
                       onnx::ModelProto* mp_out) {
  onnx::ModelProto& mp = *mp_out;
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
  GraphToProto(*model.graph, mp.mutable_graph(), writer);
  return Status::Ok();
}

namespace fs = std::filesystem;

// Protobuf's limit on a message (and the loader's on a model file).
constexpr uint64_t kMaxProtoBytes = INT_MAX;

// Where a tensor of `bytes` bytes starts in the data file (docs in saver.h).
uint64_t AlignOffset(uint64_t offset, uint64_t bytes) {
  const uint64_t align = bytes >= 4096 ? 4096 : 64;
  return (offset + align - 1) / align * align;
}

std::string DataFileLocation(const std::string& model_path, const SaveOptions& options) {
  return options.external_data_file.empty() ? fs::path(model_path).filename().string() + ".data"
                                            : options.external_data_file;
}

// Checks the data file's location (relative to the model's folder) and returns its path.
StatusOr<std::string> DataFilePath(const std::string& model_path, const std::string& location) {
  auto bad = [&](const std::string& why) {
    return MakeError(StatusCode::kInvalidArgument, "external data file '", location, "': ", why);
  };
  if (location.empty()) return bad("the name is empty");
  if (location.find('\0') != std::string::npos) return bad("the name contains a NUL byte");
  const fs::path loc(location);
  if (loc.is_absolute() || location[0] == '/' || location[0] == '\\') {
    return bad("must be a path relative to the model's folder, not an absolute path");
  }
  for (const auto& part : loc) {
    if (part == "..") return bad("must stay inside the model's folder (no '..')");
  }
  if (!loc.has_filename() || loc.filename() == ".") return bad("is not a file name");
  return (fs::path(model_path).parent_path() / loc).string();
}

// True when `a` and `b` name the same existing file (or the same path).
bool SameFile(const std::string& a, const std::string& b) {
  if (fs::path(a).lexically_normal() == fs::path(b).lexically_normal()) return true;
  struct stat sa = {};
  struct stat sb = {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// Refuses to replace an external data file `model` was loaded from: its tensors may still read
// it through a mapping, and the input model needs it.
Status CheckNotSource(const ir::Model& model, const std::string& target) {
  for (const auto& src : model.external_data_files) {
    if (SameFile(target, src)) {
      return MakeError(StatusCode::kInvalidArgument, "cannot write '", target,
                       "': it is the external data file '", src,
                       "' the model was loaded from (its weights are read from it); choose "
                       "another name");
    }
  }
  return Status::Ok();
}

// Serializes `mp` into `file` without building the bytes in memory first.
Status WriteProto(const onnx::ModelProto& mp, AtomicFile& file) {
  google::protobuf::io::FileOutputStream os(file.fd());
  bool ok = mp.SerializeToZeroCopyStream(&os);
  ok = os.Flush() && ok;
  if (!ok) {
    const int err = os.GetErrno();
    return MakeError(StatusCode::kIoError, "error writing '", file.path(),
                     "': ", err ? std::strerror(err) : "protobuf serialization failed");
  }
  return Status::Ok();
}

// An initializer whose payload goes to the data file (or back inline when it fits after all).
struct LargeTensor {
  const Tensor* tensor;
  onnx::TensorProto* proto;
};

}  // namespace

StatusOr<std::string> ExternalDataPath(const std::string& model_path, const SaveOptions& options) {
  return DataFilePath(model_path, DataFileLocation(model_path, options));
}

StatusOr<std::string> SerializeModel(const ir::Model& model) {
  onnx::ModelProto mp;
  OE_RETURN_IF_ERROR(BuildModelProto(model, nullptr, &mp));
  const size_t size = mp.ByteSizeLong();
  if (size > kMaxProtoBytes) {
    return MakeError(StatusCode::kInvalidArgument, "the model is ", size,
                     " bytes, above protobuf's 2 GiB limit; save it with external data");
  }
  std::string bytes;
  if (!mp.SerializeToString(&bytes)) {
    return MakeError(StatusCode::kInternal, "protobuf serialization failed");
  }
  return bytes;
}

Status SaveModel(const ir::Model& model, const std::string& path, const SaveOptions& options,
                 SaveReport* report) {
  SaveReport local;
  SaveReport& rep = report ? *report : local;
  rep = SaveReport();
  if (fs::path(path).filename().empty()) {
    return MakeError(StatusCode::kInvalidArgument, "cannot write '", path, "': not a file name");
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return MakeError(StatusCode::kInvalidArgument, "cannot write '", path, "': it is a folder");
  }
  const std::string location = DataFileLocation(path, options);
  OE_ASSIGN_OR_RETURN(std::string data_path, DataFilePath(path, location));

  // Large initializers get only their header in the proto for now; the payload is written
  // later, inline or to the data file, straight from the tensor.
  std::vector<LargeTensor> large;
  const uint64_t threshold = std::max<uint64_t>(options.external_data_threshold, 1);
  InitializerWriter writer = [&](const std::string& name, const Tensor& t,
                                 onnx::TensorProto* proto) {
    if (t.dtype() == DataType::kString || t.bytes() < threshold) return false;
    proto->Clear();
    proto->set_name(name);
    proto->set_data_type(static_cast<int32_t>(t.dtype()));
    for (int64_t d : t.shape()) proto->add_dims(d);
    large.push_back({&t, proto});
    return true;
  };
  onnx::ModelProto mp;
  OE_RETURN_IF_ERROR(BuildModelProto(model, &writer, &mp));
  // Inline, each payload adds its bytes, the raw_data tag and length, and at most 10 bytes to
  // the length prefixes of the TensorProto and of the graphs around it.
  rep.inline_bytes = mp.ByteSizeLong();
  for (const auto& l : large) {
    const uint64_t n = l.tensor->bytes();
    rep.inline_bytes += n + 1 + google::protobuf::io::CodedOutputStream::VarintSize64(n) + 10;
  }
  OE_RETURN_IF_ERROR(CheckNotSource(model, path));
  const uint64_t inline_limit = std::min(options.inline_limit_bytes, kMaxProtoBytes);
  const bool external =
      options.external_data || (options.automatic_external_data && rep.inline_bytes > inline_limit);

  if (!external) {
    if (rep.inline_bytes > inline_limit) {
      return MakeError(StatusCode::kInvalidArgument, "the model is ", rep.inline_bytes,
                       " bytes inline, above the limit of ", inline_limit,
                       " bytes (protobuf's 2 GiB); save it with external data");
    }
    for (const auto& l : large) l.proto->set_raw_data(l.tensor->raw_data(), l.tensor->bytes());
    OE_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(path));
    OE_RETURN_IF_ERROR(WriteProto(mp, out));
    OE_RETURN_IF_ERROR(out.Commit());
    rep.model_bytes = mp.ByteSizeLong();
    return Status::Ok();
  }

  if (fs::is_directory(data_path, ec)) {
    return MakeError(StatusCode::kInvalidArgument, "cannot write the external data file '",
                     data_path, "': it is a folder");
  }
  if (SameFile(data_path, path)) {
    return MakeError(StatusCode::kInvalidArgument, "external data file '", data_path,
                     "' is the model file itself; choose another name");
  }
  OE_RETURN_IF_ERROR(CheckNotSource(model, data_path));
  rep.external_data = true;
  rep.automatic = !options.external_data;
  rep.data_path = data_path;
  std::vector<uint64_t> offsets;
  uint64_t end = 0;
  for (const auto& l : large) {
    const uint64_t n = l.tensor->bytes();
    offsets.push_back(AlignOffset(end, n));
    end = offsets.back() + n;
    l.proto->set_data_location(onnx::TensorProto::EXTERNAL);
    const std::pair<const char*, std::string> entries[] = {
        {"location", fs::path(location).generic_string()},
        {"offset", std::to_string(offsets.back())},
        {"length", std::to_string(n)}};
    for (const auto& [key, value] : entries) {
      auto* e = l.proto->add_external_data();
      e->set_key(key);
      e->set_value(value);
    }
  }
  rep.model_bytes = mp.ByteSizeLong();
  if (rep.model_bytes > kMaxProtoBytes) {
    return MakeError(StatusCode::kInvalidArgument, "the model is ", rep.model_bytes,
                     " bytes without the initializers of at least ", threshold,
                     " bytes, above protobuf's 2 GiB limit; lower the external data threshold");
  }
  // Streamed from the tensors (heap or the input's mapping) to the file: no copy in memory.
  OE_ASSIGN_OR_RETURN(AtomicFile data, AtomicFile::Create(data_path));
  for (size_t i = 0; i < large.size(); ++i) {
    OE_RETURN_IF_ERROR(data.WriteZeros(offsets[i] - data.size()));
    OE_RETURN_IF_ERROR(data.Write(large[i].tensor->raw_data(), large[i].tensor->bytes()));
  }
  rep.external_tensors = static_cast<int64_t>(large.size());
  rep.data_bytes = data.size();
  OE_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(path));
  OE_RETURN_IF_ERROR(WriteProto(mp, out));
  OE_RETURN_IF_ERROR(data.Finish());
  OE_RETURN_IF_ERROR(out.Finish());
  // Data first: the model never names a data file that is not complete.
  const bool data_existed = fs::exists(fs::symlink_status(data_path, ec));
  OE_RETURN_IF_ERROR(data.Commit());
  Status st = out.Commit();
  if (!st.ok() && !data_existed) ::unlink(data_path.c_str());
  return st;
}

}  // namespace onnxedge::onnx_io
