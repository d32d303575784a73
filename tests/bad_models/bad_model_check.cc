// Copyright onnxedge authors.
// Checks the corpus of broken and hostile model files written by scripts/make_bad_models.py.
//
//   onnxedge_bad_model_check DIR [DIR ...]
//
// For every line of DIR/MANIFEST (file, mode, expected status code, needles) the case runs in a
// child process with a wall-clock limit (alarm), an address-space limit (RLIMIT_AS, except
// under AddressSanitizer, which reserves terabytes of shadow memory) and the session memory
// limit kMemoryLimit. The parent checks that the child did not crash or hang, that the status
// code and the one-line message match, and that the child's peak RSS stayed within
// baseline + kMemoryLimit + kSlack, where baseline is the peak RSS of a child that loads and
// runs a tiny valid model.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "ir/onnx/loader.h"
#include "onnx/onnx_pb.h"
#include "onnxedge/session.h"

#if defined(__SANITIZE_ADDRESS__)
#define ONNXEDGE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ONNXEDGE_ASAN 1
#endif
#endif

namespace onnxedge {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMemoryLimit = uint64_t{64} << 20;
// Peak RSS allowed above the baseline on top of kMemoryLimit: loading may hold the parsed
// protobuf and the decoded tensors at the same time, plus allocator slack.
constexpr uint64_t kSlack = uint64_t{64} << 20;
#ifdef ONNXEDGE_ASAN
constexpr bool kAsan = true;
constexpr unsigned kTimeoutSeconds = 120;
#else
constexpr bool kAsan = false;
constexpr unsigned kTimeoutSeconds = 30;
#endif
constexpr uint64_t kAddressSpaceLimit = uint64_t{4} << 30;

struct Case {
  std::string file;
  std::string mode;
  std::string code;
  std::vector<std::string> needles;
};

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string part;
  while (std::getline(ss, part, sep)) out.push_back(part);
  return out;
}

std::string CodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "Ok";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kInvalidModel: return "InvalidModel";
    case StatusCode::kNotImplemented: return "NotImplemented";
    case StatusCode::kOutOfMemory: return "OutOfMemory";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kIoError: return "IoError";
    case StatusCode::kInternal: return "Internal";
  }
  return "?";
}

// Runs one case in this (child) process and returns "<code>\t<message>".
std::string RunCase(const std::string& path, const std::string& mode) {
  // The loader as `onnxedge inspect` uses it (no kernels, no folding) must not crash either;
  // its verdict may differ (an unsupported op is fine for inspect), so only survival counts.
  onnx_io::LoadOptions inspect;
  inspect.memory_limit_bytes = kMemoryLimit;
  inspect.fold_constants = false;
  inspect.log_level = LogLevel::kFatal;
  (void)onnx_io::LoadModel(path, inspect);

  SessionOptions options;
  options.intra_op_threads = 1;
  options.memory_limit_bytes = kMemoryLimit;
  options.log_level = LogLevel::kFatal;
  auto session = Session::Load(path, options);
  if (!session.ok()) {
    return CodeName(session.status().code()) + "\t" + session.status().message();
  }
  if (mode != "run") return "Ok\t(loaded)";
  std::vector<NamedValue> feeds;
  for (const auto& in : (*session)->inputs()) {
    Shape shape;
    for (const auto& d : in.dims) shape.push_back(d.value >= 0 ? d.value : 1);
    auto t = Tensor::Allocate(in.dtype, shape);
    if (!t.ok()) return "Internal\tcannot make input '" + in.name + "': " + t.status().message();
    feeds.push_back({in.name, std::move(t).value()});
  }
  RunOptions run;
  run.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  auto out = (*session)->Run(feeds, run);
  if (!out.ok()) return CodeName(out.status().code()) + "\t" + out.status().message();
  return "Ok\t(ran)";
}

struct ChildResult {
  bool exited = false;
  int status = 0;
  std::string output;
  uint64_t max_rss = 0;
};

// Forks, runs `fn` in the child with the limits, and collects what it wrote.
template <typename Fn>
ChildResult InChild(Fn fn) {
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipe");
    std::exit(2);
  }
  std::cout.flush();
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (!kAsan) {
      rlimit rl{kAddressSpaceLimit, kAddressSpaceLimit};
      setrlimit(RLIMIT_AS, &rl);
    }
    alarm(kTimeoutSeconds);
    std::string out = fn();
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = write(fds[1], out.data() + off, out.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  ChildResult r;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) r.output.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.exited = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  r.status = status;
  r.max_rss = static_cast<uint64_t>(ru.ru_maxrss) * 1024;
  return r;
}

