// Copyright onnxedge authors.
#include "onnxedge/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "onnxedge/value.h"

namespace onnxedge {

int64_t ShapeElementCount(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d == 0) {
      n = 0;
      continue;
    }
    if (n != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      // Overflow unless a later dim is zero.
      for (int64_t d2 : shape) {
        if (d2 == 0) return 0;
      }
      return -1;
    }
    n *= d;
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

constexpr size_t kAlignment = 64;

// Owns an aligned block; for string tensors it also constructs and destroys the strings.
struct Block {
  void* ptr = nullptr;
  size_t strings = 0;
  ~Block() {
    if (strings) {
      auto* s = static_cast<std::string*>(ptr);
      for (size_t i = 0; i < strings; ++i) s[i].~basic_string();
    }
    std::free(ptr);
  }
};

}  // namespace

Tensor::Tensor(DataType type, Shape shape, std::shared_ptr<void> holder, void* data)
    : type_(type), shape_(std::move(shape)), holder_(std::move(holder)), data_(data) {
  size_ = ShapeElementCount(shape_);
  if (size_ < 0) size_ = 0;
}

StatusOr<Tensor> Tensor::Allocate(DataType type, Shape shape) {
  if (!IsSupportedDataType(type)) {
    return MakeError(StatusCode::kNotImplemented, "tensor element type ", DataTypeName(type),
                     " is not supported");
  }
  const int64_t n = ShapeElementCount(shape);
  if (n < 0) {
    return MakeError(StatusCode::kInvalidArgument, "shape ", ShapeToString(shape),
                     " has a negative dim or its element count overflows");
  }
  const size_t elem = DataTypeSize(type);
  if (static_cast<uint64_t>(n) > std::numeric_limits<size_t>::max() / elem / 2) {
    return MakeError(StatusCode::kOutOfMemory, "shape ", ShapeToString(shape), " is too large");
  }
  size_t bytes = static_cast<size_t>(n) * elem;
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  auto block = std::make_shared<Block>();
  block->ptr = std::aligned_alloc(kAlignment, rounded);
  if (!block->ptr) {
    return MakeError(StatusCode::kOutOfMemory, "cannot allocate ", bytes, " bytes for tensor ",
                     ShapeToString(shape));
  }
  if (type == DataType::kString) {
    auto* s = static_cast<std::string*>(block->ptr);
    for (int64_t i = 0; i < n; ++i) new (s + i) std::string();
    block->strings = static_cast<size_t>(n);
  } else {
    std::memset(block->ptr, 0, bytes);
  }
  void* data = block->ptr;
  return Tensor(type, std::move(shape), std::move(block), data);
}

StatusOr<Tensor> Tensor::Borrow(DataType type, Shape shape, void* data, size_t bytes) {
  if (!IsSupportedDataType(type)) {
    return MakeError(StatusCode::kInvalidArgument, "tensor element type ", DataTypeName(type),
                     " is not supported");
  }
  const int64_t n = ShapeElementCount(shape);
  if (n < 0) {
    return MakeError(StatusCode::kInvalidArgument, "shape ", ShapeToString(shape),
                     " has a negative dim or its element count overflows");
  }
  const size_t elem = DataTypeSize(type);
  if (static_cast<uint64_t>(n) > std::numeric_limits<size_t>::max() / elem) {
    return MakeError(StatusCode::kInvalidArgument, "shape ", ShapeToString(shape), " is too large");
  }
  const size_t need = static_cast<size_t>(n) * elem;
  if (need > 0 && data == nullptr) {
    return MakeError(StatusCode::kInvalidArgument, "null buffer for a tensor of shape ",
                     ShapeToString(shape));
  }
  if (bytes < need) {
    return MakeError(StatusCode::kInvalidArgument, "buffer of ", bytes, " bytes is too short for ",
                     DataTypeName(type), " tensor ", ShapeToString(shape), " (needs ", need, ")");
  }
  return Tensor(type, std::move(shape), nullptr, data);
}

Tensor Tensor::FromShared(DataType type, Shape shape, std::shared_ptr<void> holder, void* data) {
  return Tensor(type, std::move(shape), std::move(holder), data);
}

StatusOr<Tensor> Tensor::Clone() const {
  if (!defined()) return Tensor();
  OE_ASSIGN_OR_RETURN(Tensor copy, Allocate(type_, shape_));
  if (type_ == DataType::kString) {
    const auto* src = data<std::string>();
    auto* dst = copy.data<std::string>();
    for (int64_t i = 0; i < size_; ++i) dst[i] = src[i];
  } else if (bytes() > 0) {
    std::memcpy(copy.raw_data(), data_, bytes());
  }
  return copy;
}

StatusOr<Tensor> Tensor::Reshaped(Shape new_shape) const {
  if (ShapeElementCount(new_shape) != size_) {
    return MakeError(StatusCode::kInvalidArgument, "cannot reshape ", ShapeToString(shape_),
                     " to ", ShapeToString(new_shape));
  }
  Tensor t = *this;
  t.shape_ = std::move(new_shape);
  return t;
}

Value Value::Sequence(std::vector<Tensor> elements, DataType element_type) {
  Value v;
  v.kind_ = Kind::kSequence;
  v.sequence_ = std::make_shared<const std::vector<Tensor>>(std::move(elements));
  v.element_type_ = element_type;
  return v;
}

Value Value::None(bool is_sequence, DataType element_type) {
  Value v;
  v.none_is_sequence_ = is_sequence;
  v.element_type_ = element_type;
  return v;
}

const std::vector<Tensor>& Value::sequence() const {
  static const std::vector<Tensor> kEmpty;
  return sequence_ ? *sequence_ : kEmpty;
}

}  // namespace onnxedge
