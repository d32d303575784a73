// Copyright onnxedge authors.
// The session's heap allocator. It enforces the session's memory limit (weights, arenas and heap
// tensors of all concurrent runs together) and tracks live and peak bytes. Arenas of the memory
// planner (runtime/memory_planner.h) are charged here as a whole when they are created.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "onnxedge/status.h"
#include "onnxedge/tensor.h"

namespace onnxedge {

/// Told when a heap block is released (the memory planner records lifetimes with it).
class ReleaseListener {
 public:
  virtual ~ReleaseListener() = default;
  virtual void OnRelease(uint64_t id) = 0;
};

class Allocator : public std::enable_shared_from_this<Allocator> {
 public:
  /// `limit_bytes` 0 = unlimited. `base_bytes` counts memory already held (weights).
  Allocator(uint64_t limit_bytes, uint64_t base_bytes);

  /// A heap tensor of `bytes` = element count x element size. Zero-filled when `zero` (string
  /// tensors always hold empty strings), else uninitialized. The tensor keeps the allocator alive
  /// (outputs may outlive their session), so the allocator must be owned by a std::shared_ptr.
  /// When `listener` is set, listener->OnRelease(id) runs when the storage is freed. Errors
  /// (kOutOfMemory) describe the request but not the requester: callers add that context.
  StatusOr<Tensor> AllocateHeap(DataType type, const Shape& shape, uint64_t bytes, bool zero,
                                std::shared_ptr<ReleaseListener> listener = nullptr,
                                uint64_t id = 0);

  /// Charges `bytes` (an arena) to the limit; false, charging nothing, when it would exceed it.
  bool Charge(uint64_t bytes);
  void Uncharge(uint64_t bytes) { live_.fetch_sub(bytes, std::memory_order_relaxed); }
  /// Charge/Uncharge for arena buffers, which are also counted in arena_bytes().
  bool ChargeArena(uint64_t bytes);
  void UnchargeArena(uint64_t bytes);

  uint64_t live_bytes() const { return live_.load(std::memory_order_relaxed); }
  uint64_t peak_bytes() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t limit_bytes() const { return limit_; }
  uint64_t base_bytes() const { return base_; }
  /// Bytes of every arena buffer that exists now.
  uint64_t arena_bytes() const { return arena_.load(std::memory_order_relaxed); }

 private:
  friend struct HeapBlock;
  Status ChargeOrError(uint64_t bytes, DataType type, const Shape& shape);

  uint64_t limit_;
  uint64_t base_;
  std::atomic<uint64_t> live_;
  std::atomic<uint64_t> peak_;
  std::atomic<uint64_t> arena_{0};
};

}  // namespace onnxedge
