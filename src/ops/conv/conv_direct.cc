// Copyright onnxedge authors.
#include "ops/conv/conv_direct.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "core/env.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

int64_t RoundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

std::atomic<uint64_t> g_direct_runs{0};

// ONNXEDGE_CONV_DIRECT=0 turns the path off (to measure the GEMM path instead); read once.
bool DirectEnabled() {
  static const bool enabled = EnvSwitchOn("ONNXEDGE_CONV_DIRECT");
  return enabled;
}

// Phase band: the phase rows [r0, r0 + hb) of every plane of one image into `dst` (plane p at
// p * plane_stride, row stride wp), zero where the phase position lies outside X. Column
// strides 1 and 2 take the ISA's row function (masked vector loads; one pass over each input
// row for both column phases), others a scalar loop.
void FillPhaseBand(const DirectConvWeights& w, const WindowGeometry& g, const float* x, int64_t r0,
                   int64_t hb, int64_t wp, int64_t plane_stride, DirectPhaseRowsFn rows_fn,
                   float* dst) {
  const int64_t ih_n = g.in[1], iw_n = g.in[2];
  const int64_t pt = g.pad_begin[1], pl = g.pad_begin[2];
  const int64_t sh = w.sh, sw = w.sw;
  float* drows[4];
  for (int64_t c = 0; c < w.c; ++c) {
    const float* xc = x + c * ih_n * iw_n;
    for (int64_t p = 0; p < sh; ++p) {
      float* const planes = dst + (c * sh + p) * sw * plane_stride;
      for (int64_t ii = 0; ii < hb; ++ii) {
        for (int64_t q = 0; q < sw; ++q) drows[q] = planes + q * plane_stride + ii * wp;
        const int64_t ih = sh * (r0 + ii) + p - pt;
        if (ih < 0 || ih >= ih_n) {
          for (int64_t q = 0; q < sw; ++q) std::fill(drows[q], drows[q] + wp, 0.f);
          continue;
        }
        const float* xrow = xc + ih * iw_n;
        if (sw <= 2) {
          rows_fn(xrow, iw_n, pl, sw, drows, wp);
          continue;
        }
        for (int64_t q = 0; q < sw; ++q) {
          // Phase columns j read X column sw * j + q - pl; inside X for j in [j_lo, j_hi).
          const int64_t first = q - pl;
          int64_t j_lo = first >= 0 ? 0 : (-first + sw - 1) / sw;
          int64_t j_hi = iw_n - 1 - first < 0 ? 0 : (iw_n - 1 - first) / sw + 1;
          j_hi = std::min(j_hi, wp);
          j_lo = std::min(j_lo, j_hi);
          float* drow = drows[q];
          std::fill(drow, drow + j_lo, 0.f);
          for (int64_t j = j_lo; j < j_hi; ++j) drow[j] = xrow[sw * j + first];
          std::fill(drow + j_hi, drow + wp, 0.f);
        }
      }
    }
  }
}

// ONNXEDGE_CONV_DIRECT_POINTWISE=0 keeps 1x1 layers on the GEMM path (to measure it); read once.
bool PointwiseEnabled() {
  static const bool enabled = EnvSwitchOn("ONNXEDGE_CONV_DIRECT_POINTWISE");
  return enabled;
}

DirectBlockFn SelectDirectBlock() {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return DirectBlockAvx512;
  if (MaxIsa() >= Isa::kAvx2) return DirectBlockAvx2;
#endif
  return nullptr;
}

DirectPhaseRowsFn SelectDirectPhaseRows() {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return DirectPhaseRowsAvx512;
  if (MaxIsa() >= Isa::kAvx2) return DirectPhaseRowsAvx2;
#endif
  return nullptr;
}

}  // namespace

int64_t DirectConvWeights::block_width(int64_t b) const {
  return std::min(kDirectBlockM, RoundUp(m - b * kDirectBlockM, 4));
}

uint64_t DirectConvWeights::bytes() const {
  return w.size() * sizeof(float) +
         (tap_plane.size() + tap_a.size() + tap_b.size()) * sizeof(int32_t);
}