std::string Describe(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    std::string s = "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
    if (sig == SIGALRM) s += ": took longer than " + std::to_string(kTimeoutSeconds) + " s";
    return s;
  }
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

uint64_t BaselineRss() {
  // A tiny valid model: Y = Relu(X), loaded and run.
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* x = g->add_input();
  x->set_name("X");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(1);
  x->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("X");
  n->add_output("Y");
  g->add_output()->set_name("Y");
  const std::string dir = fs::temp_directory_path() / ("onnxedge_baseline_" +
                                                       std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = dir + "/relu.onnx";
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  auto r = InChild([&] { return RunCase(path, "run"); });
  fs::remove_all(dir);
  if (!r.exited || r.output.rfind("Ok\t", 0) != 0) {
    std::cerr << "baseline model failed: " << Describe(r.status) << " " << r.output << "\n";
    std::exit(2);
  }
  return r.max_rss;
}

int CheckDir(const fs::path& dir, uint64_t baseline, int* total) {
  std::ifstream manifest(dir / "MANIFEST");
  if (!manifest) {
    std::cerr << "FAIL cannot read " << (dir / "MANIFEST") << "\n";
    return 1;
  }
  int failures = 0;
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto parts = Split(line, '\t');
    if (parts.size() < 3) {
      std::cerr << "FAIL bad manifest line: " << line << "\n";
      ++failures;
      continue;
    }
    Case c{parts[0], parts[1], parts[2], {parts.begin() + 3, parts.end()}};
    const std::string path = (dir / c.file).string();
    ++*total;
    const auto start = std::chrono::steady_clock::now();
    ChildResult r = InChild([&] { return RunCase(path, c.mode); });
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::string> problems;
    std::string got_code, message;
    if (!r.exited) {
      problems.push_back(Describe(r.status));
    } else {
      auto tab = r.output.find('\t');
      got_code = r.output.substr(0, tab);
      message = tab == std::string::npos ? "" : r.output.substr(tab + 1);
      if (got_code != c.code) problems.push_back("expected " + c.code + ", got " + got_code);
      for (const auto& needle : c.needles) {
        if (message.find(needle) == std::string::npos) {
          problems.push_back("message lacks '" + needle + "'");
        }
      }
      if (message.find('\n') != std::string::npos) problems.push_back("message is not one line");
      if (c.mode == "load" && message.find(c.file.substr(c.file.rfind('/') + 1)) ==
                                  std::string::npos) {
        problems.push_back("message does not name the file");
      }
    }
    const uint64_t rss_bound = baseline + kMemoryLimit + kSlack;
    if (!kAsan && r.max_rss > rss_bound) {
      problems.push_back("peak RSS " + std::to_string(r.max_rss >> 20) + " MiB exceeds " +
                         std::to_string(rss_bound >> 20) + " MiB");
    }
    std::cout << (problems.empty() ? "ok   " : "FAIL ") << c.file << " [" << c.mode << ", "
              << static_cast<int>(secs * 1000) << " ms, " << (r.max_rss >> 20) << " MiB] "
              << got_code << ": " << message << "\n";
    for (const auto& p : problems) std::cout << "     - " << p << "\n";
    if (!problems.empty()) ++failures;
  }
  return failures;
}

}  // namespace
}  // namespace onnxedge

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: onnxedge_bad_model_check DIR [DIR ...]\n";
    return 2;
  }
  const uint64_t baseline = onnxedge::BaselineRss();
  std::cout << "baseline peak RSS " << (baseline >> 20) << " MiB; session memory limit "
            << (onnxedge::kMemoryLimit >> 20) << " MiB"
            << (onnxedge::kAsan ? " (AddressSanitizer: RSS and address-space limits off)" : "")
            << "\n";
  int failures = 0, total = 0;
  for (int i = 1; i < argc; ++i) failures += onnxedge::CheckDir(argv[i], baseline, &total);
  std::cout << total - failures << " / " << total << " bad model files handled as expected\n";
  return failures == 0 && total > 0 ? 0 : 1;
}
