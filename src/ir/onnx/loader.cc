// Copyright onnxedge authors.
// ModelProto -> ir::Model. Order of work, chosen so untrusted data is validated by our own code
// before libonnx's shape inference sees it:
//   parse -> check header -> convert to IR (decodes every tensor under limits) -> sort ->
//   reorder the proto like the IR -> ONNX shape inference -> copy inferred types ->
//   expand functions without kernels -> turn Constant nodes into initializers.
#include "ir/onnx/loader.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/logging.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "ir/onnx/functions.h"
#include "ir/onnx/inference_guard.h"
#include "ir/onnx/opset.h"
#include "ir/onnx/proto_convert.h"
#include "ir/onnx/schema_check.h"
#include "ir/onnx/tensor_proto.h"
#include "ir/onnx/wire_check.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace onnxedge::onnx_io {

namespace {

Status CheckHeader(const onnx::ModelProto& mp, ir::Model* model) {
  model->ir_version = mp.ir_version();
  if (mp.ir_version() < kMinIrVersion || mp.ir_version() > kMaxIrVersion) {
    return MakeError(StatusCode::kInvalidModel, "IR version ", mp.ir_version(),
                     " is not supported (supported: ", kMinIrVersion, "-", kMaxIrVersion, ")");
  }
  for (const auto& op : mp.opset_import()) {
    std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    if (model->opset_imports.count(domain)) {
      return MakeError(StatusCode::kInvalidModel, "domain '", domain,
                       "' is imported more than once");
    }
    if (op.version() < 1) {
      return MakeError(StatusCode::kInvalidModel, "domain '", domain.empty() ? "ai.onnx" : domain,
                       "' is imported with invalid version ", op.version());
    }
    model->opset_imports[domain] = op.version();
  }
  // A model may use only other domains (e.g. ai.onnx.preview.training); nodes of the default
  // domain then fail with "domain '' not imported".
  auto it = model->opset_imports.find("");
  if (it != model->opset_imports.end() && it->second > kMaxOnnxOpset) {
    return MakeError(StatusCode::kNotImplemented, "ONNX opset ", it->second,
                     " is newer than the newest supported opset ", kMaxOnnxOpset);
  }
  if (!mp.has_graph()) return MakeError(StatusCode::kInvalidModel, "the model has no graph");
  model->producer_name = mp.producer_name();
  model->producer_version = mp.producer_version();
  model->domain = mp.domain();
  model->model_version = mp.model_version();
  model->doc = mp.doc_string();
  for (const auto& kv : mp.metadata_props()) model->metadata.emplace_back(kv.key(), kv.value());
  return Status::Ok();
}

// Puts the nodes of `gp` in the order of the sorted IR graph so ONNX shape inference, which
// walks nodes in order, sees producers first. Recurses into subgraphs.
void ReorderProtoLikeIr(const ir::Graph& g, onnx::GraphProto* gp) {
  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  std::vector<int> order;
  for (const auto& n : g.nodes) order.push_back(n->source_index);
  bool identity = true;
  for (size_t i = 0; i < order.size(); ++i) identity &= order[i] == static_cast<int>(i);
  if (!identity && static_cast<int>(order.size()) == gp->node_size()) {
    for (int idx : order) *sorted.Add() = gp->node(idx);
    gp->mutable_node()->Swap(&sorted);
  }
  for (size_t i = 0; i < g.nodes.size() && static_cast<int>(i) < gp->node_size(); ++i) {
    const auto& n = *g.nodes[i];
    auto* np = gp->mutable_node(static_cast<int>(i));
    for (const auto& a : n.attributes) {
      for (auto& ap : *np->mutable_attribute()) {
        if (ap.name() != a.name) continue;
        if (a.g && ap.has_g()) ReorderProtoLikeIr(*a.g, ap.mutable_g());
        for (size_t k = 0; k < a.graphs.size() && static_cast<int>(k) < ap.graphs_size(); ++k) {
          ReorderProtoLikeIr(*a.graphs[k], ap.mutable_graphs(static_cast<int>(k)));
        }
      }
    }
  }
}

// Copies types found by shape inference into the IR (graph by graph, in matching order).
void CopyInferredTypes(const onnx::GraphProto& gp, ir::Graph* g) {
  for (const auto& vi : gp.value_info()) {
    ir::TypeInfo t = ConvertType(vi.type());
    if (t.kind != ir::TypeInfo::Kind::kUnknown) g->value_info[vi.name()] = std::move(t);
  }
  for (int i = 0; i < gp.output_size() && i < static_cast<int>(g->outputs.size()); ++i) {
    if (g->outputs[i].type.kind == ir::TypeInfo::Kind::kUnknown ||
        (!g->outputs[i].type.has_shape && gp.output(i).type().tensor_type().has_shape())) {
      ir::TypeInfo t = ConvertType(gp.output(i).type());
      if (t.kind != ir::TypeInfo::Kind::kUnknown) g->outputs[i].type = std::move(t);
    }
  }
  for (size_t i = 0; i < g->nodes.size() && static_cast<int>(i) < gp.node_size(); ++i) {
    auto& n = *g->nodes[i];
    const auto& np = gp.node(static_cast<int>(i));
    for (auto& a : n.attributes) {
      for (const auto& ap : np.attribute()) {
        if (ap.name() != a.name) continue;
        if (a.g && ap.has_g()) CopyInferredTypes(ap.g(), a.g.get());
        for (size_t k = 0; k < a.graphs.size() && static_cast<int>(k) < ap.graphs_size(); ++k) {
          CopyInferredTypes(ap.graphs(static_cast<int>(k)), a.graphs[k].get());
        }
      }
    }
  }
}

void RunShapeInference(onnx::ModelProto& mp, ir::Model* model, LogLevel log_level) {
  onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0,
                                      /*enable_data_propagation=*/true);
  try {
    // The guarded registry skips nodes whose inputs libonnx's functions would read out of
    // bounds (inference_guard.h).
    onnx::shape_inference::InferShapes(mp, GuardedSchemaRegistry(), options);
  } catch (const std::exception& e) {
    // Inference is advisory: the runtime computes exact shapes. A model that libonnx cannot
    // infer (for example one using newer opsets) still loads.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    Log(log_level, LogLevel::kInfo, "shape inference stopped early: " + what);
    return;
  }
  CopyInferredTypes(mp.graph(), model->graph.get());
}

