// Copyright onnxedge authors.
#include "ops/conv/conv_nhwc_direct.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/cpu_features.h"
#include "core/env.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

constexpr int64_t kNr = kernels::kGemmNr;
// Largest tile height (24 x 1); chunks are whole multiples of it, so every tile shape (24, 12,
// 8, 6 rows) divides them.
constexpr int64_t kMaxTileRows = 24;
// About 512 KiB of input windows per chunk (pixels x K floats), as the GEMM path's chunks, and
// between 72 and 480 pixels.
constexpr int64_t kChunkBudgetFloats = 131072;
constexpr int64_t kMinChunkPixels = 72;
constexpr int64_t kMaxChunkPixels = 480;
// Largest panel group the tiles take (UseConvNhwcDirect) and bring into L2 ahead of its task
// (RunConvNhwcDirect).
constexpr int64_t kMaxPrefetchBytes = 512 * 1024;

// Panels per tile for a layer with `panels` weight panels: all of them up to the CPU's most
// (AVX-512: 4), otherwise groups of that many, or of 3 when that divides evenly and 4 does not
// (6, 9: no narrow leftover).
int GroupPanels(int64_t panels) {
  const int most = NhwcDirectMaxPanels();
  if (panels <= most) return static_cast<int>(panels);
  if (most == 4 && panels % 4 != 0 && panels % 3 == 0) return 3;
  return most;
}

// The run pointers of output pixels q0 .. q0 + nr - 1 (flat over the batch) into a[r * kh + ki];
// rows nr .. rows_total - 1 repeat pixel q0's pointers. Runs cut by the left or right border are
// copied with their zeros to `border` (kh * run floats per pixel); kernel rows outside the
// image point at `zeros` (run floats of 0).
void FillRunPointers(const ConvNhwcWeights& w, const ConvNhwcArgs& args, int64_t q0, int nr,
                     int rows_total, const float** a, float* border, const float* zeros) {
  const int64_t c_n = args.c, kh = w.kh, kw = w.kw, run = kw * c_n;
  if (kh == 1 && kw == 1 && args.stride_h == 1 && args.stride_w == 1 && args.pad_top == 0 &&
      args.pad_left == 0 && args.oh == args.h && args.ow == args.w) {
    // A 1x1 window over the input grid: the input pixels are the runs.
    for (int r = 0; r < rows_total; ++r) a[r] = args.x + (q0 + (r < nr ? r : 0)) * c_n;
    return;
  }
  const int64_t plane = args.oh * args.ow;
  int64_t img = q0 / plane;
  int64_t oy = (q0 % plane) / args.ow, ox = q0 % args.ow;
  for (int r = 0; r < nr; ++r) {
    const float* xi = args.x + img * args.h * args.w * c_n;
    const int64_t ix0 = ox * args.stride_w - args.pad_left;
    const int64_t iy0 = oy * args.stride_h - args.pad_top;
    // Taps [kj_lo, kj_hi) fall inside the row.
    const int64_t kj_lo = std::clamp<int64_t>(-ix0, 0, kw);
    const int64_t kj_hi = std::clamp<int64_t>(args.w - ix0, kj_lo, kw);
    const bool whole = kj_lo == 0 && kj_hi == kw;
    for (int64_t ki = 0; ki < kh; ++ki) {
      const int64_t iy = iy0 + ki * args.dilation_h;
      const float** slot = a + r * kh + ki;
      if (iy < 0 || iy >= args.h || kj_lo == kj_hi) {
        *slot = zeros;
      } else if (whole) {
        *slot = xi + (iy * args.w + ix0) * c_n;
      } else {
        float* d = border + (r * kh + ki) * run;
        std::memset(d, 0, sizeof(float) * static_cast<size_t>(kj_lo * c_n));
        std::memcpy(d + kj_lo * c_n, xi + (iy * args.w + ix0 + kj_lo) * c_n,
                    sizeof(float) * static_cast<size_t>((kj_hi - kj_lo) * c_n));
        std::memset(d + kj_hi * c_n, 0, sizeof(float) * static_cast<size_t>((kw - kj_hi) * c_n));
        *slot = d;
      }
    }
    if (++ox == args.ow) {
      ox = 0;
      if (++oy == args.oh) {
        oy = 0;
        ++img;
      }
    }
  }
  for (int r = nr; r < rows_total; ++r) {
    for (int64_t ki = 0; ki < kh; ++ki) a[r * kh + ki] = a[ki];
  }
}