bool ChooseDirectConv(const Shape& w_shape, int64_t group, int64_t sh, int64_t sw) {
  if (group != 1 || w_shape.size() != 4 || sh < 1 || sw < 1 || sh > 2 || sw > 2) return false;
  if (!DirectEnabled() || !SelectDirectBlock()) return false;
  const int64_t m = w_shape[0], taps = w_shape[2] * w_shape[3], k = w_shape[1] * taps;
  // Measured against im2col + GEMM (onnxedge_kernel_bench conv/onnxedge/..., threads:1, CPU
  // time, AVX-512 Xeon, ONNXEDGE_CONV_DIRECT=0 for the GEMM side; GFLOP/s direct / GEMM):
  //   - What decides is M, not K: the GEMM path packs K floats per output column whatever M
  //     is, so the packing weighs most for few output channels. M <= 32 won everywhere:
  //     3x3 stride 1 at 56x56 with C = 3..64 (K = 27..576): 1.24-1.89x; 3x3 C = 96/128 -> 32
  //     at 28x28 (K = 864/1152): 1.32/1.43x; 5x5 32 -> 32: 1.61x; 3x3 stride 2 with C = 3..64:
  //     1.11-1.53x; 7x7 stride 2 3 -> 32: 1.76x; the stems 12 -> 16 3x3 @208: 2.15x,
  //     3 -> 16 6x6 s2 @416: 2.6x, 3 -> 32 3x3 s2 @224: 1.33x.
  //   - M = 48..96 wins when K is small: 3 -> 64 7x7 s2 (ResNet conv1, K = 147): 1.31x,
  //     3 -> 96 7x7 s2: 1.18x, 12 -> 64 3x3 @104: 1.18x, 3 -> 64 3x3 s2: 1.2x, 16 -> 48 3x3: 1.19x;
  //     at 56x56 stride 1, 3..64 -> 64 are even (1.00-1.05x), 32 -> 64 3x3 s2 (K = 288) loses
  //     (0.81x). M = 128 loses (0.89-0.95x at stride 1; 1.06x for 3 -> 128 3x3 s2).
  //   - 1x1 layers lose (0.3-0.95x, YOLOX-nano's 1x1 convolutions in the model): the GEMM path
  //     packs them as plain row copies, and the direct kernel re-reads the input per block.
  //   - Strides above 2 lose (3x3 stride 3 3 -> 32: 0.63x; 4x4 stride 4 3 -> 32 / 96: 0.61x /
  //     0.74x; their phase rows are filled by a scalar loop), and so do windows that do not
  //     overlap, where every phase pixel serves a single tap and filling the planes costs as much
  //     as the FMAs (2x2 stride 2: 16 -> 32 0.88x, 3 -> 32 1.06x).
  //   - 1x1 stride 1 runs on X in place (no packing at all), against the GEMM path with
  //     ONNXEDGE_CONV_DIRECT_POINTWISE=0, CPU time per layer in the models: MobileNetV2's
  //     144 -> 24 and 96 -> 24 at 56x56 0.82-0.85x, 32 -> 16 at 112x112 0.85x, 16 -> 96 at
  //     112x112 0.87x; YOLOX-nano's M <= 32 layers at 52x52 and 104x104 0.78-0.89x, 64 -> 64 and
  //     64 -> 80 at 52x52 0.91-0.92x, its M = 1 and 4 heads 0.5x. The same M / K rule as the
  //     windowed layers (K = C here); 1x1 layers with a stride keep the GEMM path.
  //   - Layers Winograd cannot take (anything but 3x3 stride 1) keep the direct path with M up
  //     to 96 for K up to kDirectSmallKNoWinograd (288), measured in the models after the phase
  //     fill was vectorised: YOLO-tiny's 32 -> 64 3x3 stride 2 at 80x80 (K = 288) 0.87-0.91x
  //     (it lost, 0.81x, with the scalar fill), the PP-OCRv4 detector's 192 -> 42 1x1 0.79x.
  //     3x3 stride-1 layers keep K <= 160 there: with M over 32 Winograd is the comparison, and
  //     it was measured only up to M = 24.
  const bool winograd_shape = w_shape[2] == 3 && w_shape[3] == 3 && sh == 1 && sw == 1;
  const int64_t small_k = winograd_shape ? kDirectSmallK : kDirectSmallKNoWinograd;
  if (taps == 1) {
    if (sh != 1 || sw != 1 || m < 1 || !PointwiseEnabled()) return false;
    return m <= kDirectSmallM || (m <= kDirectMaxM && k <= small_k);
  }
  const int64_t phase_taps = ((w_shape[2] + sh - 1) / sh) * ((w_shape[3] + sw - 1) / sw);
  if (phase_taps < 2 || m < 1 || k > kDirectMaxK) return false;
  return m <= kDirectSmallM || (m <= kDirectMaxM && k <= small_k);
}

