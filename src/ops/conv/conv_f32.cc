// Copyright onnxedge authors.
#include "ops/conv/conv_f32.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "core/cpu_features.h"
#include "ops/conv/depthwise.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

constexpr int64_t kNr = kernels::kGemmNr;
constexpr int64_t kMr = kernels::kGemmMr;
// Columns per packed B chunk: the chunk is about 512 KiB (K x nc floats), so it stays in L2/L3
// while all rows of the weights stream over it, and kc x nc slices (kc = 256) stay in L2.
constexpr int64_t kChunkBudgetFloats = 131072;
constexpr int64_t kMinChunkCols = 64;
constexpr int64_t kMaxChunkCols = 512;

int64_t RoundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

DepthwiseRowFn SelectDepthwiseRow() {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) {
    return DepthwiseRowAvx2;
  }
#endif
  return DepthwiseRowGeneric;
}

// Depthwise convolution of one (image, output channel) plane, direct: per output row, the
// valid input rows are gathered, the columns whose taps all lie inside the input go through
// the row kernel, and the few border columns take a checked scalar loop. `rows` and `wsel`
// are scratch for kernel[0] * kernel[1] row pointers and their weights.
void DepthwisePlane(const float* xin, const float* wk, float bias, float* out,
                    const float* residual, const WindowGeometry& g,
                    const std::vector<TapRange>& taps_d, const std::vector<TapRange>& taps_h,
                    int64_t ow_lo, int64_t ow_hi, const kernels::Activation& act,
                    DepthwiseRowFn row_fn, const float** rows, float* wsel) {
  const int64_t ih_n = g.in[1], iw_n = g.in[2];
  const int64_t oh_n = g.out[1], ow_n = g.out[2];
  const int64_t kh_n = g.kernel[1], kw_n = g.kernel[2];
  const int64_t sw = g.stride[2], dw = g.dilation[2], pw = g.pad_begin[2];
  for (int64_t od = 0; od < g.out[0]; ++od) {
    const TapRange td = taps_d[static_cast<size_t>(od)];
    for (int64_t oh = 0; oh < oh_n; ++oh) {
      const TapRange th = taps_h[static_cast<size_t>(oh)];
      int64_t n_rows = 0;
      for (int64_t kd = td.lo; kd < td.hi; ++kd) {
        const int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
        for (int64_t kh = th.lo; kh < th.hi; ++kh) {
          const int64_t ih = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
          rows[n_rows] = xin + (id * ih_n + ih) * iw_n;
          const float* wr = wk + (kd * kh_n + kh) * kw_n;
          for (int64_t kw = 0; kw < kw_n; ++kw) wsel[n_rows * kw_n + kw] = wr[kw];
          ++n_rows;
        }
      }
      float* orow = out + (od * oh_n + oh) * ow_n;
      auto border = [&](int64_t ow) {
        float acc = bias;
        for (int64_t r = 0; r < n_rows; ++r) {
          for (int64_t kw = 0; kw < kw_n; ++kw) {
            const int64_t iw = ow * sw - pw + kw * dw;
            if (iw >= 0 && iw < iw_n) acc += wsel[r * kw_n + kw] * rows[r][iw];
          }
        }
        orow[ow] = acc;
      };
      for (int64_t ow = 0; ow < ow_lo; ++ow) border(ow);
      if (ow_hi > ow_lo) {
        row_fn(rows, wsel, n_rows, kw_n, dw, sw, -pw, bias, orow, ow_lo, ow_hi);
      }
      for (int64_t ow = std::max(ow_lo, ow_hi); ow < ow_n; ++ow) border(ow);
      if (residual) {
        const float* rrow = residual + (od * oh_n + oh) * ow_n;
        for (int64_t ow = 0; ow < ow_n; ++ow) orow[ow] += rrow[ow];
      }
      kernels::ApplyActivation(orow, ow_n, act);
    }
  }
}

