// Copyright onnxedge authors.
// The packed f32 GEMM against a naive triple loop, for every ISA this CPU has (generic, AVX2,
// AVX-512): trans/no-trans, alpha/beta, micro-tile remainders (6 rows, 16-column panels, 1..4
// panel tiles), K-block (256), M-block (72) and N-block (512) boundaries, empty dims, every fused
// epilogue (biases and activations), the single-threaded block entry, with/without a pool.
#include "isa_param_test.h"
#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "runtime/thread_pool.h"

namespace onnxedge {
namespace {

using kernels::Activation;
using kernels::GemmEpilogue;

std::vector<float> Random(size_t n, std::mt19937* rng, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(*rng);
  return v;
}

// C = alpha * op(A) * op(B) + beta * C in double (beta == 0 ignores C), then the epilogue.
void Naive(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           const GemmEpilogue& ep = {}) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta ? a[p * lda + i] : a[i * lda + p];
        const double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      double v = alpha * acc + (beta == 0.f ? 0.0 : beta * static_cast<double>(c[i * ldc + j]));
      if (ep.row_bias) v += ep.row_bias[i];
      if (ep.col_bias) v += ep.col_bias[j];
      c[i * ldc + j] = kernels::ApplyActivation(static_cast<float>(v), ep.activation);
    }
  }
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, int64_t k,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  const float tol = 1e-5f * static_cast<float>(k + 4);
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << what << " at " << i;
      continue;
    }
    ASSERT_NEAR(got[i], want[i], tol * (1.f + std::fabs(want[i]))) << what << " at " << i;
  }
}

std::vector<Activation> AllActivations() {
  return {Activation::None(),
          Activation::Relu(),
          Activation::Clip(-0.5f, 0.75f),
          Activation::LeakyRelu(0.1f),
          Activation::Sigmoid(),
          Activation::Silu(),
          Activation::HardSigmoid(0.3f, 0.4f),
          Activation::HardSwish()};
}

class GemmTest : public testing::IsaParamTest {};

TEST_P(GemmTest, UsesTheRequestedIsa) {
  EXPECT_EQ(MaxIsa(), GetParam());
  EXPECT_EQ(kernels::ActiveGemmKernels().isa, GetParam());
}

TEST_P(GemmTest, MatchesNaiveOnRemainderShapes) {
  std::mt19937 rng(7);
  ThreadPool pool(3);
  const int64_t sizes[] = {1, 5, 6, 7, 15, 16, 17, 33, 48, 63, 64, 65};
  for (int64_t m : sizes) {
    for (int64_t n : sizes) {
      for (int64_t k : {1, 7, 16, 33}) {
        const int t = static_cast<int>((m + 3 * n + k) % 4);
        const bool ta = t & 1, tb = t & 2;
        // Leading dims larger than needed, to catch ld mix-ups.
        const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1;
        auto a = Random(static_cast<size_t>((ta ? k : m) * lda), &rng);
        auto b = Random(static_cast<size_t>((tb ? n : k) * ldb), &rng);
        auto c0 = Random(static_cast<size_t>(m * ldc), &rng);
        const float alpha = (m + n) % 2 ? 1.f : 0.75f;
        const float beta = k % 2 ? 0.f : -1.5f;
        auto want = c0, got = c0;
        Naive(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
        kernels::Gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, got.data(), ldc,
                      (m * n) % 2 ? &pool : nullptr);
        ExpectNear(got, want, k,
                   "m=" + std::to_string(m) + " n=" + std::to_string(n) +
                       " k=" + std::to_string(k) + " t=" + std::to_string(t));
      }
    }
  }
}

TEST_P(GemmTest, BlockBoundariesAndThreads) {
  // K crosses the 256 K-block, M the 72-row M-block, N the 512-column N-block and panels.
  std::mt19937 rng(11);
  ThreadPool pool(4);
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{73, 50, 257},
                         {150, 33, 300},
                         {7, 200, 513},
                         {144, 16, 256},
                         {13, 530, 40},
                         {2, 1100, 20}}) {
    auto a = Random(static_cast<size_t>(m * k), &rng);
    auto b = Random(static_cast<size_t>(k * n), &rng);
    auto c0 = Random(static_cast<size_t>(m * n), &rng);
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      auto want = c0, got = c0;
      Naive(false, true, m, n, k, 1.25f, a.data(), k, b.data(), k, 0.5f, want.data(), n);
      kernels::Gemm(false, true, m, n, k, 1.25f, a.data(), k, b.data(), k, 0.5f, got.data(), n, p);
      ExpectNear(got, want, k, "m=" + std::to_string(m) + " n=" + std::to_string(n));
    }
  }
}

