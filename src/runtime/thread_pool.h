// Copyright onnxedge authors.
// The intra-op thread pool: parallel-for with static chunking over one process-wide set of
// worker threads.
//
// Every session (and every ThreadPool object) is a view of one process-wide pool of workers,
// sized by AvailableCpuCount() (grown only when a caller explicitly asks for more threads). A
// view's `num_threads` caps how many threads one ParallelFor of that view uses. Threads that are
// working count against the pool size: a Session::Run thread counts for the whole run, a worker
// while it executes chunks. A worker joins a parallel region only when that count is below the
// pool size, so two sessions running at once on a 2-CPU machine use 2 threads in total instead
// of 2 each (onnxruntime issue 17011 is the failure this avoids).
//
// Workers spin for kSpinMicros after their last task (so back-to-back parallel regions of one
// run don't pay a wake-up each), then sleep on a condition variable: an idle process burns no
// CPU. The calling thread always works on its own job too, so a job finishes even when every
// worker is busy with another run's job, and nested ParallelFor calls cannot deadlock.
//
// ParallelFor does not allocate: the job lives on the caller's stack and the callable is passed
// by reference (a FunctionRef, not a std::function).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace onnxedge {

namespace detail {
class PoolCore;
}  // namespace detail

/// A non-owning reference to a callable taking (begin, end). Cheap to copy; the callable must
/// outlive every call.
class RangeFn {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeFn>>>
  RangeFn(F& f)  // NOLINT(runtime/explicit): implicit on purpose, like std::function_ref.
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, int64_t b, int64_t e) { (*static_cast<F*>(o))(b, e); }) {}
  void operator()(int64_t begin, int64_t end) const { call_(obj_, begin, end); }

 private:
  void* obj_;
  void (*call_)(void*, int64_t, int64_t);
};

class ThreadPool {
 public:
  /// A view of the process-wide pool using at most `num_threads` threads per ParallelFor
  /// (counting the calling thread; values < 1 mean 1). The pool grows when `num_threads`
  /// exceeds its size (an explicit request is honoured, even beyond the CPU count).
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Most threads one ParallelFor of this view uses (workers + caller).
  int num_threads() const { return width_; }

  /// Calls fn(begin, end) on disjoint ranges covering [0, n). The range is cut into at most
  /// num_threads() equal chunks, none shorter than `min_chunk` (so small work stays on one
  /// thread), handed to the caller and to workers that are free. Runs inline when the work is a
  /// single chunk or when no other CPU is free.
  template <typename F>
  void ParallelFor(int64_t n, int64_t min_chunk, F&& fn) {
    auto& f = fn;
    Run(n, min_chunk, RangeFn(f));
  }

  /// How long an idle worker spins before sleeping, in microseconds.
  static constexpr int kSpinMicros = 200;

  /// Marks the calling thread as working for its lifetime (Session::Run holds one), so that
  /// workers do not oversubscribe the CPUs. Nested scopes on one thread count once.
  class BusyScope {
   public:
    explicit BusyScope(const ThreadPool& pool);
    ~BusyScope();
    BusyScope(const BusyScope&) = delete;
    BusyScope& operator=(const BusyScope&) = delete;

   private:
    detail::PoolCore* core_;
    bool counted_;
  };

  /// Size of the process-wide pool (workers + one calling thread), 0 when none exists.
  static int PoolSize();
  /// Highest number of threads observed working at once since the last reset (callers inside
  /// Session::Run or ParallelFor plus workers executing chunks). For tests.
  static int PeakBusyThreads();
  static void ResetPeakBusyThreads();

 private:
  void Run(int64_t n, int64_t min_chunk, RangeFn fn);

  int width_;
  std::shared_ptr<detail::PoolCore> core_;
};

}  // namespace onnxedge