// 1-D/2-D planes of 57 to 128 output columns at stride 1 (narrower ones take channels-last
// blocks; measured: at 112 columns, stride 1 gains 15% this way while stride 2 loses 10%, so
// wider or strided planes take the direct rows): per-row border handling
// would dominate, so each input plane is copied into a zero-padded scratch plane wide enough
// that every output row, rounded up to 8 columns, is "interior"; rows whose width is a
// multiple of 8 are written in place, others via a scratch row.
void RunDepthwiseSmall(const ConvF32Weights& w, const ConvF32Args& args, ThreadPool* pool) {
  const WindowGeometry& g = *args.geometry;
  const int64_t oh_n = g.out[1], ow_n = g.out[2];
  const int64_t sh = g.stride[1], sw = g.stride[2], dh = g.dilation[1], dw = g.dilation[2];
  const int64_t kh_n = g.kernel[1], kw_n = g.kernel[2];
  const int64_t ph = g.pad_begin[1], pw = g.pad_begin[2];
  const int64_t ow_vec = (ow_n + 7) / 8 * 8;
  // Padded plane: rows cover every tap of every output row; columns every tap of the rounded
  // row plus slack for the 8-wide loads.
  const int64_t hp = (oh_n - 1) * sh + (kh_n - 1) * dh + 1;
  const int64_t wp = std::max(g.in[2] + pw, (ow_vec - 1) * sw + (kw_n - 1) * dw + 1) + 16;
  const DepthwiseRowFn row_fn = SelectDepthwiseRow();
  const int64_t m_total = w.out_channels;
  const int64_t mult = m_total / w.group;
  const int64_t in_size = g.in_size(), out_size = g.out_size();
  const int64_t planes = args.batch * m_total;
  const int64_t min_planes =
      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_size * w.kernel_size));
  // Chunk scratch (padded plane, output row, row pointers) grown by this thread before the
  // parallel region (runtime/chunk_scratch.h): no chunk allocates, whoever runs it.
  const size_t padded_bytes = (static_cast<size_t>(hp * wp) * sizeof(float) + 63) / 64 * 64;
  const size_t orow_bytes = (static_cast<size_t>(ow_vec) * sizeof(float) + 63) / 64 * 64;
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(pool->num_threads()),
                  padded_bytes + orow_bytes + static_cast<size_t>(kh_n) * sizeof(const float*));
  pool->ParallelFor(planes, min_planes, [&](int64_t p0, int64_t p1) {
    char* mem = scratch.Claim();
    float* const padded = reinterpret_cast<float*>(mem);
    float* const orow = reinterpret_cast<float*>(mem + padded_bytes);
    const float** const rows = reinterpret_cast<const float**>(mem + padded_bytes + orow_bytes);
    std::fill(padded, padded + hp * wp, 0.f);
    std::fill(orow, orow + ow_vec, 0.f);
    int64_t loaded = -1;  // input plane in `padded` (consecutive channels of a multiplier share it)
    for (int64_t pl = p0; pl < p1; ++pl) {
      const int64_t img = pl / m_total, m = pl % m_total;
      const int64_t src_plane = img * args.in_channels + m / mult;
      if (src_plane != loaded) {
        // Only the interior is written, so the zero border from the allocation stays valid
        // for every plane this task loads.
        const float* xin = args.x + src_plane * in_size;
        for (int64_t ih = 0; ih < g.in[1]; ++ih) {
          const int64_t r = ih + ph;
          if (r >= hp) break;
          std::copy(xin + ih * g.in[2], xin + (ih + 1) * g.in[2], padded + r * wp + pw);
        }
        loaded = src_plane;
      }
      const float* wk = w.raw.data() + m * w.kernel_size;
      const float bias = args.bias ? args.bias[m] : 0.f;
      float* out = args.y + pl * out_size;
      for (int64_t oh = 0; oh < oh_n; ++oh) {
        for (int64_t kh = 0; kh < kh_n; ++kh) rows[kh] = padded + (oh * sh + kh * dh) * wp;
        float* dst = out + oh * ow_n;
        // Whole vectors: straight into the output row; otherwise via the rounded-up scratch.
        float* row_out = ow_vec == ow_n ? dst : orow;
        row_fn(rows, wk, kh_n, kw_n, dw, sw, 0, bias, row_out, 0, ow_vec);
        if (args.residual) {
          const float* rrow = args.residual + pl * out_size + oh * ow_n;
          for (int64_t ow = 0; ow < ow_n; ++ow) row_out[ow] += rrow[ow];
        }
        kernels::ApplyActivation(row_out, ow_n, args.activation);
        if (row_out != dst) std::copy(orow, orow + ow_n, dst);
      }
    }
  });
}

// Scratch of one channels-last band (padded input rows + output rows, 16 floats per pixel):
// about 512 KiB, so both stay in L2 while the block kernel runs.
constexpr int64_t kChannelsLastBudget = 131072;

// 1-D/2-D depthwise in blocks of 16 channels laid out channels-last. Per block and band of
// output rows (bands keep the scratch near 512 KiB so it stays in L2): the input rows of the
// band are gathered from the block's 16 planes into a zero-padded [band_hp][wp][16] scratch
// (its padding rows and columns are zeroed per band; the scratch is the chunk's ChunkScratch
// slot, reused across runs), the block kernel computes every output pixel as kernel-size
// 16-lane FMAs (no per-row calls or border columns), and the [band * ow][16] result is
// scattered back to the 16 output planes with the residual added; the activation then runs
// over each plane's band. Channel counts that are not a multiple of 16 leave lanes unused
// (they read lane 0's plane and write to a dummy plane).
void RunDepthwiseChannelsLast(const ConvF32Weights& w, const ConvF32Args& args, ThreadPool* pool) {
  constexpr int64_t kB = kDepthwiseBlock;
  const WindowGeometry& g = *args.geometry;
  const int64_t oh_n = g.out[1], ow_n = g.out[2];
  const int64_t kh_n = g.kernel[1], kw_n = g.kernel[2];
  const int64_t sh = g.stride[1], dh = g.dilation[1];
  const int64_t ph = g.pad_begin[1], pw = g.pad_begin[2];
  const int64_t ih_n = g.in[1], iw_n = g.in[2];
  const int64_t wp = (ow_n - 1) * g.stride[2] + (kw_n - 1) * g.dilation[2] + 1;
  const int64_t m_total = w.out_channels;
  const int64_t mult = m_total / w.group;
  const int64_t in_size = g.in_size(), out_size = g.out_size();
  const int64_t taps = w.kernel_size;
  const int64_t per_image = (m_total + kB - 1) / kB;
  const int64_t blocks = args.batch * per_image;
  // Output rows per band: the band's padded input rows plus its output rows, 16 floats per
  // pixel, within kChannelsLastBudget floats (at least one row).
  auto band_floats = [&](int64_t rows_out) {
    return (((rows_out - 1) * sh + (kh_n - 1) * dh + 1) * wp + rows_out * ow_n) * kB;
  };
  int64_t band = oh_n;
  while (band > 1 && band_floats(band) > kChannelsLastBudget) band = (band + 1) / 2;
  const int64_t threads = pool->num_threads();
  band = DepthwiseBandForThreads(band, oh_n, blocks, threads);
  const int64_t n_bands = (oh_n + band - 1) / band;
  const int64_t hp_band = (band - 1) * sh + (kh_n - 1) * dh + 1;
  const DepthwiseBlockFn block_fn = SelectDepthwiseBlock();
  struct {
    DepthwiseGatherFn gather = DepthwiseGatherGeneric;
    DepthwiseScatterFn scatter = DepthwiseScatterGeneric;
  } move;
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) {
    move.gather = DepthwiseGatherAvx2;
    move.scatter = DepthwiseScatterAvx2;
  }
