// Copyright onnxedge authors.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstring>

#include "runtime/thread_pool.h"

namespace onnxedge::kernels {

namespace {

// Cache blocking: N block, M block, K block, then per group of B panels (one tile's B) the A
// slivers of the M block stream past it. Two sets, by the active tile (ActiveBlocks below):
//
// The 6x64 AVX-512 tile, tuned on an Intel Xeon (Emerald Rapids: 48 KiB L1D, 2 MiB L2); the tile
// streams its B from L2 (software prefetch in the tile) and keeps its A sliver in L1:
//   kc: K blocks of up to 1024 (split evenly: K = 1536 runs 2 x 768): the 6 x 1024 A sliver
//       is 24 KiB (L1); fewer blocks mean fewer round trips of C and fewer tile epilogues.
//       256 (B panel group in L1) measured 6-12% slower: the tile is not L2-bound once B is
//       prefetched, so the per-block costs dominate.
//   mc: 132 rows (22 slivers): M = 128 (transformer tokens) is one block, so every B panel
//       group is read from L3 once and reused by all 22 slivers from L2. A block up to 528 KiB.
//   nc: 8 panels = 128 columns: the B block of one K block is at most 512 KiB, so A and B
//       blocks together stay inside the 2 MiB L2 (about 1 MiB: Zen 4's L2, not measured there).
//
// The 6x16 AVX2, NEON and portable tiles keep the blocks they were tuned with, for cores with
// 32 KiB L1D and 512 KiB L2 (Zen 1, Cortex-A boards), where the blocks above would not fit:
//   kc: a 256 x 16 B panel slice is 16 KiB, half of L1D, so it stays there while the 6 x 256
//       A slivers (6 KiB each) stream in from L2.
//   mc: 72 x 256 A block = 72 KiB (L2).
//   nc: 32 panels = 512 columns: the B block of one K slice is 512 KiB and the C block
//       (72 x 512) 144 KiB, together inside a 1 MiB L2 and mostly inside 512 KiB.
struct GemmBlocks {
  int64_t kc, mc, nc_panels;
};
constexpr GemmBlocks kWideTileBlocks = {1024, 132, 8};
constexpr GemmBlocks kNarrowTileBlocks = {256, 72, 32};
static_assert(kWideTileBlocks.mc % kGemmMr == 0 && kNarrowTileBlocks.mc % kGemmMr == 0,
              "M blocks hold whole slivers");
// B read in place (rows of a row-major B, GemmBlockInPlaceB) keeps the earlier blocks, K 256
// x N 512: its tiles read a row's few lines per k at the row stride, and many rows at a stride
// like 12 KiB (N = 3072) fall into few L2 sets (K blocks of 1024: 2.6x slower on
// 128x3072x768; N blocks of 128: 0-4% slower).
constexpr int64_t kKcInPlaceB = 256;
constexpr int64_t kNcPanelsInPlaceB = 32;
// Gemm() reads a row-major B in place (GemmBlockInPlaceB) up to this many rows of A. Measured
// on Zen 4 (AVX-512): in place is ahead of packing B up to M = 512 (1.1-1.3x at M = 32..128 for
// transformer shapes, even at 1024-2048 squares); 256 keeps B re-reads from strided rows few.
constexpr int64_t kInPlaceBMaxM = 256;

constexpr GemmKernelSet kGenericKernels = {
    Isa::kGeneric, "GemmF32Generic_6x16", GemmTileGeneric, {0, 4, 2, 2, 1, 1, 1}};
#if defined(__x86_64__)
// AVX2 has 16 ymm registers: 6 rows x 2 vectors of accumulators plus 2 B vectors and a
// broadcast fill them, so wider tiles are only for fewer rows.
constexpr GemmKernelSet kAvx2Kernels = {
    Isa::kAvx2, "GemmF32Avx2_6x16", GemmTileAvx2, {0, 4, 2, 2, 1, 1, 1}};
// AVX-512 has 32 zmm registers: 6 x 4 accumulators + 4 B vectors + a broadcast. Tall tiles of
// 7-8 rows take 2 panels (16 accumulators): a group of 4 panels runs as two of them, the same
// FMA count per B vector as 6 x 4 plus the 2 rows (2 x 4 alone: 4 B loads per 8 FMAs, bound
// by reading B from L2; 128 x 3072 x 768 took 2.5-3 % longer than 126 rows, not 1.6 %).
constexpr GemmKernelSet kAvx512Kernels = {
    Isa::kAvx512, "GemmF32Avx512_6x64", GemmTileAvx512, {0, 4, 4, 4, 4, 4, 4}, 2};
#elif defined(__aarch64__)
// NEON has 32 q registers: R rows x 4 vectors per panel of accumulators, one B vector and the
// 6 A values (2 registers), so 6x16 (24 accumulators) or fewer rows with wider tiles.
constexpr GemmKernelSet kNeonKernels = {
    Isa::kNeon, "GemmF32Neon_6x16", GemmTileNeon, {0, 4, 2, 2, 1, 1, 1}};
#endif

bool HasEpilogue(const GemmEpilogue& ep) { return !ep.empty(); }

// C[rows, n] = beta * C (beta == 0: zeros, C not read), then the epilogue; for K == 0.
void EpilogueOnly(int64_t m0, int64_t m1, int64_t n, float beta, float* c, int64_t ldc,
                  const GemmEpilogue& ep) {
  for (int64_t i = m0; i < m1; ++i) {
    float* row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      float v = beta == 0.f ? 0.f : beta * row[j];
      if (ep.row_bias) v += ep.row_bias[i];
      if (ep.col_bias) v += ep.col_bias[j];
      row[j] = v;
    }
    ApplyActivation(row, n, ep.activation);
  }
}

}  // namespace

