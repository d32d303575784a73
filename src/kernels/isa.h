// Copyright onnxedge authors.
// Run-time instruction-set dispatch for the kernels.
//
// The library is compiled for baseline x86-64 (or aarch64); only the ISA-specific translation
// units (src/kernels/x86/*, src/ops/<op>/x86/*) get -mavx2/-mfma or -mavx512f, and their
// functions are called only when the running CPU (cpuid, plus the OS saving the wider register
// state) supports them. The levels are ordered: a CPU with AVX-512 also runs the AVX2 paths.
//
// Testing: the environment variable ONNXEDGE_MAX_ISA=generic|avx2|avx512 (read once, at the
// first query) caps the level for the whole process, and SetMaxIsaForTesting() caps it from a
// test, so every path the machine has can be exercised. Neither is meant for production use.
#pragma once

#include <vector>

namespace onnxedge::kernels {

enum class Isa : int {
  kGeneric = 0,  ///< Portable C++ (the reference for the differential tests).
  kAvx2 = 1,     ///< x86-64 AVX2 + FMA.
  kAvx512 = 2,   ///< x86-64 AVX-512F (+ AVX2 + FMA).
};

/// "generic", "avx2" or "avx512".
const char* IsaName(Isa isa);

/// The best level this CPU supports (ignores every cap).
Isa DetectedIsa();

/// The level kernels use: DetectedIsa() capped by ONNXEDGE_MAX_ISA and SetMaxIsaForTesting().
Isa ActiveIsa();

/// True when kernels of `isa` may run (isa <= ActiveIsa()).
inline bool IsaEnabled(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(ActiveIsa()); }

/// Caps the active level (tests only; takes effect for kernels selected afterwards). Passing
/// DetectedIsa() or higher removes the test cap (the environment cap still applies).
void SetMaxIsaForTesting(Isa isa);

/// Every level this CPU supports, lowest first (tests iterate over it).
std::vector<Isa> SupportedIsas();

/// Restores the previous test cap when it goes out of scope.
class ScopedMaxIsa {
 public:
  explicit ScopedMaxIsa(Isa isa);
  ~ScopedMaxIsa();
  ScopedMaxIsa(const ScopedMaxIsa&) = delete;
  ScopedMaxIsa& operator=(const ScopedMaxIsa&) = delete;

 private:
  int previous_;
};

}  // namespace onnxedge::kernels