#endif
  // Columns of the input that land inside the padded rows.
  const int64_t cols = std::max<int64_t>(0, std::min(iw_n, wp - pw));
  // Tasks are (block, band); one thread's consecutive tasks share a block's setup.
  const int64_t min_tasks =
      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, band * ow_n * taps * kB));
  // Chunk scratch (padded band, output band, dummy plane, block weights) grown by this thread
  // before the parallel region and reused across runs (runtime/chunk_scratch.h): fresh buffers
  // of this size cost a page fault per 4 KiB, measured as much as the convolution itself for 32
  // channels at 52x52, and no chunk allocates, whoever runs it. Nothing is assumed about its
  // contents: every element the kernel reads is written per band.
  auto aligned_bytes = [](int64_t floats) {
    return (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
  };
  const size_t padded_bytes = aligned_bytes(hp_band * wp * kB);
  const size_t out_bytes = aligned_bytes(band * ow_n * kB);
  const size_t dummy_bytes = aligned_bytes(out_size);
  const size_t wt_bytes = aligned_bytes(taps * kB);
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(threads), padded_bytes + out_bytes + dummy_bytes + wt_bytes);
  pool->ParallelFor(blocks * n_bands, min_tasks, [&](int64_t t0, int64_t t1) {
    char* const mem = scratch.Claim();
    float* const padded_data = reinterpret_cast<float*>(mem);
    float* const out_data = reinterpret_cast<float*>(mem + padded_bytes);
    float* const dummy_data = reinterpret_cast<float*>(mem + padded_bytes + out_bytes);
    float* const wt_data = reinterpret_cast<float*>(mem + padded_bytes + out_bytes + dummy_bytes);
    alignas(64) float bias[kB];
    DepthwiseBlockArgs a;
    a.in = padded_data;
    a.wp = wp;
    a.w = wt_data;
    a.bias = bias;
    a.kh_n = kh_n;
    a.kw_n = kw_n;
    a.sh = sh;
    a.sw = g.stride[2];
    a.dh = dh;
    a.dw = g.dilation[2];
    a.ow_n = ow_n;
    a.out = out_data;
    const float* src[kB];
    float* dst[kB];
    const float* res[kB];
    const float* src_rows[kB];
    float* dst_rows[kB];
    const float* res_rows[kB];
    int64_t nb = 0;
    auto setup_block = [&](int64_t blk) {
      const int64_t img = blk / per_image, m0 = (blk % per_image) * kB;
      nb = std::min(kB, m_total - m0);
      for (int64_t c = 0; c < kB; ++c) {
        const bool used = c < nb;
        bias[c] = used && args.bias ? args.bias[m0 + c] : 0.f;
        for (int64_t tap = 0; tap < taps; ++tap) {
          wt_data[tap * kB + c] = used ? w.raw[(m0 + c) * taps + tap] : 0.f;
        }
        const int64_t m = m0 + (used ? c : 0);
        const int64_t plane = img * m_total + m;
        src[c] = args.x + (img * args.in_channels + m / mult) * in_size;
        dst[c] = used ? args.y + plane * out_size : dummy_data;
        res[c] = args.residual ? args.residual + plane * out_size : nullptr;
      }
    };
    int64_t current = -1;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t blk = t / n_bands;
      const int64_t oh0 = (t % n_bands) * band;
      if (blk != current) {
        setup_block(blk);
        current = blk;
      }
      const int64_t rows_out = std::min(band, oh_n - oh0);
      const int64_t rows_pad = (rows_out - 1) * sh + (kh_n - 1) * dh + 1;
      // Padded row r holds input row ih0 + r; the valid ones are [r_lo, r_hi).
      const int64_t ih0 = oh0 * sh - ph;
      const int64_t r_lo = std::clamp<int64_t>(-ih0, 0, rows_pad);
      const int64_t r_hi = std::clamp<int64_t>(ih_n - ih0, r_lo, rows_pad);
      float* pad_data = padded_data;
      if (r_lo > 0) std::fill(pad_data, pad_data + r_lo * wp * kB, 0.f);
      if (r_hi < rows_pad) {
        std::fill(pad_data + r_hi * wp * kB, pad_data + rows_pad * wp * kB, 0.f);
      }
      if (pw > 0 || pw + cols < wp) {  // padding columns of the input rows
        for (int64_t r = r_lo; r < r_hi; ++r) {
          float* row = pad_data + r * wp * kB;
          std::fill(row, row + pw * kB, 0.f);
          std::fill(row + (pw + cols) * kB, row + wp * kB, 0.f);
        }
      }
      if (r_hi > r_lo) {
        for (int64_t c = 0; c < kB; ++c) src_rows[c] = src[c] + (ih0 + r_lo) * iw_n;
        move.gather(src_rows, r_hi - r_lo, cols, iw_n, pad_data + (r_lo * wp + pw) * kB, wp * kB);
      }
      a.oh_n = rows_out;
      block_fn(a);
      const int64_t n = rows_out * ow_n, off = oh0 * ow_n;
      for (int64_t c = 0; c < kB; ++c) {
        dst_rows[c] = dst[c] + (dst[c] == dummy_data ? 0 : off);
        res_rows[c] = args.residual ? res[c] + off : nullptr;
      }
      move.scatter(out_data, n, dst_rows, args.residual ? res_rows : nullptr);
      if (!args.activation.is_none()) {
        for (int64_t c = 0; c < nb; ++c) kernels::ApplyActivation(dst_rows[c], n, args.activation);
      }
    }
  });
}

