// Copyright onnxedge authors.
// ChunkScratch: scratch memory for the chunks of one ThreadPool::ParallelFor, owned and sized by
// the calling thread.
//
// Why not a thread_local buffer inside the chunk body: which worker runs which chunk changes
// from run to run, so a worker may meet a larger request for the first time in any run and
// allocate then; a steady-state run would allocate (rarely, depending on scheduling). Here the
// caller grows one block for every chunk before the parallel region starts, so all growth
// happens on the caller, in the first runs of a shape, whatever the scheduling. A ParallelFor
// runs at most num_threads() chunks, each calling the body once, so `slots` = num_threads()
// buffers are enough; each body call claims its own.
//
// Usage (the object is the caller's thread_local, bound to a reference for the workers):
//   thread_local ChunkScratch tls_scratch;
//   ChunkScratch& scratch = tls_scratch;
//   scratch.Prepare(pool->num_threads(), bytes);
//   pool->ParallelFor(n, grain, [&](int64_t b, int64_t e) { char* mem = scratch.Claim(); ... });
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <memory>

namespace onnxedge {

class ChunkScratch {
 public:
  /// Makes `slots` buffers of at least `bytes` bytes each (64-byte aligned; contents
  /// unspecified) and resets the claims. Allocates only when the block must grow.
  void Prepare(size_t slots, size_t bytes) {
    slots = slots == 0 ? 1 : slots;
    stride_ = (bytes + 63) / 64 * 64;
    if (stride_ == 0) stride_ = 64;
    const size_t need = slots * stride_;
    if (need > capacity_) {
      block_.reset(static_cast<char*>(std::aligned_alloc(64, need)));
      capacity_ = block_ ? need : 0;
    }
    slots_ = capacity_ / stride_;
    next_.store(0, std::memory_order_relaxed);
  }
  /// A buffer of the prepared size that no other body call of this region uses. Call once per
  /// chunk body. Returns nullptr if allocation failed in Prepare.
  char* Claim() {
    if (!block_) return nullptr;
    const size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    return block_.get() + (i % slots_) * stride_;
  }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> block_;
  size_t capacity_ = 0;
  size_t stride_ = 64;
  size_t slots_ = 1;
  std::atomic<size_t> next_{0};
};

}  // namespace onnxedge
