// Copyright onnxedge authors.
// Winograd F(4x4, 3x3) convolution for float32 3x3, stride 1, dilation 1, group 1 layers, on
// channels-last (NHWC) images. Each 4x4 output tile needs a 6x6 input patch d; per tile and
// channel pair the 3x3 products (144 multiplies) become 36 elementwise products in the
// transformed domain:
//   Y_tile = A^T [ sum over c of U_c (.) V_c ] A,  U = G g G^T (weights),  V = B^T d B (input)
// so for each of the 36 transform points xi, Out[xi] (tiles x M) = V[xi] (tiles x C) x
// U[xi] (C x M): 36 GEMMs with 4x fewer multiplies than the direct convolution. The matrices
// and the blocking are described in docs/conv_engine.md ("Winograd").
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "kernels/gemm.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::ops {

/// Weights prepared once from W [M, C, 3, 3]: U[xi] = (G g G^T)[xi] for the 36 points xi, each
/// a C x M matrix in the GEMM B panel layout (kernels::PackedB: panels of 16 output channels,
/// each spanning all C; columns past M zero), one after the other.
struct WinogradWeights {
  int64_t m = 0, c = 0;
  int64_t xi_stride = 0;  ///< Floats from U[xi] to U[xi + 1].
  kernels::AlignedFloats u;
  uint64_t bytes() const { return u.size() * sizeof(float); }
};

/// Transforms W ([m, c, 3, 3], row-major) into `out` (in double precision, rounded once).
void PrepareWinogradWeights(const float* w, int64_t m, int64_t c, WinogradWeights* out);

struct WinogradArgs {
  int64_t batch = 0, h = 0, w = 0, c = 0, m = 0;  ///< x [batch, h, w, c], y [batch, oh, ow, m].
  int64_t pad_top = 0, pad_left = 0, oh = 0, ow = 0;  ///< Stride 1, dilation 1.
  const float* x = nullptr;
  const float* bias = nullptr;      ///< [m] or null.
  const float* residual = nullptr;  ///< Shaped like y (NHWC), or null; added before activation.
  kernels::Activation activation;
  float* y = nullptr;
  /// y and residual are NCHW ([batch, m, oh, ow]) instead: the output transform writes the
  /// planes directly (the NCHW convolution engine's path; x stays NHWC).
  bool y_nchw = false;
};

/// y = activation(conv3x3(x, W) + bias + residual). Allocates nothing once its per-thread
/// scratch has grown to the shape's size (runtime/chunk_scratch.h).
void RunWinogradNhwc(const WinogradWeights& w, const WinogradArgs& args, ThreadPool* pool);

/// The measured cost rule: true when Winograd beats the im2col GEMM for a 3x3 stride-1 layer
/// with these channel counts and output size (oh or ow <= 0: unknown, channels decide).
bool WinogradWorthIt(int64_t c, int64_t m, int64_t oh, int64_t ow);

/// False when the environment variable ONNXEDGE_WINOGRAD is "0" (for A/B measurements): the
/// convolution engine then never prepares or runs Winograd. Read at each call.
bool WinogradEnabled();

// --- Transform kernels (internal; declared here for the per-ISA files and the tests) ---------

/// Tiles per GEMM row sliver (kernels::kGemmMr) and channels per vector step of the transforms.
constexpr int kWinoSliver = kernels::kGemmMr;
constexpr int kWinoLanes = 16;

/// Input transform of one sliver of up to kWinoSliver tiles over all c channels, written in the
/// GEMM A sliver layout: for point xi, element (tile r, channel k) at
/// v[xi * v_xi_stride + k * kWinoSliver + r]; rows r >= rows are written as zeros.
struct WinoInputJob {
  const float* x[kWinoSliver] = {};  ///< Per tile: its image, [h, w, c].
  int64_t ih0[kWinoSliver] = {};     ///< Per tile: input row/column of the patch's corner
  int64_t iw0[kWinoSliver] = {};     ///< (may be negative: padding reads as zero).
  int rows = 0;
  int64_t h = 0, w = 0, c = 0;
  float* v = nullptr;
  int64_t v_xi_stride = 0;
};
using WinogradInputFn = void (*)(const WinoInputJob&);

/// Output transform of one tile over all m channels: reads the products of point xi at
/// o[xi * o_xi_stride + k] (k < m), writes y[a * y_row_stride + b * m + k] = (A^T M A)[a][b]
/// + bias[k] + residual[same offset] for a < rows, b < cols, no activation (NHWC); or, with
/// plane_stride > 0, y[k * plane_stride + a * y_row_stride + b] (NCHW, residual alike), then
/// the activation.
struct WinoOutputJob {
  const float* o = nullptr;
  int64_t o_xi_stride = 0;
  int64_t m = 0;
  const float* bias = nullptr;
  const float* residual = nullptr;
  float* y = nullptr;
  int64_t y_row_stride = 0;
  int64_t plane_stride = 0;                          ///< > 0: NCHW output.
  const kernels::Activation* activation = nullptr;  ///< NCHW only.
  int rows = 0, cols = 0;
};
using WinogradOutputFn = void (*)(const WinoOutputJob&);

/// dst[j * ld_dst + i] = src[i * ld_src + j] for i < rows, j < cols (NCHW <-> NHWC images).
using WinogradTransposeFn = void (*)(const float* src, int64_t ld_src, int64_t rows,
                                     int64_t cols, float* dst, int64_t ld_dst);

struct WinogradTransforms {
  WinogradInputFn input;
  WinogradOutputFn output;
  WinogradTransposeFn transpose;
};

/// The transforms compiled for `isa` (generic when that ISA has no build of its own).
const WinogradTransforms& WinogradTransformsFor(Isa isa);
const WinogradTransforms& WinogradTransformsGeneric();
#if defined(__x86_64__)
const WinogradTransforms& WinogradTransformsAvx2();
const WinogradTransforms& WinogradTransformsAvx512();
#elif defined(__aarch64__)
const WinogradTransforms& WinogradTransformsNeon();
#endif

}  // namespace onnxedge::ops