// Prepacked B (weights) crosses both blockings' boundaries: K blocks of 256 (AVX2, NEON,
// portable tiles) and of up to 1024 split evenly (AVX-512: K = 1100 runs 2 x 560, 2100 runs
// 3 x 704), M blocks of 72 and 132 rows, N blocks of 512 and 128 columns, with the L2 prefetch
// of the next panel group crossing K blocks, N blocks and the end of B; with a bias and SiLU
// epilogue (applied on the last K block only), beta 0 and 1, at 1 and 3 threads.
TEST_P(GemmTest, PrepackedBBlockBoundaries) {
  std::mt19937 rng(12);
  ThreadPool pool(3);
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{140, 200, 1100},
                         {133, 129, 2100},
                         {73, 530, 257},
                         {7, 130, 1025},
                         {270, 64, 300}}) {
    auto a = Random(static_cast<size_t>(m * k), &rng);
    auto b = Random(static_cast<size_t>(k * n), &rng);
    auto c0 = Random(static_cast<size_t>(m * n), &rng);
    auto cb = Random(static_cast<size_t>(n), &rng);
    kernels::PackedB pb;
    kernels::PackB(b.data(), n, false, k, n, &pb, nullptr);
    GemmEpilogue ep;
    ep.col_bias = cb.data();
    ep.activation = Activation::Silu();
    for (float beta : {0.f, 1.f}) {
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        auto want = c0, got = c0;
        Naive(false, false, m, n, k, 0.5f, a.data(), k, b.data(), n, beta, want.data(), n, ep);
        kernels::GemmPrepackedB(a.data(), k, false, m, pb, 0.5f, beta, got.data(), n, p, ep);
        ExpectNear(got, want, k,
                   "m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" +
                       std::to_string(k) + " beta=" + std::to_string(beta));
      }
    }
  }
}

TEST_P(GemmTest, EmptyDimsAndZeroK) {
  std::vector<float> a(12, 1.f), b(12, 1.f);
  // K = 0: C = beta * C (beta = 0 clears even NaN).
  std::vector<float> c = {1, 2, 3, 4, 5, 6};
  kernels::Gemm(false, false, 2, 3, 0, 1.f, a.data(), 1, b.data(), 3, 2.f, c.data(), 3, nullptr);
  EXPECT_EQ(c, (std::vector<float>{2, 4, 6, 8, 10, 12}));
  std::vector<float> nan(6, std::numeric_limits<float>::quiet_NaN());
  kernels::Gemm(false, false, 2, 3, 0, 1.f, a.data(), 1, b.data(), 3, 0.f, nan.data(), 3, nullptr);
  EXPECT_EQ(nan, std::vector<float>(6, 0.f));
  // M = 0 or N = 0: C untouched.
  std::vector<float> keep = {7, 7};
  kernels::Gemm(false, false, 0, 2, 3, 1.f, a.data(), 3, b.data(), 2, 0.f, keep.data(), 2, nullptr);
  kernels::Gemm(false, false, 2, 0, 3, 1.f, a.data(), 3, b.data(), 1, 0.f, keep.data(), 1, nullptr);
  EXPECT_EQ(keep, (std::vector<float>{7, 7}));
  // Packed path with K = 0: only the epilogue remains (bias, then the activation).
  kernels::PackedA pa;
  kernels::PackedB pb;
  kernels::PackA(a.data(), 1, false, 2, 0, &pa, nullptr);
  kernels::PackB(b.data(), 3, false, 0, 3, &pb, nullptr);
  std::vector<float> out(6, std::numeric_limits<float>::quiet_NaN());
  const float col[3] = {1, -2, 3};
  GemmEpilogue ep;
  ep.col_bias = col;
  ep.activation = Activation::Relu();
  kernels::GemmPacked(pa, pb, 1.f, 0.f, out.data(), 3, nullptr, ep);
  EXPECT_EQ(out, (std::vector<float>{1, 0, 3, 1, 0, 3}));
}

