// Copyright onnxedge authors.
#include "kernels/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "runtime/thread_pool.h"

namespace onnxedge::kernels {

namespace {

constexpr int64_t kKc = 256;  // K block: a kc x 16 B-panel slice is 16 KiB (L1).
constexpr int64_t kMc = 72;   // M block: 72 x 256 A slice is 72 KiB (L2).

std::atomic<bool> g_force_generic{false};

GemmMicroKernel SelectKernel() {
#if defined(__x86_64__)
  if (!g_force_generic.load(std::memory_order_relaxed) && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma")) {
    return GemmF32Avx2_6x16;
  }
#elif defined(__aarch64__)
  if (!g_force_generic.load(std::memory_order_relaxed)) return GemmF32Neon_6x16;
#endif
  return GemmF32Generic_6x16;
}

}  // namespace

void AlignedFloats::Resize(size_t n) {
  if (n == size_ && ptr_) return;
  size_t bytes = std::max<size_t>(64, (n * sizeof(float) + 63) / 64 * 64);
  ptr_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  size_ = n;
}

void GemmForceGeneric(bool force) { g_force_generic.store(force); }

bool GemmGenericForced() { return g_force_generic.load(std::memory_order_relaxed); }

const char* GemmKernelName() {
  const GemmMicroKernel kernel = SelectKernel();
  if (kernel == GemmF32Generic_6x16) return "GemmF32Generic_6x16";
#if defined(__aarch64__)
  if (kernel == GemmF32Neon_6x16) return "GemmF32Neon_6x16";
#endif
  return "GemmF32Avx2_6x16";
}

void GemmF32Generic_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                         int nr, float alpha, bool accumulate, const GemmTileEpilogue* ep) {
  float acc[kGemmMr][kGemmNr] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const float* bk = b + k * kGemmNr;
    const float* ak = a + k * kGemmMr;
    for (int r = 0; r < kGemmMr; ++r) {
      const float av = ak[r];
      for (int j = 0; j < kGemmNr; ++j) acc[r][j] += av * bk[j];
    }
  }
  for (int r = 0; r < mr; ++r) {
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; ++j) {
      float v = alpha * acc[r][j];
      if (accumulate) v += cr[j];
      if (ep) {
        if (ep->row_bias) v += ep->row_bias[r];
        if (ep->col_bias) v += ep->col_bias[j];
        v = std::min(std::max(v, ep->clamp_min), ep->clamp_max);
      }
      cr[j] = v;
    }
  }
}

void PackA(const float* a, int64_t lda, bool trans, int64_t m, int64_t k, PackedA* out,
           ThreadPool* pool) {
  out->M = m;
  out->K = k;
  const int64_t slivers = (m + kGemmMr - 1) / kGemmMr;
  out->data.Resize(static_cast<size_t>(slivers * k * kGemmMr));
  float* dst = out->data.data();
  auto body = [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      float* d = dst + s * k * kGemmMr;
      const int64_t m0 = s * kGemmMr;
      const int rows = static_cast<int>(std::min<int64_t>(kGemmMr, m - m0));
      for (int64_t kk = 0; kk < k; ++kk) {
        for (int r = 0; r < kGemmMr; ++r) {
          float v = 0.f;
          if (r < rows) v = trans ? a[kk * lda + m0 + r] : a[(m0 + r) * lda + kk];
          d[kk * kGemmMr + r] = v;
        }
      }
    }
  };
  if (pool && slivers * k > 16384) {
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
  out->data.Resize(static_cast<size_t>(panels * k * kGemmNr));
  float* dst = out->data.data();
  auto body = [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float* d = dst + p * k * kGemmNr;
      const int64_t n0 = p * kGemmNr;
      const int cols = static_cast<int>(std::min<int64_t>(kGemmNr, n - n0));
      if (!trans && cols == kGemmNr) {
        for (int64_t kk = 0; kk < k; ++kk) {
          std::memcpy(d + kk * kGemmNr, b + kk * ldb + n0, kGemmNr * sizeof(float));
        }
        continue;
      }
      for (int64_t kk = 0; kk < k; ++kk) {
        for (int j = 0; j < kGemmNr; ++j) {
          float v = 0.f;
          if (j < cols) v = trans ? b[(n0 + j) * ldb + kk] : b[kk * ldb + n0 + j];
          d[kk * kGemmNr + j] = v;
        }
      }
    }
  };
  if (pool && panels * k > 16384) {
    pool->ParallelFor(panels, 1, body);
  } else {
    body(0, panels);
  }
}

