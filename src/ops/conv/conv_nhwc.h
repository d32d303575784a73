// Copyright onnxedge authors.
// Channels-last (NHWC) float32 convolution: com.onnxedge FusedConv with channels_last = 1.
//
// X is [N, H, W, C], Y and the residual Z are [N, OH, OW, M]; W keeps the ONNX layout
// [M, C/group, kh, kw] and is prepared once at session creation. 2-D only. Two groupings:
//
//   - group 1: a GEMM with M' = output pixels, K = kh * kw * C, N' = M. The weights are the
//     prepacked B operand (K ordered tap-major, channel-minor, as an NHWC pixel's taps lie in
//     memory); each task packs the A slivers of a chunk of output pixels straight from the
//     input (C contiguous floats per pixel and tap, zeros for padding; a 1x1 stride-1 unpadded
//     convolution reads the input pixels as A's rows with no window arithmetic), then the GEMM
//     micro-kernels add the bias per column and apply the activation in their epilogue. A
//     residual is copied into Y first and the GEMM accumulates onto it (beta = 1). On AVX-512
//     the same product runs without the packing (ops/conv/conv_nhwc_direct.h): tiles of up to
//     24 pixels broadcast the input in place against the same prepacked weights.
//   - group 1 with at most kNhwcSmallM output channels (detection heads: M = 1 or 4): the
//     GEMM tile would be 16 (AVX-512: up to 64) columns wide for M of them, so each output is
//     instead a dot product of the pixel's K inputs with a row of W^T (NhwcSmallMFn, AVX2 or
//     portable), vectorised along K.
//   - group 1, 3x3, stride 1, dilation 1, when the NCHW engine would also choose it
//     (ChooseWinograd): Winograd F(4x4, 3x3) straight on the channels-last images, with no
//     layout transposes (the NCHW engine transposes every input image first).
//   - depthwise (C/group == 1, one output channel per group): on AVX2 and AVX-512 the
//     channels-last kernel (DepthwiseNhwcFn, ops/conv/depthwise_nhwc_impl.h) reads X in place,
//     one vector of channels per pixel, bias, residual and activation fused; elsewhere the
//     block kernel (DepthwiseBlockGeneric, 16 channels) runs per (image, 16-channel block,
//     band of output rows) on the band's input pixels copied as 16-float runs into a
//     zero-padded scratch, and the result goes back as 16-float runs.
//
// Other groupings are refused (layout_nhwc leaves them in NCHW).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/gemm.h"
#include "onnxedge/tensor.h"
#include "ops/conv/conv_f32.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::ops {

struct ConvNhwcWeights {
  int64_t out_channels = 0;  ///< M
  int64_t in_channels = 0;   ///< C
  int64_t kh = 1, kw = 1;
  bool depthwise = false;
  kernels::PackedB packed;  ///< group 1: K = kh * kw * C (tap-major), N = M.
  std::vector<float> dw;    ///< depthwise: [ceil(M / 16)][kh * kw][16], zero-padded lanes.
  /// group 1 with M <= kNhwcSmallM: W^T as rows [M][K] (k = tap * C + c); `packed` is empty.
  std::vector<float> rows;
  /// Set when the layer runs as Winograd (then `packed` is empty: one copy of the weights).
  std::shared_ptr<const WinogradWeights> winograd;
  /// Bytes held (every form).
  uint64_t bytes() const {
    return packed.bytes() + (dw.size() + rows.size()) * sizeof(float) +
           (winograd ? winograd->bytes() : 0);
  }
};

/// Most output channels the dot-product path takes (more fill a GEMM panel well enough).
constexpr int64_t kNhwcSmallM = 8;

/// y[p * m_n + m] = bias[m] (0 when null) + sum over k < k_n of a[p * lda + k] * w[m * k_n + k],
/// for p < n and m < m_n (the few-output-channel path; y rows are m_n floats).
using NhwcSmallMFn = void (*)(const float* a, int64_t lda, int64_t n, int64_t k_n, const float* w,
                              int64_t m_n, const float* bias, float* y);
void NhwcSmallMGeneric(const float* a, int64_t lda, int64_t n, int64_t k_n, const float* w,
                       int64_t m_n, const float* bias, float* y);
#if defined(__x86_64__)
/// AVX2 + FMA: 4 pixels x 2 output channels per step, 8 k per vector.
void NhwcSmallMAvx2(const float* a, int64_t lda, int64_t n, int64_t k_n, const float* w,
                    int64_t m_n, const float* bias, float* y);
#endif
/// The NhwcSmallMFn for `isa`.
NhwcSmallMFn SelectNhwcSmallM(Isa isa);

/// True when channels-last FusedConv supports this weight shape and group (2-D; group 1, or
/// depthwise with one output channel per group).
bool ConvNhwcSupports(const Shape& w_shape, int64_t group);

/// Prepares W ([M, C/group, kh, kw]) for RunConvNhwc; requires ConvNhwcSupports. `hints`
/// (spatial dims in the NCHW sense) decide Winograd as for the NCHW engine; null: never.
void PrepareConvNhwcWeights(const float* w, const Shape& w_shape, int64_t group,
                            ConvNhwcWeights* out, ThreadPool* pool,
                            const ConvF32Hints* hints = nullptr);

/// The channels-last convolution arguments (shapes already validated).
struct ConvNhwcArgs {
  int64_t batch = 0, h = 0, w = 0, c = 0, m = 0;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t oh = 0, ow = 0;
  const float* x = nullptr;         ///< [batch, h, w, c]
  const float* bias = nullptr;      ///< [m] or null
  const float* residual = nullptr;  ///< [batch, oh, ow, m] or null, distinct from y
  kernels::Activation activation;
  float* y = nullptr;  ///< [batch, oh, ow, m]
};

/// How the channels-last GEMM path cuts its work: `chunks` runs of output pixels that share
/// the `slivers` (kGemmMr pixels each, the last one partial) evenly, each crossed with
/// `n_splits` ranges of `split_panels` weight panels (kGemmNr output channels each). Task t is
/// range t % n_splits of chunk t / n_splits; ParallelFor hands each thread one contiguous run of
/// tasks.
struct GemmPlan {
  int64_t slivers = 0, chunks = 1, n_splits = 1, split_panels = 0;
  /// First pixel of chunk c, for c in [0, chunks] (chunk c ends where c + 1 begins).
  int64_t ChunkBegin(int64_t c, int64_t pixels) const {
    return std::min(pixels, c * slivers / chunks * kernels::kGemmMr);
  }
  /// Pixels in the largest chunk, rounded up to whole slivers.
  int64_t MaxChunkRows() const { return (slivers + chunks - 1) / chunks * kernels::kGemmMr; }
};
/// The plan for `pixels` output pixels (batch included), `panels` weight panels, im2col rows of
/// `k_n` floats and `threads` threads: chunks of about 512 KiB of packed rows, their count a
/// multiple of the thread count, and the weight panels split too when there are fewer slivers
/// than threads.
GemmPlan PlanConvNhwcGemm(int64_t pixels, int64_t panels, int64_t k_n, int64_t threads);

/// Y = activation(conv(X, W) + bias + residual), channels-last.
void RunConvNhwc(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);

/// The group-1 GEMM path (any kernel size; ignores `w.winograd` and `w.rows`).
void RunConvNhwcGemm(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);
/// The few-output-channel path (needs `w.rows`).
void RunConvNhwcSmallM(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);
/// The depthwise path.
void RunConvNhwcDepthwise(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);

}  // namespace onnxedge::ops
