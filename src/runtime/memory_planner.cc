// Copyright onnxedge authors.
#include "runtime/memory_planner.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace onnxedge {

// ---------------------------------------------------------------------------------------------
// Poisoning

namespace {

std::atomic<int> g_poison{-1};  // -1: not read from the environment yet.

uint64_t RoundUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Data pointer of empty tensors: they need no storage, but kernels may still take the address.
alignas(kArenaAlignment) char g_empty_storage[kArenaAlignment];

}  // namespace

bool PoisonUninitialized() {
  int p = g_poison.load(std::memory_order_relaxed);
  if (p < 0) {
    const char* env = std::getenv("ONNXEDGE_POISON_UNINITIALIZED");
    p = env && env[0] == '1' ? 1 : 0;
    g_poison.store(p, std::memory_order_relaxed);
  }
  return p == 1;
}

void SetPoisonUninitializedForTesting(bool on) { g_poison.store(on ? 1 : 0); }

// ---------------------------------------------------------------------------------------------
// Layout

ArenaLayout PlanArena(const std::vector<AllocationRecord>& records) {
  ArenaLayout layout;
  layout.offsets.assign(records.size(), ArenaLayout::kHeap);
  layout.bytes.resize(records.size());
  std::vector<size_t> order;
  for (size_t i = 0; i < records.size(); ++i) {
    layout.bytes[i] = RoundUp(records[i].bytes, kArenaAlignment);
    if (!records[i].heap && records[i].bytes > 0) order.push_back(i);
  }
  // Greedy by size: big blocks first (they are the hardest to fit), each at the smallest gap
  // among already placed blocks whose lifetimes overlap it (best fit), else after them.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return layout.bytes[a] > layout.bytes[b];
  });
  struct Placed {
    uint64_t offset, end;
    size_t index;
  };
  std::vector<size_t> placed;
  std::vector<Placed> overlap;
  for (size_t i : order) {
    const AllocationRecord& r = records[i];
    const uint64_t size = layout.bytes[i];
    overlap.clear();
    for (size_t j : placed) {
      const AllocationRecord& q = records[j];
      if (q.begin <= r.end && r.begin <= q.end) {
        overlap.push_back({layout.offsets[j], layout.offsets[j] + layout.bytes[j], j});
      }
    }
    std::sort(overlap.begin(), overlap.end(),
              [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    uint64_t best = ArenaLayout::kHeap, best_gap = std::numeric_limits<uint64_t>::max();
    uint64_t prev_end = 0;
    for (const Placed& p : overlap) {
      if (p.offset >= prev_end) {
        const uint64_t gap = p.offset - prev_end;
        if (gap >= size && gap < best_gap) {
          best = prev_end;
          best_gap = gap;
        }
      }
      prev_end = std::max(prev_end, p.end);
    }
    if (best == ArenaLayout::kHeap) best = prev_end;
    layout.offsets[i] = best;
    layout.arena_bytes = std::max(layout.arena_bytes, best + size);
    placed.push_back(i);
  }
  layout.arena_blocks = order.size();
  return layout;
}

// ---------------------------------------------------------------------------------------------
// Arena

namespace {
// Bytes of one slot of the control-block pool; libstdc++'s control block for a shared_ptr with
// a deleter and an allocator takes about 64.
constexpr size_t kControlSlotBytes = 128;
constexpr size_t kControlSlotWords = kControlSlotBytes / sizeof(std::max_align_t);
static_assert(kControlSlotBytes % sizeof(std::max_align_t) == 0);
}  // namespace

struct Arena::Deleter {
  Arena* arena;
  uint64_t offset;
  uint64_t bytes;
  void operator()(void*) const { arena->Release(offset, bytes); }
};

// Allocates shared_ptr control blocks of arena tensors from the arena's fixed pool.
template <typename T>
struct ControlAllocator {
  using value_type = T;
  Arena* arena;
  explicit ControlAllocator(Arena* a) : arena(a) {}
  template <typename U>
  ControlAllocator(const ControlAllocator<U>& o) : arena(o.arena) {}  // NOLINT
  T* allocate(size_t n) { return static_cast<T*>(arena->GetControl(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { arena->PutControl(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const ControlAllocator<U>& o) const {
    return arena == o.arena;
  }
  template <typename U>
  bool operator!=(const ControlAllocator<U>& o) const {
    return arena != o.arena;
  }
};

std::unique_ptr<Arena> Arena::Create(std::shared_ptr<const ArenaLayout> layout,
                                     Allocator* heap) {
  const uint64_t bytes = RoundUp(std::max<uint64_t>(layout->arena_bytes, 1), kArenaAlignment);
  if (!heap->ChargeArena(bytes)) return nullptr;
  std::unique_ptr<Arena> a(new Arena());
  a->heap_ = heap;
  a->layout_ = std::move(layout);
  a->base_ = static_cast<char*>(std::aligned_alloc(kArenaAlignment, bytes));
  if (!a->base_) return nullptr;  // The destructor uncharges.
  const uint64_t units = bytes / kArenaAlignment;
  a->occupied_.assign((units + 63) / 64, 0);
  a->control_slots_ = a->layout_->arena_blocks + 4;
  a->control_.reset(new std::max_align_t[a->control_slots_ * kControlSlotWords]);
  a->control_free_.resize(a->control_slots_);
  for (size_t i = 0; i < a->control_slots_; ++i) {
    a->control_free_[i] = static_cast<uint32_t>(a->control_slots_ - 1 - i);
  }
  return a;
}

Arena::~Arena() {
  std::free(base_);
  if (heap_) {
    heap_->UnchargeArena(
        RoundUp(std::max<uint64_t>(layout_ ? layout_->arena_bytes : 0, 1), kArenaAlignment));
  }
}

Tensor Arena::TryTake(size_t index, DataType type, const Shape& shape, uint64_t bytes) {
  const ArenaLayout& l = *layout_;
  if (index >= l.offsets.size() || l.offsets[index] == ArenaLayout::kHeap ||
      bytes > l.bytes[index] || bytes == 0) {
    return Tensor();
  }
  const uint64_t offset = l.offsets[index];
  const uint64_t first = offset / kArenaAlignment;
  const uint64_t last = (offset + bytes + kArenaAlignment - 1) / kArenaAlignment;  // Exclusive.
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t u = first; u < last;) {
      const uint64_t w = u / 64, b = u % 64, n = std::min<uint64_t>(64 - b, last - u);
      const uint64_t mask = (n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)) << b;
      if (occupied_[w] & mask) return Tensor();  // Still in use: the pattern shifted.
      u += n;
    }
    for (uint64_t u = first; u < last;) {
      const uint64_t w = u / 64, b = u % 64, n = std::min<uint64_t>(64 - b, last - u);
      occupied_[w] |= (n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)) << b;
      u += n;
    }
  }
  live_.fetch_add(1, std::memory_order_relaxed);
  void* p = base_ + offset;
  std::shared_ptr<void> holder(p, Deleter{this, offset, bytes}, ControlAllocator<char>(this));
  return Tensor::FromShared(type, shape, std::move(holder), p);
}

void Arena::Release(uint64_t offset, uint64_t bytes) {
  const uint64_t first = offset / kArenaAlignment;
  const uint64_t last = (offset + bytes + kArenaAlignment - 1) / kArenaAlignment;
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t u = first; u < last;) {
    const uint64_t w = u / 64, b = u % 64, n = std::min<uint64_t>(64 - b, last - u);
    occupied_[w] &= ~((n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)) << b);
    u += n;
  }
}