// Verifies every node (and every node of every subgraph) against its ONNX schema.
Status CheckSchemas(const ir::Graph& g) {
  for (const auto& n : g.nodes) {
    const int since = ResolveSinceVersion(n->domain, n->op_type, n->opset);
    OE_RETURN_IF_ERROR(CheckNodeAgainstSchema(*n, since));
    for (const auto& a : n->attributes) {
      if (a.g) OE_RETURN_IF_ERROR(CheckSchemas(*a.g));
      for (const auto& sg : a.graphs) OE_RETURN_IF_ERROR(CheckSchemas(*sg));
    }
  }
  return Status::Ok();
}

// Attribute values that make libonnx's shape inference allocate in proportion to the value
// (Scan's inference builds a vector of num_scan_inputs axes: 2^40 asks for 8 TB). Refused here,
// in the graph and in function bodies, before inference runs. Recursion depth is bounded by the
// wire check's nesting limit.
// The IR requires a type on every main-graph input (subgraph inputs may omit it), and libonnx's
// inference functions read it without checking (Shape-15 on an untyped input: a null read, found
// by the shape_inference fuzzer). An input that is also an initializer takes the initializer's.
Status CheckGraphInputTypes(const onnx::GraphProto& g) {
  std::unordered_set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  for (const auto& vi : g.input()) {
    if (vi.type().value_case() == onnx::TypeProto::VALUE_NOT_SET &&
        !initializers.count(vi.name())) {
      return MakeError(StatusCode::kInvalidModel, "graph input '", vi.name(),
                       "' has no type (the main graph's inputs must declare one)");
    }
  }
  return Status::Ok();
}