TEST_P(GemmTest, BetaZeroIgnoresGarbageInC) {
  std::mt19937 rng(3);
  auto a = Random(17 * 9, &rng), b = Random(9 * 70, &rng);
  std::vector<float> got(17 * 70, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> want(17 * 70, 0.f);
  Naive(false, false, 17, 70, 9, 1.f, a.data(), 9, b.data(), 70, 0.f, want.data(), 70);
  kernels::Gemm(false, false, 17, 70, 9, 1.f, a.data(), 9, b.data(), 70, 0.f, got.data(), 70,
                nullptr);
  ExpectNear(got, want, 9, "beta=0");
}

TEST_P(GemmTest, EveryEpilogueOnEveryTileShape) {
  // Rows 1..13 (all tile heights, one and two slivers), columns covering 1..5 panels with tails,
  // K across a K block (only the last block runs the epilogue).
  std::mt19937 rng(5);
  for (const Activation& act : AllActivations()) {
    for (int64_t m : {1, 2, 3, 4, 5, 6, 7, 13}) {
      for (int64_t n : {1, 15, 16, 17, 40, 64, 65, 80}) {
        const int64_t k = m == 13 ? 300 : 20;
        // Scaled so the sum spans the activations' interesting range (about -4..4).
        auto a = Random(static_cast<size_t>(m * k), &rng, -2.f, 2.f);
        auto b = Random(static_cast<size_t>(k * n), &rng, -4.f / static_cast<float>(k),
                        4.f / static_cast<float>(k));
        auto rb = Random(static_cast<size_t>(m), &rng), cb = Random(static_cast<size_t>(n), &rng);
        kernels::PackedA pa;
        kernels::PackedB pb;
        kernels::PackA(a.data(), k, false, m, k, &pa, nullptr);
        kernels::PackB(b.data(), n, false, k, n, &pb, nullptr);
        for (int biases = 0; biases < 4; ++biases) {
          GemmEpilogue ep;
          ep.row_bias = biases & 1 ? rb.data() : nullptr;
          ep.col_bias = biases & 2 ? cb.data() : nullptr;
          ep.activation = act;
          std::vector<float> want(static_cast<size_t>(m * n), 0.f), got = want;
          Naive(false, false, m, n, k, 2.f, a.data(), k, b.data(), n, 0.f, want.data(), n, ep);
          kernels::GemmPacked(pa, pb, 2.f, 0.f, got.data(), n, nullptr, ep);
          ExpectNear(got, want, k,
                     "act=" + std::to_string(static_cast<int>(act.kind)) +
                         " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                         " biases=" + std::to_string(biases));
        }
      }
    }
  }
}

TEST_P(GemmTest, ClipReallyClampsAndNanPropagates) {
  std::mt19937 rng(5);
  ThreadPool pool(2);
  const int64_t m = 13, n = 35, k = 20;
  auto a = Random(m * k, &rng), b = Random(k * n, &rng);
  auto rb = Random(m, &rng), cb = Random(n, &rng);
  kernels::PackedA pa;
  kernels::PackedB pb;
  kernels::PackA(a.data(), k, false, m, k, &pa, &pool);
  kernels::PackB(b.data(), n, false, k, n, &pb, &pool);
  GemmEpilogue ep;
  ep.row_bias = rb.data();
  ep.col_bias = cb.data();
  ep.activation = Activation::Clip(-0.5f, 0.75f);
  std::vector<float> got(m * n, 0.f);
  kernels::GemmPacked(pa, pb, 2.f, 0.f, got.data(), n, &pool, ep);
  int clamped = 0;
  for (float v : got) clamped += v == -0.5f || v == 0.75f;
  EXPECT_GT(clamped, 0);
  // A NaN in A stays NaN through bias and every activation (full 16-column tiles and the
  // remainder).
  a[2 * k + 3] = std::numeric_limits<float>::quiet_NaN();
  kernels::PackA(a.data(), k, false, m, k, &pa, &pool);
  for (const Activation& act : AllActivations()) {
    ep.activation = act;
    kernels::GemmPacked(pa, pb, 1.f, 0.f, got.data(), n, &pool, ep);
    for (int64_t j = 0; j < n; ++j) EXPECT_TRUE(std::isnan(got[2 * n + j])) << j;
    EXPECT_FALSE(std::isnan(got[3 * n]));
  }
}

TEST_P(GemmTest, PackedBlockWithUnalignedRowRange) {
  // GemmPackedBlock over rows [m0, m1) that start inside a 6-row sliver, columns of a B block.
  std::mt19937 rng(9);
  const int64_t m = 20, n = 37, k = 270;
  auto a = Random(m * k, &rng), b = Random(k * n, &rng), rb = Random(m, &rng);
  kernels::PackedA pa;
  kernels::PackedB pb;
  kernels::PackA(a.data(), k, false, m, k, &pa, nullptr);
  kernels::PackB(b.data(), n, false, k, n, &pb, nullptr);
  for (auto [m0, m1] : {std::pair<int64_t, int64_t>{3, 17}, {0, 20}, {5, 6}, {13, 20}, {4, 6}}) {
    std::vector<float> got(m * n, 42.f), want(m * n, 42.f);
    GemmEpilogue ep;
    ep.row_bias = rb.data();
    ep.activation = Activation::LeakyRelu(0.5f);
    kernels::GemmPackedBlock(pa, m0, m1, pb.data.data(), n, 1.f, 0.f, got.data(), n, ep);
    // Rows outside [m0, m1) stay untouched.
    GemmEpilogue shifted = ep;
    shifted.row_bias = rb.data() + m0;
    Naive(false, false, m1 - m0, n, k, 1.f, a.data() + m0 * k, k, b.data(), n, 0.f,
          want.data() + m0 * n, n, shifted);
    ExpectNear(got, want, k, "rows " + std::to_string(m0) + ".." + std::to_string(m1));
  }
}

// M blocks ending in 1-2 rows after a full sliver (M = 128 is 21 x 6 + 2): on a family with
// tall tiles those rows join the last full sliver (GemmKernelSet::tall_panels). Every way in:
// packed A and B (K over several K blocks, so tall tiles accumulate; 2 and 3 threads split N),
// B read in place with a partial last panel, a row range starting inside a sliver, and a second
// M block of 2 or 8 rows (M = 134, 140 with blocks of 132); row and column biases with an
// activation applied by the tiles (LeakyRelu) and one applied after them (Sigmoid).
TEST_P(GemmTest, TallTilesForTheLastRowsOfABlock) {
  std::mt19937 rng(23);
  ThreadPool pool(3);
  for (int64_t m : {7, 8, 14, 20, 26, 128, 134, 140}) {
    for (auto [n, k] : {std::pair<int64_t, int64_t>{64, 40}, {200, 1100}, {37, 300}}) {
      auto a = Random(static_cast<size_t>(m * k), &rng);
      auto b = Random(static_cast<size_t>(k * n), &rng);
      auto c0 = Random(static_cast<size_t>(m * n), &rng);
      auto rb = Random(static_cast<size_t>(m), &rng), cb = Random(static_cast<size_t>(n), &rng);
      kernels::PackedA pa;
      kernels::PackedB pb;
      kernels::PackA(a.data(), k, false, m, k, &pa, nullptr);
      kernels::PackB(b.data(), n, false, k, n, &pb, nullptr);
      for (const Activation& act : {Activation::LeakyRelu(0.25f), Activation::Sigmoid()}) {
        GemmEpilogue ep;
        ep.row_bias = rb.data();
        ep.col_bias = cb.data();
        ep.activation = act;
        const std::string what = "m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                 " k=" + std::to_string(k) +
                                 " act=" + std::to_string(static_cast<int>(act.kind));
        for (float beta : {0.f, 1.f}) {
          auto want = c0;
          Naive(false, false, m, n, k, 0.5f, a.data(), k, b.data(), n, beta, want.data(), n, ep);
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            auto got = c0;
            kernels::GemmPacked(pa, pb, 0.5f, beta, got.data(), n, p, ep);
            ExpectNear(got, want, k, what + " packed beta=" + std::to_string(beta));
            got = c0;
            kernels::Gemm(false, false, m, n, k, 0.5f, a.data(), k, b.data(), n, beta,
                          got.data(), n, p, ep);
            ExpectNear(got, want, k, what + " in place beta=" + std::to_string(beta));
          }
        }
        // Rows [3, m): the first tile starts inside a sliver; the rest end as above.
        auto got = c0, want = c0;
        GemmEpilogue shifted = ep;
        shifted.row_bias = rb.data() + 3;
        Naive(false, false, m - 3, n, k, 1.f, a.data() + 3 * k, k, b.data(), n, 0.f,
              want.data() + 3 * n, n, shifted);
        kernels::GemmPackedBlock(pa, 3, m, pb.data.data(), n, 1.f, 0.f, got.data(), n, ep);
        ExpectNear(got, want, k, what + " rows 3..m");
      }
    }
  }
}

// A tall tile sums each row in the order of the tiles the rows would run in alone (the full
// sliver's tile and the 1-2 row tile, their sets of alternate k and the tail), so the block
// [0, m) equals, bit for bit, the blocks [0, m - r) and [m - r, m) run apart (r = m % 6 = 1
// or 2, no tall tile there): every group width (1-4 panels, with column tails), K with each
// remainder modulo 4 and across K blocks, packed B and B in place, store and accumulate.
TEST_P(GemmTest, TallTilesKeepEachRowsSummationOrder) {
  std::mt19937 rng(29);
  for (int64_t m : {7, 8, 26, 128}) {
    const int64_t r = m % kernels::kGemmMr;
    for (int64_t n : {16, 20, 40, 48, 64, 70, 200}) {
      for (int64_t k : {1, 2, 3, 4, 5, 38, 131, 1101}) {
        auto a = Random(static_cast<size_t>(m * k), &rng);
        auto b = Random(static_cast<size_t>(k * n), &rng);
        auto c0 = Random(static_cast<size_t>(m * n), &rng);
        auto cb = Random(static_cast<size_t>(n), &rng);
        kernels::PackedA pa;
        kernels::PackedB pb;
        kernels::PackA(a.data(), k, false, m, k, &pa, nullptr);
        kernels::PackB(b.data(), n, false, k, n, &pb, nullptr);
        GemmEpilogue ep;
        ep.col_bias = cb.data();
        ep.activation = Activation::Relu();
        for (float beta : {0.f, 1.f}) {
          const std::string what = "m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                   " k=" + std::to_string(k) + " beta=" + std::to_string(beta);
          auto whole = c0, split = c0;
          kernels::GemmPackedBlock(pa, 0, m, pb.data.data(), n, 1.f, beta, whole.data(), n, ep);
          kernels::GemmPackedBlock(pa, 0, m - r, pb.data.data(), n, 1.f, beta, split.data(), n,
                                   ep);
          kernels::GemmPackedBlock(pa, m - r, m, pb.data.data(), n, 1.f, beta, split.data(), n,
                                   ep);
          for (size_t i = 0; i < whole.size(); ++i) {
            ASSERT_EQ(whole[i], split[i]) << what << " packed B at " << i;
          }
          whole = c0;
          split = c0;
          kernels::GemmBlockInPlaceB(pa, 0, m, b.data(), n, n, 1.f, beta, whole.data(), n, ep);
          kernels::GemmBlockInPlaceB(pa, 0, m - r, b.data(), n, n, 1.f, beta, split.data(), n,
                                     ep);
          kernels::GemmBlockInPlaceB(pa, m - r, m, b.data(), n, n, 1.f, beta, split.data(), n,
                                     ep);
          for (size_t i = 0; i < whole.size(); ++i) {
            ASSERT_EQ(whole[i], split[i]) << what << " B in place at " << i;
          }
        }
      }
    }
  }
}

TEST_P(GemmTest, InPlaceBMatchesNaive) {
  // Gemm() reads a row-major B in place for M <= 256: panel groups, the partial last
  // panel (packed aside), K blocks (256), beta 0 / 1 / other, epilogues, column splits across
  // threads; and GemmBlockInPlaceB directly with a row range that starts inside a sliver.
  std::mt19937 rng(19);
  ThreadPool pool(3);
  const auto acts = AllActivations();
  int variant = 0;
  for (int64_t m : {1, 5, 6, 7, 23, 24, 73, 150}) {  // 73, 150: several 72-row M blocks
    for (int64_t n : {1, 15, 16, 17, 64, 65, 530}) {
      for (int64_t k : {1, 255, 257, 513}) {
        if (n * k > 100000 && m % 6 != 1) continue;  // keep the test quick
        if (m > 24 && (k == 255 || n * k > 40000)) continue;
        ++variant;
        const int64_t lda = k + 1, ldb = n + 3, ldc = n + 2;
        auto a = Random(static_cast<size_t>(m * lda), &rng);
        auto b = Random(static_cast<size_t>(k * ldb), &rng);
        auto c0 = Random(static_cast<size_t>(m * ldc), &rng);
        auto rb = Random(static_cast<size_t>(m), &rng), cb = Random(static_cast<size_t>(n), &rng);
        GemmEpilogue ep;
        if (variant % 3 == 1) ep.row_bias = rb.data();
        if (variant % 3 == 2) ep.col_bias = cb.data();
        ep.activation = acts[static_cast<size_t>(variant) % acts.size()];
        const float beta = variant % 4 == 0 ? 0.f : (variant % 4 == 1 ? 1.f : 0.5f);
        auto want = c0, got = c0;
        Naive(false, false, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, want.data(), ldc,
              ep);
        kernels::Gemm(false, false, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta,
                      got.data(), ldc, variant % 2 ? &pool : nullptr, ep);
        const std::string what = "m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                 " k=" + std::to_string(k) + " variant=" + std::to_string(variant);
        ExpectNear(got, want, k, what);
        if (m < 3) continue;
        // Rows [2, m) only, through the block entry point: rows outside stay untouched.
        kernels::PackedA pa;
        kernels::PackA(a.data(), lda, false, m, k, &pa, nullptr);
        auto got2 = c0;
        kernels::GemmBlockInPlaceB(pa, 2, m, b.data(), ldb, n, 0.75f, beta, got2.data(), ldc, ep);
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < ldc; ++j) {
            const size_t at = static_cast<size_t>(i * ldc + j);
            if (i < 2 || j >= n) {
              ASSERT_EQ(got2[at], c0[at]) << what << " untouched (" << i << ", " << j << ")";
            } else {
              ASSERT_NEAR(got2[at], want[at], 1e-5f * static_cast<float>(k + 4) *
                                                  (1.f + std::fabs(want[at])))
                  << what << " block at (" << i << ", " << j << ")";
            }
          }
        }
      }
    }
  }
}

