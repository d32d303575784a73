// Copyright onnxedge authors.
#include "core/cpu_features.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace onnxedge {

namespace {

CpuFeatureSet Detect() {
  CpuFeatureSet f;
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's checks include the OS's XSAVE support (XCR0) for the AVX and AVX-512 states.
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  // clang 14's __builtin_cpu_supports does not know "f16c": CPUID leaf 1, ECX bit 29.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  f.f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  if (f.avx2 && f.fma) f.hardware_isa = Isa::kAvx2;
  if (f.hardware_isa == Isa::kAvx2 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl) {
    f.hardware_isa = Isa::kAvx512;
  }
#elif defined(__aarch64__)
  f.neon = true;
  f.hardware_isa = Isa::kNeon;
#endif
  return f;
}

Isa ReadEnvCap() {
  const char* env = std::getenv("ONNXEDGE_MAX_ISA");
  if (env == nullptr || *env == '\0') return Isa::kAvx512;
  Isa isa;
  if (ParseIsa(env, &isa)) return isa;
  std::fprintf(stderr,
               "onnxedge [warning] ignoring ONNXEDGE_MAX_ISA=%s (expected generic, neon, avx2 or "
               "avx512)\n",
               env);
  return Isa::kAvx512;
}

// The effective cap: hardware and environment folded in once; ScopedMaxIsa lowers it. -1 until
// first computed.
std::atomic<int> g_max_isa{-1};

int BaseMaxIsa() {
  static const int base = std::min(static_cast<int>(CpuFeatures().hardware_isa),
                                   static_cast<int>(EnvMaxIsa()));
  return base;
}

}  // namespace

const CpuFeatureSet& CpuFeatures() {
  static const CpuFeatureSet features = Detect();
  return features;
}

Isa EnvMaxIsa() {
  static const Isa cap = ReadEnvCap();
  return cap;
}

Isa MaxIsa() {
  int v = g_max_isa.load(std::memory_order_relaxed);
  if (v < 0) {
    v = BaseMaxIsa();
    int expected = -1;
    // A concurrent ScopedMaxIsa may have stored first; keep its value.
    if (!g_max_isa.compare_exchange_strong(expected, v, std::memory_order_relaxed)) v = expected;
  }
  return static_cast<Isa>(v);
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return "generic";
    case Isa::kNeon:
      return "neon";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool ParseIsa(std::string_view name, Isa* isa) {
  for (Isa candidate : {Isa::kGeneric, Isa::kNeon, Isa::kAvx2, Isa::kAvx512}) {
    if (name == IsaName(candidate)) {
      *isa = candidate;
      return true;
    }
  }
  return false;
}

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> out{Isa::kGeneric};
  const int base = BaseMaxIsa();
#if defined(__x86_64__) || defined(__i386__)
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (static_cast<int>(isa) <= base) out.push_back(isa);
  }
#else
  if (static_cast<int>(Isa::kNeon) <= base) out.push_back(Isa::kNeon);
#endif
  return out;
}

ScopedMaxIsa::ScopedMaxIsa(Isa isa) : previous_(static_cast<int>(MaxIsa())) {
  g_max_isa.store(std::min(previous_, static_cast<int>(isa)), std::memory_order_relaxed);
}

ScopedMaxIsa::~ScopedMaxIsa() { g_max_isa.store(previous_, std::memory_order_relaxed); }

}  // namespace onnxedge
