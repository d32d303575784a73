// Copyright onnxedge authors.
// Persistent onnxedge worker for interleaved benchmarks (driven by compare_ort.py); the same
// line protocol as ort_worker.js:
//
//   onnxedge_worker MODEL --threads N --inputs DIR [--level disabled|basic|extended|all]
//                   [--disable-pass NAME ...]   (an optimizer pass to skip, for before/after runs)
//
// Loads MODEL once, reads every graph input from DIR/<name>.npy, prints "ready", then answers
// one line per command on stdin: "run" -> wall milliseconds of one Session::Run, "rss" -> peak
// resident set size in KiB (VmHWM), "quit" -> exits.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "npy.h"
#include "onnxedge/session.h"

namespace {

long PeakRssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int Fail(const std::string& message) {
  std::cerr << "onnxedge_worker: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace onnxedge;  // NOLINT
  std::string model, inputs, level = "all";
  std::vector<std::string> disabled;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--inputs" && i + 1 < argc) {
      inputs = argv[++i];
    } else if (a == "--level" && i + 1 < argc) {
      level = argv[++i];
    } else if (a == "--disable-pass" && i + 1 < argc) {
      disabled.push_back(argv[++i]);
    } else if (model.empty()) {
      model = a;
    } else {
      return Fail("unexpected argument '" + a + "'");
    }
  }
  if (model.empty() || inputs.empty()) {
    return Fail("usage: onnxedge_worker MODEL --threads N --inputs DIR [--level L]"
                " [--disable-pass NAME ...]");
  }
  SessionOptions options;
  options.intra_op_threads = threads;
  options.disabled_passes = disabled;
  if (level == "disabled") options.optimization_level = OptimizationLevel::kDisabled;
  else if (level == "basic") options.optimization_level = OptimizationLevel::kBasic;
  else if (level == "extended") options.optimization_level = OptimizationLevel::kExtended;
  else if (level == "all") options.optimization_level = OptimizationLevel::kAll;
  else return Fail("unknown --level '" + level + "'");
  auto session = Session::Load(model, options);
  if (!session.ok()) return Fail(session.status().ToString());
  std::vector<NamedValue> feeds;
  for (const auto& io : (*session)->inputs()) {
    auto t = npy::Read(inputs + "/" + io.name + ".npy");
    if (!t.ok()) return Fail(t.status().ToString());
    feeds.push_back({io.name, std::move(t).value()});
  }
  std::cout << "ready" << std::endl;
  std::string cmd;
  while (std::getline(std::cin, cmd)) {
    if (cmd == "run") {
      const auto t0 = std::chrono::steady_clock::now();
      auto out = (*session)->Run(feeds);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!out.ok()) return Fail(out.status().ToString());
      std::cout << ms << std::endl;
    } else if (cmd == "rss") {
      std::cout << PeakRssKiB() << std::endl;
    } else if (cmd == "quit") {
      break;
    } else {
      std::cout << "error unknown command '" << cmd << "'" << std::endl;
    }
  }
  return 0;
}
