// Copyright onnxedge authors.
// `onnxedge bench MODEL ...`: load time, first-run time, latency percentiles, throughput and
// peak memory of one model on seeded random (or file) inputs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <numeric>

#include "cli_util.h"
#include "verbs.h"

namespace onnxedge::cli {

const char kBenchUsage[] =
    R"(usage: onnxedge bench MODEL [--iterations K] [--warmup W] [--threads N]
                           [--shape NAME=DIMS ...] [--input NAME=FILE ...] [--seed S] [--json]

Measures a model: load time (Session::Load), the time of the first run, then W warm-up runs
and K timed runs, reporting latency min/mean/p50/p90/p99/max, throughput (runs per second of
the timed runs, one run at a time) and peak resident memory (VmHWM). Inputs are seeded random
data as in 'onnxedge run' unless given with --input.

options:
  --iterations K      timed runs (default 50)
  --warmup W          untimed runs after the first run (default 5)
  --level L           graph optimization: disabled, basic, extended, all (default all)
  --threads N         intra-op threads (default 0: every CPU this process may use)
  --shape NAME=DIMS   shape of a random input, e.g. --shape images=1x3x224x224; repeatable
  --input NAME=FILE   read input NAME from a .npy or .pb file; repeatable
  --seed S            seed of the random inputs (default 42)
  --json              print one JSON line instead of a table
  -h, --help          show this help
)";

namespace {

double Percentile(const std::vector<double>& sorted, double p) {
  // Nearest-rank: the smallest value with at least p% of the samples at or below it.
  const auto n = static_cast<double>(sorted.size());
  auto idx = static_cast<size_t>(std::ceil(p / 100.0 * n));
  idx = std::clamp<size_t>(idx, 1, sorted.size());
  return sorted[idx - 1];
}

std::string Ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

}  // namespace

