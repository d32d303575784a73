// Copyright onnxedge authors.
// The kernel shared by Softmax, LogSoftmax and Hardmax.
//
// Opsets 1-12 coerce the input to 2-D at `axis` (default 1): rows are prod(dims[:axis]) long
// vectors of prod(dims[axis:]) elements. Opset 13 normalizes along the single dim `axis`
// (default -1): the input is (outer, n, inner) and each of the outer * inner vectors is strided
// by `inner`. Softmax and LogSoftmax subtract the vector's maximum before exponentiating.
// float32 (contiguous rows, the attention case, and the strided case's exponentials) uses
// AVX2+FMA kernels when the CPU has them.
#pragma once

#include <cstdint>

#include "runtime/kernel.h"

namespace onnxedge::ops {

enum class SoftmaxMode { kSoftmax, kLogSoftmax, kHardmax };

KernelFactory MakeSoftmaxFactory(SoftmaxMode mode);

/// Softmax (or LogSoftmax when `log`) of `rows` contiguous rows of `n` floats; y may alias x.
/// Single-threaded; picks the AVX-512 or AVX2 kernel when available (MaxIsa()).
void SoftmaxRowsF32(const float* x, float* y, int64_t rows, int64_t n, bool log);
void SoftmaxRowsF32Generic(const float* x, float* y, int64_t rows, int64_t n, bool log);
#if defined(__x86_64__)
/// AVX2+FMA version (ops/softmax/x86/softmax_avx2.cc); call only when the CPU has both.
void SoftmaxRowsF32Avx2(const float* x, float* y, int64_t rows, int64_t n, bool log);
/// AVX-512F version (ops/softmax/x86/softmax_avx512.cc): the same exponentials, 16 lanes.
void SoftmaxRowsF32Avx512(const float* x, float* y, int64_t rows, int64_t n, bool log);
#endif
/// s[j] += exp(x[j] - m[j]) for j < w, also storing each exponential to e[j] when e is not
/// null (the strided-axis softmax, one row of columns at a time). e may alias x.
void ExpShiftAccumulateF32(const float* x, const float* m, float* e, float* s, int64_t w);
#if defined(__x86_64__)
void ExpShiftAccumulateF32Avx2(const float* x, const float* m, float* e, float* s, int64_t w);
#endif
/// Forces the portable row kernel (for tests of every ISA path); false restores dispatch.
void SoftmaxForceGeneric(bool force);

}  // namespace onnxedge::ops