Status CheckInferenceHazards(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes) {
  for (int i = 0; i < nodes.size(); ++i) {
    const onnx::NodeProto& n = nodes.Get(i);
    const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
    for (const auto& a : n.attribute()) {
      if (onnx_domain && n.op_type() == "Scan" && a.name() == "num_scan_inputs" &&
          (a.i() < 1 || a.i() > n.input_size())) {
        const std::string id = n.name().empty() ? std::to_string(i) : n.name();
        return MakeError(StatusCode::kInvalidModel, "node '", n.name().empty() ? "#" : "", id,
                         "' (Scan): num_scan_inputs ", a.i(), " is not in [1, ", n.input_size(),
                         "] (the node's input count)");
      }
      // libonnx's conv/pool inference divides by the strides (MaxPool with a zero stride:
      // SIGFPE, found by the shape_inference fuzzer); every ONNX op's strides are positive.
      if (onnx_domain && a.name() == "strides") {
        for (int64_t v : a.ints()) {
          if (v < 1) {
            const std::string id = n.name().empty() ? std::to_string(i) : n.name();
            return MakeError(StatusCode::kInvalidModel, "node '", n.name().empty() ? "#" : "",
                             id, "' (", n.op_type(),
                             "): attribute 'strides' must be positive, not ", v);
          }
        }
      }
      if (a.has_g()) OE_RETURN_IF_ERROR(CheckInferenceHazards(a.g().node()));
      for (const auto& g : a.graphs()) OE_RETURN_IF_ERROR(CheckInferenceHazards(g.node()));
    }
  }
  return Status::Ok();
}

StatusOr<ir::Model> LoadFromProto(onnx::ModelProto& mp, const LoadOptions& options) {
  ir::Model model;
  OE_RETURN_IF_ERROR(CheckHeader(mp, &model));
  OE_RETURN_IF_ERROR(CheckLocalFunctions(mp, options.max_expanded_nodes));
  ConvertContext ctx;
  ctx.tensors.base_dir = options.base_dir;
  ctx.tensors.max_tensor_elements = options.max_tensor_elements;
  ctx.tensors.memory_limit_bytes = options.memory_limit_bytes;
  ctx.opset_imports = &model.opset_imports;
  ctx.release_large_payloads = true;  // mp is ours: each weight is held once (in the IR)
  OE_ASSIGN_OR_RETURN(model.graph, ConvertGraph(mp.graph(), ctx, 0));
  OE_RETURN_IF_ERROR(ir::TopologicalSort(*model.graph));
  if (options.infer_shapes) {
    // libonnx's inference functions assume a node that satisfies its schema (Scan-8 reads
    // num_scan_inputs without checking that it exists: found by the shape_inference fuzzer),
    // so the schema check runs before inference too, not only after function expansion.
    OE_RETURN_IF_ERROR(CheckSchemas(*model.graph));
    OE_RETURN_IF_ERROR(CheckGraphInputTypes(mp.graph()));
    OE_RETURN_IF_ERROR(CheckInferenceHazards(mp.graph().node()));
    for (const auto& f : mp.functions()) OE_RETURN_IF_ERROR(CheckInferenceHazards(f.node()));
    ReorderProtoLikeIr(*model.graph, mp.mutable_graph());
    RunShapeInference(mp, &model, options.log_level);
  }
  if (options.has_kernel) {
    OE_RETURN_IF_ERROR(ExpandFunctions(mp, options.has_kernel, ctx, &model));
  }
  if (options.fold_constants) OE_RETURN_IF_ERROR(FoldConstantNodes(*model.graph));
  OE_RETURN_IF_ERROR(CheckSchemas(*model.graph));
  for (const auto& [path, file] : ctx.tensors.files) model.external_data_files.push_back(path);
  return model;
}

// Serves a read-only private file mapping to the protobuf parser in chunks and drops the pages
// before the current chunk from this process (MADV_DONTNEED: touched again, they are re-read
// from the page cache), so the file and its parsed form are never both resident: the loader's
// peak stays near one copy of the model, not two.
class ReleasingMappingInput final : public google::protobuf::io::ZeroCopyInputStream {
 public:
  ReleasingMappingInput(const uint8_t* data, size_t size)
      : data_(data), size_(size), released_(reinterpret_cast<uintptr_t>(data)) {
    const long page = sysconf(_SC_PAGESIZE);
    page_ = page > 0 ? static_cast<uintptr_t>(page) : 4096;
    released_ &= ~(page_ - 1);
  }
  bool Next(const void** data, int* size) override {
    Release();
    if (pos_ >= size_) return false;
    const size_t n = std::min(kChunk, size_ - pos_);
    *data = data_ + pos_;
    *size = static_cast<int>(n);
    pos_ += n;
    return true;
  }
  void BackUp(int count) override { pos_ -= static_cast<size_t>(count); }
  bool Skip(int count) override {
    const size_t n = std::min(static_cast<size_t>(count), size_ - pos_);
    pos_ += n;
    return n == static_cast<size_t>(count);
  }
  int64_t ByteCount() const override { return static_cast<int64_t>(pos_); }