void AlignedFloats::Resize(size_t n) {
  if (!ptr_ || n > capacity_) {
    const size_t bytes = std::max<size_t>(64, (n * sizeof(float) + 63) / 64 * 64);
    ptr_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    capacity_ = bytes / sizeof(float);
  }
  size_ = n;
}

const GemmKernelSet& GemmKernelsFor(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::kAvx512) return kAvx512Kernels;
  if (isa == Isa::kAvx2) return kAvx2Kernels;
#elif defined(__aarch64__)
  if (isa == Isa::kNeon) return kNeonKernels;
#endif
  (void)isa;
  return kGenericKernels;
}

const GemmKernelSet& ActiveGemmKernels() { return GemmKernelsFor(MaxIsa()); }

namespace {
// The blocks for the active tile (the comment at kWideTileBlocks).
const GemmBlocks& ActiveBlocks() {
  return MaxIsa() >= Isa::kAvx512 ? kWideTileBlocks : kNarrowTileBlocks;
}
}  // namespace

const char* GemmKernelName() { return ActiveGemmKernels().name; }

void GemmTileGeneric(const GemmTile& t) {
  constexpr int kMaxCols = 4 * kGemmNr;
  float acc[kGemmMaxTallRows][kMaxCols] = {};
  for (int p = 0; p < t.panels; ++p) {
    const float* bp = t.b + p * t.b_stride;
    for (int64_t k = 0; k < t.kc; ++k) {
      const float* bk = bp + k * t.b_k_stride;
      const float* ak = t.a + k * kGemmMr;
      for (int r = 0; r < t.mr; ++r) {
        const float av = r < kGemmMr ? ak[r] : t.a2[k * kGemmMr + r - kGemmMr];
        float* accr = acc[r] + p * kGemmNr;
        for (int j = 0; j < kGemmNr; ++j) accr[j] += av * bk[j];
      }
    }
  }
  for (int r = 0; r < t.mr; ++r) {
    float* cr = t.c + r * t.ldc;
    for (int j = 0; j < t.nr; ++j) {
      float v = t.alpha * acc[r][j];
      if (t.accumulate) v += cr[j];
      if (t.epilogue) {
        if (t.row_bias) v += t.row_bias[r];
        if (t.col_bias) v += t.col_bias[j];
        v = ApplyActivation(v, t.activation);
      }
      cr[j] = v;
    }
  }
}

void PackASliver(const float* const* rows, int nrows, int64_t k, float* d) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx2) {
    PackASliverAvx2(rows, nrows, k, d);
    return;
  }
