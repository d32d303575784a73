// Copyright onnxedge authors.
#include "ops/conv/conv_nhwc.h"

#include <algorithm>
#include <cstring>

#include "ops/conv/conv_nhwc_direct.h"
#include "ops/conv/depthwise.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

constexpr int64_t kMr = kernels::kGemmMr;
constexpr int64_t kNr = kernels::kGemmNr;
constexpr int64_t kB = kDepthwiseBlock;
// A chunk of packed input rows is about 512 KiB (rows x K floats), so it stays in L2/L3 while
// the weight panels stream over it (the same budget as the NCHW engine's B chunks).
// At least 72 rows (the GEMM's M block): every chunk streams all of the weights past its rows,
// so a few-row chunk would pay a full pass over them (a 7x7 map with 512 channels in 24-row
// chunks read its 9 MiB of weights three times).
constexpr int64_t kChunkBudgetFloats = 131072;
constexpr int64_t kMinChunkRows = 72;
constexpr int64_t kMaxChunkRows = 480;
// Scratch of one depthwise band (padded input pixels + output pixels, 16 floats each).
constexpr int64_t kBandBudgetFloats = 131072;

int64_t RoundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

size_t AlignedBytes(int64_t floats) {
  return (static_cast<size_t>(std::max<int64_t>(floats, 1)) * sizeof(float) + 63) / 64 * 64;
}

// The im2col row of output pixel q (flat over the batch) for a general window: K = kh * kw * C
// floats, tap-major, zeros where the window leaves the image.
void FillWindowRow(const ConvNhwcWeights& w, const ConvNhwcArgs& args, int64_t q, float* d) {
  const int64_t c_n = args.c, plane = args.oh * args.ow;
  const int64_t img = q / plane, oy = (q % plane) / args.ow, ox = q % args.ow;
  const float* xi = args.x + img * args.h * args.w * c_n;
  const int64_t ix0 = ox * args.stride_w - args.pad_left;
  // Taps kj in [kj_lo, kj_hi) read inside the row; with dilation 1 they are consecutive
  // pixels, so one copy of (kj_hi - kj_lo) * C floats per kernel row.
  int64_t kj_lo = 0, kj_hi = w.kw;
  while (kj_lo < kj_hi && ix0 + kj_lo * args.dilation_w < 0) ++kj_lo;
  while (kj_hi > kj_lo && ix0 + (kj_hi - 1) * args.dilation_w >= args.w) --kj_hi;
  const size_t tap_bytes = sizeof(float) * static_cast<size_t>(c_n);
  for (int64_t ki = 0; ki < w.kh; ++ki, d += w.kw * c_n) {
    const int64_t iy = oy * args.stride_h - args.pad_top + ki * args.dilation_h;
    if (iy < 0 || iy >= args.h || kj_lo == kj_hi) {
      std::memset(d, 0, tap_bytes * static_cast<size_t>(w.kw));
      continue;
    }
    if (kj_lo > 0) std::memset(d, 0, tap_bytes * static_cast<size_t>(kj_lo));
    // (Pointers formed only for pixels inside the row.)
    const int64_t row0 = iy * args.w + ix0;
    if (args.dilation_w == 1) {
      std::memcpy(d + kj_lo * c_n, xi + (row0 + kj_lo) * c_n,
                  tap_bytes * static_cast<size_t>(kj_hi - kj_lo));
    } else {
      for (int64_t kj = kj_lo; kj < kj_hi; ++kj) {
        std::memcpy(d + kj * c_n, xi + (row0 + kj * args.dilation_w) * c_n, tap_bytes);
      }
    }
    if (kj_hi < w.kw) {
      std::memset(d + kj_hi * c_n, 0, tap_bytes * static_cast<size_t>(w.kw - kj_hi));
    }
  }
}

// A 1x1, stride 1, unpadded window whose output is the input grid: the input pixels are the
// im2col rows.
bool Pointwise(const ConvNhwcWeights& w, const ConvNhwcArgs& args) {
  return w.kh == 1 && w.kw == 1 && args.stride_h == 1 && args.stride_w == 1 && args.pad_top == 0 &&
         args.pad_left == 0 && args.oh == args.h && args.ow == args.w;
}

}  // namespace

bool ConvNhwcSupports(const Shape& w_shape, int64_t group) {
  if (w_shape.size() != 4) return false;
  return group == 1 || (w_shape[1] == 1 && w_shape[0] == group);
}

