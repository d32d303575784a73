// Copyright onnxedge authors.
// Row kernels of the normalization ops (LayerNormalization, and com.microsoft
// SkipLayerNormalization through the skip inputs): one row of d floats per call,
// single-threaded (callers split rows across their pool).
//
//   s = x + skip + skip_bias          (each addend optional; s = x when both are null)
//   mean = sum(s) / d,  var = sum((s - mean)^2) / d        (float64, two passes: stable for
//                                                           rows with a large offset)
//   y = (s - mean) * inv * gamma + beta,  inv = 1 / sqrt(var + eps)   (float32; beta optional)
//
// The AVX2+FMA path (x86/norm_avx2.cc) fuses the last multiply-add, so it may differ from the
// portable path by one rounding in y; the statistics are computed in the same order on both.
#pragma once

#include <cstdint>

namespace onnxedge::kernels {

struct LayerNormRowArgs {
  const float* x = nullptr;
  const float* skip = nullptr;       ///< Optional residual added to x.
  const float* skip_bias = nullptr;  ///< Optional bias added to x (with skip).
  const float* gamma = nullptr;      ///< Scale, d values.
  const float* beta = nullptr;       ///< Optional shift, d values.
  int64_t d = 0;
  float epsilon = 1e-5f;
  float* y = nullptr;             ///< May alias x.
  float* sum_out = nullptr;       ///< Optional: receives s (only when skip or skip_bias).
  double* mean_out = nullptr;     ///< Optional.
  double* inv_std_out = nullptr;  ///< Optional.
};

/// Normalizes one row (see the file comment); picks the AVX2 path when MaxIsa() allows.
void LayerNormRowF32(const LayerNormRowArgs& a);
void LayerNormRowF32Generic(const LayerNormRowArgs& a);
#if defined(__x86_64__)
void LayerNormRowF32Avx2(const LayerNormRowArgs& a);
#endif

}  // namespace onnxedge::kernels
