// Copyright onnxedge authors.
// Runs the ONNX backend test cases from Debian's libonnx-testdata against onnxedge.
//
// Every case runs in a forked child (a crash or hang in one case cannot take down the run) with
// a time limit. Results are checked against an expectations file listing the cases that are
// known to fail, each with a reason:
//   - a failing case that is not listed fails the run (a regression or a new failure);
//   - a listed case that passes fails the run too (remove it from the list).
//
// Usage: onnxedge_conformance [--data DIR] [--expectations FILE] [--filter SUBSTR]...
//                             [--write-expectations FILE] [--report FILE.md] [--timeout SEC]
//                             [--verbose]
// With --filter (repeatable: a case runs when its name contains any of them), only the cases run
// are checked against the expectations, so a subset (e.g. under qemu) keeps the same rules.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/compare.h"
#include "core/file_util.h"
#include "ir/onnx/tensor_proto.h"
#include "onnxedge/session.h"

namespace fs = std::filesystem;
using namespace onnxedge;

namespace {

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-5;
const char* kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

std::string KindOf(const IoInfo& io) {
  if (io.kind == "sequence") return "sequence";
  if (io.kind == "optional") return "optional";
  return "tensor";
}

// The ONNX 1.12 test data stores bfloat16 tensors as uint16 (data_type 4); reinterpret the bits
// when the model declares bfloat16.
Value FixBfloat16(Value v, DataType declared) {
  if (declared != DataType::kBfloat16 || !v.is_tensor() ||
      v.tensor().dtype() != DataType::kUint16) {
    return v;
  }
  auto t = Tensor::Allocate(DataType::kBfloat16, v.tensor().shape());
  if (!t.ok()) return v;
  if (t->bytes()) std::memcpy(t->raw_data(), v.tensor().raw_data(), t->bytes());
  return Value(std::move(t).value());
}

// Runs one case; returns "" on success or a one-line reason.
std::string RunCase(const fs::path& dir) {
  SessionOptions opts;
  opts.intra_op_threads = 1;
  auto session = Session::Load((dir / "model.onnx").string(), opts);
  if (!session.ok()) return "load: " + session.status().ToString();
  const auto& ins = (*session)->inputs();
  const auto& outs = (*session)->outputs();
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) {
      sets.push_back(e.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return "no test_data_set_* folders";
  for (const auto& set : sets) {
    std::vector<NamedValue> feeds;
    for (size_t i = 0;; ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      if (i >= ins.size()) return "more input files than model inputs";
      auto v = onnx_io::ValueFromProtoFile(p.string(), KindOf(ins[i]));
      if (!v.ok()) return "input: " + v.status().ToString();
      feeds.push_back({ins[i].name, FixBfloat16(std::move(v).value(), ins[i].dtype)});
    }
    auto result = (*session)->Run(feeds);
    if (!result.ok()) return "run: " + result.status().ToString();
    for (size_t i = 0; i < outs.size(); ++i) {
      fs::path p = set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) continue;
      auto expected = onnx_io::ValueFromProtoFile(p.string(), KindOf(outs[i]));
      if (!expected.ok()) return "expected output: " + expected.status().ToString();
      CompareResult c = CompareValues((*result)[i].value,
                                      FixBfloat16(std::move(expected).value(), outs[i].dtype),
                                      kRtol, kAtol);
      if (!c.match) return "output '" + outs[i].name + "': " + c.message;
    }
  }
  return "";
}

// Forks, runs the case in the child, returns its reason ("" = pass).
std::string RunIsolated(const fs::path& dir, int timeout_sec) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(static_cast<unsigned>(timeout_sec));
    std::string r;
    try {
      r = RunCase(dir);
    } catch (const std::exception& e) {
      r = std::string("exception: ") + e.what();
    }
    if (r.empty()) r = "PASS";
    for (char& ch : r) {
      if (ch == '\n') ch = ' ';
    }
    ssize_t w = write(fds[1], r.data(), r.size());
    (void)w;
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGALRM) return "timeout after " + std::to_string(timeout_sec) + " s";
    return std::string("crashed with signal ") + strsignal(sig);
  }
  if (out.empty()) return "child exited without a result";
  if (out == "PASS") return "";
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

// Reason prefix of expected failures whose outputs are random: they may pass by chance.
constexpr const char* kRandomTag = "[random]";