#endif
  if (nrows == kGemmMr) {
    for (int64_t kk = 0; kk < k; ++kk) {
      float* dk = d + kk * kGemmMr;
      dk[0] = rows[0][kk];
      dk[1] = rows[1][kk];
      dk[2] = rows[2][kk];
      dk[3] = rows[3][kk];
      dk[4] = rows[4][kk];
      dk[5] = rows[5][kk];
    }
  } else {
    for (int64_t kk = 0; kk < k; ++kk) {
      float* dk = d + kk * kGemmMr;
      for (int r = 0; r < kGemmMr; ++r) dk[r] = r < nrows ? rows[r][kk] : 0.f;
    }
  }
}

void PackA(const float* a, int64_t lda, bool trans, int64_t m, int64_t k, PackedA* out,
           ThreadPool* pool) {
  out->M = m;
  out->K = k;
  const int64_t slivers = (m + kGemmMr - 1) / kGemmMr;
  out->data.Resize(static_cast<size_t>(std::max<int64_t>(1, slivers * k * kGemmMr)));
  float* dst = out->data.data();
  auto body = [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      float* d = dst + s * k * kGemmMr;
      const int64_t m0 = s * kGemmMr;
      const int rows = static_cast<int>(std::min<int64_t>(kGemmMr, m - m0));
      if (trans) {
        // Rows of A^T are columns here: each k contributes a contiguous run of rows.
        for (int64_t kk = 0; kk < k; ++kk) {
          const float* src = a + kk * lda + m0;
          float* dk = d + kk * kGemmMr;
          int r = 0;
          for (; r < rows; ++r) dk[r] = src[r];
          for (; r < kGemmMr; ++r) dk[r] = 0.f;
        }
        continue;
      }
      const float* rp[kGemmMr];
      for (int r = 0; r < kGemmMr; ++r) rp[r] = r < rows ? a + (m0 + r) * lda : nullptr;
      PackASliver(rp, rows, k, d);
    }
  };
  if (pool && slivers * k > 65536) {
    pool->ParallelFor(slivers, 1, body);
  } else {
    body(0, slivers);
  }
}

void PackB(const float* b, int64_t ldb, bool trans, int64_t k, int64_t n, PackedB* out,
           ThreadPool* pool) {
  out->K = k;
  out->N = n;
  const int64_t panels = (n + kGemmNr - 1) / kGemmNr;
  out->data.Resize(static_cast<size_t>(std::max<int64_t>(1, panels * k * kGemmNr)));
  float* dst = out->data.data();
  auto body = [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float* d = dst + p * k * kGemmNr;
      const int64_t n0 = p * kGemmNr;
      const int cols = static_cast<int>(std::min<int64_t>(kGemmNr, n - n0));
      if (!trans) {
        for (int64_t kk = 0; kk < k; ++kk) {
          const float* src = b + kk * ldb + n0;
          float* dk = d + kk * kGemmNr;
          if (cols == kGemmNr) {
            std::memcpy(dk, src, kGemmNr * sizeof(float));
          } else {
            int j = 0;
            for (; j < cols; ++j) dk[j] = src[j];
            for (; j < kGemmNr; ++j) dk[j] = 0.f;
          }
        }
        continue;
      }
      // B^T: column j of op(B) is row n0 + j of B, contiguous over k.
#if defined(__x86_64__)
      if (cols == kGemmNr && MaxIsa() >= Isa::kAvx2) {
        // By 8 x 8 transposes (the 12 K_h^T of a BERT-base layer: 63 -> 22 us).
        PackBTransPanelAvx2(b + n0 * ldb, ldb, k, d);
        continue;
      }
#endif
      for (int j = 0; j < kGemmNr; ++j) {
        if (j < cols) {
          const float* src = b + (n0 + j) * ldb;
          for (int64_t kk = 0; kk < k; ++kk) d[kk * kGemmNr + j] = src[kk];
        } else {
          for (int64_t kk = 0; kk < k; ++kk) d[kk * kGemmNr + j] = 0.f;
        }
      }
    }
  };
  if (pool && panels * k > 65536) {
    pool->ParallelFor(panels, 1, body);
  } else {
    body(0, panels);
  }
}