void PrepareConvNhwcWeights(const float* w, const Shape& w_shape, int64_t group,
                            ConvNhwcWeights* out, ThreadPool* pool, const ConvF32Hints* hints) {
  out->out_channels = w_shape[0];
  out->in_channels = w_shape[1] * group;
  out->kh = w_shape[2];
  out->kw = w_shape[3];
  out->depthwise = group > 1;
  const int64_t taps = out->kh * out->kw;
  const int64_t m_n = out->out_channels;
  if (out->depthwise) {
    const int64_t blocks = (m_n + kB - 1) / kB;
    out->dw.assign(static_cast<size_t>(blocks * taps * kB), 0.f);
    for (int64_t m = 0; m < m_n; ++m) {
      for (int64_t t = 0; t < taps; ++t) {
        out->dw[static_cast<size_t>(((m / kB) * taps + t) * kB + m % kB)] = w[m * taps + t];
      }
    }
    return;
  }
  if (ChooseWinograd(w_shape, group, hints) &&
      !NhwcDirectBeatsWinograd(hints->out_h, hints->out_w)) {
    auto wino = std::make_shared<WinogradWeights>();
    PrepareWinogradWeights(w, m_n, out->in_channels, wino.get());
    out->winograd = std::move(wino);
    return;
  }
  // B^T [M][K] with k = tap * C + c: the dot-product rows, or packed transposed.
  const int64_t c_n = out->in_channels, k_n = taps * c_n;
  std::vector<float> bt(static_cast<size_t>(std::max<int64_t>(1, m_n * k_n)));
  for (int64_t m = 0; m < m_n; ++m) {
    for (int64_t c = 0; c < c_n; ++c) {
      for (int64_t t = 0; t < taps; ++t) {
        bt[static_cast<size_t>(m * k_n + t * c_n + c)] = w[(m * c_n + c) * taps + t];
      }
    }
  }
  if (m_n <= kNhwcSmallM) {
    out->rows = std::move(bt);
    return;
  }
  kernels::PackB(bt.data(), k_n, /*trans=*/true, k_n, m_n, &out->packed, pool);
}

void NhwcSmallMGeneric(const float* a, int64_t lda, int64_t n, int64_t k_n, const float* w,
                       int64_t m_n, const float* bias, float* y) {
  for (int64_t p = 0; p < n; ++p) {
    const float* ap = a + p * lda;
    for (int64_t m = 0; m < m_n; ++m) {
      const float* wm = w + m * k_n;
      float acc = 0.f;
      for (int64_t k = 0; k < k_n; ++k) acc += ap[k] * wm[k];
      y[p * m_n + m] = acc + (bias ? bias[m] : 0.f);
    }
  }
}

NhwcSmallMFn SelectNhwcSmallM(Isa isa) {
#if defined(__x86_64__)
  if (isa >= Isa::kAvx2) return NhwcSmallMAvx2;
#endif
  (void)isa;
  return NhwcSmallMGeneric;
}

void RunConvNhwcSmallM(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool) {
  const int64_t m_n = args.m, k_n = w.kh * w.kw * args.c;
  const int64_t pixels = args.batch * args.oh * args.ow;
  if (pixels == 0 || m_n == 0) return;
  const bool pointwise = Pointwise(w, args);
  const NhwcSmallMFn fn = SelectNhwcSmallM(MaxIsa());
  // Pixels per im2col block (general windows): the block's rows stay in L1/L2.
  const int64_t block = std::clamp<int64_t>(8192 / std::max<int64_t>(1, k_n), 4, 64);
  const size_t row_bytes = pointwise ? 0 : AlignedBytes(block * k_n);
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(pool->num_threads()), row_bytes);
  // About 16K multiply-adds per task.
  const int64_t min_pixels = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, k_n * m_n));
  pool->ParallelFor(pixels, min_pixels, [&](int64_t q0, int64_t q1) {
    float* const rowbuf = pointwise ? nullptr : reinterpret_cast<float*>(scratch.Claim());
    for (int64_t b0 = q0; b0 < q1; b0 += block) {
      const int64_t nb = std::min(block, q1 - b0);
      float* const y = args.y + b0 * m_n;
      if (pointwise) {
        fn(args.x + b0 * k_n, k_n, nb, k_n, w.rows.data(), m_n, args.bias, y);
      } else {
        for (int64_t i = 0; i < nb; ++i) FillWindowRow(w, args, b0 + i, rowbuf + i * k_n);
        fn(rowbuf, k_n, nb, k_n, w.rows.data(), m_n, args.bias, y);
      }
      const int64_t n = nb * m_n;
      if (args.residual) {
        const float* z = args.residual + b0 * m_n;
        for (int64_t i = 0; i < n; ++i) y[i] += z[i];
      }
      kernels::ApplyActivation(y, n, args.activation);
    }
  });
}

