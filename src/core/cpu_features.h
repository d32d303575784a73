// Copyright onnxedge authors.
// CPU features detected once per process, and the highest instruction set kernels may use.
//
// Kernels with ISA-specific variants (src/kernels/x86/, src/ops/<op>/x86/) ask MaxIsa() at run
// time which variant to call; nothing is built for a higher ISA than the baseline otherwise.
// MaxIsa() is the hardware's best ISA, lowered by:
//   - the environment variable ONNXEDGE_MAX_ISA=generic|neon|avx2|avx512 (read once, at the
//     first call; meant for testing and for reproducing results of a lower ISA), and
//   - ScopedMaxIsa, which tests use to run every path the CPU has in one process.
// Values compare within one architecture: on x86 anything below kAvx2 means the portable code.
#pragma once

#include <string_view>
#include <vector>

namespace onnxedge {

enum class Isa : int {
  kGeneric = 0,  ///< Portable C++ only.
  kNeon = 1,     ///< AArch64 Advanced SIMD (baseline on AArch64).
  kAvx2 = 2,     ///< x86-64 AVX2 + FMA (+ F16C).
  kAvx512 = 3,   ///< x86-64 AVX-512 F, BW, DQ and VL (Skylake-SP level).
};

struct CpuFeatureSet {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool neon = false;
  /// The best Isa level the hardware (and the OS, which must save the registers) supports.
  Isa hardware_isa = Isa::kGeneric;
};

/// The features of the CPU this process runs on (detected at the first call).
const CpuFeatureSet& CpuFeatures();

/// The highest ISA kernels may use now: the hardware's, capped by ONNXEDGE_MAX_ISA and by the
/// innermost live ScopedMaxIsa. Cheap (one atomic load after the first call); thread-safe.
Isa MaxIsa();

/// The cap from ONNXEDGE_MAX_ISA (kAvx512 when unset or unparsable; an unknown value is
/// reported once on stderr and ignored).
Isa EnvMaxIsa();

/// "generic", "neon", "avx2", "avx512".
const char* IsaName(Isa isa);

/// Parses the names IsaName returns (case-sensitive); false when `name` is none of them.
bool ParseIsa(std::string_view name, Isa* isa);

/// Every ISA level kernels may use on this machine under the environment's cap, lowest first
/// (always starts with kGeneric). Tests run each fast path once per entry.
std::vector<Isa> AvailableIsas();

/// Lowers MaxIsa() to `isa` (never raises it above the hardware or the environment cap) while
/// alive. Testing only: the cap is process-wide, so kernels running concurrently on other
/// threads see it too; scopes must nest (last created, first destroyed).
class ScopedMaxIsa {
 public:
  explicit ScopedMaxIsa(Isa isa);
  ~ScopedMaxIsa();
  ScopedMaxIsa(const ScopedMaxIsa&) = delete;
  ScopedMaxIsa& operator=(const ScopedMaxIsa&) = delete;

 private:
  int previous_;
};

}  // namespace onnxedge
