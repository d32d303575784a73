// Copyright onnxedge authors.
#include "kernels/isa.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace onnxedge::kernels {

namespace {

constexpr int kNoCap = 1 << 20;

Isa Detect() {
#if defined(__x86_64__)
  // __builtin_cpu_supports also checks (xgetbv) that the OS saves the ymm/zmm state.
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2 && __builtin_cpu_supports("avx512f")) return Isa::kAvx512;
  if (avx2) return Isa::kAvx2;
#endif
  return Isa::kGeneric;
}

// ONNXEDGE_MAX_ISA, read once. Unknown values are ignored (no cap).
int EnvCap() {
  const char* v = std::getenv("ONNXEDGE_MAX_ISA");
  if (!v) return kNoCap;
  if (std::strcmp(v, "generic") == 0) return static_cast<int>(Isa::kGeneric);
  if (std::strcmp(v, "avx2") == 0) return static_cast<int>(Isa::kAvx2);
  if (std::strcmp(v, "avx512") == 0) return static_cast<int>(Isa::kAvx512);
  return kNoCap;
}

std::atomic<int> g_test_cap{kNoCap};

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    default:
      return "generic";
  }
}

Isa DetectedIsa() {
  static const Isa detected = Detect();
  return detected;
}

Isa ActiveIsa() {
  static const int env_cap = EnvCap();
  int level = static_cast<int>(DetectedIsa());
  if (env_cap < level) level = env_cap;
  const int test_cap = g_test_cap.load(std::memory_order_relaxed);
  if (test_cap < level) level = test_cap;
  return static_cast<Isa>(level);
}

void SetMaxIsaForTesting(Isa isa) {
  const int v = static_cast<int>(isa);
  g_test_cap.store(v >= static_cast<int>(DetectedIsa()) ? kNoCap : v);
}

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> out;
  for (int i = 0; i <= static_cast<int>(DetectedIsa()); ++i) out.push_back(static_cast<Isa>(i));
  return out;
}

ScopedMaxIsa::ScopedMaxIsa(Isa isa) : previous_(g_test_cap.load()) { SetMaxIsaForTesting(isa); }

ScopedMaxIsa::~ScopedMaxIsa() { g_test_cap.store(previous_); }

}  // namespace onnxedge::kernels
