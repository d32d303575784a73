// Copyright onnxedge authors.
// Thread pool tests: one process-wide pool shared by every view, chunking sized to the work,
// no oversubscription when several runs are busy, idle workers sleeping, cgroup quotas.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "core/cpu_info.h"
#include "onnxedge/session.h"
#include "runtime/thread_pool.h"

namespace onnxedge {
namespace {

using Clock = std::chrono::steady_clock;

// Threads that ran chunks of one ParallelFor.
class ThreadSet {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.insert(std::this_thread::get_id());
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.size();
  }
  bool Has(std::thread::id id) {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.count(id) > 0;
  }

 private:
  std::mutex mu_;
  std::set<std::thread::id> ids_;
};

// Two chunks that each wait (up to 5 s) until both have started: finishes quickly only when two
// threads run them at once.
size_t ThreadsForTwoWaitingChunks(ThreadPool& pool) {
  ThreadSet set;
  std::atomic<int> started{0};
  pool.ParallelFor(2, 1, [&](int64_t b, int64_t e) {
    set.Add();
    started += static_cast<int>(e - b);
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (started.load() < 2 && Clock::now() < until) std::this_thread::yield();
  });
  return set.size();
}

TEST(ThreadPool, ViewsShareOneProcessWidePool) {
  ThreadPool a(2), b(1);
  const int size = ThreadPool::PoolSize();
  EXPECT_GE(size, std::max(2, AvailableCpuCount()));
  EXPECT_EQ(a.num_threads(), 2);
  EXPECT_EQ(b.num_threads(), 1);
  {
    ThreadPool c(size + 1);  // An explicit request beyond the pool grows it.
    EXPECT_EQ(ThreadPool::PoolSize(), size + 1);
  }
  // Workers join a view's work: two chunks ran on two threads at once.
  EXPECT_EQ(ThreadsForTwoWaitingChunks(a), 2u);
  // A view of width 1 never uses workers.
  EXPECT_EQ(ThreadsForTwoWaitingChunks(b), 1u);
}

TEST(ThreadPool, ChunksAreSizedToTheWork) {
  ThreadPool pool(4);
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  auto collect = [&](int64_t n, int64_t min_chunk) {
    ranges.clear();
    pool.ParallelFor(n, min_chunk, [&](int64_t b, int64_t e) {
      std::lock_guard<std::mutex> lock(mu);
      ranges.emplace_back(b, e);
    });
    std::sort(ranges.begin(), ranges.end());
    return ranges;
  };
  // Less than two minimum chunks: one call on the whole range.
  EXPECT_EQ(collect(99, 50), (std::vector<std::pair<int64_t, int64_t>>{{0, 99}}));
  // Enough for 2 chunks of >= 50, not 4.
  EXPECT_EQ(collect(100, 50), (std::vector<std::pair<int64_t, int64_t>>{{0, 50}, {50, 100}}));
  // Plenty of work: at most num_threads() equal chunks covering the range.
  auto r = collect(1001, 1);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r.front().first, 0);
  EXPECT_EQ(r.back().second, 1001);
  for (size_t i = 1; i < r.size(); ++i) EXPECT_EQ(r[i].first, r[i - 1].second);
  EXPECT_TRUE(collect(0, 1).empty());
}

