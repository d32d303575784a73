// Copyright onnxedge authors.
#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/denormals.h"

#include "onnxedge/session.h"

namespace onnxedge {

namespace {

// Explicit requests beyond this are capped: thousands of threads help nobody.
constexpr int kMaxThreads = 256;

// Non-zero while this thread is counted as busy (inside a BusyScope, a ParallelFor, or a worker
// running chunks), so nested regions count it once.
thread_local int tls_busy_depth = 0;

}  // namespace

namespace detail {

class PoolCore {
 public:
  explicit PoolCore(int size) { EnsureSize(size); }

  ~PoolCore() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) {
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();  // Destroyed from a worker (not expected): it exits on its own.
      } else {
        t.join();
      }
    }
  }

  void EnsureSize(int size) {
    size = std::clamp(size, 1, kMaxThreads);
    std::lock_guard<std::mutex> grow(grow_mu_);
    while (static_cast<int>(workers_.size()) + 1 < size) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
    if (size > size_.load()) size_.store(size);
  }

  int size() const { return size_.load(std::memory_order_relaxed); }
  int peak() const { return peak_.load(std::memory_order_relaxed); }
  void reset_peak() { peak_.store(busy_.load()); }

  // Counts a calling thread (a run, or a ParallelFor outside one) as busy. Callers always run,
  // but a caller that finds every CPU taken while workers help others waits until those workers
  // finish their current chunk (they take no new one while a caller waits): workers yield their
  // CPUs to runs instead of oversubscribing. Callers beyond the pool size (more application
  // threads than CPUs) are not held back.
  void AddCaller() {
    bool waiting = false;
    int now = 0;
    for (;;) {
      int b = busy_.load();
      if (b < size() || workers_busy_.load() == 0) {
        if (busy_.compare_exchange_weak(b, b + 1)) {
          now = b + 1;
          break;
        }
        continue;
      }
      if (!waiting) {
        waiting = true;
        callers_waiting_.fetch_add(1);
      }
      std::this_thread::yield();
    }
    if (waiting) callers_waiting_.fetch_sub(1);
    NotePeak(now);
  }

  void RemoveCaller() { RemoveBusy(); }

  // A worker joins work only while a CPU is free and no caller waits for one.
  bool TryAddWorker() {
    int b = busy_.load();
    while (b < size() && callers_waiting_.load() == 0) {
      if (busy_.compare_exchange_weak(b, b + 1)) {
        workers_busy_.fetch_add(1);
        NotePeak(b + 1);
        return true;
      }
    }
    return false;
  }

  void RemoveWorker() {
    workers_busy_.fetch_sub(1);
    RemoveBusy();
  }

  void RemoveBusy() {
    busy_.fetch_sub(1);
    // A CPU became free: a job waiting for helpers may take a sleeping worker now.
    if (queued_.load() > 0) {
      { std::lock_guard<std::mutex> lock(mu_); }
      work_cv_.notify_one();
    }
  }

  void Run(int width, int64_t n, int64_t min_chunk, RangeFn fn);

 private:
  struct Job {
    RangeFn fn;
    int64_t n = 0;
    int64_t chunk = 1;
    int64_t num_chunks = 0;
    int max_helpers = 0;
    int helpers = 0;  // Guarded by mu_.
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::atomic<int> users{0};  // Workers holding a pointer to the job.
    Job* prev = nullptr;        // Queue links, guarded by mu_.
    Job* next_job = nullptr;
    bool linked = false;
    explicit Job(RangeFn f) : fn(f) {}
  };

  // Runs chunks until none is left. A worker (`yield_to` set) also stops when a caller waits for
  // a CPU; the job's own caller then finishes the remaining chunks.
  static void RunChunks(Job& job, const std::atomic<int>* yield_to = nullptr) {
    for (;;) {
      if (yield_to && yield_to->load(std::memory_order_relaxed) > 0) return;
      const int64_t c = job.next.fetch_add(1, std::memory_order_relaxed);
      if (c >= job.num_chunks) return;
      const int64_t begin = c * job.chunk;
      job.fn(begin, std::min(job.n, begin + job.chunk));
      job.done.fetch_add(1, std::memory_order_release);
    }
  }

  void Link(Job* job) {
    job->prev = tail_;
    job->next_job = nullptr;
    (tail_ ? tail_->next_job : head_) = job;
    tail_ = job;
    job->linked = true;
    queued_.fetch_add(1);
  }

  void Unlink(Job* job) {
    if (!job->linked) return;
    (job->prev ? job->prev->next_job : head_) = job->next_job;
    (job->next_job ? job->next_job->prev : tail_) = job->prev;
    job->linked = false;
    queued_.fetch_sub(1);
  }

  void NotePeak(int b) {
    int p = peak_.load(std::memory_order_relaxed);
    while (b > p && !peak_.compare_exchange_weak(p, b, std::memory_order_relaxed)) {
    }
  }

  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable work_cv_;  // Workers sleep here.
  std::condition_variable done_cv_;  // Callers waiting for helpers to leave their job.
  Job* head_ = nullptr;              // Jobs that still accept helpers.
  Job* tail_ = nullptr;
  bool stop_ = false;
  std::atomic<int> queued_{0};
  std::atomic<int> sleepers_{0};  // Callers waiting on done_cv_.
  std::atomic<int> busy_{0};          // Callers and workers doing work.
  std::atomic<int> workers_busy_{0};  // Workers among them.
  std::atomic<int> callers_waiting_{0};
  std::atomic<int> peak_{0};
  std::atomic<int> size_{0};
  std::mutex grow_mu_;
  std::vector<std::thread> workers_;
};

