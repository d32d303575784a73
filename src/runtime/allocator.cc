// Copyright onnxedge authors.
#include "runtime/allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace onnxedge {

namespace {
constexpr size_t kHeapAlignment = 64;
// Blocks from this size on are mapped directly: freeing one returns it to the OS at once. (glibc
// keeps large freed blocks mapped once its mmap threshold has grown, so the recording run's
// tensors would stay resident next to the arena that replaces them.)
constexpr size_t kMapBytes = size_t{256} << 10;
constexpr size_t kPageBytes = 4096;
}  // namespace

// Owns one heap block and returns its bytes to the allocator's accounting when freed.
struct HeapBlock {
  HeapBlock(std::shared_ptr<Allocator> o, uint64_t b, std::shared_ptr<ReleaseListener> l,
            uint64_t i)
      : owner(std::move(o)), bytes(b), listener(std::move(l)), id(i) {}
  HeapBlock(const HeapBlock&) = delete;
  HeapBlock& operator=(const HeapBlock&) = delete;
  ~HeapBlock() {
    storage = Tensor();  // String tensors: destroy the strings first.
    if (mapped) {
      munmap(ptr, mapped);
    } else {
      std::free(ptr);
    }
    owner->live_.fetch_sub(bytes, std::memory_order_relaxed);
    if (listener) listener->OnRelease(id);
  }
  std::shared_ptr<Allocator> owner;
  uint64_t bytes;
  std::shared_ptr<ReleaseListener> listener;
  uint64_t id;
  void* ptr = nullptr;
  size_t mapped = 0;  // Bytes mapped with mmap (0: ptr is from aligned_alloc).
  Tensor storage;  // String tensors only.
};

Allocator::Allocator(uint64_t limit_bytes, uint64_t base_bytes)
    : limit_(limit_bytes), base_(base_bytes), live_(base_bytes), peak_(base_bytes) {}

bool Allocator::Charge(uint64_t bytes) {
  const uint64_t now = live_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (limit_ != 0 && now > limit_) {
    live_.fetch_sub(bytes, std::memory_order_relaxed);
    return false;
  }
  uint64_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return true;
}

bool Allocator::ChargeArena(uint64_t bytes) {
  if (!Charge(bytes)) return false;
  arena_.fetch_add(bytes, std::memory_order_relaxed);
  return true;
}

void Allocator::UnchargeArena(uint64_t bytes) {
  arena_.fetch_sub(bytes, std::memory_order_relaxed);
  Uncharge(bytes);
}

Status Allocator::ChargeOrError(uint64_t bytes, DataType type, const Shape& shape) {
  if (Charge(bytes)) return Status::Ok();
  return MakeError(StatusCode::kOutOfMemory, "allocating ", bytes, " bytes for ",
                   DataTypeName(type), ShapeToString(shape), " exceeds the memory limit of ",
                   limit_, " bytes");
}

StatusOr<Tensor> Allocator::AllocateHeap(DataType type, const Shape& shape, uint64_t bytes,
                                         bool zero, std::shared_ptr<ReleaseListener> listener,
                                         uint64_t id) {
  OE_RETURN_IF_ERROR(ChargeOrError(bytes, type, shape));
  auto block = std::make_shared<HeapBlock>(shared_from_this(), bytes, std::move(listener), id);
  if (type == DataType::kString) {
    auto t = Tensor::Allocate(type, shape);
    if (!t.ok()) return t.status();  // The block's destructor uncharges.
    block->storage = std::move(t).value();
    void* data = block->storage.raw_data();
    return Tensor::FromShared(type, shape, std::move(block), data);
  }
  if (bytes >= kMapBytes) {
    const size_t len = (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return MakeError(StatusCode::kOutOfMemory, "cannot allocate ", bytes, " bytes for ",
                       DataTypeName(type), ShapeToString(shape));
    }
    block->ptr = p;  // Fresh anonymous pages are zero: no memset even when `zero`.
    block->mapped = len;
    return Tensor::FromShared(type, shape, std::move(block), p);
  }
  const size_t rounded = std::max<size_t>(
      kHeapAlignment, (bytes + kHeapAlignment - 1) / kHeapAlignment * kHeapAlignment);
  block->ptr = std::aligned_alloc(kHeapAlignment, rounded);
  if (!block->ptr) {
    return MakeError(StatusCode::kOutOfMemory, "cannot allocate ", bytes, " bytes for ",
                     DataTypeName(type), ShapeToString(shape));
  }
  if (zero) std::memset(block->ptr, 0, bytes);
  void* data = block->ptr;
  return Tensor::FromShared(type, shape, std::move(block), data);
}

}  // namespace onnxedge
