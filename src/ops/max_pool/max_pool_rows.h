// Copyright onnxedge authors.
// Vector rows of the 2-D float MaxPool (NCHW, no Indices, dilation 1, strides 1 and 2), for AVX2
// and AVX-512 (max_pool_rows_impl.h). The portable separable path (ops/common/pool_util.h)
// compiles to SSE and reads stride-2 windows with scalar gathers; these rows run on full vectors.
#pragma once

#include <cstdint>

namespace onnxedge::ops {

/// One output row: out[ow] for ow < ow_n is the NaN-propagating max over the input rows
/// rows[0 .. n_rows) (the window rows inside the input; n_rows >= 1) and the columns
/// ow * sw - pl + kw for kw < kw_n that lie inside [0, iw) (padding never wins; an output with no
/// such column is -inf). `scratch` holds at least MaxPoolRowScratchFloats(...) floats.
using MaxPoolRowFn = void (*)(const float* const* rows, int64_t n_rows, int64_t iw, int64_t kw_n,
                              int64_t sw, int64_t pl, int64_t ow_n, float* scratch, float* out);

/// Scratch floats a MaxPoolRowFn call needs.
inline int64_t MaxPoolRowScratchFloats(int64_t kw_n, int64_t sw, int64_t ow_n) {
  return (ow_n + 16) * sw + kw_n + 64;
}

/// The row function for MaxIsa() and this stride, or null (other ISAs, strides above 2).
MaxPoolRowFn SelectMaxPoolRow(int64_t sw);

/// acc[i] = max(acc[i], in[i]) for i < n, NaN when either is NaN (the channels-last MaxPool's
/// row and pixel steps).
using MaxIntoFn = void (*)(float* acc, const float* in, int64_t n);

/// The vector MaxIntoFn for MaxIsa(), or null (other ISAs: the portable loop).
MaxIntoFn SelectMaxInto();

#if defined(__x86_64__)
MaxPoolRowFn SelectMaxPoolRowAvx2(int64_t sw);
MaxPoolRowFn SelectMaxPoolRowAvx512(int64_t sw);
MaxIntoFn MaxIntoAvx2();
MaxIntoFn MaxIntoAvx512();
#endif

}  // namespace onnxedge::ops