// 2-D depthwise through a direct plane kernel (ops/conv/depthwise_direct_impl.h): tasks are
// (plane, band of output rows); planes are split into bands only when there are too few of them
// to keep every thread busy.
void RunDepthwiseDirect(DepthwiseDirectFn direct_fn, const ConvF32Weights& w,
                        const ConvF32Args& args, ThreadPool* pool) {
  const WindowGeometry& g = *args.geometry;
  DepthwiseDirectArgs d;
  d.x = args.x;
  d.in_channels = args.in_channels;
  d.ih_n = g.in[1];
  d.iw_n = g.in[2];
  d.ph = g.pad_begin[1];
  d.pw = g.pad_begin[2];
  d.oh_n = g.out[1];
  d.ow_n = g.out[2];
  d.w = w.raw.data();
  d.kernel_size = w.kernel_size;
  d.bias = args.bias;
  d.y = args.y;
  d.residual = args.residual;
  d.m_total = w.out_channels;
  d.mult = w.out_channels / w.group;
  d.activation = &args.activation;
  const int64_t planes = args.batch * d.m_total;
  const int64_t threads = pool->num_threads();
  if (planes < 2 * threads) {
    d.bands = std::clamp<int64_t>((2 * threads + planes - 1) / planes, 1, (d.oh_n + 3) / 4);
  }
  d.band_rows = (d.oh_n + d.bands - 1) / d.bands;
  d.bands = (d.oh_n + d.band_rows - 1) / d.band_rows;
  const int64_t min_tasks =
      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d.band_rows * d.ow_n * w.kernel_size));
  pool->ParallelFor(planes * d.bands, min_tasks,
                    [&](int64_t t0, int64_t t1) { direct_fn(d, t0, t1); });
}

void RunDepthwise(const ConvF32Weights& w, const ConvF32Args& args, ThreadPool* pool) {
  const WindowGeometry& g = *args.geometry;
  // 2-D 3x3 and 5x5, strides 1 and 2, dilation 1 (AVX2 and AVX-512): the direct plane kernels,
  // whatever the width. Measured against the paths below (1 thread, AVX-512 machine,
  // onnxedge_kernel_bench conv/onnxedge/.*dw.*): 17 -> 50 GFLOP/s at 112x112 stride 1,
  // 11 -> 20 at 112 stride 2, 19.5 -> 43 at 56x56, 19 -> 31 at 14x14, 12 -> 15 at 7x7.
  if (g.kernel[0] == 1 && g.out[0] == 1 && g.in[0] == 1 && g.dilation[1] == 1 &&
      g.dilation[2] == 1) {
    if (const DepthwiseDirectFn direct_fn =
            SelectDepthwiseDirect(g.kernel[1], g.kernel[2], g.stride[1], g.stride[2])) {
      RunDepthwiseDirect(direct_fn, w, args, pool);
      return;
    }
  }
  // 1-D/2-D planes up to 56 output columns: channels-last blocks (measured against the
  // padded-plane rows below, one thread: 3.1x at 7x7, 2.7x at 14x14, 1.6x at 28x28, 1.1-1.4x
  // at 52-56 columns, strides 1 and 2; at 104-112 columns it is even (1.0-1.05x), and it
  // loses 0.56x at 160 columns with 24 channels, so wider planes keep the row paths).
  if (g.kernel[0] == 1 && g.out[0] == 1 && g.in[0] == 1 && g.out[2] <= 56) {
    RunDepthwiseChannelsLast(w, args, pool);
    return;
  }
  if (g.kernel[0] == 1 && g.out[0] == 1 && g.in[0] == 1 && g.stride[2] == 1 && g.out[2] <= 128) {
    RunDepthwiseSmall(w, args, pool);
    return;
  }
  // Per-thread tables reused across runs; references so the workers read the caller's.
  thread_local std::vector<TapRange> tls_taps_d, tls_taps_h;
  const std::vector<TapRange>& taps_d = tls_taps_d;
  const std::vector<TapRange>& taps_h = tls_taps_h;
  ComputeTapRanges(g.in[0], g.out[0], g.kernel[0], g.stride[0], g.dilation[0], g.pad_begin[0],
                   &tls_taps_d);
  ComputeTapRanges(g.in[1], g.out[1], g.kernel[1], g.stride[1], g.dilation[1], g.pad_begin[1],
                   &tls_taps_h);
  // Columns whose taps all lie inside the input: ow * s - p >= 0 and
  // ow * s - p + (k - 1) * d <= in - 1.
  const int64_t s = g.stride[2], p = g.pad_begin[2];
  const int64_t span = (g.kernel[2] - 1) * g.dilation[2];
  const int64_t ow_lo = std::min(g.out[2], (p + s - 1) / s);
  const int64_t last = g.in[2] - 1 + p - span;  // largest allowed ow * s
  const int64_t ow_hi = last < 0 ? 0 : std::min(g.out[2], last / s + 1);
  const DepthwiseRowFn row_fn = SelectDepthwiseRow();
  const int64_t m_total = w.out_channels;
  const int64_t mult = m_total / w.group;
  const int64_t in_size = g.in_size(), out_size = g.out_size();
  const int64_t planes = args.batch * m_total;
  const int64_t max_rows = g.kernel[0] * g.kernel[1];
  const int64_t min_planes =
      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_size * w.kernel_size));
  // Chunk scratch grown by this thread before the parallel region (runtime/chunk_scratch.h).
  const size_t wsel_bytes =
      (static_cast<size_t>(max_rows * g.kernel[2]) * sizeof(float) + 63) / 64 * 64;
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(pool->num_threads()),
                  wsel_bytes + static_cast<size_t>(max_rows) * sizeof(const float*));
  pool->ParallelFor(planes, min_planes, [&](int64_t p0, int64_t p1) {
    char* mem = scratch.Claim();
    float* const wsel = reinterpret_cast<float*>(mem);
    const float** const rows = reinterpret_cast<const float**>(mem + wsel_bytes);
    std::fill(wsel, wsel + max_rows * g.kernel[2], 0.f);
    for (int64_t pl = p0; pl < p1; ++pl) {
      const int64_t img = pl / m_total, m = pl % m_total;
      const int64_t c = m / mult;
      DepthwisePlane(args.x + (img * args.in_channels + c) * in_size,
                     w.raw.data() + m * w.kernel_size, args.bias ? args.bias[m] : 0.f,
                     args.y + pl * out_size,
                     args.residual ? args.residual + pl * out_size : nullptr, g, taps_d, taps_h,
                     ow_lo, ow_hi, args.activation, row_fn, rows, wsel);
    }
  });
}

}  // namespace

