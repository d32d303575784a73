// Copyright onnxedge authors.
// Direct NCHW convolution for layers with few channels (network stems: small K = C * kh * kw
// and few output channels), where the im2col packing of the GEMM path, K floats per output
// column whatever M is, costs more than the multiply-adds.
//
//   - Stride s: the input is split into s_h x s_w phase planes, P[c, p, q](i, j) =
//     X[c](s_h * i + p - pad_top, s_w * j + q - pad_left) (zero outside X), so the layer becomes
//     a stride-1, unpadded convolution over C * s_h * s_w planes with a ceil(k / s) kernel; taps
//     that fall outside the original kernel are dropped (the tap list holds exactly C * kh * kw
//     taps). For stride 1 the "phase plane" is a zero-padded copy of the plane.
//   - Per task (image, band of output rows) the band's phase rows go into a per-thread scratch
//     (ChunkScratch) whose rows are wide enough that every vector load is in bounds, so the
//     kernel has no border work: only the stores of the last column block are masked.
//   - Kernel: a block of up to 16 output channels x 1-4 vectors of output columns held in
//     registers; per tap one input vector load per column vector and one FMA per channel with
//     the weight broadcast from memory. Bias starts the accumulators, the residual (FusedConv's
//     Z) is added and piecewise-linear activations applied in registers before the store;
//     Sigmoid and SiLU run through kernels/vecmath.h over the band's rows afterwards (in cache).
//   - ISA: AVX-512 (16 columns per vector) and AVX2 + FMA (8 columns); the weights are also
//     packed for the GEMM path, which runs when MaxIsa() is below AVX2 (a few KiB: K is small).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "ops/common/nn_util.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::ops {

/// The choice of the direct path (ChooseDirectConv; measurements next to it): strides 1 or 2,
/// overlapping windows (ceil(kh / sh) * ceil(kw / sw) >= 2), K = C * kh * kw <= kDirectMaxK
/// and at most kDirectSmallM output channels, or at most kDirectMaxM output channels with
/// K <= kDirectSmallK (3x3 stride 1, where Winograd is the alternative) or K <=
/// kDirectSmallKNoWinograd (other windows); or a 1x1 stride-1 window with the same M / K rule
/// (any K for M <= kDirectSmallM), which runs on X's planes in place (no phase band). The
/// kernels themselves take any stride (above 2 the phase rows are filled by a scalar loop).
constexpr int64_t kDirectMaxK = 1152;
constexpr int64_t kDirectSmallM = 32;
constexpr int64_t kDirectMaxM = 96;
constexpr int64_t kDirectSmallK = 160;
constexpr int64_t kDirectSmallKNoWinograd = 288;
/// Output channels per register block (the last block is padded to a multiple of 4).
constexpr int64_t kDirectBlockM = 16;
/// The kernels compute output columns in whole vectors of at most this many floats, up to OW
/// rounded up to it (the last step of a row has only as many vectors as columns remain), so
/// phase rows of RoundUp(OW, 16) + ceil(kw / sw) - 1 floats cover every load.
constexpr int64_t kDirectMaxVector = 16;

/// Weights rearranged for the direct path.
struct DirectConvWeights {
  int64_t m = 0, c = 0, kh = 0, kw = 0;
  int64_t sh = 1, sw = 1;  ///< Strides the phase split was made for.
  int64_t ka = 1, kb = 1;  ///< Phase kernel dims: ceil(kh / sh), ceil(kw / sw).
  int64_t planes = 0;      ///< C * sh * sw.
  int64_t taps = 0;        ///< C * kh * kw (taps of the phase kernel inside the real kernel).
  /// Per tap: phase plane, row and column in the phase kernel.
  std::vector<int32_t> tap_plane, tap_a, tap_b;
  /// Per block of kDirectBlockM output channels, at b * taps * kDirectBlockM:
  /// [taps][block_width(b)] (channels past M zero).
  std::vector<float> w;
  int64_t blocks() const { return (m + kDirectBlockM - 1) / kDirectBlockM; }
  /// Channels of block b rounded up to a multiple of 4 (the kernel's row count).
  int64_t block_width(int64_t b) const;
  uint64_t bytes() const;
};