NhwcTaskSplit ComputeSplit(int64_t pixels, int64_t k_n, int64_t panels, int64_t threads);

// The largest share of the work (pixels x panels) one thread gets when ParallelFor cuts the
// tasks into `threads` equal contiguous pieces.
int64_t MaxThreadWork(int64_t pixels, int64_t panels, int64_t group, const NhwcTaskSplit& s,
                      int64_t threads) {
  const int64_t groups = (panels + group - 1) / group, tasks = s.chunks * groups;
  const int64_t piece = (tasks + threads - 1) / threads;
  int64_t worst = 0;
  for (int64_t t0 = 0; t0 < tasks; t0 += piece) {
    int64_t work = 0;
    for (int64_t t = t0; t < std::min(tasks, t0 + piece); ++t) {
      const int64_t c = s.group_major ? t % s.chunks : t / groups;
      const int64_t g = s.group_major ? t / s.chunks : t % groups;
      work += std::min(s.chunk, pixels - c * s.chunk) * std::min(group, panels - g * group);
    }
    worst = std::max(worst, work);
  }
  return worst;
}

}  // namespace

NhwcTaskSplit SplitNhwcDirectTasks(int64_t pixels, int64_t k_n, int64_t panels, int64_t threads) {
  // Computed once per layer shape: the last few splits of this thread are kept (a run's layers
  // ask again every run; the search below is a few thousand steps).
  struct Entry {
    int64_t pixels = -1, k_n = 0, panels = 0, threads = 0;
    int isa = -1;
    NhwcTaskSplit split;
  };
  constexpr int kEntries = 64;
  thread_local Entry cache[kEntries];
  thread_local int next = 0;
  const int isa = static_cast<int>(MaxIsa());
  for (const Entry& e : cache) {
    if (e.pixels == pixels && e.k_n == k_n && e.panels == panels && e.threads == threads &&
        e.isa == isa) {
      return e.split;
    }
  }
  Entry& e = cache[next];
  next = (next + 1) % kEntries;
  e = {pixels, k_n, panels, threads, isa, ComputeSplit(pixels, k_n, panels, threads)};
  return e.split;
}

namespace {

NhwcTaskSplit ComputeSplit(int64_t pixels, int64_t k_n, int64_t panels, int64_t threads) {
  const int group = GroupPanels(panels);
  // Chunks of about 512 KiB of input windows, whole multiples of every tile height.
  int64_t budget =
      std::clamp(kChunkBudgetFloats / std::max<int64_t>(1, k_n), kMinChunkPixels, kMaxChunkPixels);
  budget = budget / kMaxTileRows * kMaxTileRows;
  NhwcTaskSplit best;
  best.chunk = budget;
  best.chunks = (pixels + budget - 1) / budget;
  if (threads <= 1) return best;
  // Several threads: the split whose busiest thread has the least work, among chunk counts from
  // the cache budget's up to 2 per thread more, chunks of equal tile counts, and both task
  // orders. Small maps are where it matters: a 7x7 map with 10 panels (4 + 4 + 2) was one chunk
  // of three groups, 8 panels for one thread and 2 for the other.
  const int64_t rows = SelectNhwcDirect(group, kMaxTileRows).rows;
  const int64_t last = panels % group == 0 ? group : panels % group;
  const int64_t rows_last = SelectNhwcDirect(static_cast<int>(last), kMaxTileRows).rows;
  const int64_t unit = std::lcm(std::max<int64_t>(1, rows), std::max<int64_t>(1, rows_last));
  const int64_t units = (pixels + unit - 1) / unit;
  int64_t best_work = MaxThreadWork(pixels, panels, group, best, threads);
  for (int64_t want = best.chunks; want <= std::min(units, best.chunks + 2 * threads); ++want) {
    NhwcTaskSplit s;
    s.chunk = (units + want - 1) / want * unit;
    s.chunks = (pixels + s.chunk - 1) / s.chunk;
    for (bool group_major : {false, true}) {
      s.group_major = group_major;
      const int64_t work = MaxThreadWork(pixels, panels, group, s, threads);
      if (work < best_work) {
        best = s;
        best_work = work;
      }
    }
  }
  return best;
}

}  // namespace