namespace {

// Where the tiles read B: element (k, j) of panel p at data[p * panel_stride + k * k_stride + j].
// Packed panels: panel_stride = K * 16, k_stride = 16. B in place (row-major, row stride ldb):
// panel_stride = 16, k_stride = ldb, and a partial last panel comes packed in `tail` (K x 16,
// zero padded) so no tile reads past the rows.
struct BSource {
  const float* data = nullptr;
  int64_t panel_stride = 0;
  int64_t k_stride = kGemmNr;
  const float* tail = nullptr;
};

// A is given as slivers (the PackedA layout) at a_data, with k columns.
void RunBlock(const float* a_data, int64_t k, int64_t m0, int64_t m1, const BSource& b, int64_t n,
              float alpha, float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
  if (m1 <= m0 || n <= 0) return;
  if (k == 0) {
    EpilogueOnly(m0, m1, n, beta, c, ldc, ep);
    return;
  }
  const bool has_epilogue = HasEpilogue(ep);
  // Sigmoid, SiLU and GELU are not applied by the tiles: RunBlock applies them
  // (kernels/vecmath.h). Sigmoid and SiLU go over each tile's rows right after the tile stored
  // them, while they are still in L1. GELU (about 3x the work per element) goes over each
  // finished block of up to mc rows x nc panels (L2-resident) instead: on the
  // transformer's FFN (tiles of 6 x 64) the per-tile calls made the fused Gemm 3-4 % slower
  // than Gemm followed by the Gelu op, the per-block ones run as fast (docs/performance.md).
  const bool post_act = has_epilogue && IsTranscendental(ep.activation.kind);
  const bool block_act = post_act && (ep.activation.kind == ActivationKind::kGeluErf ||
                                      ep.activation.kind == ActivationKind::kGeluTanh);
  const bool tile_act = post_act && !block_act;
  const GemmKernelSet& ks = ActiveGemmKernels();
  const int64_t panels = (n + kGemmNr - 1) / kGemmNr;
  // beta == 0: the first K block stores (C is never read); beta == 1: every block adds;
  // otherwise C is scaled once up front.
  if (beta != 0.f && beta != 1.f) {
    for (int64_t i = m0; i < m1; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
  // Panels per tile: max_panels is non-increasing in the row count, so the width allowed for
  // the block's largest tile suits every tile.
  const int group = ks.max_panels[std::min<int64_t>(kGemmMr, m1 - m0)];
  // Even K blocks (multiples of 16) so no block is a short tail.
  const GemmBlocks& blk = ActiveBlocks();
  const int64_t kc_max = b.k_stride == kGemmNr ? blk.kc : kKcInPlaceB;
  const int64_t k_blocks = (k + kc_max - 1) / kc_max;
  const int64_t kc_block = ((k + k_blocks - 1) / k_blocks + 15) / 16 * 16;
  GemmTile t;
  t.ldc = ldc;
  t.alpha = alpha;
  const int tall_panels = ks.tall_panels;
  const int64_t nc_panels = b.k_stride == kGemmNr ? blk.nc_panels : kNcPanelsInPlaceB;
  for (int64_t pb = 0; pb < panels; pb += nc_panels) {
    const int64_t pe = std::min(panels, pb + nc_panels);
    for (int64_t mb = m0; mb < m1; mb += blk.mc) {
      const int64_t me = std::min(m1, mb + blk.mc);
      // Whether the block ends in a sliver of 1-2 rows after a full one (the tiles from the
      // first sliver boundary on are whole slivers): those rows then join the full sliver in
      // tall tiles (GemmKernelSet::tall_panels).
      const int64_t first_whole = (mb + kGemmMr - 1) / kGemmMr * kGemmMr;
      const int64_t end_rows = (me - first_whole) % kGemmMr;
      const bool tall_end = tall_panels > 0 && me - first_whole > kGemmMr &&
                            end_rows > 0 && end_rows <= kGemmMaxTallRows - kGemmMr;
      for (int64_t k0 = 0; k0 < k; k0 += kc_block) {
        t.kc = std::min(kc_block, k - k0);
        t.accumulate = k0 > 0 || beta != 0.f;
        const bool last = k0 + t.kc >= k;
        t.epilogue = last && has_epilogue;
        if (t.epilogue) t.activation = post_act ? Activation::None() : ep.activation;
        for (int64_t p = pb; p < pe;) {
          int np = static_cast<int>(std::min<int64_t>(group, pe - p));
          const float* bp;
          if (b.tail && p == panels - 1) {
            bp = b.tail + k0 * kGemmNr;  // the packed partial panel, alone in its tile
            np = 1;
            t.b_stride = k * kGemmNr;
            t.b_k_stride = kGemmNr;
          } else {
            if (b.tail && p + np == panels) --np;  // keep the partial panel for its own tile
            bp = b.data + p * b.panel_stride + k0 * b.k_stride;
            t.b_stride = b.panel_stride;
            t.b_k_stride = b.k_stride;
          }
          const int64_t j0 = p * kGemmNr;
          const int nr = static_cast<int>(std::min<int64_t>(np * kGemmNr, n - j0));
          // The next B panel group (packed panels only) that is not in L2 yet: the next group
          // of this K block, else this N block's next K block, else (after the last M block)
          // the next N block. Its lines are shared out to this group's tiles (panel q to a
          // run of consecutive tiles), which prefetch them into L2 as they run. Not for short
          // K blocks (the tiles are short and the bookkeeping would show).
          const float* nx = nullptr;
          int64_t nx_panels = 0, nx_lines = 0;
          if (!b.tail && b.k_stride == kGemmNr && t.kc > 128) {
            int64_t nk0 = k0;
            int64_t np2 = p + np;
            if (np2 >= pe) {
              np2 = -1;
              if (k0 + t.kc < k) {
                np2 = pb;
                nk0 = k0 + t.kc;
              } else if (mb + blk.mc >= m1 && pe < panels) {
                np2 = pe;
                nk0 = 0;
              }
            }
            if (np2 >= 0) {
              const int64_t npe = np2 < pe ? pe : std::min(panels, np2 + nc_panels);
              nx = b.data + np2 * b.panel_stride + nk0 * kGemmNr;
              nx_panels = std::min<int64_t>(group, npe - np2);
              nx_lines = std::min(kc_block, k - nk0);  // 16 floats per k: one line
            }
          }
          const int64_t n_tiles = (me - mb + kGemmMr - 1) / kGemmMr - (tall_end ? 1 : 0);
          if (n_tiles < nx_panels) nx = nullptr;
          // Panel q of the next group goes to tiles [first(q), first(q + 1)), first(q) =
          // ceil(q * n_tiles / nx_panels), `per` lines each.
          auto first_tile = [&](int64_t q) { return (q * n_tiles + nx_panels - 1) / nx_panels; };
          int64_t pf_q = 0, pf_t0 = 0, pf_t1 = 0, pf_per = 0;
          if (nx) {
            pf_t1 = first_tile(1);
            pf_per = (nx_lines + pf_t1 - 1) / pf_t1;
          }
          int64_t tile_idx = 0;
          for (int64_t i = mb; i < me;) {
            t.l2_prefetch = nullptr;
            t.l2_prefetch_lines = 0;
            if (nx) {
              if (tile_idx >= pf_t1) {
                ++pf_q;
                pf_t0 = pf_t1;
                pf_t1 = first_tile(pf_q + 1);
                pf_per = (nx_lines + (pf_t1 - pf_t0) - 1) / (pf_t1 - pf_t0);
              }
              const int64_t start = (tile_idx - pf_t0) * pf_per;
              if (start < nx_lines) {
                t.l2_prefetch = nx + pf_q * b.panel_stride + start * kGemmNr;
                t.l2_prefetch_lines = std::min(pf_per, nx_lines - start);
              }
            }
            ++tile_idx;
            // Slivers are aligned to kGemmMr rows of A; m0 may start inside one.
            const int64_t sliver = i / kGemmMr;
            const int r0 = static_cast<int>(i - sliver * kGemmMr);
            const int rows = static_cast<int>(std::min<int64_t>(kGemmMr - r0, me - i));
            const float* ap = a_data + (sliver * k + k0) * kGemmMr;
            float* ct = c + i * ldc + j0;
            if (tall_end && r0 == 0 && me - i > kGemmMr && me - i <= kGemmMaxTallRows) {
              // The last full sliver and the 1-2 rows after it, tall_panels panels at a time
              // (the next group's L2 prefetch share goes with the first).
              const int tall_rows = static_cast<int>(me - i);
              t.a = ap;
              t.a2 = ap + k * kGemmMr;
              t.mr = tall_rows;
              t.group_panels = np;
              t.row_bias = t.epilogue && ep.row_bias ? ep.row_bias + i : nullptr;
              for (int q = 0; q < np; q += tall_panels) {
                t.b = bp + q * t.b_stride;
                t.c = ct + q * kGemmNr;
                t.panels = std::min(tall_panels, np - q);
                t.nr = std::min(t.panels * kGemmNr, nr - q * kGemmNr);
                t.col_bias = t.epilogue && ep.col_bias ? ep.col_bias + j0 + q * kGemmNr : nullptr;
                ks.tile(t);
                t.l2_prefetch = nullptr;
                t.l2_prefetch_lines = 0;
              }
              t.a2 = nullptr;
              if (t.epilogue && tile_act) {
                ApplyActivationRows(ct, tall_rows, nr, ldc, ep.activation);
              }
              i += tall_rows;
              continue;
            }
            if (r0 == 0) {
              t.a = ap;
              t.b = bp;
              t.c = ct;
              t.mr = rows;
              t.panels = np;
              t.nr = nr;
              t.row_bias = t.epilogue && ep.row_bias ? ep.row_bias + i : nullptr;
              t.col_bias = t.epilogue && ep.col_bias ? ep.col_bias + j0 : nullptr;
              ks.tile(t);
              if (t.epilogue && tile_act) ApplyActivationRows(ct, rows, nr, ldc, ep.activation);
            } else {
              // Unaligned start: compute the sliver's first r0 + rows rows into a scratch
              // tile, keep ours (rare: only callers splitting rows off sliver boundaries).
              alignas(64) float scratch[kGemmMr * 4 * kGemmNr];
              const int mr = r0 + rows;
              const int step = ks.max_panels[mr];
              for (int q = 0; q < np; q += step) {
                GemmTile s;
                s.kc = t.kc;
                s.a = ap;
                s.b = bp + q * t.b_stride;
                s.b_stride = t.b_stride;
                s.b_k_stride = t.b_k_stride;
                s.c = scratch;
                s.ldc = 4 * kGemmNr;
                s.mr = mr;
                s.panels = std::min(step, np - q);
                s.nr = std::min(s.panels * kGemmNr, nr - q * kGemmNr);
                s.alpha = alpha;
                ks.tile(s);
                for (int r = 0; r < rows; ++r) {
                  float* cr = ct + r * ldc + q * kGemmNr;
                  const float* sr = scratch + (r0 + r) * 4 * kGemmNr;
                  for (int j = 0; j < s.nr; ++j) {
                    float v = sr[j] + (t.accumulate ? cr[j] : 0.f);
                    if (t.epilogue) {
                      if (ep.row_bias) v += ep.row_bias[i + r];
                      if (ep.col_bias) v += ep.col_bias[j0 + q * kGemmNr + j];
                      v = ApplyActivation(v, t.activation);
                    }
                    cr[j] = v;
                  }
                }
              }
              if (t.epilogue && tile_act) ApplyActivationRows(ct, rows, nr, ldc, ep.activation);
            }
            i += rows;
          }
          p += np;
        }
        if (last && block_act) {
          const int64_t j0 = pb * kGemmNr;
          ApplyActivationRows(c + mb * ldc + j0, me - mb, std::min(n, pe * kGemmNr) - j0, ldc,
                              ep.activation);
        }
      }
    }
  }
}

// The partial last panel of an in-place B (columns [16 * (panels - 1), n)), packed K x 16.
void PackTailPanel(const float* b, int64_t ldb, int64_t k, int64_t n, AlignedFloats* out) {
  const int64_t j0 = n / kGemmNr * kGemmNr;
  const int64_t cols = n - j0;
  if (out->size() < static_cast<size_t>(k * kGemmNr)) out->Resize(static_cast<size_t>(k * kGemmNr));
  float* d = out->data();
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* src = b + kk * ldb + j0;
    float* dk = d + kk * kGemmNr;
    int64_t j = 0;
    for (; j < cols; ++j) dk[j] = src[j];
    for (; j < kGemmNr; ++j) dk[j] = 0.f;
  }
}

}  // namespace

void GemmPackedBlock(const PackedA& a, int64_t m0, int64_t m1, const float* b_panels, int64_t n,
                     float alpha, float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
  BSource b;
  b.data = b_panels;
  b.panel_stride = a.K * kGemmNr;
  RunBlock(a.data.data(), a.K, m0, m1, b, n, alpha, beta, c, ldc, ep);
}

namespace {

// GemmBlockInPlaceB with the tail panel's scratch given by the caller.
void InPlaceBBlock(const PackedA& a, int64_t m0, int64_t m1, const float* b, int64_t ldb,
                   int64_t n, float alpha, float beta, float* c, int64_t ldc,
                   const GemmEpilogue& ep, AlignedFloats* tail) {
  if (m1 <= m0 || n <= 0) return;
  BSource src;
  src.data = b;
  src.panel_stride = kGemmNr;
  src.k_stride = ldb;
  if (n % kGemmNr != 0 && a.K > 0) {
    PackTailPanel(b, ldb, a.K, n, tail);
    src.tail = tail->data();
  }
  RunBlock(a.data.data(), a.K, m0, m1, src, n, alpha, beta, c, ldc, ep);
}

}  // namespace

void GemmBlockInPlaceB(const PackedA& a, int64_t m0, int64_t m1, const float* b, int64_t ldb,
                       int64_t n, float alpha, float beta, float* c, int64_t ldc,
                       const GemmEpilogue& ep) {
  thread_local AlignedFloats tail;
  InPlaceBBlock(a, m0, m1, b, ldb, n, alpha, beta, c, ldc, ep, &tail);
}

void GemmBlockInPlaceB(const PackedA& a, int64_t m0, int64_t m1, const float* b, int64_t ldb,
                       int64_t n, float alpha, float beta, float* c, int64_t ldc,
                       const GemmEpilogue& ep, AlignedFloats* tail) {
  InPlaceBBlock(a, m0, m1, b, ldb, n, alpha, beta, c, ldc, ep, tail);
}

void GemmSliversPackedB(const float* a_slivers, int64_t m, const PackedB& b, int64_t p0,
                        int64_t p1, float alpha, float beta, float* c, int64_t ldc,
                        const GemmEpilogue& ep) {
  const int64_t n0 = p0 * kGemmNr, n1 = std::min(b.N, p1 * kGemmNr);
  if (n1 <= n0) return;
  BSource src;
  src.data = b.data.data() + p0 * b.K * kGemmNr;
  src.panel_stride = b.K * kGemmNr;
  GemmEpilogue block_ep = ep;
  if (ep.col_bias) block_ep.col_bias = ep.col_bias + n0;
  RunBlock(a_slivers, b.K, 0, m, src, n1 - n0, alpha, beta, c + n0, ldc, block_ep);
}

void GemmPacked(const PackedA& a, const PackedB& b, float alpha, float beta, float* c, int64_t ldc,
                ThreadPool* pool, const GemmEpilogue& ep) {
  const int64_t m = a.M, n = b.N, k = a.K;
  if (m == 0 || n == 0) return;
  const int64_t threads = pool ? pool->num_threads() : 1;
  if (threads <= 1 || m * n * k <= 32768) {
    GemmPackedBlock(a, 0, m, b.data.data(), n, alpha, beta, c, ldc, ep);
    return;
  }
  const int64_t mc = ActiveBlocks().mc;
  const int64_t m_blocks = (m + mc - 1) / mc;
  const int64_t panels = (n + kGemmNr - 1) / kGemmNr;
  // Split N too when M alone gives too few tasks for the threads.
  int64_t panels_per_task = panels;
  if (m_blocks < 2 * threads) {
    const int64_t want = (2 * threads + m_blocks - 1) / m_blocks;
    panels_per_task = std::max<int64_t>(1, (panels + want - 1) / want);
  }
  const int64_t n_tasks = (panels + panels_per_task - 1) / panels_per_task;
  auto task = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t mb = t / n_tasks;
      const int64_t nb = t % n_tasks;
      const int64_t m0 = mb * mc;
      const int64_t m1 = std::min(m, m0 + mc);
      const int64_t p0 = nb * panels_per_task;
      const int64_t p1 = std::min(panels, p0 + panels_per_task);
      const int64_t n0 = p0 * kGemmNr;
      const int64_t n1 = std::min(n, p1 * kGemmNr);
      GemmEpilogue block_ep = ep;
      if (ep.col_bias) block_ep.col_bias = ep.col_bias + n0;
      GemmPackedBlock(a, m0, m1, b.data.data() + p0 * k * kGemmNr, n1 - n0, alpha, beta, c + n0,
                      ldc, block_ep);
    }
  };
  pool->ParallelFor(m_blocks * n_tasks, 1, task);
}