void PrepareDirectConvWeights(const float* w, const Shape& w_shape, int64_t sh, int64_t sw,
                              DirectConvWeights* out) {
  out->m = w_shape[0];
  out->c = w_shape[1];
  out->kh = w_shape[2];
  out->kw = w_shape[3];
  out->sh = sh;
  out->sw = sw;
  out->ka = (out->kh + sh - 1) / sh;
  out->kb = (out->kw + sw - 1) / sw;
  out->planes = out->c * sh * sw;
  out->taps = out->c * out->kh * out->kw;
  out->tap_plane.clear();
  out->tap_a.clear();
  out->tap_b.clear();
  // Taps plane by plane (the order the kernel walks the band in), each mapped to W's element.
  std::vector<int64_t> w_index;
  for (int64_t c = 0; c < out->c; ++c) {
    for (int64_t p = 0; p < sh; ++p) {
      for (int64_t q = 0; q < sw; ++q) {
        for (int64_t a = 0; a < out->ka; ++a) {
          const int64_t kh = sh * a + p;
          if (kh >= out->kh) continue;
          for (int64_t b = 0; b < out->kb; ++b) {
            const int64_t kw = sw * b + q;
            if (kw >= out->kw) continue;
            out->tap_plane.push_back(static_cast<int32_t>((c * sh + p) * sw + q));
            out->tap_a.push_back(static_cast<int32_t>(a));
            out->tap_b.push_back(static_cast<int32_t>(b));
            w_index.push_back((c * out->kh + kh) * out->kw + kw);
          }
        }
      }
    }
  }
  const int64_t taps = out->taps;
  const int64_t k_total = taps;
  out->w.assign(static_cast<size_t>(out->blocks() * taps * kDirectBlockM), 0.f);
  for (int64_t b = 0; b < out->blocks(); ++b) {
    const int64_t width = out->block_width(b);
    float* wb = out->w.data() + b * taps * kDirectBlockM;
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t i = 0; i < width; ++i) {
        const int64_t m = b * kDirectBlockM + i;
        if (m < out->m) wb[t * width + i] = w[m * k_total + w_index[static_cast<size_t>(t)]];
      }
    }
  }
}

uint64_t DirectConvRunCount() { return g_direct_runs.load(std::memory_order_relaxed); }

bool DirectConvRuns(const DirectConvWeights& w, const WindowGeometry& g) {
  if (w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1) {
    // In place: the kernel's tap offsets (channel planes) are 32-bit, and no padding.
    const int64_t pads = g.pad_begin[1] + g.pad_begin[2] + g.pad_end[1] + g.pad_end[2];
    if (pads != 0 || w.c * g.in_size() > INT32_MAX) return false;
  }
  return g.spatial_rank == 2 && g.in[0] == 1 && g.out[0] == 1 && g.kernel[1] == w.kh &&
         g.kernel[2] == w.kw && g.stride[1] == w.sh && g.stride[2] == w.sw && g.dilation[1] == 1 &&
         g.dilation[2] == 1 && SelectDirectBlock() != nullptr;
}

namespace {

// Channel blocks [b0, b1) of image img over one input (band or planes in place: `in`, row
// stride wp, tap offsets), writing `rows` x `ow` outputs per channel from column col0 of each
// output plane (plane floats apart), then Sigmoid/SiLU over them while they are in cache.
void RunChannelBlocks(const DirectConvWeights& w, const DirectConvRunArgs& args,
                      const kernels::Activation& act, DirectBlockFn block_fn, const float* in,
                      int64_t wp, const int32_t* tap_off, int64_t img, int64_t b0, int64_t b1,
                      int64_t rows, int64_t ow, int64_t plane, int64_t col0) {
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t m0 = b * kDirectBlockM;
    DirectBlockArgs a;
    a.in = in;
    a.wp = wp;
    a.tap_off = tap_off;
    a.taps = w.taps;
    a.w = w.w.data() + b * w.taps * kDirectBlockM;
    a.mbp = w.block_width(b);
    a.mb_valid = std::min(kDirectBlockM, w.m - m0);
    a.bias = args.bias ? args.bias + m0 : nullptr;
    a.rows = rows;
    a.ow = ow;
    const int64_t y_off = (img * w.m + m0) * plane + col0;
    a.y = args.y + y_off;
    a.y_ch_stride = plane;
    a.residual = args.residual ? args.residual + y_off : nullptr;
    a.activation = act;
    block_fn(a);
  }
  if (kernels::IsTranscendental(act.kind)) {
    // Each channel's outputs are contiguous (rows of ow, or one run of pixels) and still in cache.
    for (int64_t m = b0 * kDirectBlockM; m < std::min(w.m, b1 * kDirectBlockM); ++m) {
      kernels::ApplyActivation(args.y + (img * w.m + m) * plane + col0, rows * ow, act);
    }
  }
}

