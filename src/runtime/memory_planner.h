// Copyright onnxedge authors.
// The memory planner: one arena per input-shape signature, laid out from recorded lifetimes.
//
// Kernels compute their output shapes inside Run (many ONNX ops derive shapes from input
// values), so the plan is not computed from the graph but recorded, as ONNX Runtime's "memory
// pattern" does:
//   1. The first run with a new signature (element type and shape of every graph input, plus the
//      values of small integer inputs, which often carry shapes) allocates from the heap and
//      records every allocation in order: its size, and the clock ticks (allocations and frees
//      counted together) at which it was allocated and released. Allocations still alive when
//      the run returns are the outputs: they stay on the heap so they may outlive the run.
//   2. PlanArena assigns each recorded block an offset in one arena so that blocks whose
//      lifetimes overlap never overlap in memory (greedy by size, best fit).
//   3. Later runs with the same signature hand out slices of a private arena: allocation number
//      k gets block k's offset. Nothing is allocated from the heap except the outputs.
// Robustness against data-dependent behaviour (NonZero, Loop trip counts, sequences): a request
// larger than its recorded block, one past the end of the record, or one whose arena range is
// still in use (an occupancy bitmap is checked, so a shifted pattern can never make two live
// tensors overlap) falls back to the heap and counts as a miss. A signature whose runs keep
// missing is recorded again (a few times at most).
// Concurrent runs never share an arena: each signature keeps a small pool of arenas and a run
// takes one for its duration.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ir/graph.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "onnxedge/value.h"
#include "runtime/allocator.h"

namespace onnxedge {

/// One recorded allocation. `begin`/`end` are ticks of the run's clock (every allocation and
/// every release advances it), so two blocks may share memory iff their ranges are disjoint.
struct AllocationRecord {
  uint64_t bytes = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
  /// Not placed in the arena: outputs (alive when the run ended) and string tensors.
  bool heap = false;
};

/// Where each recorded allocation goes.
struct ArenaLayout {
  static constexpr uint64_t kHeap = ~uint64_t{0};
  std::vector<uint64_t> offsets;  ///< Per allocation; kHeap for heap allocations.
  std::vector<uint64_t> bytes;    ///< Per allocation: the recorded (rounded) size.
  uint64_t arena_bytes = 0;
  size_t arena_blocks = 0;        ///< Allocations placed in the arena.
};

/// Alignment of every block (and granule of the occupancy bitmap).
inline constexpr uint64_t kArenaAlignment = 64;

/// Lays out `records` in one arena (greedy by size, best fit). Blocks whose lifetimes overlap
/// get disjoint, kArenaAlignment-aligned byte ranges.
ArenaLayout PlanArena(const std::vector<AllocationRecord>& records);

/// One arena buffer laid out for one signature, used by one run at a time. Thread-safe.
class Arena {
 public:
  /// Allocates the buffer (charged to `heap`'s memory limit); nullptr when that fails.
  static std::unique_ptr<Arena> Create(std::shared_ptr<const ArenaLayout> layout,
                                       Allocator* heap);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  /// A tensor on block `index` of the layout, or an undefined tensor when the request does not
  /// fit that block or part of the block is still occupied.
  Tensor TryTake(size_t index, DataType type, const Shape& shape, uint64_t bytes);
  /// True while some tensor still uses the arena.
  bool busy() const { return live_.load(std::memory_order_acquire) != 0; }
  bool Contains(const void* p) const {
    auto* c = static_cast<const char*>(p);
    return c >= base_ && c < base_ + layout_->arena_bytes;
  }
  const ArenaLayout& layout() const { return *layout_; }
  const std::shared_ptr<const ArenaLayout>& layout_ptr() const { return layout_; }

 private:
  struct Deleter;
  template <typename T>
  friend struct ControlAllocator;
  Arena() = default;
  void Release(uint64_t offset, uint64_t bytes);
  void* GetControl(size_t size);
  void PutControl(void* p, size_t size);