GemmPlan PlanConvNhwcGemm(int64_t pixels, int64_t panels, int64_t k_n, int64_t threads) {
  // Chunks of output pixels sized for the cache; with several threads the chunk count is
  // rounded up to a multiple of the thread count, and when there are still fewer chunks than
  // threads (small late-layer maps) the weight panels are split too. The chunks share the
  // slivers evenly: a 7x7 map's 49 rows (8 slivers and a 1-row one) go 24 + 25 to two threads,
  // not 30 + 19 (whole chunks of 30 rows), which left one thread 61 % of the work.
  GemmPlan plan;
  plan.slivers = (pixels + kMr - 1) / kMr;
  const int64_t rows =
      std::clamp(kChunkBudgetFloats / std::max<int64_t>(1, k_n), kMinChunkRows, kMaxChunkRows) /
      kMr * kMr;
  plan.chunks = std::max<int64_t>(1, (pixels + rows - 1) / rows);
  int64_t n_splits = 1;
  if (threads > 1) {
    plan.chunks = std::min(plan.slivers, RoundUp(plan.chunks, threads));
    if (plan.chunks < threads)
      n_splits = std::min(panels, (threads + plan.chunks - 1) / plan.chunks);
  }
  plan.split_panels = (panels + n_splits - 1) / n_splits;
  plan.n_splits = (panels + plan.split_panels - 1) / plan.split_panels;
  return plan;
}

void RunConvNhwcGemm(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool) {
  const int64_t c_n = args.c, m_n = args.m;
  const int64_t k_n = w.kh * w.kw * c_n;
  const int64_t plane = args.oh * args.ow;
  const int64_t pixels = args.batch * plane;
  if (pixels == 0 || m_n == 0) return;
  const bool pointwise = Pointwise(w, args);
  const int64_t panels = (m_n + kNr - 1) / kNr;
  const int64_t threads = pool->num_threads();
  const GemmPlan plan = PlanConvNhwcGemm(pixels, panels, k_n, threads);
  const int64_t rows = plan.MaxChunkRows(), n_splits = plan.n_splits;
  const int64_t split_panels = plan.split_panels, tasks = plan.chunks * n_splits;

  // Chunk scratch: the packed slivers, then (general windows) one sliver's im2col rows.
  const size_t a_bytes = AlignedBytes(rows * k_n);
  const size_t row_bytes = pointwise ? 0 : AlignedBytes(kMr * k_n);
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(threads), a_bytes + row_bytes);
  auto pack_chunk = [&](int64_t q0, int64_t nq, float* a, float* rowbuf) {
    const float* rp[kMr];
    for (int64_t s = 0; s * kMr < nq; ++s) {
      const int nr = static_cast<int>(std::min<int64_t>(kMr, nq - s * kMr));
      for (int r = 0; r < nr; ++r) {
        const int64_t q = q0 + s * kMr + r;
        if (pointwise) {
          rp[r] = args.x + q * c_n;
          continue;
        }
        FillWindowRow(w, args, q, rowbuf + r * k_n);
        rp[r] = rowbuf + r * k_n;
      }
      kernels::PackASliver(rp, nr, k_n, a + s * k_n * kMr);
    }
  };
  pool->ParallelFor(tasks, 1, [&](int64_t t0, int64_t t1) {
    char* const mem = scratch.Claim();
    float* const a = reinterpret_cast<float*>(mem);
    float* const rowbuf = reinterpret_cast<float*>(mem + a_bytes);
    int64_t packed = -1;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t chunk = t / n_splits, split = t % n_splits;
      const int64_t q0 = plan.ChunkBegin(chunk, pixels);
      const int64_t nq = plan.ChunkBegin(chunk + 1, pixels) - q0;
      if (chunk != packed) {
        pack_chunk(q0, nq, a, rowbuf);
        packed = chunk;
      }
      const int64_t p0 = split * split_panels, p1 = std::min(panels, p0 + split_panels);
      float* const y = args.y + q0 * m_n;
      float beta = 0.f;
      if (args.residual) {
        // Y starts as the residual block; the GEMM accumulates onto it.
        const int64_t n0 = p0 * kNr, n1 = std::min(m_n, p1 * kNr);
        for (int64_t q = 0; q < nq; ++q) {
          std::memcpy(y + q * m_n + n0, args.residual + (q0 + q) * m_n + n0,
                      sizeof(float) * static_cast<size_t>(n1 - n0));
        }
        beta = 1.f;
      }
      kernels::GemmEpilogue ep;
      ep.col_bias = args.bias;
      ep.activation = args.activation;
      kernels::GemmSliversPackedB(a, nq, w.packed, p0, p1, 1.f, beta, y, m_n, ep);
    }
  });
}