TEST(ThreadPool, BusyRunThreadsKeepWorkersOut) {
  ThreadPool probe(1);
  const int size = ThreadPool::PoolSize();
  ThreadPool pool(size);  // As wide as the pool: only the busy count limits it.
  // Occupy every CPU of the pool with "runs" (threads inside a BusyScope), one of which then
  // calls ParallelFor: no worker may join, so its chunks all run on the calling thread.
  std::atomic<int> ready{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> holders;
  for (int i = 0; i < size - 1; ++i) {
    holders.emplace_back([&] {
      ThreadPool::BusyScope busy(pool);
      ++ready;
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  while (ready.load() < size - 1) std::this_thread::yield();
  ThreadPool::ResetPeakBusyThreads();
  {
    ThreadPool::BusyScope busy(pool);
    ThreadSet set;
    pool.ParallelFor(1000, 1, [&](int64_t, int64_t) {
      set.Add();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
    EXPECT_EQ(set.size(), 1u) << "a worker joined although all " << size << " CPUs were busy";
  }
  EXPECT_LE(ThreadPool::PeakBusyThreads(), size);
  release = true;
  for (auto& t : holders) t.join();
}

TEST(ThreadPool, ConcurrentCallersNeverExceedThePoolSize) {
  const int size = std::max(2, AvailableCpuCount());
  ThreadPool a(size), b(size);
  ThreadPool::ResetPeakBusyThreads();
  std::atomic<int64_t> total{0};
  auto work = [&](ThreadPool& pool) {
    for (int rep = 0; rep < 200; ++rep) {
      ThreadPool::BusyScope busy(pool);  // As Session::Run does.
      pool.ParallelFor(64, 1, [&](int64_t b0, int64_t e0) {
        volatile double x = 0;
        for (int i = 0; i < 2000; ++i) x = x + i;
        total += e0 - b0;
      });
    }
  };
  std::thread t1(work, std::ref(a)), t2(work, std::ref(b));
  t1.join();
  t2.join();
  EXPECT_EQ(total.load(), 2 * 200 * 64);
  // Two callers are always busy; workers only fill the CPUs they leave free.
  EXPECT_LE(ThreadPool::PeakBusyThreads(), std::max(ThreadPool::PoolSize(), 2));
}

TEST(ThreadPool, NestedAndManyCallersCoverEveryIndexOnce) {
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  std::atomic<int> bad{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int rep = 0; rep < 100; ++rep) {
        std::vector<std::atomic<int>> hits(517);
        pool.ParallelFor(517, 3, [&](int64_t b, int64_t e) {
          pool.ParallelFor(e - b, 1, [&](int64_t b2, int64_t e2) {
            for (int64_t i = b + b2; i < b + e2; ++i) hits[static_cast<size_t>(i)]++;
          });
        });
        for (auto& h : hits) bad += h.load() != 1;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// utime + stime of this process, in clock ticks, from /proc/self/stat.
long long ProcessCpuTicks() {
  std::ifstream f("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may contain spaces) start after the last ')'.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

TEST(ThreadPool, IdleWithinAMillisecondOfTheLastParallelFor) {
  ThreadPool pool(4);  // More threads than this machine may have: spinning would show.
  const long hz = sysconf(_SC_CLK_TCK);
  for (int rep = 0; rep < 3; ++rep) {
    std::atomic<int64_t> sum{0};
    for (int i = 0; i < 200; ++i) {
      pool.ParallelFor(4096, 64, [&](int64_t b, int64_t e) { sum += e - b; });
    }
    ASSERT_EQ(sum.load(), 200 * 4096);
    // Workers spin for kSpinMicros (0.2 ms) and then sleep: 1 ms after the last region the
    // process must be idle. Over the next 300 ms, one spinning thread would use 30 ticks.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const long long before = ProcessCpuTicks();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long long used = ProcessCpuTicks() - before;
    EXPECT_LE(used, 3 * hz / 100) << "idle threads used " << used << " ticks in 300 ms";
  }
}

std::string MakeTree(const std::vector<std::pair<std::string, std::string>>& files) {
  char tmpl[] = "/tmp/oe_cgXXXXXX";
  std::string root = mkdtemp(tmpl);
  for (const auto& [path, text] : files) {
    std::string full = root + path;
    for (size_t p = root.size() + 1; (p = full.find('/', p)) != std::string::npos; ++p) {
      mkdir(full.substr(0, p).c_str(), 0755);
    }
    std::ofstream(full) << text;
  }
  return root;
}

TEST(CpuInfo, CgroupQuotaFollowsTheProcessCgroupAndItsParents) {
  // v2: the process's cgroup has no quota, its parent allows 1.5 CPUs.
  std::string v2 = MakeTree({{"/cpu.max", "max 100000\n"},
                             {"/user.slice/cpu.max", "150000 100000\n"},
                             {"/user.slice/app.scope/cpu.max", "max 100000\n"}});
  EXPECT_EQ(CgroupCpuLimit(v2, "0::/user.slice/app.scope\n"), 2);
  EXPECT_EQ(CgroupCpuLimit(v2, "0::/other\n"), 0);
  EXPECT_EQ(CgroupCpuLimit(v2, "0::/../user.slice\n"), 0) << "paths never leave the mount";
  // v1 with cpu,cpuacct co-mounted; the tightest level wins.
  std::string v1 = MakeTree({{"/cpu,cpuacct/docker/cpu.cfs_quota_us", "400000\n"},
                             {"/cpu,cpuacct/docker/cpu.cfs_period_us", "100000\n"},
                             {"/cpu,cpuacct/docker/c1/cpu.cfs_quota_us", "250000\n"},
                             {"/cpu,cpuacct/docker/c1/cpu.cfs_period_us", "100000\n"}});
  EXPECT_EQ(CgroupCpuLimit(v1, "12:memory:/docker/c1\n4:cpu,cpuacct:/docker/c1\n"), 3);
  EXPECT_EQ(CgroupCpuLimit(v1, "4:cpuacct:/docker/c1\n"), 0) << "cpuacct alone sets no quota";
  // Inside a container the listed path may not exist; the mount's root is the container.
  std::string root = MakeTree({{"/cpu.max", "100000 100000\n"}});
  EXPECT_EQ(CgroupCpuLimit(root, "0::/kubepods/pod1/c1\n"), 1);
  EXPECT_GE(AvailableCpuCount(), 1);
  std::string cmd = "rm -rf " + v2 + " " + v1 + " " + root;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace onnxedge
