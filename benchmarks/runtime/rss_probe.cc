// RSS after loading and after each of 4 runs, plus the session's weights and planned arena.
// Build: g++ -std=c++20 -O1 -Iinclude benchmarks/runtime/rss_probe.cc -o /tmp/rss_probe -Lbuild
//   -lonnxedge -Wl,-rpath,$PWD/build   Run: /tmp/rss_probe MODEL
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "onnxedge/session.h"
using namespace onnxedge;
static void Rss(const char* what) {
  std::ifstream f("/proc/self/status");
  std::string l;
  std::string out;
  while (std::getline(f, l))
    if (l.rfind("VmRSS", 0) == 0 || l.rfind("VmHWM", 0) == 0) out += l + "  ";
  std::printf("%-12s %s\n", what, out.c_str());
}
int main(int argc, char** argv) {
  Rss("start");
  SessionOptions o;
  o.intra_op_threads = 1;
  auto s = Session::Load(argv[1], o);
  if (!s.ok()) {
    std::cerr << s.status().ToString() << "\n";
    return 1;
  }
  Rss("loaded");
  std::vector<int64_t> shape;
  for (auto& d : (*s)->inputs()[0].dims) shape.push_back(d.value > 0 ? d.value : 1);
  auto t = Tensor::Allocate(DataType::kFloat, shape);
  for (int i = 0; i < 4; ++i) {
    auto r = (*s)->Run({{(*s)->inputs()[0].name, *t}});
    if (!r.ok()) {
      std::cerr << r.status().ToString() << "\n";
      return 1;
    }
    Rss(("run" + std::to_string(i)).c_str());
  }
  auto m = (*s)->memory_info();
  std::printf("weights %.1f MiB arena %.1f MiB\n", m.weight_bytes / 1048576.0,
              m.planned_arena_bytes / 1048576.0);
}