void RunConvNhwcDepthwise(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool) {
  const int64_t c_n = args.c, m_n = args.m;
  const int64_t oh_n = args.oh, ow_n = args.ow;
  if (args.batch == 0 || m_n == 0 || oh_n == 0 || ow_n == 0) return;
  const int64_t kh_n = w.kh, kw_n = w.kw, taps = kh_n * kw_n;
  const int64_t sh = args.stride_h, sw = args.stride_w;
  const int64_t dh = args.dilation_h, dw = args.dilation_w;
  if (const DepthwiseNhwcFn fn = SelectDepthwiseNhwc(kh_n, kw_n, sw, dw)) {
    DepthwiseNhwcArgs a;
    a.x = args.x;
    a.ih_n = args.h;
    a.iw_n = args.w;
    a.c = c_n;
    a.oh_n = oh_n;
    a.ow_n = ow_n;
    a.kh_n = kh_n;
    a.kw_n = kw_n;
    a.sh = sh;
    a.sw = sw;
    a.dh = dh;
    a.dw = dw;
    a.pad_top = args.pad_top;
    a.pad_left = args.pad_left;
    a.weights = w.dw.data();
    a.taps = taps;
    a.bias = args.bias;
    a.residual = args.residual;
    a.activation = &args.activation;
    a.y = args.y;
    // Tasks are output rows; with fewer than 4 per thread (7x7 maps), rows are cut into
    // channel chunks (multiples of the 16-channel weight block, at least 64 channels) too.
    const int64_t rows = args.batch * oh_n, threads = pool->num_threads();
    a.chunk_channels = RoundUp(m_n, kB);
    while (rows * a.chunks < 4 * threads && a.chunk_channels >= 128) {
      a.chunk_channels = RoundUp(a.chunk_channels / 2, kB);
      a.chunks = (m_n + a.chunk_channels - 1) / a.chunk_channels;
    }
    const int64_t per_task = ow_n * std::min(a.chunk_channels, m_n) * taps;
    pool->ParallelFor(rows * a.chunks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, per_task)),
                      [&](int64_t t0, int64_t t1) { fn(a, t0, t1); });
    return;
  }
  const int64_t wp = (ow_n - 1) * sw + (kw_n - 1) * dw + 1;
  const int64_t per_image = (m_n + kB - 1) / kB;
  const int64_t blocks = args.batch * per_image;
  auto band_floats = [&](int64_t rows_out) {
    return (((rows_out - 1) * sh + (kh_n - 1) * dh + 1) * wp + rows_out * ow_n) * kB;
  };
  // The band's input rows over all channels stay in L2 too, so the channel blocks that follow
  // each other on a band (tasks vary the block fastest) read them from cache: at 112x112 with
  // 96 channels and stride 2, 29-row bands (2.5 MiB of input) took 1.6x the time of 5-row ones.
  auto band_input_floats = [&](int64_t rows_out) {
    return ((rows_out - 1) * sh + (kh_n - 1) * dh + 1) * args.w * c_n;
  };
  int64_t band = oh_n;
  while (band > 1 &&
         (band_floats(band) > kBandBudgetFloats || band_input_floats(band) > kBandBudgetFloats)) {
    band = (band + 1) / 2;
  }
  const int64_t threads = pool->num_threads();
  band = DepthwiseBandForThreads(band, oh_n, blocks, threads);
  const int64_t n_bands = (oh_n + band - 1) / band;
  const int64_t hp_band = (band - 1) * sh + (kh_n - 1) * dh + 1;
  const DepthwiseBlockFn block_fn = SelectDepthwiseBlock();
  const size_t padded_bytes = AlignedBytes(hp_band * wp * kB);
  const size_t out_bytes = AlignedBytes(band * ow_n * kB);
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(threads), padded_bytes + out_bytes);
  const int64_t min_tasks =
      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, band * ow_n * taps * kB));
  pool->ParallelFor(blocks * n_bands, min_tasks, [&](int64_t t0, int64_t t1) {
    // Tasks: (image, band, channel block).
    char* const mem = scratch.Claim();
    float* const padded = reinterpret_cast<float*>(mem);
    float* const out = reinterpret_cast<float*>(mem + padded_bytes);
    alignas(64) float bias[kB];
    DepthwiseBlockArgs a;
    a.in = padded;
    a.wp = wp;
    a.bias = bias;
    a.kh_n = kh_n;
    a.kw_n = kw_n;
    a.sh = sh;
    a.sw = sw;
    a.dh = dh;
    a.dw = dw;
    a.ow_n = ow_n;
    a.out = out;
    for (int64_t t = t0; t < t1; ++t) {
      // Channel blocks vary fastest: consecutive tasks read the same input rows (in cache).
      const int64_t bi = t % per_image, band_i = (t / per_image) % n_bands;
      const int64_t img = t / (per_image * n_bands);
      const int64_t c0 = bi * kB, nb = std::min(kB, m_n - c0);
      const size_t run = sizeof(float) * static_cast<size_t>(nb);
      for (int64_t l = 0; l < kB; ++l) bias[l] = l < nb && args.bias ? args.bias[c0 + l] : 0.f;
      a.w = w.dw.data() + bi * taps * kB;
      const int64_t oh0 = band_i * band;
      const int64_t rows_out = std::min(band, oh_n - oh0);
      const int64_t rows_pad = (rows_out - 1) * sh + (kh_n - 1) * dh + 1;
      const int64_t ih0 = oh0 * sh - args.pad_top;
      const float* xi = args.x + img * args.h * args.w * c_n + c0;
      // The band's input pixels as 16-float runs; zeros for padding and unused lanes.
      for (int64_t r = 0; r < rows_pad; ++r) {
        float* row = padded + r * wp * kB;
        const int64_t ih = ih0 + r;
        if (ih < 0 || ih >= args.h) {
          std::memset(row, 0, sizeof(float) * static_cast<size_t>(wp * kB));
          continue;
        }
        const float* xr = xi + ih * args.w * c_n;
        for (int64_t col = 0; col < wp; ++col) {
          float* d = row + col * kB;
          const int64_t iw = col - args.pad_left;
          if (iw < 0 || iw >= args.w) {
            std::memset(d, 0, sizeof(float) * kB);
          } else if (nb == kB) {
            std::memcpy(d, xr + iw * c_n, sizeof(float) * kB);
          } else {
            std::memcpy(d, xr + iw * c_n, run);
            std::memset(d + nb, 0, sizeof(float) * static_cast<size_t>(kB - nb));
          }
        }
      }
      a.oh_n = rows_out;
      block_fn(a);
      const int64_t n = rows_out * ow_n;
      const int64_t q0 = img * oh_n * ow_n + oh0 * ow_n;
      if (args.residual) {
        for (int64_t p = 0; p < n; ++p) {
          const float* z = args.residual + (q0 + p) * m_n + c0;
          float* o = out + p * kB;
          for (int64_t l = 0; l < nb; ++l) o[l] += z[l];
        }
      }
      kernels::ApplyActivation(out, n * kB, args.activation);
      float* const y = args.y + q0 * m_n + c0;
      if (nb == kB) {  // fixed-size copies (inlined)
        for (int64_t p = 0; p < n; ++p) std::memcpy(y + p * m_n, out + p * kB, sizeof(float) * kB);
      } else {
        for (int64_t p = 0; p < n; ++p) std::memcpy(y + p * m_n, out + p * kB, run);
      }
    }
  });
}

void RunConvNhwc(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool) {
  if (w.depthwise) {
    RunConvNhwcDepthwise(w, args, pool);
  } else if (!w.rows.empty()) {
    RunConvNhwcSmallM(w, args, pool);
  } else if (w.winograd) {
    WinogradArgs wa;
    wa.batch = args.batch;
    wa.h = args.h;
    wa.w = args.w;
    wa.c = args.c;
    wa.m = args.m;
    wa.pad_top = args.pad_top;
    wa.pad_left = args.pad_left;
    wa.oh = args.oh;
    wa.ow = args.ow;
    wa.x = args.x;
    wa.bias = args.bias;
    wa.residual = args.residual;
    wa.activation = args.activation;
    wa.y = args.y;
    RunWinogradNhwc(*w.winograd, wa, pool);
  } else if (UseConvNhwcDirect(w, args)) {
    RunConvNhwcDirect(w, args, pool);
  } else {
    RunConvNhwcGemm(w, args, pool);
  }
}

}  // namespace onnxedge::ops