/// True when a 2-D, group-1, dilation-1 layer with weights `w_shape` ([M, C, kh, kw]) and strides
/// (sh, sw) takes the direct path on this CPU (MaxIsa() >= AVX2, ONNXEDGE_CONV_DIRECT not 0).
bool ChooseDirectConv(const Shape& w_shape, int64_t group, int64_t sh, int64_t sw);

/// Rearranges W ([M, C, kh, kw]) for strides (sh, sw).
void PrepareDirectConvWeights(const float* w, const Shape& w_shape, int64_t sh, int64_t sw,
                              DirectConvWeights* out);

/// True when the run geometry `g` is the one the weights were prepared for (2-D, dilation 1,
/// the same strides and kernel) and MaxIsa() has a kernel.
bool DirectConvRuns(const DirectConvWeights& w, const WindowGeometry& g);

struct DirectConvRunArgs {
  const WindowGeometry* geometry = nullptr;
  int64_t batch = 0;
  const float* x = nullptr;         ///< [batch, C, H, W]
  const float* bias = nullptr;      ///< [M] or null
  const float* residual = nullptr;  ///< Y's shape or null
  float* y = nullptr;               ///< [batch, M, OH, OW]
};

/// Y = activation(conv(X, W) + bias + residual); requires DirectConvRuns.
void RunDirectConv(const DirectConvWeights& w, const DirectConvRunArgs& args,
                   const kernels::Activation& act, ThreadPool* pool);

/// How many RunDirectConv calls this process made (tests check that a session took the path).
uint64_t DirectConvRunCount();

/// One register block over a band of rows (the ISA kernels' interface).
///   in:  phase band; row r of plane p at in + p * plane_stride + r * wp, rows of at least
///        RoundUp(ow, kDirectMaxVector) + (largest column offset of a tap) floats
///   out(i, r, col) for i < mb_valid, r < rows, col < ow, at y + i * y_ch_stride + r * ow + col:
///       bias[i] + sum over t < taps of w[t * mbp + i] * in[r * wp + tap_off[t] + col]
///       (+ residual at the same offset as y when not null), then `activation` unless it is
///       Sigmoid, SiLU or GELU (kernels::IsTranscendental: the caller applies those)
struct DirectBlockArgs {
  const float* in = nullptr;
  int64_t wp = 0;
  const int32_t* tap_off = nullptr;
  int64_t taps = 0;
  const float* w = nullptr;
  int64_t mbp = 16;  ///< 4, 8, 12 or 16
  int64_t mb_valid = 0;
  const float* bias = nullptr;  ///< [mb_valid] or null
  int64_t rows = 0, ow = 0;
  float* y = nullptr;
  int64_t y_ch_stride = 0;
  const float* residual = nullptr;
  kernels::Activation activation;
};
using DirectBlockFn = void (*)(const DirectBlockArgs& a);
/// The phase rows of one input row x (iw_n floats) for column stride sw (1 or 2) and left pad
/// pl: dst[q][j] = x[sw * j + q - pl] for q < sw, j < wp (a multiple of 16), zero where that
/// index is outside the row. Reads nothing outside the row.
using DirectPhaseRowsFn = void (*)(const float* x, int64_t iw_n, int64_t pl, int64_t sw,
                                   float* const* dst, int64_t wp);
#if defined(__x86_64__)
void DirectBlockAvx2(const DirectBlockArgs& a);
void DirectBlockAvx512(const DirectBlockArgs& a);
void DirectPhaseRowsAvx2(const float* x, int64_t iw_n, int64_t pl, int64_t sw, float* const* dst,
                         int64_t wp);
void DirectPhaseRowsAvx512(const float* x, int64_t iw_n, int64_t pl, int64_t sw, float* const* dst,
                           int64_t wp);
#endif

}  // namespace onnxedge::ops