NhwcDirectKernel SelectNhwcDirect(int panels, int64_t rows) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return NhwcDirectKernelAvx512(panels, rows);
  if (MaxIsa() >= Isa::kAvx2) return NhwcDirectKernelAvx2(panels, rows);
#endif
  (void)panels;
  (void)rows;
  return {};
}

namespace {

// The CPU has the tiles and ONNXEDGE_CONV_NHWC_DIRECT is not "0" (which keeps these layers on
// the GEMM path and Winograd, to measure them; read once).
bool DirectAvailable() {
  static const bool enabled = EnvSwitchOn("ONNXEDGE_CONV_NHWC_DIRECT");
  return enabled && SelectNhwcDirect(1, 1).fn != nullptr;
}

}  // namespace

int NhwcDirectMaxPanels() {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return 4;
  if (MaxIsa() >= Isa::kAvx2) return 1;
#endif
  return 0;
}

bool UseConvNhwcDirect(const ConvNhwcWeights& w, const ConvNhwcArgs& args) {
  if (w.depthwise || !w.rows.empty() || w.winograd || w.packed.N <= 0 || args.dilation_w != 1 ||
      !DirectAvailable()) {
    return false;
  }
  // A tile streams its panel group's whole K from L2 for every few pixels, where the packing
  // GEMM blocks K so a block of weights serves all of a chunk's rows from L2. Past 512 KiB per
  // group the GEMM wins: ResNet-18's 7x7 x 512 layers (K = 4608, 1.2 MiB per group of 4
  // panels) took 1.16-1.22x their GEMM time on the tiles (CPU profile, one thread).
  const int64_t panels = (w.packed.N + kNr - 1) / kNr;
  const int64_t group = std::min<int64_t>(panels, NhwcDirectMaxPanels());
  return w.packed.K * group * kNr * static_cast<int64_t>(sizeof(float)) <= kMaxPrefetchBytes;
}

bool NhwcDirectBeatsWinograd(int64_t out_h, int64_t out_w) {
  // Measured inside YOLO-tiny (CPU time per layer, ONNXEDGE_WINOGRAD=0 for the tiles): 10x10
  // maps with 128 channels (9 tiles, 2.4 MiB of transformed weights against 0.6 MiB raw, and
  // 44 % of the 12x12 tiled output thrown away) 1.3x faster on the tiles; 20x20 x 64 and
  // 40x40 x 32 0.82-0.88x of their time on Winograd, ResNet-18's 14x14 x 256 (16 tiles) 0.71x.
  constexpr int64_t kMinTiles = 12;
  if (out_h <= 0 || out_w <= 0) return false;
  const int64_t tiles = ((out_h + 3) / 4) * ((out_w + 3) / 4);
  // Measured with the AVX-512 tiles only: AVX2's 6 x 16 tile runs at half their rate, so
  // Winograd keeps those layers there.
  return tiles < kMinTiles && DirectAvailable() && NhwcDirectMaxPanels() >= 4;
}