namespace {

// Writers of a run of consecutive columns [j, j + len) of one K row into the panel layout
// (column j at (j / 16) * k16 + j % 16), split where the run crosses a panel boundary.
inline void PutZeros(float* dk, int64_t k16, int64_t j, int64_t len) {
  while (len > 0) {
    const int64_t in_panel = std::min(len, kNr - (j & (kNr - 1)));
    float* d = dk + (j >> 4) * k16 + (j & (kNr - 1));
    if (in_panel == kNr) {
      std::memset(d, 0, sizeof(float) * kNr);  // whole panel row: fixed size, inlined
    } else {
      for (int64_t t = 0; t < in_panel; ++t) d[t] = 0.f;
    }
    j += in_panel;
    len -= in_panel;
  }
}

inline void PutCopy(float* dk, int64_t k16, int64_t j, const float* src, int64_t len) {
  while (len > 0) {
    const int64_t in_panel = std::min(len, kNr - (j & (kNr - 1)));
    float* d = dk + (j >> 4) * k16 + (j & (kNr - 1));
    if (in_panel == kNr) {
      std::memcpy(d, src, sizeof(float) * kNr);  // whole panel row: fixed size, inlined
    } else {
      for (int64_t t = 0; t < in_panel; ++t) d[t] = src[t];
    }
    src += in_panel;
    j += in_panel;
    len -= in_panel;
  }
}

inline void PutStrided(float* dk, int64_t k16, int64_t j, const float* src, int64_t stride,
                       int64_t len) {
  while (len > 0) {
    const int64_t in_panel = std::min(len, kNr - (j & (kNr - 1)));
    float* d = dk + (j >> 4) * k16 + (j & (kNr - 1));
    if (in_panel == kNr && stride == 2) {
      // Whole panel row at stride 2 (the first layers of most networks): deinterleaving
      // shuffles. The last load starts at src[27] so nothing past src[30] is read.
#if defined(__SSE2__)
      for (int q = 0; q < 3; ++q) {
        const __m128 a = _mm_loadu_ps(src + 8 * q), b = _mm_loadu_ps(src + 8 * q + 4);
        _mm_storeu_ps(d + 4 * q, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
      }
      const __m128 a = _mm_loadu_ps(src + 24), b = _mm_loadu_ps(src + 27);
      _mm_storeu_ps(d + 12, _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 2, 0)));
#else
      for (int64_t t = 0; t < kNr; ++t) d[t] = src[2 * t];
#endif
    } else {
      for (int64_t t = 0; t < in_panel; ++t) d[t] = src[t * stride];
    }
    src += in_panel * stride;
    j += in_panel;
    len -= in_panel;
  }
}

// A run of chunk columns sharing one output row (od, oh).
struct Segment {
  int64_t od, oh, ow0, len, j0;
};

}  // namespace

void DepthwiseRowGeneric(const float* const* rows, const float* w, int64_t n_rows, int64_t kw_n,
                         int64_t dilation, int64_t stride, int64_t offset, float bias, float* out,
                         int64_t ow_lo, int64_t ow_hi) {
  if (ow_hi - ow_lo < 32) {
    // Short ranges: one register accumulator per output (accumulating in memory would stall
    // on store-to-load forwarding).
    for (int64_t ow = ow_lo; ow < ow_hi; ++ow) {
      float acc = bias;
      for (int64_t r = 0; r < n_rows; ++r) {
        const float* src = rows[r] + ow * stride + offset;
        const float* wr = w + r * kw_n;
        for (int64_t kw = 0; kw < kw_n; ++kw) acc += wr[kw] * src[kw * dilation];
      }
      out[ow] = acc;
    }
    return;
  }
  // Accumulate tap by tap over the whole range: contiguous for stride 1, so it vectorizes.
  for (int64_t ow = ow_lo; ow < ow_hi; ++ow) out[ow] = bias;
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t kw = 0; kw < kw_n; ++kw) {
      const float wv = w[r * kw_n + kw];
      const float* src = rows[r] + kw * dilation + offset;
      if (stride == 1) {
        for (int64_t ow = ow_lo; ow < ow_hi; ++ow) out[ow] += wv * src[ow];
      } else {
        for (int64_t ow = ow_lo; ow < ow_hi; ++ow) out[ow] += wv * src[ow * stride];
      }
    }
  }
}

DepthwiseDirectFn SelectDepthwiseDirect(int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return SelectDepthwiseDirectAvx512(kh, kw, sh, sw);
  if (MaxIsa() >= Isa::kAvx2) return SelectDepthwiseDirectAvx2(kh, kw, sh, sw);
#endif
  (void)kh, (void)kw, (void)sh, (void)sw;
  return nullptr;
}

DepthwiseNhwcFn SelectDepthwiseNhwc(int64_t kh, int64_t kw, int64_t sw, int64_t dw) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return SelectDepthwiseNhwcAvx512(kh, kw, sw, dw);
  if (MaxIsa() >= Isa::kAvx2) return SelectDepthwiseNhwcAvx2(kh, kw, sw, dw);
#endif
  (void)kh, (void)kw, (void)sw, (void)dw;
  return nullptr;
}

DepthwiseBlockFn SelectDepthwiseBlock() {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) {
    return DepthwiseBlockAvx2;
  }
#endif
  return DepthwiseBlockGeneric;
}

size_t Im2ColSegmentBytes(const WindowGeometry& g, int64_t nc) {
  return static_cast<size_t>(nc / std::max<int64_t>(1, g.out[2]) + 2) * sizeof(Segment);
}

