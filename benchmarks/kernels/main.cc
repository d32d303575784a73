// Copyright onnxedge authors.
// onnxedge_kernel_bench: Google Benchmark main plus a ratio table. Every benchmark registered
// with AddPair (onnxedge vs a reference such as OpenBLAS, run in this same process) is printed
// after the run as "mine / reference" of their best GFLOP/s over the repetitions. Defaults: 3
// repetitions, random interleaving (so both sides see the same machine noise); any
// --benchmark_* flag given on the command line overrides them. Single-threaded cases are timed
// in CPU time of the calling thread (less sensitive to other processes on a shared machine),
// multi-threaded ones in real time.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kernels/gemm.h"

namespace onnxedge::bench {
namespace {

struct Pair {
  std::string group, label, mine, reference;
};

std::vector<Pair>& Pairs() {
  static std::vector<Pair> pairs;
  return pairs;
}

// Console output as usual, plus the best GFLOP/s of every run name.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      auto it = r.counters.find("GFLOP/s");
      if (it == r.counters.end()) continue;
      double& best = best_[r.run_name.function_name];
      best = std::max(best, static_cast<double>(it->second.value));
    }
  }
  double Best(const std::string& name) const {
    auto it = best_.find(name);
    return it == best_.end() ? 0.0 : it->second;
  }

 private:
  std::map<std::string, double> best_;
};

}  // namespace

void AddPair(const std::string& group, const std::string& label, const std::string& mine,
             const std::string& reference) {
  Pairs().push_back({group, label, mine, reference});
}

void RegisterGemmBenchmarks();
void RegisterConvBenchmarks();
void RegisterConvNhwcBenchmarks();
void RegisterWinogradBenchmarks();
void RegisterRowwiseBenchmarks();

}  // namespace onnxedge::bench

int main(int argc, char** argv) {
  using namespace onnxedge::bench;
  std::vector<char*> args(argv, argv + argc);
  bool has_reps = false, has_interleave = false;
  for (int i = 1; i < argc; ++i) {
    has_reps |= std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0;
    has_interleave |= std::strncmp(argv[i], "--benchmark_enable_random_interleaving", 38) == 0;
  }
  static char reps[] = "--benchmark_repetitions=3";
  static char interleave[] = "--benchmark_enable_random_interleaving=true";
  if (!has_reps) args.push_back(reps);
  if (!has_interleave) args.push_back(interleave);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  RegisterGemmBenchmarks();
  RegisterConvBenchmarks();
  RegisterConvNhwcBenchmarks();
  RegisterWinogradBenchmarks();
  RegisterRowwiseBenchmarks();
  std::printf("micro-kernel: %s\n", onnxedge::kernels::GemmKernelName());
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::fflush(stdout);
  std::cout.flush();
  // Groups in order of first registration, each with its pairs in registration order.
  std::vector<std::string> groups;
  for (const Pair& p : Pairs()) {
    if (std::find(groups.begin(), groups.end(), p.group) == groups.end()) groups.push_back(p.group);
  }
  for (const std::string& group : groups) {
    bool header = false;
    for (const Pair& p : Pairs()) {
      if (p.group != group) continue;
      const double mine = reporter.Best(p.mine), ref = reporter.Best(p.reference);
      if (mine == 0.0) continue;  // filtered out
      if (!header) {
        std::printf("\n%s\n%-32s %12s %12s %8s\n", group.c_str(), "shape", "onnxedge", "reference",
                    "ratio");
        header = true;
      }
      if (ref > 0) {
        std::printf("%-32s %12.1f %12.1f %8.2f\n", p.label.c_str(), mine, ref, mine / ref);
      } else {
        std::printf("%-32s %12.1f %12s %8s\n", p.label.c_str(), mine, "-", "-");
      }
    }
  }
  benchmark::Shutdown();
  return 0;
}