 private:
  static constexpr size_t kChunk = size_t{4} << 20;
  // Everything before pos_ has been parsed; the parser holds no pointer into it after asking
  // for the next chunk (ZeroCopyInputStream's contract).
  void Release() {
    const uintptr_t end = reinterpret_cast<uintptr_t>(data_ + pos_) & ~(page_ - 1);
    if (end >= released_ + kChunk) {
      DropMappedPages(reinterpret_cast<const void*>(released_), end - released_);
      released_ = end;
    }
  }
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uintptr_t page_ = 4096;
  uintptr_t released_;
};

// `release_pages`: data is a private read-only file mapping owned by the caller, whose pages may
// be dropped as they are parsed (ReleasingMappingInput).
StatusOr<ir::Model> ParseAndLoad(const void* data, size_t size, const LoadOptions& options,
                                 bool release_pages) {
  if (size == 0) return MakeError(StatusCode::kInvalidModel, "the file is empty");
  if (size > static_cast<size_t>(INT_MAX)) {
    return MakeError(StatusCode::kInvalidModel, "the file is larger than 2 GiB; store large "
                                                "weights as external data");
  }
  // Our own pass first: it names what is wrong in a broken file, and refuses files whose
  // parsed form would not fit the memory limit (protobuf keeps no limit of its own).
  auto wire = CheckWireFormat(static_cast<const uint8_t*>(data), size,
                              onnx::ModelProto::descriptor());
  if (!wire.ok()) return wire.status();
  // Graph structure (nodes, names, attribute lists) is held in up to kStructureCopies forms at
  // the loader's peak (protobuf, IR, schema checks, shape inference, kernels); measured on
  // a 300k-node graph and a 2M-entry attribute list.
  constexpr uint64_t kStructureCopies = 4;
  const uint64_t need = wire->payload_bytes + kStructureCopies * wire->structure_bytes;
  if (options.memory_limit_bytes != 0 && need > options.memory_limit_bytes) {
    return MakeError(StatusCode::kOutOfMemory, "loading the model needs about ", need,
                     " bytes (", wire->structure_bytes, " bytes of graph structure, counted ",
                     kStructureCopies, " times, and ", wire->payload_bytes,
                     " bytes of tensor data), more than the memory limit of ",
                     options.memory_limit_bytes, " bytes");
  }
  onnx::ModelProto mp;
  bool parsed = false;
  if (release_pages) {
    ReleasingMappingInput input(static_cast<const uint8_t*>(data), size);
    google::protobuf::io::CodedInputStream stream(&input);
    stream.SetTotalBytesLimit(INT_MAX);
    parsed = mp.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage();
  } else {
    google::protobuf::io::CodedInputStream stream(static_cast<const uint8_t*>(data),
                                                  static_cast<int>(size));
    stream.SetTotalBytesLimit(INT_MAX);
    parsed = mp.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage();
  }
  if (!parsed) {
    return MakeError(StatusCode::kInvalidModel,
                     "not a valid ONNX model: protobuf parsing failed (truncated or corrupt file, "
                     "wrong field types, or nesting deeper than 100 levels)");
  }
  return LoadFromProto(mp, options);
}

}  // namespace

StatusOr<ir::Model> LoadModel(const std::string& path, LoadOptions options) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  if (options.base_dir.empty()) {
    options.base_dir = std::filesystem::path(path).parent_path().string();
    if (options.base_dir.empty()) options.base_dir = ".";
  }
  auto model = ParseAndLoad((*file)->data(), (*file)->size(), options, /*release_pages=*/true);
  if (!model.ok()) return model.status().WithContext("'" + path + "'");
  return model;
}

StatusOr<ir::Model> LoadModelFromBuffer(const void* data, size_t size,
                                        const LoadOptions& options) {
  if (data == nullptr && size != 0) {
    return MakeError(StatusCode::kInvalidArgument, "model buffer is null");
  }
  auto model = ParseAndLoad(data, size, options, /*release_pages=*/false);
  if (!model.ok()) return model.status().WithContext("model buffer");
  return model;
}

}  // namespace onnxedge::onnx_io
