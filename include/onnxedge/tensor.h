// Copyright onnxedge authors.
// Tensor: a typed, shaped view of a buffer that is either owned (shared) or borrowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "onnxedge/data_type.h"
#include "onnxedge/shape.h"
#include "onnxedge/status.h"

namespace onnxedge {


/// Number of elements of `shape` (1 for a scalar), or -1 if it overflows int64 or a dim is < 0.
int64_t ShapeElementCount(const Shape& shape);
/// "[1,3,224,224]".
std::string ShapeToString(const Shape& shape);

/// A dense tensor. Copies are shallow: they share the same storage. Use Clone() for a deep copy.
///
/// Storage is one of: memory owned by onnxedge (Allocate), a caller's buffer that must outlive
/// every use (Borrow), or memory kept alive by a shared holder (for example an mmapped file).
/// String tensors hold std::string objects.
class Tensor {
 public:
  /// An empty tensor with undefined type; `defined()` is false.
  Tensor() = default;

  /// Allocates a zero-initialized tensor (strings are empty). Fails on overflow or bad type.
  static StatusOr<Tensor> Allocate(DataType type, Shape shape);
  /// Wraps a caller's buffer without copying. `bytes` is the buffer size; it must hold at least
  /// `ShapeElementCount(shape) * DataTypeSize(type)` bytes and `data` may be null only when the
  /// tensor is empty. For kString, `data` points to std::string objects.
  static StatusOr<Tensor> Borrow(DataType type, Shape shape, void* data, size_t bytes);
  /// Wraps memory kept alive by `holder` (shared by all copies).
  static Tensor FromShared(DataType type, Shape shape, std::shared_ptr<void> holder, void* data);

  /// Builds an owned tensor from values (for tests and small constants).
  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values);
  /// An owned scalar (rank 0).
  template <typename T>
  static Tensor Scalar(T value) {
    return FromVector<T>({}, std::vector<T>{value});
  }

  bool defined() const { return type_ != DataType::kUndefined; }
  DataType dtype() const { return type_; }
  const Shape& shape() const { return shape_; }
  size_t rank() const { return shape_.size(); }
  int64_t dim(size_t i) const { return shape_[i]; }
  /// Element count (1 for a scalar, 0 when any dim is 0).
  int64_t size() const { return size_; }
  /// Bytes of element storage (size() * DataTypeSize(dtype())).
  size_t bytes() const { return static_cast<size_t>(size_) * DataTypeSize(type_); }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  /// Typed access; T must match dtype() (checked in debug builds).
  template <typename T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  /// Copies elements out as a vector (for tests and small tensors).
  template <typename T>
  std::vector<T> ToVector() const {
    const T* p = data<T>();
    return std::vector<T>(p, p + size_);
  }

  /// A deep copy with its own storage.
  StatusOr<Tensor> Clone() const;
  /// A tensor sharing this storage with a different shape of the same element count.
  StatusOr<Tensor> Reshaped(Shape new_shape) const;
  /// True when this tensor owns or shares its storage (false for Borrow()ed buffers).
  bool owns_storage() const { return holder_ != nullptr; }
  /// How many tensors share this tensor's storage (0 for borrowed buffers). The runtime writes
  /// an op's output into a dead input's buffer only when this is 1.
  long storage_use_count() const { return holder_.use_count(); }

 private:
  Tensor(DataType type, Shape shape, std::shared_ptr<void> holder, void* data);

  DataType type_ = DataType::kUndefined;
  Shape shape_;
  int64_t size_ = 0;
  std::shared_ptr<void> holder_;
  void* data_ = nullptr;
};

template <typename T>
Tensor Tensor::FromVector(Shape shape, const std::vector<T>& values) {
  auto t = Allocate(DataTypeOf<T>::value, std::move(shape));
  if (!t.ok()) return Tensor();
  T* out = t->template data<T>();
  const size_t n = std::min(values.size(), static_cast<size_t>(t->size()));
  for (size_t i = 0; i < n; ++i) out[i] = values[i];
  return std::move(t).value();
}

}  // namespace onnxedge