TEST_P(GemmTest, PackAMatchesTheLayoutDefinition) {
  // The vectorized sliver packing (8 k per step, the rest scalar) against the documented
  // layout, around multiples of 8 in K and with partial last slivers; padding rows are zero.
  std::mt19937 rng(23);
  for (int64_t m : {1, 5, 6, 7, 12, 13}) {
    for (int64_t k : {1, 7, 8, 9, 15, 16, 17, 24, 25, 64, 65}) {
      for (bool trans : {false, true}) {
        const int64_t lda = (trans ? m : k) + 2;
        auto a = Random(static_cast<size_t>((trans ? k : m) * lda), &rng);
        kernels::PackedA pa;
        kernels::PackA(a.data(), lda, trans, m, k, &pa, nullptr);
        const int64_t slivers = (m + kernels::kGemmMr - 1) / kernels::kGemmMr;
        for (int64_t i = 0; i < slivers * kernels::kGemmMr; ++i) {
          for (int64_t p = 0; p < k; ++p) {
            const float want = i >= m ? 0.f : (trans ? a[p * lda + i] : a[i * lda + p]);
            const float got = pa.data.data()[((i / kernels::kGemmMr) * k + p) * kernels::kGemmMr +
                                             i % kernels::kGemmMr];
            ASSERT_EQ(got, want) << "m=" << m << " k=" << k << " trans=" << trans << " at (" << i
                                 << ", " << p << ")";
          }
        }
      }
    }
  }
}