PackedA& ThreadPackedA() {
  thread_local PackedA a;
  return a;
}

PackedB& ThreadPackedB() {
  thread_local PackedB b;
  return b;
}

void GemmPrepackedB(const float* a, int64_t lda, bool trans_a, int64_t m, const PackedB& b,
                    float alpha, float beta, float* c, int64_t ldc, ThreadPool* pool,
                    const GemmEpilogue& ep) {
  if (m == 0 || b.N == 0) return;
  PackedA& pa = ThreadPackedA();
  PackA(a, lda, trans_a, m, b.K, &pa, pool);
  GemmPacked(pa, b, alpha, beta, c, ldc, pool, ep);
}

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
          ThreadPool* pool, const GemmEpilogue& ep) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.f) {
    EpilogueOnly(0, m, n, beta, c, ldc, ep);
    return;
  }
  PackedA& pa = ThreadPackedA();
  PackA(a, lda, trans_a, m, k, &pa, pool);
  if (!trans_b && m <= kInPlaceBMaxM) {
    // Few rows: each B element feeds only a few tiles, so the tiles read B where it lies
    // instead of copying it into panels first (packing costs a pass over B per call).
    const int64_t panels = (n + kGemmNr - 1) / kGemmNr;
    const int64_t threads = pool ? pool->num_threads() : 1;
    int64_t tasks = 1;
    if (threads > 1 && m * n * k > 32768) tasks = std::min(panels, 2 * threads);
    const int64_t per_task = (panels + tasks - 1) / tasks;
    tasks = (panels + per_task - 1) / per_task;
    // Only the last task has a partial panel: one tail buffer of the calling thread, grown
    // here (not by whichever worker runs that task), serves it.
    thread_local AlignedFloats tls_tail;
    AlignedFloats& tail = tls_tail;
    if (n % kGemmNr != 0 && tail.size() < static_cast<size_t>(k * kGemmNr)) {
      tail.Resize(static_cast<size_t>(k * kGemmNr));
    }
    auto body = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t n0 = t * per_task * kGemmNr;
        const int64_t n1 = std::min(n, n0 + per_task * kGemmNr);
        GemmEpilogue block_ep = ep;
        if (ep.col_bias) block_ep.col_bias = ep.col_bias + n0;
        InPlaceBBlock(pa, 0, m, b + n0, ldb, n1 - n0, alpha, beta, c + n0, ldc, block_ep, &tail);
      }
    };
    if (tasks > 1) {
      pool->ParallelFor(tasks, 1, body);
    } else {
      body(0, 1);
    }
    return;
  }
  PackedB& pb = ThreadPackedB();
  PackB(b, ldb, trans_b, k, n, &pb, pool);
  GemmPacked(pa, pb, alpha, beta, c, ldc, pool, ep);
}

}  // namespace onnxedge::kernels
