// Copyright onnxedge authors.
// Vectorised float32 math over arrays: exp, expm1, tanh, erf, sigmoid, SiLU and both GELU forms.
//
// One algorithm (kernels/vecmath_impl.h) runs on every path: AVX2+FMA on x86 CPUs that have it,
// NEON on aarch64, portable C++ (std::fma) elsewhere. All perform the same IEEE operations, so
// results are bit-identical across paths and machines (NaN payloads aside). The path is chosen per call
// from MaxIsa() (core/cpu_features.h; ONNXEDGE_MAX_ISA=generic forces the portable one).
//
// Accuracy, measured against the double-precision libm result rounded to float
// (tests/unit/vecmath_test.cc sweeps every 97th float in [-100, 100] plus special values):
//   exp 0.98, expm1 1.40, tanh 1.39, erf 1.23, sigmoid 1.62, SiLU 1.60 ulp at most
//   (subnormal results included);
//   GELU (erf 2.66, tanh 2.25 ulp for x >= -1): below -1, x/sqrt2 and x^3 round in float and
//   the tail is ill-conditioned, so the bound there is relative (< 6e-6; values < 0.16 in
//   magnitude); -0 for x < -8.4 (true values < 1e-16). The unfused float formula
//   0.5 x (1 + erf(x/sqrt2)) cancels there and is far worse.
// Special values: NaN -> NaN; exp(+inf) = inf, exp(-inf) = 0, overflow -> inf; tanh/erf/sigmoid
// saturate to exactly +-1 / 0 / 1; odd functions keep the sign of zero.
#pragma once

#include <cstdint>

namespace onnxedge::kernels {

enum class UnaryFn : uint8_t {
  kExp,
  kExpm1,
  kTanh,
  kErf,
  kSigmoid,
  kSilu,      ///< x * sigmoid(x)
  kGeluErf,   ///< x/2 (1 + erf(x / sqrt 2))
  kGeluTanh,  ///< x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
};
inline constexpr int kNumUnaryFns = 8;

const char* UnaryFnName(UnaryFn fn);

/// y[i] = fn(x[i]) for 0 <= i < n. y may equal x (in place); otherwise they must not overlap.
/// Single-threaded: callers split large arrays across their thread pool.
void ApplyUnary(UnaryFn fn, const float* x, float* y, int64_t n);
/// The same over `rows` rows of n floats, row r at x + r * ld and y + r * ld: one dispatch for
/// a block of rows (the GEMM epilogue's Sigmoid/SiLU/GELU over each tile's rows).
void ApplyUnaryRows(UnaryFn fn, const float* x, float* y, int64_t rows, int64_t n, int64_t ld);

/// fn(x) by the portable path (the same value ApplyUnary gives).
float ApplyUnaryScalar(UnaryFn fn, float x);

/// The portable implementation of ApplyUnary (tests compare paths against it).
void ApplyUnaryGeneric(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows = 1,
                       int64_t ld = 0);

#if defined(__x86_64__)
/// AVX2+FMA implementation (x86/vecmath_avx2.cc); call only when the CPU has both.
void ApplyUnaryAvx2(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows = 1,
                    int64_t ld = 0);
#elif defined(__aarch64__)
/// NEON implementation (arm/vecmath_neon.cc); AdvSIMD is baseline on aarch64.
void ApplyUnaryNeon(UnaryFn fn, const float* x, float* y, int64_t n, int64_t rows = 1,
                    int64_t ld = 0);
#endif

// ---------------------------------------------------------------------------------------------
// Binary arithmetic (IEEE results, identical on every path).

enum class BinaryFn : uint8_t { kAdd, kSub, kMul, kDiv };

/// y[i] = a[i * a_step] fn b[i * b_step] for 0 <= i < n, where each step is 0 (the operand is
/// one broadcast value) or 1. y may equal a vector operand; otherwise no overlap.
void ApplyBinary(BinaryFn fn, const float* a, int a_step, const float* b, int b_step, float* y,
                 int64_t n);
void ApplyBinaryGeneric(BinaryFn fn, const float* a, int a_step, const float* b, int b_step,
                        float* y, int64_t n);
#if defined(__x86_64__)
void ApplyBinaryAvx2(BinaryFn fn, const float* a, int a_step, const float* b, int b_step, float* y,
                     int64_t n);
#endif

// ---------------------------------------------------------------------------------------------
// Reductions of one contiguous run. Sums accumulate in 32 float lanes, combined in a fixed
// order that every path shares, so results are bit-identical across ISAs (but not equal to a
// sequential sum). Max/Min return the first NaN of x when x has one (else the extreme value;
// which of +0/-0 is returned for a zero extreme is unspecified); n = 0 gives 0 / -inf / +inf.

float ReduceSumF32(const float* x, int64_t n);
/// Sum of n floats accumulated in float64 (8 lanes, fixed order shared by every path): for long
/// runs whose float sum would drift (GlobalAveragePool planes).
double ReduceSumF32ToF64(const float* x, int64_t n);
float ReduceMaxF32(const float* x, int64_t n);
float ReduceMinF32(const float* x, int64_t n);
float ReduceSumF32Generic(const float* x, int64_t n);
double ReduceSumF32ToF64Generic(const float* x, int64_t n);
float ReduceMaxF32Generic(const float* x, int64_t n);
float ReduceMinF32Generic(const float* x, int64_t n);
#if defined(__x86_64__)
float ReduceSumF32Avx2(const float* x, int64_t n);
double ReduceSumF32ToF64Avx2(const float* x, int64_t n);
float ReduceMaxF32Avx2(const float* x, int64_t n);
float ReduceMinF32Avx2(const float* x, int64_t n);
#endif

}  // namespace onnxedge::kernels
