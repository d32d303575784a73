// Copyright onnxedge authors.
// Conversions between onnx::TensorProto / SequenceProto / OptionalProto and onnxedge values.
// This is the only place that decodes tensor payloads from files.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "onnxedge/value.h"

namespace onnx {
class TensorProto;
class SparseTensorProto;
class SequenceProto;
class OptionalProto;
}  // namespace onnx

namespace onnxedge::onnx_io {

class MappedFile;

/// Limits and locations used while decoding tensors from an untrusted model.
struct TensorLoadContext {
  /// Folder that external data must stay inside. Empty: external data is refused.
  std::string base_dir;
  /// Bound on the elements of any single tensor.
  int64_t max_tensor_elements = int64_t{1} << 34;
  /// Bound on bytes copied to the heap while loading (0 = none). Mmapped data does not count.
  uint64_t memory_limit_bytes = 0;
  /// Bytes copied so far (updated by the decoder).
  uint64_t bytes_allocated = 0;
  /// Open external files, shared between tensors of one model.
  std::map<std::string, std::shared_ptr<MappedFile>> files;
};

/// A read-only memory mapping of a whole file.
class MappedFile {
 public:
  /// Maps `path`. Fails with kNotFound / kIoError and a message naming the file.
  static StatusOr<std::shared_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  /// Identity and hard-link count of the file that was opened (from fstat, so checks on them
  /// cannot be raced by swapping the path after it was resolved).
  uint64_t device() const { return device_; }
  uint64_t inode() const { return inode_; }
  uint64_t links() const { return links_; }
  /// Where the opened file really is (from /proc/self/fd; empty where /proc is missing).
  const std::string& real_path() const { return real_path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint64_t device_ = 0;
  uint64_t inode_ = 0;
  uint64_t links_ = 0;
  std::string real_path_;
  void* map_ = nullptr;
};

/// Drops the resident pages of [addr, addr + bytes) of a private read-only file mapping (addr
/// page-aligned); touched again, they are read back from the file. Best effort.
void DropMappedPages(const void* addr, size_t bytes);

/// When [addr, addr + bytes) lies inside a live MappedFile (a zero-copy external-data tensor),
/// drops its resident pages (whole pages around it) and returns true; otherwise does nothing
/// and returns false (heap memory is never touched). For freeing a released weight's pages
/// while other weights of the same file are still mapped.
bool DropFileMappedPages(const void* addr, size_t bytes);

/// Decodes a TensorProto (typed fields, raw_data or external data) into a Tensor. The name of
/// the tensor appears in every error message.
StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, TensorLoadContext& ctx);
/// Frees the payload of a large tensor (raw_data over 4096 bytes, float_data over 1024 values)
/// once it has been decoded: ONNX shape inference reads only small tensors' values (Reshape
/// targets, Slice starts, ...), so the loader holds each weight once.
void ReleaseLargePayload(onnx::TensorProto* proto);
/// Densifies a SparseTensorProto.
StatusOr<Tensor> TensorFromSparseProto(const onnx::SparseTensorProto& proto,
                                       TensorLoadContext& ctx);
/// Encodes a tensor as a TensorProto with raw_data (strings use string_data).
void TensorToProto(const Tensor& tensor, const std::string& name, onnx::TensorProto* proto);

/// Decodes a serialized TensorProto, SequenceProto or OptionalProto file into a Value. `kind`
/// hint: "tensor", "sequence", "optional" or "" to try tensor first.
StatusOr<Value> ValueFromProtoFile(const std::string& path, const std::string& kind);
/// Decodes a serialized TensorProto from bytes.
StatusOr<Tensor> TensorFromProtoBytes(const void* data, size_t size, const std::string& what);
/// Serializes a tensor as a TensorProto.
std::string TensorToProtoBytes(const Tensor& tensor, const std::string& name);

}  // namespace onnxedge::onnx_io
