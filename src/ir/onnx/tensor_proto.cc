// Copyright onnxedge authors.
#include "ir/onnx/tensor_proto.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include "onnx/onnx-data_pb.h"
#include "onnx/onnx_pb.h"

namespace onnxedge::onnx_io {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// MappedFile

namespace {

// The address ranges of the live mappings, so DropFileMappedPages can tell a view of a mapped
// file (safe to drop: private and read-only) from heap memory (which madvise would zero).
std::mutex& MappingsMutex() {
  static std::mutex mu;
  return mu;
}
std::map<uintptr_t, uintptr_t>& Mappings() {  // begin -> end
  static auto* m = new std::map<uintptr_t, uintptr_t>();
  return *m;
}

}  // namespace

StatusOr<std::shared_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO (swapped in for a checked path) must not wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return MakeError(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError, "cannot open '",
                     path, "': ", std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(StatusCode::kIoError, "'", path, "' is not a regular file");
  }
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->size_ = static_cast<size_t>(st.st_size);
  f->device_ = static_cast<uint64_t>(st.st_dev);
  f->inode_ = static_cast<uint64_t>(st.st_ino);
  f->links_ = static_cast<uint64_t>(st.st_nlink);
  char real[PATH_MAX + 1];
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(self.c_str(), real, PATH_MAX);
  if (n > 0) f->real_path_.assign(real, static_cast<size_t>(n));
  if (f->size_ > 0) {
    void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      return MakeError(StatusCode::kIoError, "cannot mmap '", path, "': ", std::strerror(errno));
    }
    f->map_ = p;
    f->data_ = static_cast<const uint8_t*>(p);
    std::lock_guard<std::mutex> lock(MappingsMutex());
    Mappings()[reinterpret_cast<uintptr_t>(p)] = reinterpret_cast<uintptr_t>(p) + f->size_;
  }
  ::close(fd);
  return f;
}

MappedFile::~MappedFile() {
  if (!map_) return;
  {
    std::lock_guard<std::mutex> lock(MappingsMutex());
    Mappings().erase(reinterpret_cast<uintptr_t>(map_));
  }
  ::munmap(map_, size_);
}

// ---------------------------------------------------------------------------------------------
// Helpers

namespace {

Status TensorError(const onnx::TensorProto& proto, const std::string& what) {
  return MakeError(StatusCode::kInvalidModel, "tensor '", proto.name(), "': ", what);
}

// Checks the declared dims and returns the element count.
StatusOr<int64_t> CheckedElementCount(const onnx::TensorProto& proto,
                                      const TensorLoadContext& ctx, Shape* shape) {
  shape->clear();
  for (int64_t d : proto.dims()) {
    if (d < 0) return TensorError(proto, "negative dim " + std::to_string(d));
    shape->push_back(d);
  }
  int64_t n = ShapeElementCount(*shape);
  if (n < 0) return TensorError(proto, "element count of dims " + ShapeToString(*shape) +
                                           " overflows");
  if (n > ctx.max_tensor_elements) {
    return MakeError(StatusCode::kInvalidModel, "tensor '", proto.name(), "' declares ", n,
                     " elements, more than the limit of ", ctx.max_tensor_elements);
  }
  return n;
}

Status ChargeMemory(const onnx::TensorProto& proto, TensorLoadContext& ctx, uint64_t bytes) {
  if (ctx.memory_limit_bytes != 0 && ctx.bytes_allocated + bytes > ctx.memory_limit_bytes) {
    return MakeError(StatusCode::kOutOfMemory, "tensor '", proto.name(), "' needs ", bytes,
                     " bytes, which exceeds the session memory limit of ", ctx.memory_limit_bytes,
                     " bytes (", ctx.bytes_allocated, " already used)");
  }
  ctx.bytes_allocated += bytes;
  return Status::Ok();
}

template <typename Dst, typename Src>
void CopyConvert(const Src& src, Dst* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<Dst>(src.Get(static_cast<int>(i)));
}

// Validates that `location` stays inside `base_dir` and returns the resolved path.
StatusOr<std::string> ResolveExternalPath(const onnx::TensorProto& proto,
                                          const std::string& base_dir,
                                          const std::string& location) {
  if (base_dir.empty()) {
    return TensorError(proto, "uses external data '" + location +
                                  "' but the model was loaded from memory without a base folder");
  }
  if (location.empty()) return TensorError(proto, "external data has an empty location");
  if (location.find('\0') != std::string::npos) {
    return TensorError(proto, "external data location contains a NUL byte");
  }
  fs::path loc(location);
  if (loc.is_absolute() || location[0] == '/' || location[0] == '\\') {
    return TensorError(proto, "external data location '" + location +
                                  "' is an absolute path; only paths inside the model folder "
                                  "are allowed");
  }
  for (const auto& part : loc) {
    if (part == "..") {
      return TensorError(proto, "external data location '" + location +
                                    "' contains '..'; only paths inside the model folder are "
                                    "allowed");
    }
  }
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(base_dir), ec);
  if (ec) return TensorError(proto, "cannot resolve model folder '" + base_dir + "'");
  fs::path full = base / loc;
  struct stat lst {};
  if (::lstat(full.c_str(), &lst) != 0) {
    return MakeError(StatusCode::kInvalidModel, "tensor '", proto.name(), "': external data file '",
                     full.string(), "' does not exist");
  }
  fs::path real = fs::canonical(full, ec);
  if (ec) return TensorError(proto, "cannot resolve external data file '" + full.string() + "'");
  auto rel = real.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..") {
    return TensorError(proto, "external data file '" + location +
                                  "' resolves (through a symlink) to '" + real.string() +
                                  "', outside the model folder");
  }
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return TensorError(proto, "external data '" + location + "' is not a regular file");
  }
  if (st.st_nlink > 1) {
    return TensorError(proto, "external data file '" + location + "' has " +
                                  std::to_string(st.st_nlink) +
                                  " hard links; refusing a file that may be linked from "
                                  "outside the model folder");
  }
  return real.string();
}

