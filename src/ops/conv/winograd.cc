// Copyright onnxedge authors.
#include "ops/conv/winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "core/env.h"
#include "ops/conv/winograd_impl.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

constexpr int64_t kNr = kernels::kGemmNr;
constexpr int64_t kMr = kernels::kGemmMr;
static_assert(kWinoSliver == kMr, "a transform sliver is one GEMM A sliver");
// K block of the transformed-domain GEMMs: a 256 x 64 slice of U[xi] is 64 KiB (L1/L2).
constexpr int64_t kKc = 256;
// Tiles per chunk: the chunk's V (36 x tiles x C) and products (36 x tiles x M) together stay
// within about this many floats (1 MiB, half the L2 of the development Xeon) ...
constexpr int64_t kChunkBudgetFloats = 262144;
// ... but a chunk has at least this many tiles, so each U[xi] panel brought into cache is
// reused by enough rows (with 512 channels U is 36 MiB and streams from L3 once per chunk).
constexpr int64_t kMinChunkTiles = 24;
constexpr int64_t kMaxChunkTiles = 240;

int64_t RoundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

const WinogradTransforms& WinogradTransformsGeneric() { return kTransforms; }

const WinogradTransforms& WinogradTransformsFor(Isa isa) {
#if defined(__x86_64__)
  if (isa >= Isa::kAvx512) return WinogradTransformsAvx512();
  if (isa >= Isa::kAvx2) return WinogradTransformsAvx2();
#elif defined(__aarch64__)
  if (isa == Isa::kNeon) return WinogradTransformsNeon();
#endif
  (void)isa;
  return WinogradTransformsGeneric();
}

bool WinogradEnabled() { return EnvSwitchOn("ONNXEDGE_WINOGRAD"); }

bool WinogradWorthIt(int64_t c, int64_t m, int64_t oh, int64_t ow) {
  // With few channels the transforms (per tile: C input and M output channels, about 100 adds
  // each) weigh as much as the GEMMs (36 x C x M multiply-adds) they shrink. YOLOX-nano's
  // 12 -> 16 channel 208x208 layer ran 34 GFLOP/s with Winograd, 2x slower than im2col
  // (ONNXEDGE_PROFILE=cpu). At 104x104 (onnxedge_kernel_bench winograd/, one thread, AVX-512)
  // against im2col: C 32 -> M 16 1.48x, 16 -> 32 1.09x, 16 -> 16 1.19x, 32 -> 8 0.98x; the
  // PP-OCRv4 detector's 96 -> 24 at 160x160 and 80x80 1.7x. The 16-input-channel gains are
  // small and cost accuracy (the transforms' rounding grows with the terms they cancel), so:
  // at least 32 input and 16 output channels.
  if (c < 32 || m < 16) return false;
  // Few tiles per image and large U (36 x C x M floats, 4x the raw weights): each U element
  // serves only a few GEMM rows, so the layer streams U from memory. 7x7 with 512 channels
  // (4 tiles, U = 36 MiB) measured 1.4-1.55x faster than im2col alone in a loop
  // (benchmarks/kernels/winograd_bench.cc, U stays in the Xeon's large L3), but inside ResNet-18
  // (ONNXEDGE_PROFILE=cpu, 1 thread) 72 GFLOP/s against im2col's 83, and it adds 64 MiB of
  // resident weights: such layers keep im2col. 14x14 with 256 channels (16 tiles, 9 MiB) runs
  // 2.2x faster in both settings.
  if (oh > 0 && ow > 0 && c * m > 65536) {
    const int64_t tiles = ((oh + 3) / 4) * ((ow + 3) / 4);
    if (tiles < 8) return false;
  }
  return true;
}