  std::shared_ptr<const ArenaLayout> layout_;
  Allocator* heap_ = nullptr;
  char* base_ = nullptr;
  std::mutex mu_;
  std::vector<uint64_t> occupied_;  ///< One bit per kArenaAlignment bytes.
  std::atomic<int64_t> live_{0};
  // Fixed pool for the shared_ptr control blocks of arena tensors, so handing out a block
  // allocates nothing.
  std::unique_ptr<std::max_align_t[]> control_;
  size_t control_slots_ = 0;
  std::vector<uint32_t> control_free_;
};

/// Counters of one session's planner (see MemoryInfo in onnxedge/session.h).
struct PlannerStats {
  uint64_t planned_arena_bytes = 0;  ///< Arena size of the signature used last.
  uint64_t arena_bytes_held = 0;     ///< All arena buffers that exist now.
  uint64_t signatures = 0;
  uint64_t recorded_runs = 0;
  uint64_t planned_runs = 0;
  uint64_t arena_allocations = 0;
  uint64_t heap_allocations = 0;
  uint64_t misses = 0;
};

class MemoryPlanner;

/// The memory of one run. Kernels allocate through it (KernelContext::AllocateOutput/Temp).
class RunMemory {
 public:
  enum class Mode { kHeap, kRecord, kPlanned };

  RunMemory() = default;
  ~RunMemory();
  RunMemory(const RunMemory&) = delete;
  RunMemory& operator=(const RunMemory&) = delete;

  /// A tensor of `type` and `shape`, zero-filled when `zero` (else uninitialized; see
  /// PoisonUninitialized). `node` names the requester in error messages.
  StatusOr<Tensor> Allocate(DataType type, const Shape& shape, bool zero, const ir::Node* node,
                            bool scratch);
  /// Advances the allocation counter as Allocate would, for an output the caller provided
  /// (KernelContext::AllocateOutput with RunInto's buffers).
  void SkipAllocation();
  /// True when `p` points into this run's arena (such outputs are copied before returning).
  bool InArena(const void* p) const { return arena_ && arena_->Contains(p); }
  Mode mode() const { return mode_; }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t heap_allocations() const { return heap_allocs_.load(std::memory_order_relaxed); }
  uint64_t arena_allocations() const { return arena_allocs_.load(std::memory_order_relaxed); }

 private:
  friend class MemoryPlanner;
  struct Recorder;
  struct Entry;
  StatusOr<Tensor> AllocateHeap(DataType type, const Shape& shape, uint64_t bytes, bool zero,
                                const ir::Node* node, bool scratch, size_t index);

  Mode mode_ = Mode::kHeap;
  Allocator* heap_ = nullptr;
  MemoryPlanner* planner_ = nullptr;
  std::shared_ptr<Entry> entry_;
  std::shared_ptr<const ArenaLayout> layout_;  ///< kPlanned: the layout this run follows.
  std::unique_ptr<Arena> arena_;
  std::shared_ptr<Recorder> recorder_;
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> heap_allocs_{0};
  std::atomic<uint64_t> arena_allocs_{0};
};

/// Signatures, their layouts and their arenas, for one session. Thread-safe.
class MemoryPlanner {
 public:
  /// `enabled` false: every run allocates from the heap.
  MemoryPlanner(std::shared_ptr<Allocator> heap, bool enabled);
  ~MemoryPlanner();

  /// Sets `mem` up for a run whose bound graph inputs are `inputs`.
  void Begin(const std::vector<Value>& inputs, RunMemory* mem);
  /// Ends the run: records a new layout or returns the arena. Call after every tensor of the
  /// run except its (heap-allocated or copied) outputs has been released. `ok` false (the run
  /// failed or was cancelled): a recording is discarded, since it saw only part of the graph.
  void End(RunMemory* mem, bool ok = true);

  PlannerStats stats() const;

  /// Signatures kept at once; the least recently used one is dropped beyond this.
  static constexpr size_t kMaxSignatures = 8;
  /// A signature is re-recorded after this many consecutive runs with misses...
  static constexpr int kMissRunsBeforeReplan = 2;
  /// ...at most this many times.
  static constexpr int kMaxReplans = 3;

 private:
  std::shared_ptr<Allocator> heap_;
  bool enabled_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<RunMemory::Entry>> entries_;
  uint64_t tick_ = 0;
  uint64_t last_arena_bytes_ = 0;
  uint64_t recorded_runs_ = 0, planned_runs_ = 0;
  std::atomic<uint64_t> arena_allocs_{0}, heap_allocs_{0}, misses_{0};
};

/// True when uninitialized allocations are filled with 0xFF bytes (NaN for floats, -1 for
/// integers), so kernels that rely on zero-filled outputs fail tests. Off unless the environment
/// variable ONNXEDGE_POISON_UNINITIALIZED=1 is set (the test suites set it) or a test calls
/// SetPoisonUninitializedForTesting.
bool PoisonUninitialized();
void SetPoisonUninitializedForTesting(bool on);

}  // namespace onnxedge