// A 1x1 stride-1 unpadded layer: Y[m, p] = bias[m] + sum over c of W[m, c] X[c, p] per image,
// run on X's planes in place as one long row of H * W pixels per plane (tap c reads plane c).
// Tasks are (image, chunk of pixels, part of the channel blocks); a chunk is a multiple of 16
// pixels with its K x chunk input floats near 256 KiB, so every channel block reads it from L2.
// The last H * W % 16 pixels of an image go through a zero-padded copy of 16 columns per plane,
// since the kernel reads whole vectors (in place they would run past the last plane).
void RunDirectPointwise(const DirectConvWeights& w, const DirectConvRunArgs& args,
                        const kernels::Activation& act, ThreadPool* pool) {
  const int64_t hw = args.geometry->out_size();
  const DirectBlockFn block_fn = SelectDirectBlock();
  constexpr int64_t kV = kDirectMaxVector;
  const int64_t main = hw / kV * kV, tail = hw - main;
  int64_t chunk = std::clamp<int64_t>(65536 / std::max<int64_t>(1, w.c) / kV * kV, 3 * kV,
                                      std::max<int64_t>(kV, RoundUp(main, kV)));
  int64_t chunks = main > 0 ? (main + chunk - 1) / chunk : 0;
  const int64_t threads = pool->num_threads();
  if (threads > 1 && chunks > 0) {
    // Equal work per thread: a chunk count per image that is a multiple of the thread count
    // (the tail task is under 16 pixels).
    const int64_t want = RoundUp(chunks, threads);
    chunk = std::max<int64_t>(kV, RoundUp((main + want - 1) / want, kV));
    chunks = (main + chunk - 1) / chunk;
  }
  const int64_t per_image = chunks + (tail ? 1 : 0);
  int64_t block_parts = 1;
  if (args.batch * per_image < threads) {
    block_parts = std::min(w.blocks(), (threads + args.batch * per_image - 1) /
                                           (args.batch * per_image));
  }
  const int64_t blocks_per_part = (w.blocks() + block_parts - 1) / block_parts;
  const size_t tail_bytes = (static_cast<size_t>(w.c * kV) * sizeof(float) + 63) / 64 * 64;
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(threads),
                  tail_bytes + 2 * static_cast<size_t>(w.c) * sizeof(int32_t));
  pool->ParallelFor(args.batch * per_image * block_parts, 1, [&](int64_t t0, int64_t t1) {
    char* mem = scratch.Claim();
    float* const tail_buf = reinterpret_cast<float*>(mem);
    int32_t* const plane_off = reinterpret_cast<int32_t*>(mem + tail_bytes);
    int32_t* const tail_off = plane_off + w.c;
    for (int64_t c = 0; c < w.c; ++c) {
      plane_off[c] = static_cast<int32_t>(c * hw);
      tail_off[c] = static_cast<int32_t>(c * kV);
    }
    for (int64_t task = t0; task < t1; ++task) {
      const int64_t part = task % block_parts, ct = task / block_parts;
      const int64_t img = ct / per_image, ci = ct % per_image;
      const int64_t b0 = part * blocks_per_part;
      const int64_t b1 = std::min(w.blocks(), b0 + blocks_per_part);
      if (b0 >= b1) continue;
      const float* const x = args.x + img * w.c * hw;
      const bool is_tail = ci == chunks;
      const int64_t p0 = is_tail ? main : ci * chunk;
      const int64_t n = is_tail ? tail : std::min(chunk, main - p0);
      const float* in = x + p0;
      const int32_t* off = plane_off;
      if (is_tail) {
        for (int64_t c = 0; c < w.c; ++c) {
          float* d = tail_buf + c * kV;
          std::memcpy(d, x + c * hw + main, sizeof(float) * static_cast<size_t>(tail));
          std::fill(d + tail, d + kV, 0.f);
        }
        in = tail_buf;
        off = tail_off;
      }
      RunChannelBlocks(w, args, act, block_fn, in, 0, off, img, b0, b1, 1, n, hw, p0);
    }
  });
}

}  // namespace