StatusOr<Tensor> LoadExternal(const onnx::TensorProto& proto, TensorLoadContext& ctx,
                              DataType type, Shape shape, int64_t n) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    const std::string& key = kv.key();
    auto parse_int = [&](int64_t* out) -> Status {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(kv.value().c_str(), &end, 10);
      if (errno != 0 || end == kv.value().c_str() || *end != '\0' || v < 0) {
        return TensorError(proto, "external data '" + key + "' is not a non-negative integer: '" +
                                      kv.value() + "'");
      }
      *out = v;
      return Status::Ok();
    };
    if (key == "location") {
      location = kv.value();
    } else if (key == "offset") {
      OE_RETURN_IF_ERROR(parse_int(&offset));
    } else if (key == "length") {
      OE_RETURN_IF_ERROR(parse_int(&length));
    }
  }
  if (type == DataType::kString) return TensorError(proto, "string tensors cannot be external");
  OE_ASSIGN_OR_RETURN(std::string path, ResolveExternalPath(proto, ctx.base_dir, location));
  std::shared_ptr<MappedFile> file;
  auto it = ctx.files.find(path);
  if (it != ctx.files.end()) {
    file = it->second;
  } else {
    auto opened = MappedFile::Open(path);
    if (!opened.ok()) return opened.status().WithContext("tensor '" + proto.name() + "'");
    file = *opened;
    // The checks above ran on the path; repeat the ones that matter on what was opened.
    if (!file->real_path().empty() && file->real_path() != path) {
      return TensorError(proto, "external data file '" + location + "' changed while loading "
                                "(opened '" + file->real_path() + "')");
    }
    if (file->links() > 1) {
      return TensorError(proto, "external data file '" + location + "' has " +
                                    std::to_string(file->links()) +
                                    " hard links; refusing a file that may be linked from "
                                    "outside the model folder");
    }
    ctx.files[path] = file;
  }
  const uint64_t elem = DataTypeSize(type);
  const uint64_t need = static_cast<uint64_t>(n) * elem;
  if (static_cast<uint64_t>(offset) > file->size()) {
    return TensorError(proto, "external data offset " + std::to_string(offset) +
                                  " is past the end of '" + location + "' (" +
                                  std::to_string(file->size()) + " bytes)");
  }
  const uint64_t avail = file->size() - static_cast<uint64_t>(offset);
  if (length < 0) length = static_cast<int64_t>(avail);
  if (static_cast<uint64_t>(length) > avail) {
    return TensorError(proto, "external data range offset " + std::to_string(offset) +
                                  " length " + std::to_string(length) + " is past the end of '" +
                                  location + "' (" + std::to_string(file->size()) + " bytes)");
  }
  if (static_cast<uint64_t>(length) != need) {
    return TensorError(proto, "external data length " + std::to_string(length) +
                                  " does not match dims " + ShapeToString(shape) + " of " +
                                  DataTypeName(type) + " (" + std::to_string(need) + " bytes)");
  }
  const uint8_t* src = file->data() + offset;
  if (reinterpret_cast<uintptr_t>(src) % elem == 0 || need == 0) {
    // Zero-copy: the tensor keeps the mapping alive.
    return Tensor::FromShared(type, std::move(shape), file, const_cast<uint8_t*>(src));
  }
  OE_RETURN_IF_ERROR(ChargeMemory(proto, ctx, need));
  OE_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(type, std::move(shape)));
  std::memcpy(t.raw_data(), src, need);
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TensorProto -> Tensor

StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, TensorLoadContext& ctx) {
  const auto type = static_cast<DataType>(proto.data_type());
  if (!IsSupportedDataType(type)) {
    if (type == DataType::kUndefined) return TensorError(proto, "has no data_type");
    return MakeError(StatusCode::kNotImplemented, "tensor '", proto.name(), "' has element type ",
                     proto.data_type(), " (", DataTypeName(type), "), which is not supported");
  }
  if (proto.has_segment()) return TensorError(proto, "segmented tensors are not supported");
  Shape shape;
  OE_ASSIGN_OR_RETURN(int64_t n, CheckedElementCount(proto, ctx, &shape));
  const size_t elem = DataTypeSize(type);

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    return LoadExternal(proto, ctx, type, std::move(shape), n);
  }

  if (type == DataType::kString) {
    if (proto.string_data_size() != n) {
      return TensorError(proto, "has " + std::to_string(proto.string_data_size()) +
                                    " strings but dims " + ShapeToString(shape) + " need " +
                                    std::to_string(n));
    }
    uint64_t bytes = 0;
    for (const auto& s : proto.string_data()) bytes += s.size() + sizeof(std::string);
    OE_RETURN_IF_ERROR(ChargeMemory(proto, ctx, bytes));
    OE_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(type, std::move(shape)));
    auto* out = t.data<std::string>();
    for (int64_t i = 0; i < n; ++i) out[i] = proto.string_data(static_cast<int>(i));
    return t;
  }

  const uint64_t need = static_cast<uint64_t>(n) * elem;
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != need) {
      return TensorError(proto, "raw_data has " + std::to_string(proto.raw_data().size()) +
                                    " bytes but dims " + ShapeToString(shape) + " of " +
                                    DataTypeName(type) + " need " + std::to_string(need));
    }
    OE_RETURN_IF_ERROR(ChargeMemory(proto, ctx, need));
    OE_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(type, std::move(shape)));
    if (need) std::memcpy(t.raw_data(), proto.raw_data().data(), need);
    if (type == DataType::kBool) {
      auto* b = static_cast<uint8_t*>(t.raw_data());
      for (int64_t i = 0; i < n; ++i) b[i] = b[i] != 0;
    }
    return t;
  }

  // Typed fields. Count first so a short field never causes an out-of-bounds read.
  int64_t have = 0;
  switch (type) {
    case DataType::kFloat: have = proto.float_data_size(); break;
    case DataType::kDouble: have = proto.double_data_size(); break;
    case DataType::kInt64: have = proto.int64_data_size(); break;
    case DataType::kUint32:
    case DataType::kUint64: have = proto.uint64_data_size(); break;
    default: have = proto.int32_data_size(); break;
  }
  if (have != n) {
    return TensorError(proto, "has " + std::to_string(have) + " values but dims " +
                                  ShapeToString(shape) + " need " + std::to_string(n));
  }
  OE_RETURN_IF_ERROR(ChargeMemory(proto, ctx, need));
  OE_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(type, std::move(shape)));
  switch (type) {
    case DataType::kFloat: CopyConvert(proto.float_data(), t.data<float>(), n); break;
    case DataType::kDouble: CopyConvert(proto.double_data(), t.data<double>(), n); break;
    case DataType::kInt64: CopyConvert(proto.int64_data(), t.data<int64_t>(), n); break;
    case DataType::kUint32: CopyConvert(proto.uint64_data(), t.data<uint32_t>(), n); break;
    case DataType::kUint64: CopyConvert(proto.uint64_data(), t.data<uint64_t>(), n); break;
    case DataType::kInt32: CopyConvert(proto.int32_data(), t.data<int32_t>(), n); break;
    case DataType::kInt16: CopyConvert(proto.int32_data(), t.data<int16_t>(), n); break;
    case DataType::kUint16: CopyConvert(proto.int32_data(), t.data<uint16_t>(), n); break;
    case DataType::kInt8: CopyConvert(proto.int32_data(), t.data<int8_t>(), n); break;
    case DataType::kUint8: CopyConvert(proto.int32_data(), t.data<uint8_t>(), n); break;
    case DataType::kBool: {
      bool* out = t.data<bool>();
      for (int64_t i = 0; i < n; ++i) out[i] = proto.int32_data(static_cast<int>(i)) != 0;
      break;
    }
    case DataType::kFloat16:
    case DataType::kBfloat16: {
      auto* out = t.data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) {
        out[i] = static_cast<uint16_t>(proto.int32_data(static_cast<int>(i)));
      }
      break;
    }
    default:
      return TensorError(proto, std::string("cannot decode element type ") + DataTypeName(type));
  }
  return t;
}