void GemmPackedBlock(const PackedA& a, int64_t m0, int64_t m1, const float* b_panels, int64_t n,
                     float alpha, float beta, float* c, int64_t ldc, const GemmEpilogue& ep) {
  if (m1 <= m0 || n <= 0) return;
  const int64_t k = a.K;
  const bool has_epilogue = ep.row_bias || ep.col_bias || ep.clamp_min > -__builtin_inff() ||
                            ep.clamp_max < __builtin_inff();
  if (k == 0) {
    // No product: C = beta * C, then the epilogue.
    for (int64_t i = m0; i < m1; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) {
        float v = beta == 0.f ? 0.f : beta * row[j];
        if (ep.row_bias) v += ep.row_bias[i];
        if (ep.col_bias) v += ep.col_bias[j];
        row[j] = std::min(std::max(v, ep.clamp_min), ep.clamp_max);
      }
    }
    return;
  }
  const GemmMicroKernel kernel = SelectKernel();
  const int64_t panels = (n + kGemmNr - 1) / kGemmNr;
  // beta == 0: the first K block stores (C is never read); beta == 1: every block adds;
  // otherwise C is scaled once up front.
  if (beta != 0.f && beta != 1.f) {
    for (int64_t i = m0; i < m1; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
  // Rows in blocks of kMc so the A block stays in L2 while B panels stream through L1.
  for (int64_t mb = m0; mb < m1; mb += kMc) {
    const int64_t me = std::min(m1, mb + kMc);
    for (int64_t k0 = 0; k0 < k; k0 += kKc) {
      const int64_t kc = std::min(kKc, k - k0);
      const bool accumulate = k0 > 0 || beta != 0.f;
      const bool last = k0 + kc >= k;
      for (int64_t p = 0; p < panels; ++p) {
        const float* bp = b_panels + (p * k + k0) * kGemmNr;
        const int64_t j0 = p * kGemmNr;
        const int nr = static_cast<int>(std::min<int64_t>(kGemmNr, n - j0));
        for (int64_t i = mb; i < me;) {
          // Slivers are aligned to kGemmMr rows of A; m0 may start inside one.
          const int64_t sliver = i / kGemmMr;
          const int64_t r0 = i - sliver * kGemmMr;
          const int64_t rows = std::min<int64_t>(kGemmMr - r0, me - i);
          const float* ap = a.data.data() + (sliver * k + k0) * kGemmMr;
          float* ct = c + i * ldc + j0;
          GemmTileEpilogue tile_ep;
          if (last && has_epilogue) {
            tile_ep.row_bias = ep.row_bias ? ep.row_bias + i : nullptr;
            tile_ep.col_bias = ep.col_bias ? ep.col_bias + j0 : nullptr;
            tile_ep.clamp_min = ep.clamp_min;
            tile_ep.clamp_max = ep.clamp_max;
          }
          const GemmTileEpilogue* tep = last && has_epilogue ? &tile_ep : nullptr;
          if (r0 == 0) {
            kernel(kc, ap, bp, ct, ldc, static_cast<int>(rows), nr, alpha, accumulate, tep);
          } else {
            // Unaligned start: compute the whole sliver into a scratch tile, keep our rows.
            alignas(64) float tile[kGemmMr * kGemmNr];
            kernel(kc, ap, bp, tile, kGemmNr, kGemmMr, nr, alpha, false, nullptr);
            for (int64_t r = 0; r < rows; ++r) {
              float* cr = ct + r * ldc;
              const float* tr = tile + (r0 + r) * kGemmNr;
              for (int j = 0; j < nr; ++j) {
                float v = tr[j] + (accumulate ? cr[j] : 0.f);
                if (tep) {
                  if (tep->row_bias) v += tep->row_bias[r];
                  if (tep->col_bias) v += tep->col_bias[j];
                  v = std::min(std::max(v, tep->clamp_min), tep->clamp_max);
                }
                cr[j] = v;
              }
            }
          }
          i += rows;
        }
      }
    }
  }
}

void GemmPacked(const PackedA& a, const PackedB& b, float alpha, float beta, float* c, int64_t ldc,
                ThreadPool* pool, const GemmEpilogue& ep) {
  const int64_t m = a.M, n = b.N, k = a.K;
  if (m == 0 || n == 0) return;
  const int64_t m_blocks = (m + kMc - 1) / kMc;
  const int64_t panels = (n + kGemmNr - 1) / kGemmNr;
  const int64_t threads = pool ? pool->num_threads() : 1;
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
      const int64_t m0 = mb * kMc;
      const int64_t m1 = std::min(m, m0 + kMc);
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
  const int64_t tasks = m_blocks * n_tasks;
  if (pool && tasks > 1 && m * n * k > 32768) {
    pool->ParallelFor(tasks, 1, task);
  } else {
    task(0, tasks);
  }
}

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
          ThreadPool* pool) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.f) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.f ? 0.f : beta * c[i * ldc + j];
    }
    return;
  }
  PackedA pa;
  PackedB pb;
  PackA(a, lda, trans_a, m, k, &pa, pool);
  PackB(b, ldb, trans_b, k, n, &pb, pool);
  GemmPacked(pa, pb, alpha, beta, c, ldc, pool);
}

}  // namespace onnxedge::kernels