void* Arena::GetControl(size_t size) {
  if (size <= kControlSlotBytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!control_free_.empty()) {
      const uint32_t slot = control_free_.back();
      control_free_.pop_back();
      return control_.get() + slot * kControlSlotWords;
    }
  }
  return ::operator new(size);
}

void Arena::PutControl(void* p, size_t size) {
  auto* w = static_cast<std::max_align_t*>(p);
  if (w >= control_.get() && w < control_.get() + control_slots_ * kControlSlotWords) {
    std::lock_guard<std::mutex> lock(mu_);
    control_free_.push_back(static_cast<uint32_t>((w - control_.get()) / kControlSlotWords));
  } else {
    ::operator delete(p);
  }
  // Last touch of the arena by this tensor: only now may the arena be reused or destroyed.
  live_.fetch_sub(1, std::memory_order_release);
}

// ---------------------------------------------------------------------------------------------
// RunMemory

namespace {
constexpr uint64_t kAlive = std::numeric_limits<uint64_t>::max();
}  // namespace

struct RunMemory::Recorder : ReleaseListener {
  std::mutex mu;
  bool finished = false;
  uint64_t clock = 0;
  std::vector<AllocationRecord> records;

  void OnAllocate(uint64_t index, uint64_t bytes, bool heap) {
    std::lock_guard<std::mutex> lock(mu);
    if (finished) return;
    if (records.size() <= index) records.resize(index + 1, AllocationRecord{0, 0, 0, true});
    records[index] = AllocationRecord{bytes, clock, kAlive, heap};
    ++clock;
  }
  void OnRelease(uint64_t id) override {
    std::lock_guard<std::mutex> lock(mu);
    if (finished || id >= records.size()) return;
    records[id].end = clock++;
  }
  // Ends recording: blocks still alive are the run's outputs and stay on the heap.
  std::vector<AllocationRecord> Finish() {
    std::lock_guard<std::mutex> lock(mu);
    finished = true;
    for (auto& r : records) {
      if (r.end == kAlive) r.heap = true;
    }
    return std::move(records);
  }
};