void DropMappedPages(const void* addr, size_t bytes) {
  if (bytes != 0) madvise(const_cast<void*>(addr), bytes, MADV_DONTNEED);
}

bool DropFileMappedPages(const void* addr, size_t bytes) {
  if (!addr || bytes == 0) return false;
  const uintptr_t b = reinterpret_cast<uintptr_t>(addr), e = b + bytes;
  std::lock_guard<std::mutex> lock(MappingsMutex());
  const auto& maps = Mappings();
  auto it = maps.upper_bound(b);
  if (it == maps.begin()) return false;
  --it;
  if (e > it->second) return false;  // not (wholly) inside one live mapping
  // Whole pages around the range, clamped to the mapping: a page shared with a neighbour that
  // is still in use is read back from the file when touched again.
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t lo = std::max(it->first, b / page * page);
  const uintptr_t hi = std::min(it->second, (e + page - 1) / page * page);
  DropMappedPages(reinterpret_cast<const void*>(lo), hi - lo);
  return true;
}

void ReleaseLargePayload(onnx::TensorProto* proto) {
  // clear_*() keeps the capacity: swap with empty containers, which free it on destruction.
  if (proto->raw_data().size() > 4096) std::string().swap(*proto->mutable_raw_data());
  if (proto->float_data_size() > 1024) {
    google::protobuf::RepeatedField<float> empty;
    proto->mutable_float_data()->Swap(&empty);
  }
}

StatusOr<Tensor> TensorFromSparseProto(const onnx::SparseTensorProto& proto,
                                       TensorLoadContext& ctx) {
  const std::string& name = proto.values().name();
  auto fail = [&](const std::string& what) {
    return MakeError(StatusCode::kInvalidModel, "sparse tensor '", name, "': ", what);
  };
  Shape dense_shape;
  for (int64_t d : proto.dims()) {
    if (d < 0) return fail("negative dim");
    dense_shape.push_back(d);
  }
  const int64_t total = ShapeElementCount(dense_shape);
  if (total < 0) return fail("element count overflows");
  if (total > ctx.max_tensor_elements) {
    return fail("declares " + std::to_string(total) + " elements, more than the limit of " +
                std::to_string(ctx.max_tensor_elements));
  }
  OE_ASSIGN_OR_RETURN(Tensor values, TensorFromProto(proto.values(), ctx));
  OE_ASSIGN_OR_RETURN(Tensor indices, TensorFromProto(proto.indices(), ctx));
  if (values.rank() != 1) return fail("values must be 1-D");
  if (indices.dtype() != DataType::kInt64) return fail("indices must be int64");
  const int64_t nnz = values.size();
  const size_t rank = dense_shape.size();
  bool linear = indices.rank() == 1;
  if (linear ? indices.dim(0) != nnz
             : (indices.rank() != 2 || indices.dim(0) != nnz ||
                indices.dim(1) != static_cast<int64_t>(rank))) {
    return fail("indices shape " + ShapeToString(indices.shape()) + " does not match " +
                std::to_string(nnz) + " values of a rank-" + std::to_string(rank) + " tensor");
  }
  const size_t elem = DataTypeSize(values.dtype());
  onnx::TensorProto dummy;
  dummy.set_name(name);
  OE_RETURN_IF_ERROR(ChargeMemory(dummy, ctx, static_cast<uint64_t>(total) * elem));
  OE_ASSIGN_OR_RETURN(Tensor dense, Tensor::Allocate(values.dtype(), dense_shape));
  const int64_t* idx = indices.data<int64_t>();
  for (int64_t i = 0; i < nnz; ++i) {
    int64_t flat = 0;
    if (linear) {
      flat = idx[i];
    } else {
      for (size_t d = 0; d < rank; ++d) {
        int64_t v = idx[i * static_cast<int64_t>(rank) + static_cast<int64_t>(d)];
        if (v < 0 || v >= dense_shape[d]) return fail("index out of range");
        flat = flat * dense_shape[d] + v;
      }
    }
    if (flat < 0 || flat >= total) return fail("index " + std::to_string(flat) + " out of range");
    if (values.dtype() == DataType::kString) {
      dense.data<std::string>()[flat] = values.data<std::string>()[i];
    } else {
      std::memcpy(static_cast<uint8_t*>(dense.raw_data()) + flat * elem,
                  static_cast<const uint8_t*>(values.raw_data()) + i * elem, elem);
    }
  }
  return dense;
}