void DepthwiseGatherGeneric(const float* const* src, int64_t rows, int64_t cols,
                            int64_t src_row_stride, float* dst, int64_t dst_row_stride) {
  constexpr int64_t kB = kDepthwiseBlock;
  for (int64_t r = 0; r < rows; ++r) {
    float* d = dst + r * dst_row_stride;
    for (int64_t c = 0; c < cols; ++c) {
      for (int64_t l = 0; l < kB; ++l) d[c * kB + l] = src[l][r * src_row_stride + c];
    }
  }
}

void DepthwiseScatterGeneric(const float* src, int64_t n, float* const* dst,
                             const float* const* residual) {
  constexpr int64_t kB = kDepthwiseBlock;
  for (int64_t l = 0; l < kB; ++l) {
    float* d = dst[l];
    for (int64_t p = 0; p < n; ++p) d[p] = src[p * kB + l] + (residual ? residual[l][p] : 0.f);
  }
}

void DepthwiseBlockGeneric(const DepthwiseBlockArgs& a) {
  constexpr int64_t kB = kDepthwiseBlock;
  for (int64_t oh = 0; oh < a.oh_n; ++oh) {
    for (int64_t ow = 0; ow < a.ow_n; ++ow) {
      float acc[kB];
      for (int64_t c = 0; c < kB; ++c) acc[c] = a.bias[c];
      for (int64_t kh = 0; kh < a.kh_n; ++kh) {
        for (int64_t kw = 0; kw < a.kw_n; ++kw) {
          const float* p = a.in + ((oh * a.sh + kh * a.dh) * a.wp + ow * a.sw + kw * a.dw) * kB;
          const float* wv = a.w + (kh * a.kw_n + kw) * kB;
          for (int64_t c = 0; c < kB; ++c) acc[c] += wv[c] * p[c];
        }
      }
      float* o = a.out + (oh * a.ow_n + ow) * kB;
      for (int64_t c = 0; c < kB; ++c) o[c] = acc[c];
    }
  }
}

void PackIm2ColPanels(const float* xg, const WindowGeometry& g, int64_t channels, int64_t n0,
                      int64_t nc, float* dst, void* segments) {
  static_assert(kNr == 16, "panel index math assumes 16 columns");
  const int64_t ksize = g.kernel_size();
  const int64_t k_total = channels * ksize;
  const int64_t k16 = k_total * kNr;
  const int64_t in_size = g.in_size();
  const int64_t oh_n = g.out[1], ow_n = g.out[2];
  const int64_t iw_n = g.in[2];
  const int64_t sw = g.stride[2];
  // Zero the tail columns of the last panel once.
  const int64_t panels = (nc + kNr - 1) / kNr;
  if (nc % kNr != 0) {
    float* last = dst + (panels - 1) * k16;
    const int64_t valid = nc % kNr;
    for (int64_t k = 0; k < k_total; ++k) {
      std::fill(last + k * kNr + valid, last + (k + 1) * kNr, 0.f);
    }
  }
  // The chunk's columns as runs along output rows (divisions once per chunk, not per K row).
  Segment* seg_mem = static_cast<Segment*>(segments);
  if (!seg_mem) {
    // No caller scratch: a per-thread buffer. Declared in this branch only, so callers that
    // pass scratch never construct it (a thread_local's first use registers its destructor,
    // which allocates).
    thread_local std::vector<Segment> segs_buf;
    const size_t max_segs = static_cast<size_t>(nc / std::max<int64_t>(1, ow_n) + 2);
    if (segs_buf.size() < max_segs) segs_buf.resize(max_segs);
    seg_mem = segs_buf.data();
  }
  int64_t num_segs = 0;
  {
    Segment* segs = seg_mem;
    int64_t n = n0;
    const int64_t n_end = n0 + nc;
    int64_t ow = n % ow_n, row = n / ow_n;
    while (n < n_end) {
      const int64_t len = std::min(ow_n - ow, n_end - n);
      segs[num_segs++] = {row / oh_n, row % oh_n, ow, len, n - n0};
      n += len;
      ow = 0;
      ++row;
    }
  }
  const Segment* segs = seg_mem;
  int64_t k = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = xg + c * in_size;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, ++k) {
          float* dk = dst + k * kNr;
          const int64_t off_w = kw * g.dilation[2] - g.pad_begin[2];
          for (int64_t si = 0; si < num_segs; ++si) {
            const Segment& sg = segs[si];
            const int64_t id = sg.od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            const int64_t ih = sg.oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
            if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
              PutZeros(dk, k16, sg.j0, sg.len);
              continue;
            }
            const float* irow = xc + (id * g.in[1] + ih) * iw_n;
            // Columns t in [0, len) read irow[(ow0 + t) * sw + off_w]; valid where that index
            // lies in [0, iw_n).
            const int64_t base = sg.ow0 * sw + off_w;
            int64_t t_lo, t_hi;
            if (sw == 1) {  // No divisions on the common path.
              t_lo = std::max<int64_t>(0, -base);
              t_hi = iw_n - base;
            } else {
              t_lo = base >= 0 ? 0 : (-base + sw - 1) / sw;
              t_hi = base >= iw_n ? 0 : (iw_n - 1 - base) / sw + 1;
            }
            t_lo = std::min(t_lo, sg.len);
            t_hi = std::max(t_lo, std::min(t_hi, sg.len));
            if (t_lo > 0) PutZeros(dk, k16, sg.j0, t_lo);
            if (t_hi > t_lo) {
              if (sw == 1) {
                PutCopy(dk, k16, sg.j0 + t_lo, irow + base + t_lo, t_hi - t_lo);
              } else {
                PutStrided(dk, k16, sg.j0 + t_lo, irow + base + t_lo * sw, sw, t_hi - t_lo);
              }
            }
            if (t_hi < sg.len) PutZeros(dk, k16, sg.j0 + t_hi, sg.len - t_hi);
          }
        }
      }
    }
  }
}

