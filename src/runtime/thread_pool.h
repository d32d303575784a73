// Copyright onnxedge authors.
// The intra-op thread pool: parallel-for with static chunking, shared by concurrent runs.
//
// Workers spin for a short time after their last task (so back-to-back parallel regions of one
// run don't pay a wake-up each), then sleep on a condition variable: an idle session burns no
// CPU. The calling thread always works on its own job too, so a job finishes even when every
// worker is busy with another run's job.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace onnxedge {

class ThreadPool {
 public:
  /// `num_threads` counts the calling thread: 1 means no workers are started.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Total threads that can work on one ParallelFor (workers + caller).
  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Calls fn(begin, end) on disjoint ranges covering [0, n). Ranges are about n / threads long
  /// but never shorter than `min_chunk`. Runs inline when the work is a single chunk.
  void ParallelFor(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

  /// How long an idle worker spins before sleeping, in microseconds.
  static constexpr int kSpinMicros = 200;

 private:
  struct Job {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    int64_t n = 0;
    int64_t chunk = 1;
    int64_t num_chunks = 0;
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex mu;
    std::condition_variable cv;
  };

  void WorkerLoop();
  // Runs chunks of `job` until none are left. Returns true if this call finished the last one.
  static void RunChunks(Job& job);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::atomic<int> pending_{0};
  bool stop_ = false;
};

}  // namespace onnxedge