void PrepareWinogradWeights(const float* w, int64_t m, int64_t c, WinogradWeights* out) {
  // G (6 x 3) for the points 0, 1, -1, 2, -2, infinity.
  static constexpr double kG[6][3] = {{1.0 / 4, 0, 0},
                                      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                      {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                      {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                      {0, 0, 1}};
  out->m = m;
  out->c = c;
  const int64_t panels = (m + kNr - 1) / kNr;
  out->xi_stride = panels * c * kNr;
  out->u.Resize(static_cast<size_t>(std::max<int64_t>(1, 36 * out->xi_stride)));
  float* u = out->u.data();
  // Per panel of 16 output channels and block of 16 input channels, the 36 transformed values
  // of each pair go to a local [xi][channel][16] block first, so U is written in contiguous
  // runs (scattered stores to 36 matrices were most of the preparation time).
  constexpr int64_t kCb = 16;
  alignas(64) float block[36][kCb][kNr];
  for (int64_t p = 0; p < panels; ++p) {
    const int64_t m0 = p * kNr, mn = std::min<int64_t>(kNr, m - m0);
    for (int64_t c0 = 0; c0 < c; c0 += kCb) {
      const int64_t cn = std::min<int64_t>(kCb, c - c0);
      if (mn < kNr) std::memset(block, 0, sizeof(block));
      for (int64_t mi = 0; mi < mn; ++mi) {
        for (int64_t ci = 0; ci < cn; ++ci) {
          const float* g = w + ((m0 + mi) * c + c0 + ci) * 9;
          double gg[6][3];  // G g
          for (int a = 0; a < 6; ++a) {
            for (int k = 0; k < 3; ++k) {
              gg[a][k] = kG[a][0] * g[k] + kG[a][1] * g[3 + k] + kG[a][2] * g[6 + k];
            }
          }
          for (int a = 0; a < 6; ++a) {
            for (int b = 0; b < 6; ++b) {
              const double v = gg[a][0] * kG[b][0] + gg[a][1] * kG[b][1] + gg[a][2] * kG[b][2];
              block[a * 6 + b][ci][mi] = static_cast<float>(v);
            }
          }
        }
      }
      for (int xi = 0; xi < 36; ++xi) {
        std::memcpy(u + xi * out->xi_stride + (p * c + c0) * kNr, block[xi],
                    sizeof(float) * static_cast<size_t>(cn * kNr));
      }
    }
  }
}

void RunWinogradNhwc(const WinogradWeights& w, const WinogradArgs& args, ThreadPool* pool) {
  const int64_t c = args.c, m = args.m;
  if (args.batch == 0 || args.oh <= 0 || args.ow <= 0 || m == 0) return;
  const int64_t th = (args.oh + 3) / 4, tw = (args.ow + 3) / 4;
  const int64_t tiles_total = args.batch * th * tw;
  const int threads = pool ? pool->num_threads() : 1;

  // Tiles per chunk: the cache budget, clamped, in whole slivers of kMr tiles. With several
  // threads and no more tiles than one chunk per thread, the tiles are split evenly instead
  // (a last partial sliver per chunk): rounding 16 tiles (a 14x14 map) up to slivers gave two
  // threads 12 and 4 tiles, and the layer ran 1.34x faster on 2 threads than on one.
  // Otherwise the chunks are whole slivers, their count a multiple of the thread count, and the
  // slivers are dealt out to them as evenly as possible (chunk q starts at sliver
  // q * slivers / chunks): ResNet-18's 56x56 x 64 layers have 33 slivers, which chunks of 10
  // gave two threads as 20 and 13 (1.67x on 2 threads); 4 chunks of 8-9 give 17 and 16.
  int64_t chunk = kChunkBudgetFloats / std::max<int64_t>(1, 36 * (c + m));
  chunk = std::clamp(chunk, kMinChunkTiles, kMaxChunkTiles);
  const int64_t even = (tiles_total + threads - 1) / threads;
  const int64_t slivers_total = (tiles_total + kMr - 1) / kMr;
  int64_t chunks = 0;
  const bool split_evenly = threads > 1 && even <= chunk;
  if (split_evenly) {
    chunk = even;
    chunks = (tiles_total + chunk - 1) / chunk;
  } else {
    const int64_t budget_slivers = (std::min(chunk, tiles_total) + kMr - 1) / kMr;
    chunks = (slivers_total + budget_slivers - 1) / budget_slivers;
    if (threads > 1) chunks = std::min(slivers_total, RoundUp(chunks, threads));
    chunk = (slivers_total + chunks - 1) / chunks * kMr;  // the largest chunk, in tiles
  }
  // First tile of chunk q (q <= chunks; chunk `chunks` starts past the last tile).
  auto chunk_begin = [&](int64_t q) {
    const int64_t t = split_evenly ? q * chunk : q * slivers_total / chunks * kMr;
    return std::min(t, tiles_total);
  };

  const int64_t slivers_max = (chunk + kMr - 1) / kMr;
  const int64_t v_xi_stride = slivers_max * kMr * c;  // floats of V[xi] per chunk
  const int64_t o_xi_stride = chunk * m;              // floats of Out[xi] per chunk
  const size_t v_bytes = static_cast<size_t>(36 * std::max<int64_t>(v_xi_stride, 1)) * sizeof(float);
  const size_t o_bytes = static_cast<size_t>(36 * o_xi_stride) * sizeof(float);
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(threads), (v_bytes + 63) / 64 * 64 + o_bytes);

  const WinogradTransforms& tf = WinogradTransformsFor(MaxIsa());
  const kernels::GemmKernelSet& ks = kernels::ActiveGemmKernels();
  const int64_t panels = (m + kNr - 1) / kNr;
  const int group = ks.max_panels[kMr];
  const int64_t in_image = args.h * args.w * c;
  const int64_t out_image = args.oh * args.ow * m;
  const bool nchw = args.y_nchw;
  const int64_t y_row_stride = nchw ? args.ow : args.ow * m;
  const int64_t pixel_stride = nchw ? 1 : m;

  auto body = [&](int64_t q0, int64_t q1) {
    char* mem = scratch.Claim();
    float* const v = reinterpret_cast<float*>(mem);
    float* const o = reinterpret_cast<float*>(mem + (v_bytes + 63) / 64 * 64);
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t t0 = chunk_begin(q);
      const int64_t nt = chunk_begin(q + 1) - t0;
      const int64_t slivers = (nt + kMr - 1) / kMr;
      // 1. Input transform, one sliver of 6 tiles at a time.
      for (int64_t s = 0; s < slivers; ++s) {
        WinoInputJob job;
        job.rows = static_cast<int>(std::min<int64_t>(kMr, nt - s * kMr));
        job.h = args.h;
        job.w = args.w;
        job.c = c;
        job.v = v + s * kMr * c;
        job.v_xi_stride = v_xi_stride;
        for (int r = 0; r < job.rows; ++r) {
          const int64_t t = t0 + s * kMr + r;
          const int64_t img = t / (th * tw), rest = t % (th * tw);
          job.x[r] = args.x + img * in_image;
          job.ih0[r] = (rest / tw) * 4 - args.pad_top;
          job.iw0[r] = (rest % tw) * 4 - args.pad_left;
        }
        if (c > 0) tf.input(job);
      }
      // 2. The 36 products Out[xi] (nt x m) = V[xi] (nt x c) x U[xi] (c x m).
      for (int64_t xi = 0; xi < 36; ++xi) {
        const float* a_base = v + xi * v_xi_stride;
        const float* b_base = w.u.data() + xi * w.xi_stride;
        float* c_base = o + xi * o_xi_stride;
        if (c == 0) {
          for (int64_t t = 0; t < nt; ++t) std::fill(c_base + t * m, c_base + (t + 1) * m, 0.f);
          continue;
        }
        kernels::GemmTile tile;
        tile.ldc = m;
        tile.b_stride = c * kNr;
        for (int64_t p = 0; p < panels; p += group) {
          const int np = static_cast<int>(std::min<int64_t>(group, panels - p));
          const int nr = static_cast<int>(std::min<int64_t>(np * kNr, m - p * kNr));
          for (int64_t k0 = 0; k0 < c; k0 += kKc) {
            tile.kc = std::min(kKc, c - k0);
            tile.accumulate = k0 > 0;
            tile.b = b_base + p * c * kNr + k0 * kNr;
            tile.panels = np;
            tile.nr = nr;
            for (int64_t s = 0; s < slivers; ++s) {
              tile.a = a_base + s * kMr * c + k0 * kMr;
              tile.c = c_base + s * kMr * m + p * kNr;
              tile.mr = static_cast<int>(std::min<int64_t>(kMr, nt - s * kMr));
              ks.tile(tile);
            }
          }
        }
      }
      // 3. Output transform per tile, then bias, residual and activation.
      for (int64_t i = 0; i < nt; ++i) {
        const int64_t t = t0 + i;
        const int64_t img = t / (th * tw), rest = t % (th * tw);
        const int64_t oh0 = (rest / tw) * 4, ow0 = (rest % tw) * 4;
        WinoOutputJob job;
        job.o = o + i * m;
        job.o_xi_stride = o_xi_stride;
        job.m = m;
        job.bias = args.bias;
        const int64_t off = img * out_image + oh0 * y_row_stride + ow0 * pixel_stride;
        job.residual = args.residual ? args.residual + off : nullptr;
        job.y = args.y + off;
        job.y_row_stride = y_row_stride;
        job.rows = static_cast<int>(std::min<int64_t>(4, args.oh - oh0));
        job.cols = static_cast<int>(std::min<int64_t>(4, args.ow - ow0));
        if (nchw) {
          job.plane_stride = args.oh * args.ow;
          job.activation = &args.activation;
        }
        tf.output(job);
        if (!nchw && !args.activation.is_none()) {
          for (int a = 0; a < job.rows; ++a) {
            kernels::ApplyActivation(job.y + a * y_row_stride, job.cols * m, args.activation);
          }
        }
      }
    }
  };
  if (pool && chunks > 1) {
    pool->ParallelFor(chunks, 1, body);
  } else {
    body(0, chunks);
  }
}

}  // namespace onnxedge::ops