struct RunMemory::Entry {
  std::vector<int64_t> signature;
  std::shared_ptr<const ArenaLayout> layout;
  std::vector<std::unique_ptr<Arena>> idle;
  bool recording = false;
  bool replan = false;
  int miss_runs = 0;
  int replans = 0;
  uint64_t last_used = 0;
};

RunMemory::~RunMemory() {
  // An arena still referenced by some tensor must not be freed under it (cannot happen when
  // MemoryPlanner::End ran; this is the error path).
  if (arena_ && arena_->busy()) (void)arena_.release();
}

StatusOr<Tensor> RunMemory::Allocate(DataType type, const Shape& shape, bool zero,
                                     const ir::Node* node, bool scratch) {
  const int64_t n = ShapeElementCount(shape);
  auto describe = [&] {
    std::string d = node ? node->Describe() : std::string("run");
    return scratch ? d + " scratch" : d;
  };
  if (n < 0) {
    return MakeError(StatusCode::kInvalidArgument, describe(), ": invalid shape ",
                     ShapeToString(shape));
  }
  const uint64_t elem = DataTypeSize(type);
  if (elem == 0 || !IsSupportedDataType(type)) {
    return MakeError(StatusCode::kInvalidArgument, describe(), ": invalid element type");
  }
  if (static_cast<uint64_t>(n) > (uint64_t{1} << 62) / elem) {
    return MakeError(StatusCode::kOutOfMemory, describe(), ": shape ", ShapeToString(shape),
                     " is too large");
  }
  const uint64_t bytes = static_cast<uint64_t>(n) * elem;
  if (bytes == 0) return Tensor::FromShared(type, shape, nullptr, g_empty_storage);
  const size_t index = static_cast<size_t>(next_.fetch_add(1, std::memory_order_relaxed));
  if (mode_ == Mode::kPlanned) {
    if (arena_ && type != DataType::kString) {
      Tensor t = arena_->TryTake(index, type, shape, bytes);
      if (t.defined()) {
        arena_allocs_.fetch_add(1, std::memory_order_relaxed);
        if (zero) {
          std::memset(t.raw_data(), 0, bytes);
        } else if (PoisonUninitialized()) {
          std::memset(t.raw_data(), 0xFF, bytes);
        }
        return t;
      }
    }
    const ArenaLayout* l = layout_.get();
    if (!l || index >= l->offsets.size() || l->offsets[index] != ArenaLayout::kHeap) {
      misses_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return AllocateHeap(type, shape, bytes, zero, node, scratch, index);
}

void RunMemory::SkipAllocation() {
  const size_t index = static_cast<size_t>(next_.fetch_add(1, std::memory_order_relaxed));
  // Recorded as a heap block (like an output), so a later run of this signature that allocates
  // this output itself finds it in the layout instead of counting a miss.
  if (mode_ == Mode::kRecord && recorder_) recorder_->OnAllocate(index, 0, true);
}

StatusOr<Tensor> RunMemory::AllocateHeap(DataType type, const Shape& shape, uint64_t bytes,
                                         bool zero, const ir::Node* node, bool scratch,
                                         size_t index) {
  std::shared_ptr<ReleaseListener> listener;
  if (mode_ == Mode::kRecord && recorder_) {
    recorder_->OnAllocate(index, bytes, type == DataType::kString);
    listener = recorder_;
  }
  auto t = heap_->AllocateHeap(type, shape, bytes, zero, std::move(listener), index);
  if (!t.ok()) {
    std::string d = node ? node->Describe() : std::string("run");
    return t.status().WithContext(scratch ? d + " scratch" : d);
  }
  heap_allocs_.fetch_add(1, std::memory_order_relaxed);
  if (!zero && type != DataType::kString && PoisonUninitialized()) {
    std::memset(t->raw_data(), 0xFF, bytes);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// MemoryPlanner

namespace {

// Element types whose small tensors are part of the signature (their values often are shapes,
// sizes or indices that decide the shapes of everything downstream).
bool IsShapeLike(DataType t) { return t == DataType::kInt64 || t == DataType::kInt32; }
constexpr int64_t kMaxSignatureValues = 16;

void EncodeTensor(const Tensor& t, std::vector<int64_t>* sig) {
  sig->push_back(static_cast<int64_t>(t.dtype()));
  sig->push_back(static_cast<int64_t>(t.rank()));
  for (int64_t d : t.shape()) sig->push_back(d);
}

void EncodeSignature(const std::vector<Value>& inputs, std::vector<int64_t>* sig) {
  sig->clear();
  for (const Value& v : inputs) {
    if (v.is_tensor()) {
      const Tensor& t = v.tensor();
      sig->push_back(0);
      EncodeTensor(t, sig);
      if (IsShapeLike(t.dtype()) && t.size() <= kMaxSignatureValues && t.raw_data()) {
        sig->push_back(t.size());
        for (int64_t i = 0; i < t.size(); ++i) {
          sig->push_back(t.dtype() == DataType::kInt64 ? t.data<int64_t>()[i]
                                                        : t.data<int32_t>()[i]);
        }
      } else {
        sig->push_back(-1);
      }
    } else if (v.is_sequence()) {
      sig->push_back(1);
      sig->push_back(static_cast<int64_t>(v.sequence().size()));
      for (const Tensor& t : v.sequence()) EncodeTensor(t, sig);
    } else {
      sig->push_back(2);
    }
  }
}

}  // namespace

MemoryPlanner::MemoryPlanner(std::shared_ptr<Allocator> heap, bool enabled)
    : heap_(std::move(heap)), enabled_(enabled) {}

MemoryPlanner::~MemoryPlanner() = default;

void MemoryPlanner::Begin(const std::vector<Value>& inputs, RunMemory* mem) {
  mem->heap_ = heap_.get();
  mem->planner_ = this;
  mem->mode_ = RunMemory::Mode::kHeap;
  if (!enabled_) return;
  // Reused per thread, so encoding the signature allocates nothing in the steady state.
  thread_local std::vector<int64_t> sig;
  EncodeSignature(inputs, &sig);
  std::shared_ptr<const ArenaLayout> layout;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<RunMemory::Entry> entry;
    for (const auto& e : entries_) {
      if (e->signature == sig) {
        entry = e;
        break;
      }
    }
    if (!entry) {
      if (entries_.size() >= kMaxSignatures) {
        auto lru = std::min_element(entries_.begin(), entries_.end(), [](const auto& a,
                                                                          const auto& b) {
          return a->last_used < b->last_used;
        });
        entries_.erase(lru);
      }
      entry = std::make_shared<RunMemory::Entry>();
      entry->signature = sig;
      entries_.push_back(entry);
    }
    entry->last_used = ++tick_;
    mem->entry_ = entry;
    if (entry->layout && !entry->replan) {
      mem->mode_ = RunMemory::Mode::kPlanned;
      layout = entry->layout;
      mem->layout_ = layout;
      if (!entry->idle.empty()) {
        mem->arena_ = std::move(entry->idle.back());
        entry->idle.pop_back();
      }
      ++planned_runs_;
      last_arena_bytes_ = layout->arena_bytes;
    } else if (!entry->recording) {
      entry->recording = true;
      mem->mode_ = RunMemory::Mode::kRecord;
      ++recorded_runs_;
    }
  }
  if (mem->mode_ == RunMemory::Mode::kRecord) {
    mem->recorder_ = std::make_shared<RunMemory::Recorder>();
  } else if (mem->mode_ == RunMemory::Mode::kPlanned && !mem->arena_ && layout->arena_blocks > 0) {
    // A new arena for this signature (first planned run, or more concurrent runs than before).
    // When the memory limit does not allow one, the run allocates from the heap.
    mem->arena_ = Arena::Create(layout, heap_.get());
  }
}

void MemoryPlanner::End(RunMemory* mem, bool ok) {
  arena_allocs_.fetch_add(mem->arena_allocations(), std::memory_order_relaxed);
  heap_allocs_.fetch_add(mem->heap_allocations(), std::memory_order_relaxed);
  misses_.fetch_add(mem->misses(), std::memory_order_relaxed);
  auto entry = std::move(mem->entry_);
  if (!entry) return;
  std::unique_ptr<Arena> drop;  // Freed outside the lock.
  if (mem->mode_ == RunMemory::Mode::kRecord && !ok) {
    mem->recorder_->Finish();
    mem->recorder_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    entry->recording = false;  // The next run of this signature records again.
    return;
  }
  if (mem->mode_ == RunMemory::Mode::kRecord) {
    auto layout = std::make_shared<const ArenaLayout>(PlanArena(mem->recorder_->Finish()));
    mem->recorder_.reset();
    std::vector<std::unique_ptr<Arena>> old;
    std::lock_guard<std::mutex> lock(mu_);
    entry->layout = std::move(layout);
    entry->recording = false;
    entry->replan = false;
    entry->miss_runs = 0;
    old.swap(entry->idle);  // Arenas of the previous layout.
    last_arena_bytes_ = entry->layout->arena_bytes;
    // The recording run's heap tensors are free now, but glibc keeps such memory mapped (its
    // mmap threshold grows with every large free): hand it back before the arena is created,
    // so the process holds weights + arena, not weights + arena + the recording run's heap.
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    return;
  }
  if (mem->mode_ != RunMemory::Mode::kPlanned) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (mem->misses() > 0) {
    if (++entry->miss_runs >= kMissRunsBeforeReplan && entry->replans < kMaxReplans) {
      entry->replan = true;
      ++entry->replans;
      entry->miss_runs = 0;
    }
  } else {
    entry->miss_runs = 0;
  }
  if (mem->arena_) {
    if (mem->arena_->busy()) {
      // Some tensor escaped the run (never expected: outputs are copied out of arenas). Leak
      // the arena rather than free memory that is still referenced.
      (void)mem->arena_.release();
    } else if (!entry->replan && mem->arena_->layout_ptr() == entry->layout) {
      entry->idle.push_back(std::move(mem->arena_));
    } else {
      drop = std::move(mem->arena_);
    }
  }
}

PlannerStats MemoryPlanner::stats() const {
  PlannerStats s;
  std::lock_guard<std::mutex> lock(mu_);
  s.planned_arena_bytes = last_arena_bytes_;
  s.arena_bytes_held = heap_->arena_bytes();
  s.signatures = entries_.size();
  s.recorded_runs = recorded_runs_;
  s.planned_runs = planned_runs_;
  s.arena_allocations = arena_allocs_.load();
  s.heap_allocations = heap_allocs_.load();
  s.misses = misses_.load();
  return s;
}

}  // namespace onnxedge
