// Copyright onnxedge authors.
// AVX-512F direct depthwise plane kernels (ops/conv/depthwise_direct_impl.h): 16 columns per
// vector, masked loads and stores for the borders. Built with -mavx512f (this file only) and
// selected only when cpuid reports it.
// GCC 12 warns about the intentionally undefined upper lanes inside its own intrinsics headers.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "ops/conv/depthwise_direct_impl.h"
#include "ops/conv/depthwise_nhwc_impl.h"
#include "ops/conv/x86/simd.h"

namespace onnxedge::ops {

DepthwiseDirectFn SelectDepthwiseDirectAvx512(int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
  return dw_direct::Select<simd::Avx512>(kh, kw, sh, sw);
}

DepthwiseNhwcFn SelectDepthwiseNhwcAvx512(int64_t kh, int64_t kw, int64_t sw, int64_t dw) {
  return dw_nhwc::Select<simd::Avx512>(kh, kw, sw, dw);
}

}  // namespace onnxedge::ops
