// Copyright onnxedge authors.
#include "runtime/allocator.h"

#include <memory>

namespace onnxedge {

// Keeps the real tensor storage alive and returns its bytes to the allocator when freed.
struct TrackedBlock {
  TrackedBlock(Tensor t, std::shared_ptr<Allocator> o, uint64_t b)
      : storage(std::move(t)), owner(std::move(o)), bytes(b) {}
  TrackedBlock(const TrackedBlock&) = delete;
  TrackedBlock& operator=(const TrackedBlock&) = delete;
  ~TrackedBlock() { owner->Release(bytes); }
  Tensor storage;
  std::shared_ptr<Allocator> owner;
  uint64_t bytes;
};

Allocator::Allocator(uint64_t limit_bytes, uint64_t base_bytes)
    : limit_(limit_bytes), live_(base_bytes), peak_(base_bytes) {}

StatusOr<Tensor> Allocator::Allocate(DataType type, const Shape& shape, const std::string& what) {
  const int64_t n = ShapeElementCount(shape);
  if (n < 0) {
    return MakeError(StatusCode::kInvalidArgument, what, ": invalid shape ", ShapeToString(shape));
  }
  const uint64_t elem = DataTypeSize(type);
  if (elem == 0) {
    return MakeError(StatusCode::kInvalidArgument, what, ": invalid element type");
  }
  if (static_cast<uint64_t>(n) > (uint64_t{1} << 62) / elem) {
    return MakeError(StatusCode::kOutOfMemory, what, ": shape ", ShapeToString(shape),
                     " is too large");
  }
  const uint64_t bytes = static_cast<uint64_t>(n) * elem;
  const uint64_t now = live_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (limit_ != 0 && now > limit_) {
    live_.fetch_sub(bytes, std::memory_order_relaxed);
    return MakeError(StatusCode::kOutOfMemory, what, ": allocating ", bytes, " bytes for ",
                     DataTypeName(type), ShapeToString(shape), " exceeds the memory limit of ",
                     limit_, " bytes");
  }
  uint64_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  auto t = Tensor::Allocate(type, shape);
  if (!t.ok()) {
    live_.fetch_sub(bytes, std::memory_order_relaxed);
    return t.status().WithContext(what);
  }
  auto block = std::make_shared<TrackedBlock>(std::move(t).value(), shared_from_this(), bytes);
  void* data = block->storage.raw_data();
  return Tensor::FromShared(type, shape, std::move(block), data);
}

}  // namespace onnxedge