TEST_P(GemmTest, PrepackedBMatchesAndServesEveryIsa) {
  // Weights packed once (under whatever ISA) run under every ISA: the layout is ISA-independent.
  std::mt19937 rng(13);
  const int64_t n = 70, k = 45;
  auto b = Random(static_cast<size_t>(k * n), &rng);
  kernels::PackedB pb;
  {
    // Pack under the best ISA available, then run under the parameter's.
    cap_.reset();
    kernels::PackB(b.data(), n, false, k, n, &pb, nullptr);
    cap_.emplace(GetParam());
  }
  ThreadPool pool(2);
  for (int64_t m : {1, 2, 3, 5, 8, 129}) {
    auto a = Random(static_cast<size_t>(m * k), &rng);
    std::vector<float> want(static_cast<size_t>(m * n), 0.f), got = want;
    Naive(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, want.data(), n);
    kernels::GemmPrepackedB(a.data(), k, false, m, pb, 1.f, 0.f, got.data(), n, &pool);
    ExpectNear(got, want, k, "m=" + std::to_string(m));
  }
}

TEST_P(GemmTest, TilesMatchTheGenericTile) {
  // Every tile of the active family (each row count, each width up to its maximum, full and
  // partial last panels, store vs accumulate, with and without epilogue) against the generic
  // tile on the same packed data; modes 4 and 5 read B in place (panels back to back, rows
  // 67 floats apart, unaligned), as GemmBlockInPlaceB does. Tall tiles (7-8 rows, where the
  // family has them) read rows 6.. from a second sliver.
  const kernels::GemmKernelSet& ks = kernels::ActiveGemmKernels();
  constexpr int kRows = kernels::kGemmMaxTallRows;
  std::mt19937 rng(17);
  const int64_t kc = 37, stride = kc * kernels::kGemmNr + 16;  // panels not back to back
  auto a = Random(static_cast<size_t>(kc * kernels::kGemmMr), &rng);
  auto a2 = Random(static_cast<size_t>(kc * kernels::kGemmMr), &rng);
  const int64_t ldb = 67;
  auto b_raw = Random(static_cast<size_t>(std::max(4 * stride + 16, kc * ldb + 64)), &rng);
  kernels::AlignedFloats b(b_raw.size());
  std::copy(b_raw.begin(), b_raw.end(), b.data());
  auto rb = Random(kRows, &rng), cb = Random(64, &rng);
  const int max_mr = ks.tall_panels > 0 ? kRows : kernels::kGemmMr;
  for (int mr = 1; mr <= max_mr; ++mr) {
    const int max_panels = mr > kernels::kGemmMr ? ks.tall_panels : ks.max_panels[mr];
    for (int panels = 1; panels <= max_panels; ++panels) {
      for (int nr : {16 * panels - 15, 16 * panels - 8, 16 * panels - 1, 16 * panels}) {
        for (int mode = 0; mode < 6; ++mode) {
          const int ldc = 70;
          auto c0 = Random(static_cast<size_t>(kRows * ldc), &rng);
          auto want = c0, got = c0;
          kernels::GemmTile t;
          t.kc = kc;
          t.a = a.data();
          if (mr > kernels::kGemmMr) t.a2 = a2.data();
          const bool in_place = mode >= 4;
          t.b = in_place ? b.data() + 1 : b.data();
          t.b_stride = in_place ? 16 : stride;
          t.b_k_stride = in_place ? ldb : 16;
          t.ldc = ldc;
          t.mr = mr;
          t.panels = panels;
          t.nr = nr;
          t.alpha = mode == 3 ? 0.5f : 1.f;
          t.accumulate = mode & 1;
          t.epilogue = (mode & 2) || in_place;
          t.row_bias = rb.data();
          t.col_bias = cb.data();
          // Tiles get only the piecewise-linear kinds (Sigmoid/SiLU are applied after them).
          t.activation = mode == 2 ? Activation::HardSwish() : Activation::LeakyRelu(0.1f);
          t.c = want.data();
          kernels::GemmTileGeneric(t);
          t.c = got.data();
          ks.tile(t);
          // Only the tile's rows and columns change.
          ExpectNear(got, want, kc,
                     "mr=" + std::to_string(mr) + " panels=" + std::to_string(panels) +
                         " nr=" + std::to_string(nr) + " mode=" + std::to_string(mode));
          for (int r = 0; r < kRows; ++r) {
            for (int j = 0; j < ldc; ++j) {
              if (r >= mr || j >= nr) {
                ASSERT_EQ(got[r * ldc + j], c0[r * ldc + j]) << r << "," << j;
              }
            }
          }
        }
      }
    }
  }
}