void RunDirectConv(const DirectConvWeights& w, const DirectConvRunArgs& args,
                   const kernels::Activation& act, ThreadPool* pool) {
  const WindowGeometry& g = *args.geometry;
  const int64_t oh_n = g.out[1], ow_n = g.out[2];
  g_direct_runs.fetch_add(1, std::memory_order_relaxed);
  if (args.batch == 0 || oh_n == 0 || ow_n == 0 || w.m == 0) return;
  if (w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1) {
    RunDirectPointwise(w, args, act, pool);
    return;
  }
  const DirectBlockFn block_fn = SelectDirectBlock();
  const DirectPhaseRowsFn rows_fn = SelectDirectPhaseRows();
  // Phase rows: OW in whole vectors plus the kernel's reach, in whole 64-byte lines.
  const int64_t wp = RoundUp(RoundUp(ow_n, kDirectMaxVector) + w.kb - 1, 16);
  // Bands of output rows: the phase band (planes x (rows + ka - 1) x wp floats) near 256 KiB,
  // so it stays in L2 while every channel block reads it.
  int64_t band =
      std::clamp<int64_t>(65536 / std::max<int64_t>(1, w.planes * wp) - (w.ka - 1), 1, oh_n);
  int64_t bands = (oh_n + band - 1) / band;
  const int64_t threads = pool->num_threads();
  if (threads > 1) {
    // A task count that is a multiple of the thread count (ParallelFor gives each thread one
    // contiguous range), so both threads of a 2-thread run get the same work.
    const int64_t rounded = RoundUp(args.batch * bands, threads);
    bands = std::min(oh_n, (rounded + args.batch - 1) / args.batch);
    band = (oh_n + bands - 1) / bands;
    bands = (oh_n + band - 1) / band;
  }
  // Fewer (image, band) tasks than threads (a map of fewer rows than threads): the channel
  // blocks are split across tasks too, each filling the same band.
  int64_t block_parts = 1;
  if (args.batch * bands < threads) {
    block_parts = std::min(w.blocks(), (threads + args.batch * bands - 1) / (args.batch * bands));
  }
  const int64_t blocks_per_part = (w.blocks() + block_parts - 1) / block_parts;
  const int64_t hb_max = band + w.ka - 1;
  const int64_t plane_stride = hb_max * wp;
  const size_t band_bytes =
      (static_cast<size_t>(w.planes * plane_stride) * sizeof(float) + 63) / 64 * 64;
  const int64_t in_size = g.in_size(), out_size = g.out_size();
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(threads),
                  band_bytes + static_cast<size_t>(w.taps) * sizeof(int32_t));
  pool->ParallelFor(args.batch * bands * block_parts, 1, [&](int64_t t0, int64_t t1) {
    char* mem = scratch.Claim();
    float* const buf = reinterpret_cast<float*>(mem);
    int32_t* const tap_off = reinterpret_cast<int32_t*>(mem + band_bytes);
    for (int64_t t = 0; t < w.taps; ++t) {
      const size_t ti = static_cast<size_t>(t);
      tap_off[t] =
          static_cast<int32_t>(w.tap_plane[ti] * plane_stride + w.tap_a[ti] * wp + w.tap_b[ti]);
    }
    for (int64_t task = t0; task < t1; ++task) {
      const int64_t part = task % block_parts, row_task = task / block_parts;
      const int64_t img = row_task / bands, r0 = (row_task % bands) * band;
      const int64_t rows = std::min(band, oh_n - r0);
      const int64_t b0 = part * blocks_per_part;
      const int64_t b1 = std::min(w.blocks(), b0 + blocks_per_part);
      if (b0 >= b1) continue;
      FillPhaseBand(w, g, args.x + img * w.c * in_size, r0, rows + w.ka - 1, wp, plane_stride,
                    rows_fn, buf);
      RunChannelBlocks(w, args, act, block_fn, buf, wp, tap_off, img, b0, b1, rows, ow_n,
                       out_size, r0 * ow_n);
    }
  });
}

}  // namespace onnxedge::ops