std::map<std::string, std::string> ReadExpectations(const std::string& path) {
  std::map<std::string, std::string> m;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find_first_of(" \t");
    std::string name = line.substr(0, sp);
    std::string reason = sp == std::string::npos ? "" : line.substr(sp + 1);
    reason.erase(0, reason.find_first_not_of(" \t"));
    m[name] = reason;
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "/usr/share/libonnx-testdata/data";
  std::string expectations_path;
  std::string write_path;
  std::string report_path;
  std::vector<std::string> filters;
  int timeout = 60;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") data = next();
    else if (a == "--expectations") expectations_path = next();
    else if (a == "--write-expectations") write_path = next();
    else if (a == "--report") report_path = next();
    else if (a == "--filter") filters.push_back(next());
    else if (a == "--timeout") timeout = std::atoi(next().c_str());
    else if (a == "--verbose" || a == "-v") verbose = true;
    else {
      std::cerr << "unknown argument: " << a << "\n";
      return 2;
    }
  }
  if (!fs::exists(data)) {
    std::cerr << "conformance data folder not found: " << data
              << " (install libonnx-testdata)\n";
    return 2;
  }
  auto expected_failures = expectations_path.empty()
                               ? std::map<std::string, std::string>()
                               : ReadExpectations(expectations_path);
  std::map<std::string, std::string> failures;
  std::vector<std::string> chance_passes;  // "[random]" cases that matched this time
  std::map<std::string, std::pair<int, int>> per_suite;  // passed, total
  int unexpected_fail = 0, unexpected_pass = 0;
  for (const char* suite : kSuites) {
    fs::path sdir = fs::path(data) / suite;
    if (!fs::exists(sdir)) continue;
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(sdir)) {
      if (e.is_directory()) cases.push_back(e.path());
    }
    std::sort(cases.begin(), cases.end());
    for (const auto& c : cases) {
      const std::string name = std::string(suite) + "/" + c.filename().string();
      if (!filters.empty() &&
          std::none_of(filters.begin(), filters.end(), [&](const std::string& f) {
            return name.find(f) != std::string::npos;
          })) {
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      std::string reason = RunIsolated(c, timeout);
      const double ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start).count();
      auto& [passed, total] = per_suite[suite];
      ++total;
      const auto expected = expected_failures.find(name);
      const bool listed = expected != expected_failures.end();
      // "[random]" entries (Bernoulli against numpy's unseeded stream) fail almost always but
      // can match by chance (about 0.6 % for test_bernoulli's 10 draws): such a pass is fine.
      const bool chance = listed && expected->second.rfind(kRandomTag, 0) == 0;
      if (reason.empty()) {
        ++passed;
        if (chance) {
          chance_passes.push_back(name);
          if (verbose) std::cout << "PASS (by chance, listed as random) " << name << "\n";
        } else if (listed) {
          ++unexpected_pass;
          std::cout << "UNEXPECTED PASS " << name << " (remove it from the expectations)\n";
        } else if (verbose) {
          std::cout << "PASS " << name << " (" << static_cast<int>(ms) << " ms)\n";
        }
      } else {
        failures[name] = reason;
        if (!listed) {
          ++unexpected_fail;
          std::cout << "FAIL " << name << ": " << reason << "\n";
        } else if (verbose) {
          std::cout << "EXPECTED FAIL " << name << ": " << reason << "\n";
        }
      }
    }
  }
  int all_passed = 0, all_total = 0;
  for (const auto& [suite, pt] : per_suite) {
    std::cout << "suite " << suite << ": " << pt.first << " / " << pt.second << " passed\n";
    all_passed += pt.first;
    all_total += pt.second;
  }
  std::cout << "total: " << all_passed << " / " << all_total << " passed, " << unexpected_fail
            << " unexpected failures, " << unexpected_pass << " unexpected passes\n";
  if (all_total == 0 && !filters.empty()) {
    // A mistyped filter must not pass as an empty, green run.
    std::cerr << "no conformance case matches the --filter values\n";
    return 2;
  }
  if (!report_path.empty()) {
    // A markdown summary for docs/conformance.md: counts per suite, then every failing case
    // with the reason from the expectations file (or the error when unlisted).
    std::ostringstream out;
    out << "# ONNX backend conformance\n\n"
        << "Generated by `build/tests/onnxedge_conformance --expectations "
           "tests/conformance/expectations.txt --report docs/conformance.md` on the test data of "
           "Debian's libonnx-testdata (ONNX 1.12). Tolerances: rtol 1e-3, atol 1e-5 for floats; "
           "integers, bools and strings exact.\n\n"
        << "| suite | passed | total |\n|---|---|---|\n";
    for (const auto& [suite, pt] : per_suite) {
      out << "| " << suite << " | " << pt.first << " | " << pt.second << " |\n";
    }
    out << "| **all** | **" << all_passed << "** | **" << all_total << "** |\n\n"
        << "## Cases that do not pass, and why\n\n| case | reason |\n|---|---|\n";
    for (const std::string& name : chance_passes) failures[name] = expected_failures[name];
    for (const auto& [name, reason] : failures) {
      auto it = expected_failures.find(name);
      std::string why = it != expected_failures.end() && !it->second.empty() ? it->second : reason;
      for (char& ch : why) {
        if (ch == '|') ch = '/';
      }
      out << "| " << name << " | " << why << " |\n";
    }
    if (Status st = WriteFileAtomically(report_path, out.str()); !st.ok()) {
      std::cerr << st.ToString() << "\n";
      return 1;
    }
  }
  if (!write_path.empty()) {
    std::ostringstream out;
    out << "# Conformance cases that do not pass yet, one per line: <suite>/<case> <reason>.\n"
        << "# Checked by tests/conformance (onnxedge_conformance --expectations). A case that\n"
        << "# fails without being listed, or passes while listed, fails the test.\n";
    for (const std::string& name : chance_passes) failures[name] = expected_failures[name];
    for (const auto& [name, reason] : failures) {
      auto it = expected_failures.find(name);
      out << name << " " << (it != expected_failures.end() && !it->second.empty() ? it->second
                                                                                   : reason)
          << "\n";
    }
    if (Status st = WriteFileAtomically(write_path, out.str()); !st.ok()) {
      std::cerr << st.ToString() << "\n";
      return 1;
    }
  }
  return (unexpected_fail || unexpected_pass) && !expectations_path.empty() ? 1 : 0;
}