namespace {

// The Winograd path on NCHW tensors: X is transposed into an NHWC scratch image (a buffer of
// the calling thread that only grows: no allocation once a shape has run), and Winograd writes
// Y's planes directly (WinogradArgs::y_nchw: bias, residual Z and activation in its output
// transform).
void RunWinogradNchw(const WinogradWeights& w, const ConvF32Args& args, ThreadPool* pool) {
  const WindowGeometry& g = *args.geometry;
  const int64_t c = w.c, m = w.m;
  const int64_t ih = g.in[1], iw = g.in[2], oh = g.out[1], ow = g.out[2];
  const int64_t in_plane = ih * iw;
  const WinogradTransposeFn transpose = WinogradTransformsFor(MaxIsa()).transpose;
  thread_local kernels::AlignedFloats tls_x;
  kernels::AlignedFloats& xs = tls_x;
  xs.Resize(static_cast<size_t>(std::max<int64_t>(1, args.batch * in_plane * c)));
  // Rows of pixels per transpose task: about 16 K floats each.
  const int64_t in_rows = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, iw * c));
  const int64_t in_bands = (ih + in_rows - 1) / in_rows;
  pool->ParallelFor(args.batch * in_bands, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t img = t / in_bands, r0 = (t % in_bands) * in_rows;
      const int64_t p0 = r0 * iw, p1 = std::min(ih, r0 + in_rows) * iw;
      transpose(args.x + img * c * in_plane + p0, in_plane, c, p1 - p0,
                xs.data() + (img * in_plane + p0) * c, c);
    }
  });
  WinogradArgs wa;
  wa.batch = args.batch;
  wa.h = ih;
  wa.w = iw;
  wa.c = c;
  wa.m = m;
  wa.pad_top = g.pad_begin[1];
  wa.pad_left = g.pad_begin[2];
  wa.oh = oh;
  wa.ow = ow;
  wa.x = xs.data();
  wa.bias = args.bias;
  wa.residual = args.residual;
  wa.activation = args.activation;
  wa.y = args.y;
  wa.y_nchw = true;
  RunWinogradNhwc(w, wa, pool);
}

}  // namespace

uint64_t ConvF32Weights::bytes() const {
  uint64_t total = raw.size() * sizeof(float) + (winograd ? winograd->bytes() : 0) +
                   (direct ? direct->bytes() : 0);
  for (const kernels::PackedA& p : packed) total += p.bytes();
  return total;
}

bool ChooseWinograd(const Shape& w_shape, int64_t group, const ConvF32Hints* hints) {
  return hints && hints->unit_stride_dilation && group == 1 && w_shape.size() == 4 &&
         w_shape[2] == 3 && w_shape[3] == 3 && WinogradEnabled() &&
         WinogradWorthIt(w_shape[1], w_shape[0], hints->out_h, hints->out_w);
}

void PrepareConvF32Weights(const float* w, const Shape& w_shape, int64_t group, ConvF32Weights* out,
                           ThreadPool* pool, const ConvF32Hints* hints) {
  out->out_channels = w_shape[0];
  out->in_per_group = w_shape[1];
  out->group = group;
  out->kernel.assign(w_shape.begin() + 2, w_shape.end());
  out->kernel_size = 1;
  for (int64_t k : out->kernel) out->kernel_size *= k;
  out->depthwise = out->in_per_group == 1 && group > 1;
  const int64_t k_total = out->in_per_group * out->kernel_size;
  if (out->depthwise) {
    out->raw.assign(w, w + out->out_channels * k_total);
    return;
  }
  // Both may apply to 3x3 stride-1 layers with few output channels. Measured (one thread,
  // AVX-512, onnxedge_kernel_bench conv/ and winograd/, GFLOP/s direct vs Winograd): 16 -> 16
  // at 104x104 104-123 vs 57-80, 32 -> 16 94-122 vs 97-103, 96 -> 24 at 160x160 90-108 vs
  // 97-127: the direct path up to 63 input channels, Winograd from 64.
  const bool direct = hints && ChooseDirectConv(w_shape, group, hints->stride_h, hints->stride_w);
  if (ChooseWinograd(w_shape, group, hints) && !(direct && out->in_per_group < 64)) {
    auto wino = std::make_shared<WinogradWeights>();
    PrepareWinogradWeights(w, out->out_channels, out->in_per_group, wino.get());
    out->winograd = std::move(wino);
    return;
  }
  if (direct) {
    auto direct = std::make_shared<DirectConvWeights>();
    PrepareDirectConvWeights(w, w_shape, hints->stride_h, hints->stride_w, direct.get());
    out->direct = std::move(direct);
  }
  const int64_t mg = out->out_channels / group;
  out->packed.resize(static_cast<size_t>(group));
  for (int64_t g = 0; g < group; ++g) {
    kernels::PackA(w + g * mg * k_total, k_total, false, mg, k_total,
                   &out->packed[static_cast<size_t>(g)], pool);
  }
}

