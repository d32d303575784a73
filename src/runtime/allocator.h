// Copyright onnxedge authors.
// The allocator behind every tensor a kernel produces. It enforces the session's memory limit
// and tracks live and peak bytes; the memory planner will sit behind the same interface.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "onnxedge/status.h"
#include "onnxedge/tensor.h"

namespace onnxedge {

class Allocator : public std::enable_shared_from_this<Allocator> {
 public:
  /// `limit_bytes` 0 = unlimited. `base_bytes` counts memory already held (weights).
  Allocator(uint64_t limit_bytes, uint64_t base_bytes);

  /// A zero-filled tensor whose storage is released back to this allocator's accounting. The
  /// tensor keeps the allocator alive (outputs may outlive their session). The allocator must be
  /// owned by a std::shared_ptr.
  StatusOr<Tensor> Allocate(DataType type, const Shape& shape, const std::string& what);

  uint64_t live_bytes() const { return live_.load(std::memory_order_relaxed); }
  uint64_t peak_bytes() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t limit_bytes() const { return limit_; }

 private:
  friend struct TrackedBlock;
  void Release(uint64_t bytes) { live_.fetch_sub(bytes, std::memory_order_relaxed); }

  uint64_t limit_;
  std::atomic<uint64_t> live_;
  std::atomic<uint64_t> peak_;
};

}  // namespace onnxedge