void TensorToProto(const Tensor& tensor, const std::string& name, onnx::TensorProto* proto) {
  proto->Clear();
  proto->set_name(name);
  proto->set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.shape()) proto->add_dims(d);
  if (tensor.dtype() == DataType::kString) {
    const auto* s = tensor.data<std::string>();
    for (int64_t i = 0; i < tensor.size(); ++i) proto->add_string_data(s[i]);
  } else {
    proto->set_raw_data(tensor.raw_data(), tensor.bytes());
  }
}

// ---------------------------------------------------------------------------------------------
// Files with a serialized TensorProto / SequenceProto / OptionalProto

namespace {

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(StatusCode::kNotFound, "cannot open '", path, "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StatusOr<Value> ValueFromSequenceProto(const onnx::SequenceProto& seq, TensorLoadContext& ctx);

StatusOr<Value> ValueFromOptionalProto(const onnx::OptionalProto& opt, TensorLoadContext& ctx) {
  switch (opt.elem_type()) {
    case onnx::OptionalProto::TENSOR: {
      if (!opt.has_tensor_value()) return Value::None(false);
      OE_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(opt.tensor_value(), ctx));
      return Value(std::move(t));
    }
    case onnx::OptionalProto::SEQUENCE:
      if (!opt.has_sequence_value()) return Value::None(true);
      return ValueFromSequenceProto(opt.sequence_value(), ctx);
    default:
      return Value::None(false);
  }
}

StatusOr<Value> ValueFromSequenceProto(const onnx::SequenceProto& seq, TensorLoadContext& ctx) {
  if (seq.elem_type() != onnx::SequenceProto::TENSOR &&
      seq.elem_type() != onnx::SequenceProto::UNDEFINED) {
    return MakeError(StatusCode::kNotImplemented, "sequence '", seq.name(),
                     "' holds non-tensor elements, which are not supported");
  }
  std::vector<Tensor> elems;
  DataType et = DataType::kUndefined;
  for (const auto& tp : seq.tensor_values()) {
    OE_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(tp, ctx));
    et = t.dtype();
    elems.push_back(std::move(t));
  }
  return Value::Sequence(std::move(elems), et);
}

bool ParseProto(google::protobuf::MessageLite& msg, const std::string& bytes) {
  return msg.ParseFromString(bytes);
}

}  // namespace

StatusOr<Tensor> TensorFromProtoBytes(const void* data, size_t size, const std::string& what) {
  onnx::TensorProto proto;
  if (size > static_cast<size_t>(INT_MAX) ||
      !proto.ParseFromArray(data, static_cast<int>(size))) {
    return MakeError(StatusCode::kInvalidArgument, what, ": not a valid serialized TensorProto");
  }
  TensorLoadContext ctx;
  auto t = TensorFromProto(proto, ctx);
  if (!t.ok()) return t.status().WithContext(what);
  return t;
}

StatusOr<Value> ValueFromProtoFile(const std::string& path, const std::string& kind) {
  OE_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  TensorLoadContext ctx;
  ctx.base_dir = fs::path(path).parent_path().string();
  if (kind == "sequence") {
    onnx::SequenceProto seq;
    if (!ParseProto(seq, bytes)) {
      return MakeError(StatusCode::kInvalidArgument, "'", path, "' is not a SequenceProto");
    }
    auto v = ValueFromSequenceProto(seq, ctx);
    if (!v.ok()) return v.status().WithContext(path);
    return v;
  }
  if (kind == "optional") {
    onnx::OptionalProto opt;
    if (!ParseProto(opt, bytes)) {
      return MakeError(StatusCode::kInvalidArgument, "'", path, "' is not an OptionalProto");
    }
    auto v = ValueFromOptionalProto(opt, ctx);
    if (!v.ok()) return v.status().WithContext(path);
    return v;
  }
  onnx::TensorProto proto;
  if (!ParseProto(proto, bytes)) {
    return MakeError(StatusCode::kInvalidArgument, "'", path, "' is not a TensorProto");
  }
  auto t = TensorFromProto(proto, ctx);
  if (!t.ok()) return t.status().WithContext(path);
  return Value(std::move(t).value());
}

std::string TensorToProtoBytes(const Tensor& tensor, const std::string& name) {
  onnx::TensorProto proto;
  TensorToProto(tensor, name, &proto);
  return proto.SerializeAsString();
}

}  // namespace onnxedge::onnx_io
