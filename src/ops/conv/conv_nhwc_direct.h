// Copyright onnxedge authors.
// Channels-last convolution that reads the input in place (group 1, any window, dilation 1
// along the rows): the "broadcast" form of the NHWC GEMM.
//
// Output pixel q's im2col row is, for each kernel row ki, one run of kw * C consecutive floats
// of the NHWC input (the window's pixels are adjacent and each pixel's channels contiguous), and
// the prepacked weights (ConvNhwcWeights::packed, K ordered tap-major, channel-minor) take
// k = ki * run + j. So a tile of R output pixels x P weight panels needs no packing: it holds R
// pointers per kernel row, broadcasts each pixel's value at j and multiplies it with the P
// 16-column weight vectors of row k. The GEMM path instead copies every pixel's window into
// 6-row slivers first, and its 6 x 16 tile leaves most of the register file empty when the layer
// has 16 or 32 output channels; here the tile is shaped by the panel count (AVX-512: 24 x 16,
// 12 x 32, 8 x 48, 6 x 64), so narrow layers keep 24 accumulators busy. AVX2 has room for
// the 6 x 16 tile only, which still saves the packing.
//
// Pixels whose window leaves the image read zeros: a kernel row above or below the image points
// at a zero run, and a run cut by the left or right border is copied with its zeros into the
// task's scratch. Bias, residual and the activation are applied to the tile in registers before
// it is stored (Sigmoid, SiLU and GELU by the same vector code as kernels::ApplyUnary).
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "ops/conv/conv_nhwc.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::ops {

/// One tile: `rows` output pixels (the kernel computes its full R; rows past `rows` may repeat
/// any valid pointers) x `cols` output channels (at most 16 * P, more than 16 * (P - 1)).
struct NhwcDirectTile {
  const float* const* a = nullptr;  ///< [R][kh] run pointers (k = ki * run + j)
  int64_t kh = 1, run = 0;
  const float* b = nullptr;  ///< first weight panel (PackedB layout)
  int64_t b_stride = 0;      ///< floats between panels (K * 16)
  const float* bias = nullptr;      ///< at the tile's first column, or null
  const float* residual = nullptr;  ///< at the tile's (0, 0), row stride ldy, or null
  float* y = nullptr;
  int64_t ldy = 0;
  int rows = 0, cols = 0;
  const kernels::Activation* activation = nullptr;
  /// Weights the next task will read: `l2_prefetch_lines` 64-byte lines brought into L2 over
  /// the tile's k steps (kernels/x86/l2_prefetch.h; tiles of 2 panels or more).
  const float* l2_prefetch = nullptr;
  int64_t l2_prefetch_lines = 0;
};

using NhwcDirectTileFn = void (*)(const NhwcDirectTile&);

/// A tile kernel and its shape.
struct NhwcDirectKernel {
  NhwcDirectTileFn fn = nullptr;
  int rows = 0;    ///< R
  int panels = 0;  ///< P
};

#if defined(__x86_64__)
/// AVX-512 tiles for 1 to 4 panels (x86/conv_nhwc_direct_avx512.cc).
NhwcDirectKernel NhwcDirectKernelAvx512(int panels, int64_t rows);
/// AVX2 + FMA tiles for one panel (x86/conv_nhwc_direct_avx2.cc).
NhwcDirectKernel NhwcDirectKernelAvx2(int panels, int64_t rows);
#endif

/// The most panels one tile of this CPU takes (AVX-512: 4, AVX2: 1; 0 without tiles).
int NhwcDirectMaxPanels();

/// The tile kernel for `panels` (1 to NhwcDirectMaxPanels()) panels on this CPU, or {} when
/// there is none (portable code and NEON have none): the full tile when `rows` (pixels left)
/// fills it, otherwise a shorter one that covers them.
NhwcDirectKernel SelectNhwcDirect(int panels, int64_t rows);

/// Whether RunConvNhwcDirect takes this layer: group 1 on the GEMM path (`w.packed` set),
/// dilation 1 along the rows, a panel group's weights (K x 16 x panels floats) of at most
/// 512 KiB, a CPU with a tile kernel (AVX2 or AVX-512), and ONNXEDGE_CONV_NHWC_DIRECT not "0".
bool UseConvNhwcDirect(const ConvNhwcWeights& w, const ConvNhwcArgs& args);

/// Whether a 3x3 stride-1 layer that ChooseWinograd takes runs faster on the tiles above: on
/// small maps (fewer than 12 Winograd tiles of 4x4 outputs), when the CPU has the AVX-512 tiles.
bool NhwcDirectBeatsWinograd(int64_t out_h, int64_t out_w);

/// How RunConvNhwcDirect cuts a layer into tasks: pixel chunks of `chunk` pixels (the last one
/// shorter) times panel groups, ordered chunk by chunk (each chunk's input stays in cache while
/// the groups' weights stream past it) or group by group.
struct NhwcTaskSplit {
  int64_t chunk = 0, chunks = 0;
  bool group_major = false;
};

/// The split for `pixels` output pixels, K = k_n and `panels` weight panels on `threads`
/// threads: chunks of about 512 KiB of input windows; with several threads, the chunk count
/// (from that one up to 2 per thread more, chunks of equal tile counts) and task order whose
/// busiest thread has the least work (pixels x panels). Kept per thread for the last 64 shapes.
NhwcTaskSplit SplitNhwcDirectTasks(int64_t pixels, int64_t k_n, int64_t panels, int64_t threads);

/// Y = activation(conv(X, W) + bias + residual) with the tiles above.
void RunConvNhwcDirect(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool);

}  // namespace onnxedge::ops