TEST_P(GemmTest, VectorActivationsMatchScalarIncludingSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {0.f,  -0.f,  1e-30f, -1e-30f, 0.5f, -0.5f, 3.f,   -3.f,   5.99f, -3.01f,
                          20.f, -20.f, 87.f,   -87.f,   88.f, -88.f, 100.f, -100.f, inf,   nan};
  std::mt19937 rng(19);
  for (float v : Random(45, &rng, -10.f, 10.f)) x.push_back(v);  // odd length: vector tails
  for (const Activation& act : AllActivations()) {
    std::vector<float> got = x;
    kernels::ApplyActivation(got.data(), static_cast<long>(got.size()), act);
    for (size_t i = 0; i < x.size(); ++i) {
      const float want = kernels::ApplyActivation(x[i], act);
      const std::string what =
          "act=" + std::to_string(static_cast<int>(act.kind)) + " x=" + std::to_string(x[i]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got[i])) << what;
      } else if (std::isinf(want)) {
        EXPECT_EQ(got[i], want) << what;
      } else {
        EXPECT_NEAR(got[i], want, 1e-6f + 4e-7f * std::fabs(want)) << what;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, GemmTest, ::testing::ValuesIn(AvailableIsas()),
                         testing::IsaParamName);

TEST(GemmKernelName, ReflectsTheIsa) {
  {
    ScopedMaxIsa cap(Isa::kGeneric);
    EXPECT_STREQ(kernels::GemmKernelName(), "GemmF32Generic_6x16");
  }
  EXPECT_EQ(MaxIsa(), AvailableIsas().back());
  if (MaxIsa() == Isa::kAvx2) {
    EXPECT_STREQ(kernels::GemmKernelName(), "GemmF32Avx2_6x16");
  }
  if (MaxIsa() == Isa::kNeon) {
    EXPECT_STREQ(kernels::GemmKernelName(), "GemmF32Neon_6x16");
  }
  if (MaxIsa() == Isa::kAvx512) {
    EXPECT_STREQ(kernels::GemmKernelName(), "GemmF32Avx512_6x64");
  }
}

TEST(Activation, ParsesOnnxNamesAndDefaults) {
  Activation act;
  ASSERT_TRUE(kernels::ParseActivation("Relu", nullptr, 0, &act));
  EXPECT_EQ(act.kind, kernels::ActivationKind::kRelu);
  const float clip[2] = {0.f, 6.f};
  ASSERT_TRUE(kernels::ParseActivation("Clip", clip, 2, &act));
  EXPECT_EQ(act.kind, kernels::ActivationKind::kClip);
  EXPECT_EQ(act.alpha, 0.f);
  EXPECT_EQ(act.beta, 6.f);
  ASSERT_TRUE(kernels::ParseActivation("LeakyRelu", nullptr, 0, &act));
  EXPECT_FLOAT_EQ(act.alpha, 0.01f);
  ASSERT_TRUE(kernels::ParseActivation("HardSigmoid", nullptr, 0, &act));
  EXPECT_FLOAT_EQ(act.alpha, 0.2f);
  EXPECT_FLOAT_EQ(act.beta, 0.5f);
  ASSERT_TRUE(kernels::ParseActivation("Silu", nullptr, 0, &act));
  EXPECT_EQ(act.kind, kernels::ActivationKind::kSilu);
  ASSERT_TRUE(kernels::ParseActivation("Gelu", nullptr, 0, &act));
  EXPECT_EQ(act.kind, kernels::ActivationKind::kGeluErf);
  ASSERT_TRUE(kernels::ParseActivation("GeluTanh", nullptr, 0, &act));
  EXPECT_EQ(act.kind, kernels::ActivationKind::kGeluTanh);
  EXPECT_FALSE(kernels::ParseActivation("Gelu", clip, 1, &act));
  EXPECT_FALSE(kernels::ParseActivation("FastGelu", nullptr, 0, &act));
  EXPECT_FALSE(kernels::ParseActivation("Elu", nullptr, 0, &act));
  EXPECT_FALSE(kernels::ParseActivation("Relu", clip, 1, &act));
  EXPECT_FALSE(kernels::ParseActivation("Clip", clip, 3, &act));
}

}  // namespace
}  // namespace onnxedge