void RunConvF32(const ConvF32Weights& w, const ConvF32Args& args, ThreadPool* pool) {
  const WindowGeometry& g = *args.geometry;
  const int64_t n_cols = g.out_size();
  if (args.batch == 0 || w.out_channels == 0 || n_cols == 0) return;
  if (w.depthwise) {
    RunDepthwise(w, args, pool);
    return;
  }
  if (w.winograd) {
    RunWinogradNchw(*w.winograd, args, pool);
    return;
  }
  if (w.direct && DirectConvRuns(*w.direct, g)) {
    DirectConvRunArgs da;
    da.geometry = &g;
    da.batch = args.batch;
    da.x = args.x;
    da.bias = args.bias;
    da.residual = args.residual;
    da.y = args.y;
    RunDirectConv(*w.direct, da, args.activation, pool);
    return;
  }
  const int64_t group = w.group;
  const int64_t cg = w.in_per_group;
  const int64_t mg = w.out_channels / group;
  const int64_t k_total = cg * w.kernel_size;
  const int64_t in_size = g.in_size();
  const bool pointwise = w.kernel_size == 1 && g.stride[0] == 1 && g.stride[1] == 1 &&
                         g.stride[2] == 1 && g.pad_begin[0] == 0 && g.pad_begin[1] == 0 &&
                         g.pad_begin[2] == 0 && g.out[0] == g.in[0] && g.out[1] == g.in[1] &&
                         g.out[2] == g.in[2];
  const int64_t threads = pool->num_threads();
  const int64_t units = args.batch * group;

  // Work split. Tasks are (unit = image x group, column chunk, row range). Column chunks are
  // whole 16-column panels sized for the cache; with several threads, the task count is
  // rounded up to a multiple of the thread count (each thread then gets equal work, since
  // ParallelFor hands every thread one contiguous range of about tasks / threads).
  const int64_t panels_total = (n_cols + kNr - 1) / kNr;
  const int64_t cache_panels =
      std::clamp(kChunkBudgetFloats / std::max<int64_t>(1, k_total), kMinChunkCols, kMaxChunkCols) /
      kNr;
  int64_t chunks = (panels_total + cache_panels - 1) / cache_panels;
  if (threads > 1) {
    const int64_t rounded = (units * chunks + threads - 1) / threads * threads;
    chunks = std::min(panels_total, (rounded + units - 1) / units);
  }
  const int64_t chunk_panels = (panels_total + chunks - 1) / chunks;
  const int64_t nc = chunk_panels * kNr;
  chunks = (n_cols + nc - 1) / nc;
  // Split rows too when columns alone leave threads idle (small late-layer feature maps).
  int64_t m_splits = 1;
  int64_t m_step = RoundUp(std::max<int64_t>(mg, 1), kMr);
  if (units * chunks < threads && mg > 4 * kMr) {
    const int64_t want = (threads + units * chunks - 1) / (units * chunks);
    m_step = std::max<int64_t>(4 * kMr, RoundUp((mg + want - 1) / want, kMr));
    m_splits = (mg + m_step - 1) / m_step;
  }
  const int64_t tasks = units * chunks * m_splits;
  const size_t buf_floats = static_cast<size_t>(nc * std::max<int64_t>(k_total, 1));

  // Chunk scratch (packed panels, then im2col segments), grown by this thread before the
  // parallel region (runtime/chunk_scratch.h), so no chunk allocates whichever thread runs it.
  const size_t panel_bytes = (buf_floats * sizeof(float) + 63) / 64 * 64;
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(pool ? pool->num_threads() : 1),
                  panel_bytes + Im2ColSegmentBytes(g, nc));
  auto body = [&](int64_t t0, int64_t t1) {
    char* mem = scratch.Claim();
    float* const buf = reinterpret_cast<float*>(mem);
    void* const segments = mem + panel_bytes;
    int64_t packed_unit = -1, packed_chunk = -1;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t ms = t % m_splits;
      const int64_t chunk = (t / m_splits) % chunks;
      const int64_t unit = t / (m_splits * chunks);
      const int64_t img = unit / group, gi = unit % group;
      const int64_t n0 = chunk * nc;
      const int64_t len = std::min(nc, n_cols - n0);
      if (unit != packed_unit || chunk != packed_chunk) {
        const float* xg = args.x + (img * args.in_channels + gi * cg) * in_size;
        if (pointwise) {
          PackRowsPanels(xg, in_size, cg, n0, len, buf);
        } else {
          PackIm2ColPanels(xg, g, cg, n0, len, buf, segments);
        }
        packed_unit = unit;
        packed_chunk = chunk;
      }
      const int64_t m0 = ms * m_step, m1 = std::min(mg, m0 + m_step);
      kernels::GemmEpilogue ep;
      ep.row_bias = args.bias ? args.bias + gi * mg : nullptr;
      ep.activation = args.activation;
      const int64_t y_off = (img * w.out_channels + gi * mg) * n_cols + n0;
      float* yg = args.y + y_off;
      float beta = 0.f;
      if (args.residual) {
        // Y starts as the residual block; the GEMM accumulates onto it.
        for (int64_t i = m0; i < m1; ++i) {
          std::memcpy(yg + i * n_cols, args.residual + y_off + i * n_cols,
                      sizeof(float) * static_cast<size_t>(len));
        }
        beta = 1.f;
      }
      kernels::GemmPackedBlock(w.packed[static_cast<size_t>(gi)], m0, m1, buf, len, 1.f, beta, yg,
                               n_cols, ep);
    }
  };
  pool->ParallelFor(tasks, 1, body);
}

void PackRowsPanels(const float* xg, int64_t in_size, int64_t channels, int64_t n0, int64_t nc,
                    float* dst) {
  const int64_t k = channels;
  const int64_t panels = (nc + kNr - 1) / kNr;
  for (int64_t p = 0; p < panels; ++p) {
    float* d = dst + p * k * kNr;
    const int64_t j0 = p * kNr;
    const int64_t cols = std::min(kNr, nc - j0);
    const float* src = xg + n0 + j0;
    if (cols == kNr) {
      for (int64_t c = 0; c < k; ++c)
        std::memcpy(d + c * kNr, src + c * in_size, sizeof(float) * kNr);
    } else {
      for (int64_t c = 0; c < k; ++c) {
        float* dr = d + c * kNr;
        const float* sr = src + c * in_size;
        int64_t j = 0;
        for (; j < cols; ++j) dr[j] = sr[j];
        for (; j < kNr; ++j) dr[j] = 0.f;
      }
    }
  }
}

}  // namespace onnxedge::ops