void RunConvNhwcDirect(const ConvNhwcWeights& w, const ConvNhwcArgs& args, ThreadPool* pool) {
  const int64_t c_n = args.c, m_n = args.m, kh = w.kh, run = w.kw * c_n, k_n = kh * run;
  const int64_t pixels = args.batch * args.oh * args.ow;
  if (pixels == 0 || m_n == 0) return;
  const int64_t panels = (m_n + kNr - 1) / kNr;
  const int group = GroupPanels(panels);
  const int64_t groups = (panels + group - 1) / group;
  const int64_t threads = pool->num_threads();
  const NhwcTaskSplit split = SplitNhwcDirectTasks(pixels, k_n, panels, threads);
  const int64_t chunk = split.chunk, chunks = split.chunks;
  const int64_t tasks = chunks * groups;
  // Task scratch: the run pointers, the border runs and one zero run.
  const size_t ptr_bytes = sizeof(const float*) * static_cast<size_t>(kMaxTileRows * kh);
  const size_t border_floats = static_cast<size_t>(kMaxTileRows * k_n);
  const size_t bytes = (ptr_bytes + 63) / 64 * 64 +
                       sizeof(float) * (border_floats + static_cast<size_t>(run));
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(threads), bytes);
  pool->ParallelFor(tasks, 1, [&](int64_t t0, int64_t t1) {
    char* const mem = scratch.Claim();
    const float** const a = reinterpret_cast<const float**>(mem);
    float* const border = reinterpret_cast<float*>(mem + (ptr_bytes + 63) / 64 * 64);
    float* const zeros = border + border_floats;
    std::memset(zeros, 0, sizeof(float) * static_cast<size_t>(run));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t c = split.group_major ? t % chunks : t / groups;
      const int64_t g = split.group_major ? t / chunks : t % groups;
      const int64_t q0 = c * chunk, q1 = std::min(pixels, q0 + chunk);
      const int64_t p0 = g * group;
      const int np = static_cast<int>(std::min<int64_t>(group, panels - p0));
      const NhwcDirectKernel full = SelectNhwcDirect(np, kMaxTileRows);
      const int64_t n0 = p0 * kNr;
      NhwcDirectTile tile;
      tile.a = a;
      tile.kh = kh;
      tile.run = run;
      tile.b = w.packed.data.data() + p0 * k_n * kNr;
      tile.b_stride = k_n * kNr;
      tile.bias = args.bias ? args.bias + n0 : nullptr;
      tile.ldy = m_n;
      tile.cols = static_cast<int>(std::min<int64_t>(m_n - n0, int64_t{np} * kNr));
      tile.activation = &args.activation;
      // While this task runs, the weights of the next panel group (the next task of this
      // thread) come into L2, spread over the chunk's tiles: a large layer's weights stream
      // from memory once per run (ResNet-18's 7x7 x 512 layers: 9.4 MiB each), and without
      // this each group's first tile waited on them.
      // Only for groups of at most 512 KiB: with the group being read, and a second thread
      // doing the same on the shared L2 of SMT siblings, larger ones (ResNet-18's 7x7 x 512:
      // 1.2 MiB per group of 4 panels) would push each other out of it.
      const int64_t next_bytes = std::min<int64_t>(group, panels - p0 - np) * k_n * kNr *
                                 static_cast<int64_t>(sizeof(float));
      if (!split.group_major && g + 1 < groups && next_bytes <= kMaxPrefetchBytes) {
        const int64_t lines = next_bytes / 64;
        const int64_t tiles = (q1 - q0 + full.rows - 1) / full.rows;
        tile.l2_prefetch = w.packed.data.data() + (p0 + np) * k_n * kNr;
        tile.l2_prefetch_lines = (lines + tiles - 1) / tiles;
      }
      for (int64_t q = q0; q < q1;) {
        const NhwcDirectKernel kern = q1 - q >= full.rows ? full : SelectNhwcDirect(np, q1 - q);
        const int nr = static_cast<int>(std::min<int64_t>(kern.rows, q1 - q));
        FillRunPointers(w, args, q, nr, kern.rows, a, border, zeros);
        tile.rows = nr;
        tile.y = args.y + q * m_n + n0;
        tile.residual = args.residual ? args.residual + q * m_n + n0 : nullptr;
        kern.fn(tile);
        tile.l2_prefetch += tile.l2_prefetch_lines * 64 / static_cast<int64_t>(sizeof(float));
        q += nr;
      }
    }
  });
}

}  // namespace onnxedge::ops