void PoolCore::WorkerLoop() {
  using Clock = std::chrono::steady_clock;
  FlushDenormalsOnThisThread();  // as Session::Run does on the calling thread
  for (;;) {
    // Spin briefly for new work, but only while a CPU is free for this worker.
    if (busy_.load(std::memory_order_relaxed) < size()) {
      const auto until = Clock::now() + std::chrono::microseconds(ThreadPool::kSpinMicros);
      while (queued_.load(std::memory_order_acquire) == 0 && Clock::now() < until) {
        std::this_thread::yield();
      }
    }
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (stop_) return;
        if (head_ && TryAddWorker()) break;
        work_cv_.wait(lock);
      }
      job = head_;
      ++job->helpers;
      job->users.fetch_add(1);
      if (job->helpers >= job->max_helpers) Unlink(job);
    }
    tls_busy_depth = 1;
    RunChunks(*job, &callers_waiting_);
    tls_busy_depth = 0;
    RemoveWorker();
    // The caller may free the job as soon as users reaches 0: touch only the pool after this.
    if (job->users.fetch_sub(1) == 1 && sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(mu_); }
      done_cv_.notify_all();
    }
  }
}

void PoolCore::Run(int width, int64_t n, int64_t min_chunk, RangeFn fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  const int64_t threads = std::min(width, size());
  // Every chunk gets at least min_chunk items: 99 items with min_chunk 50 stay one chunk.
  const int64_t chunks = std::min(threads, std::max<int64_t>(1, n / min_chunk));
  const bool counted = tls_busy_depth == 0;
  if (counted) AddCaller();
  ++tls_busy_depth;
  struct Leave {
    PoolCore* core;
    bool counted;
    ~Leave() {
      --tls_busy_depth;
      if (counted) core->RemoveCaller();
    }
  } leave{this, counted};
  if (chunks <= 1 || busy_.load() >= size()) {
    fn(0, n);  // One chunk, or no free CPU to share it with.
    return;
  }
  Job job(fn);
  job.n = n;
  job.chunk = (n + chunks - 1) / chunks;
  job.num_chunks = (n + job.chunk - 1) / job.chunk;
  job.max_helpers = static_cast<int>(job.num_chunks - 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    Link(&job);
  }
  if (job.max_helpers > 1) {
    work_cv_.notify_all();
  } else {
    work_cv_.notify_one();
  }
  RunChunks(job);
  {
    std::lock_guard<std::mutex> lock(mu_);
    Unlink(&job);  // No new helper can join from here on.
  }
  auto finished = [&] {
    return job.done.load(std::memory_order_acquire) >= job.num_chunks && job.users.load() == 0;
  };
  if (!finished()) {
    // The remaining chunks are usually nearly done: spin a little before sleeping.
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::microseconds(ThreadPool::kSpinMicros);
    while (!finished() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    if (!finished()) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      done_cv_.wait(lock, finished);
      sleepers_.fetch_sub(1);
    }
  }
}

namespace {

std::mutex g_core_mu;
std::weak_ptr<PoolCore> g_core;

std::shared_ptr<PoolCore> AcquireCore(int want) {
  std::lock_guard<std::mutex> lock(g_core_mu);
  auto core = g_core.lock();
  if (!core) {
    core = std::make_shared<PoolCore>(std::max(AvailableCpuCount(), want));
    g_core = core;
  } else {
    core->EnsureSize(want);
  }
  return core;
}

std::shared_ptr<PoolCore> CurrentCore() {
  std::lock_guard<std::mutex> lock(g_core_mu);
  return g_core.lock();
}

}  // namespace

}  // namespace detail

ThreadPool::ThreadPool(int num_threads)
    : width_(std::clamp(num_threads, 1, kMaxThreads)), core_(detail::AcquireCore(width_)) {}

ThreadPool::~ThreadPool() = default;

void ThreadPool::Run(int64_t n, int64_t min_chunk, RangeFn fn) {
  if (width_ <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  core_->Run(width_, n, min_chunk, fn);
}

ThreadPool::BusyScope::BusyScope(const ThreadPool& pool)
    : core_(pool.core_.get()), counted_(tls_busy_depth == 0) {
  if (counted_) core_->AddCaller();
  ++tls_busy_depth;
}

ThreadPool::BusyScope::~BusyScope() {
  --tls_busy_depth;
  if (counted_) core_->RemoveCaller();
}

int ThreadPool::PoolSize() {
  auto core = detail::CurrentCore();
  return core ? core->size() : 0;
}

int ThreadPool::PeakBusyThreads() {
  auto core = detail::CurrentCore();
  return core ? core->peak() : 0;
}

void ThreadPool::ResetPeakBusyThreads() {
  if (auto core = detail::CurrentCore()) core->reset_peak();
}

}  // namespace onnxedge
