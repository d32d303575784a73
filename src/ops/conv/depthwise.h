// Copyright onnxedge authors.
// Row kernels of the direct depthwise convolution (one input channel per group).
#pragma once

#include <cstdint>

namespace onnxedge::ops {

/// Computes out[ow] for ow in [ow_lo, ow_hi), a range where every tap lies inside the input:
///   out[ow] = bias + sum over r < n_rows, kw < kw_n of
///             w[r * kw_n + kw] * rows[r][ow * stride + kw * dilation + offset]
/// (`offset` is minus the begin padding; the index is >= 0 inside the range).
using DepthwiseRowFn = void (*)(const float* const* rows, const float* w, int64_t n_rows,
                                int64_t kw_n, int64_t dilation, int64_t stride, int64_t offset,
                                float bias, float* out, int64_t ow_lo, int64_t ow_hi);

void DepthwiseRowGeneric(const float* const* rows, const float* w, int64_t n_rows, int64_t kw_n,
                         int64_t dilation, int64_t stride, int64_t offset, float bias, float* out,
                         int64_t ow_lo, int64_t ow_hi);
#if defined(__x86_64__)
/// AVX2 + FMA: 8 or 16 outputs per step; strides 1 and 2 vectorized, others fall back.
void DepthwiseRowAvx2(const float* const* rows, const float* w, int64_t n_rows, int64_t kw_n,
                      int64_t dilation, int64_t stride, int64_t offset, float bias, float* out,
                      int64_t ow_lo, int64_t ow_hi);
#endif

}  // namespace onnxedge::ops
