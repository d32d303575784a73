// Heap allocations of one steady-state Session::Run on a real model (malloc interposed).
// Build (repository root):
//   g++ -std=c++20 -O1 -rdynamic -Iinclude benchmarks/runtime/alloc_count.cc -o /tmp/alloc_count
//       -Lbuild -lonnxedge -Wl,-rpath,$PWD/build
// Run: /tmp/alloc_count MODEL [THREADS]; with SITES=1 it also counts allocations by caller.
// Inputs are zero tensors of the declared types (dynamic dims 1). It counts one steady-state
// Session::RunInto (handed the previous call's outputs) after three warm-up calls; with RUN=1
// it counts Session::Run instead (which returns new output tensors).
#include <errno.h>
#include <execinfo.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "onnxedge/session.h"
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}
static std::atomic<bool> on{false};
static std::atomic<unsigned long> n{0}, big{0}, bigbytes{0};
static void* sites[4096][6];
static std::atomic<int> nsites{0};
thread_local bool in_hook = false;
static void Note(size_t s) {
  if (!on.load(std::memory_order_relaxed) || in_hook) return;
  n++;
  in_hook = true;
  int i = nsites++;
  if (i < 4096) {
    void* f[8];
    int k = backtrace(f, 8);
    for (int j = 0; j < 6; ++j) sites[i][j] = j + 2 < k ? f[j + 2] : nullptr;
  }
  in_hook = false;
  if (s >= 1024) {
    big++;
    bigbytes += s;
  }
}
extern "C" {
void* malloc(size_t s) {
  Note(s);
  return __libc_malloc(s);
}
void* calloc(size_t a, size_t b) {
  Note(a * b);
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t s) {
  Note(s);
  return __libc_realloc(p, s);
}
void* memalign(size_t a, size_t s) {
  Note(s);
  return __libc_memalign(a, s);
}
void* aligned_alloc(size_t a, size_t s) {
  Note(s);
  return __libc_memalign(a, s);
}
int posix_memalign(void** o, size_t a, size_t s) {
  Note(s);
  void* p = __libc_memalign(a, s);
  if (!p) return ENOMEM;
  *o = p;
  return 0;
}
}
using namespace onnxedge;
int main(int argc, char** argv) {
  SessionOptions o;
  o.intra_op_threads = argc > 2 ? atoi(argv[2]) : 1;
  auto s = Session::Load(argv[1], o);
  if (!s.ok()) return 1;
  std::vector<NamedValue> feeds;
  for (const auto& in : (*s)->inputs()) {
    std::vector<int64_t> shape;
    for (auto& d : in.dims) shape.push_back(d.value > 0 ? d.value : 1);
    auto t = Tensor::Allocate(in.dtype, shape);
    if (!t.ok()) return 1;
    feeds.push_back({in.name, *t});
  }
  const bool use_run = getenv("RUN") != nullptr;
  std::vector<NamedValue> outs;
  auto run = [&]() -> bool {
    if (use_run) {
      auto r = (*s)->Run(feeds);
      return r.ok();
    }
    return (*s)->RunInto(feeds, &outs).ok();
  };
  for (int i = 0; i < 3; ++i) {
    if (!run()) {
      std::fprintf(stderr, "run failed\n");
      return 1;
    }
  }
  auto before = (*s)->memory_info();
  {
    void* f[4];
    backtrace(f, 4);  // Loads the unwinder before counting starts.
  }
  on = true;
  const bool ok = run();
  on = false;
  if (!ok) return 1;
  auto after = (*s)->memory_info();
  {
    void* f[4];
    backtrace(f, 4);
  }
  std::map<std::string, int> hist;
  for (int i = 0; i < std::min(nsites.load(), 4096); ++i) {
    char** names = backtrace_symbols(sites[i], 6);
    std::string key;
    for (int j = 0; j < 6; ++j) {
      if (!sites[i][j]) break;
      std::string nm = names[j];
      auto a = nm.find('('), b = nm.find('+', a);
      std::string fn =
          a != std::string::npos && b != std::string::npos ? nm.substr(a + 1, b - a - 1) : nm;
      if (fn.find("onnxedge") == std::string::npos && fn.find("_ZN8onnxedge") == std::string::npos)
        continue;
      key = fn;
      break;
    }
    hist[key]++;
    free(names);
  }
  if (getenv("SITES"))
    for (auto& [k, v] : hist) std::printf("%5d %s\n", v, k.c_str());
  std::printf(
      "%s (%s): %lu heap allocations in one steady-state run, %lu of >= 1 KiB (%lu bytes); planner: "
      "%llu tensors from the arena, %llu from the heap (outputs), %llu misses\n",
      argv[1], use_run ? "Run" : "RunInto", n.load(), big.load(), bigbytes.load(),
      (unsigned long long)(after.arena_allocations - before.arena_allocations),
      (unsigned long long)(after.heap_allocations - before.heap_allocations),
      (unsigned long long)after.pattern_misses);
}