int BenchMain(const std::vector<std::string>& args) {
  const std::string verb = "bench";
  ArgParser p(verb, {{"--iterations", true},
                     {"--warmup", true},
                     {"--threads", true},
                     {"--level", true},
                     {"--shape", true, true},
                     {"--input", true, true},
                     {"--seed", true},
                     {"--json"}});
  if (Status st = p.Parse(args); !st.ok()) return ReportError(verb, st.message());
  if (p.help()) {
    std::cout << kBenchUsage;
    return kExitOk;
  }
  if (p.positionals().size() != 1) {
    return ReportError(verb, "expected exactly one MODEL argument (see 'onnxedge bench --help')");
  }
  const std::string path = p.positionals()[0];
  auto iterations = p.GetInt("--iterations", 50, 1, 100000000);
  if (!iterations.ok()) return ReportError(verb, iterations.status().message());
  auto warmup = p.GetInt("--warmup", 5, 0, 100000000);
  if (!warmup.ok()) return ReportError(verb, warmup.status().message());
  auto threads = p.GetInt("--threads", 0, 0, 4096);
  if (!threads.ok()) return ReportError(verb, threads.status().message());
  auto seed = p.GetInt("--seed", 42, 0, std::numeric_limits<int64_t>::max());
  if (!seed.ok()) return ReportError(verb, seed.status().message());

  double load_ms = 0;
  auto level = GetLevelFlag(p);
  if (!level.ok()) return ReportError(verb, level.status().message());
  auto session = LoadSession(path, static_cast<int>(*threads), &load_ms, *level);
  if (!session.ok()) return ReportError(verb, session.status());
  InputOptions io;
  io.input_flags = p.GetAll("--input");
  io.shape_flags = p.GetAll("--shape");
  io.seed = static_cast<uint64_t>(*seed);
  auto feeds = PrepareInputs(**session, io, verb);
  if (!feeds.ok()) return ReportError(verb, feeds.status());

  // Peak RSS of loading (the loader's transient copies of the file) apart from the peak of the
  // runs: Linux resets VmHWM on writing 5 to clear_refs. When it cannot, both are the same.
  const double load_rss = PeakRssMiB();
  const bool hwm_reset = static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5");
  using Clock = std::chrono::steady_clock;
  // RunInto with the previous run's outputs: the allocation-free steady state an application
  // loop gets (docs/architecture.md, Memory).
  std::vector<NamedValue> outputs;
  auto timed_run = [&](double* ms) -> Status {
    const auto start = Clock::now();
    Status st = (*session)->RunInto(*feeds, &outputs);
    *ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!st.ok()) return st.WithContext("'" + path + "'");
    return Status::Ok();
  };
  double first_ms = 0, ms = 0;
  if (Status st = timed_run(&first_ms); !st.ok()) return ReportError(verb, st);
  for (int64_t i = 0; i < *warmup; ++i) {
    if (Status st = timed_run(&ms); !st.ok()) return ReportError(verb, st);
  }
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(*iterations));
  for (int64_t i = 0; i < *iterations; ++i) {
    if (Status st = timed_run(&ms); !st.ok()) return ReportError(verb, st);
    lat.push_back(ms);
  }
  const double total = std::accumulate(lat.begin(), lat.end(), 0.0);
  std::vector<double> sorted = lat;
  std::sort(sorted.begin(), sorted.end());
  const double mean = total / static_cast<double>(lat.size());
  const double throughput = total > 0 ? 1000.0 * static_cast<double>(lat.size()) / total : 0;
  const double rss = PeakRssMiB();  // Of the runs (see above).
  const int used_threads = (*session)->intra_op_threads();
  // What the session accounts for: weights plus the arena planned for these input shapes. The
  // rest of the runs' peak RSS is code, libraries, prepacked weight copies, the recording run's
  // heap tensors and the outputs.
  const MemoryInfo mem = (*session)->memory_info();
  constexpr double kMiB = 1024.0 * 1024.0;
  const double weights_mib = static_cast<double>(mem.weight_bytes) / kMiB;
  const double arena_mib = static_cast<double>(mem.planned_arena_bytes) / kMiB;
  const double accounted = rss > 0 ? (weights_mib + arena_mib) / rss : 0;

  if (p.Has("--json")) {
    JsonWriter w;
    w.BeginObject();
    w.Key("model").String(path);
    w.Key("threads").Int(used_threads);
    w.Key("iterations").Int(*iterations);
    w.Key("warmup").Int(*warmup);
    w.Key("load_ms").Number(load_ms);
    w.Key("first_run_ms").Number(first_ms);
    w.Key("latency_ms").BeginObject();
    w.Key("min").Number(sorted.front());
    w.Key("mean").Number(mean);
    w.Key("p50").Number(Percentile(sorted, 50));
    w.Key("p90").Number(Percentile(sorted, 90));
    w.Key("p99").Number(Percentile(sorted, 99));
    w.Key("max").Number(sorted.back());
    w.EndObject();
    w.Key("throughput_per_s").Number(throughput);
    w.Key("peak_rss_mib").Number(std::max(rss, load_rss));
    w.Key("load_peak_rss_mib").Number(load_rss);
    if (hwm_reset) w.Key("run_peak_rss_mib").Number(rss);
    w.Key("weight_bytes").Int(static_cast<int64_t>(mem.weight_bytes));
    w.Key("planned_arena_bytes").Int(static_cast<int64_t>(mem.planned_arena_bytes));
    w.Key("weights_plus_arena_over_run_peak_rss").Number(accounted);
    w.Key("pattern_misses").Int(static_cast<int64_t>(mem.pattern_misses));
    w.EndObject();
    std::cout << w.str() << std::endl;
    return kExitOk;
  }
  std::ostream& o = std::cout;
  o << "model:       " << path << "\n";
  o << "threads:     " << used_threads << "\n";
  o << "load:        " << Ms(load_ms) << " ms\n";
  o << "first run:   " << Ms(first_ms) << " ms\n";
  o << "latency over " << *iterations << " runs after " << *warmup << " warm-up runs (ms):\n";
  const std::pair<const char*, double> cols[] = {
      {"min", sorted.front()},         {"mean", mean},
      {"p50", Percentile(sorted, 50)}, {"p90", Percentile(sorted, 90)},
      {"p99", Percentile(sorted, 99)}, {"max", sorted.back()}};
  std::string head, vals;
  for (const auto& [name, v] : cols) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%12s", name);
    head += buf;
    std::snprintf(buf, sizeof(buf), "%12.3f", v);
    vals += buf;
  }
  o << head << "\n" << vals << "\n";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", throughput);
  o << "throughput:  " << buf << " inferences/s\n";
  std::snprintf(buf, sizeof(buf), "%.1f", std::max(rss, load_rss));
  o << "peak RSS:    " << buf << " MiB";
  if (hwm_reset) {
    std::snprintf(buf, sizeof(buf), " (loading %.1f MiB, runs %.1f MiB)", load_rss, rss);
    o << buf;
  }
  o << "\n";
  std::snprintf(buf, sizeof(buf), "%.1f MiB weights + %.1f MiB arena = %.0f%% of %s peak RSS",
                weights_mib, arena_mib, 100.0 * accounted, hwm_reset ? "the runs'" : "");
  o << "memory:      " << buf << "\n";
  return kExitOk;
}

}  // namespace onnxedge::cli
