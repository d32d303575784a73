// Copyright onnxedge authors.
// The packed f32 GEMM against a naive triple loop: trans/no-trans, alpha/beta, micro-tile
// remainders (6x16), K-block (256) and M-block (72) boundaries, empty dims, epilogues, the
// single-threaded block entry, both micro-kernels and with/without a thread pool.
#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/thread_pool.h"

namespace onnxedge {
namespace {

using kernels::GemmEpilogue;

std::vector<float> Random(size_t n, std::mt19937* rng) {
  std::uniform_real_distribution<float> d(-1.f, 1.f);
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
      v = std::min<double>(std::max<double>(v, ep.clamp_min), ep.clamp_max);
      c[i * ldc + j] = static_cast<float>(v);
    }
  }
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, int64_t k,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  const float tol = 1e-5f * static_cast<float>(k + 4);
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * (1.f + std::fabs(want[i]))) << what << " at " << i;
  }
}

class GemmTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { kernels::GemmForceGeneric(GetParam()); }
  void TearDown() override { kernels::GemmForceGeneric(false); }
};

TEST_P(GemmTest, MatchesNaiveOnRemainderShapes) {
  std::mt19937 rng(7);
  ThreadPool pool(3);
  const int64_t sizes[] = {1, 5, 6, 7, 15, 16, 17, 33};
  for (int64_t m : sizes) {
    for (int64_t n : sizes) {
      for (int64_t k : {1, 7, 16, 33}) {
        for (int t = 0; t < 4; ++t) {
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
}

TEST_P(GemmTest, BlockBoundariesAndThreads) {
  // K crosses the 256 K-block, M the 72-row M-block, N several panels.
  std::mt19937 rng(11);
  ThreadPool pool(4);
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{73, 50, 257},
                         {150, 33, 300},
                         {7, 200, 513},
                         {144, 16, 256}}) {
    auto a = Random(static_cast<size_t>(m * k), &rng);
    auto b = Random(static_cast<size_t>(k * n), &rng);
    auto c0 = Random(static_cast<size_t>(m * n), &rng);
    auto want = c0, got = c0;
    Naive(false, true, m, n, k, 1.25f, a.data(), k, b.data(), k, 0.5f, want.data(), n);
    kernels::Gemm(false, true, m, n, k, 1.25f, a.data(), k, b.data(), k, 0.5f, got.data(), n,
                  &pool);
    ExpectNear(got, want, k, "m=" + std::to_string(m));
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
  // Packed path with K = 0: only the epilogue remains.
  kernels::PackedA pa;
  kernels::PackedB pb;
  kernels::PackA(a.data(), 1, false, 2, 0, &pa, nullptr);
  kernels::PackB(b.data(), 3, false, 0, 3, &pb, nullptr);
  std::vector<float> out(6, std::numeric_limits<float>::quiet_NaN());
  const float col[3] = {1, 2, 3};
  GemmEpilogue ep;
  ep.col_bias = col;
  kernels::GemmPacked(pa, pb, 1.f, 0.f, out.data(), 3, nullptr, ep);
  EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 1, 2, 3}));
}

TEST_P(GemmTest, BetaZeroIgnoresGarbageInC) {
  std::mt19937 rng(3);
  auto a = Random(17 * 9, &rng), b = Random(9 * 18, &rng);
  std::vector<float> got(17 * 18, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> want(17 * 18, 0.f);
  Naive(false, false, 17, 18, 9, 1.f, a.data(), 9, b.data(), 18, 0.f, want.data(), 18);
  kernels::Gemm(false, false, 17, 18, 9, 1.f, a.data(), 9, b.data(), 18, 0.f, got.data(), 18,
                nullptr);
  ExpectNear(got, want, 9, "beta=0");
}

TEST_P(GemmTest, EpilogueBiasAndClamp) {
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
  ep.clamp_min = -0.5f;
  ep.clamp_max = 0.75f;
  std::vector<float> want(m * n, 0.f), got(m * n, 0.f);
  Naive(false, false, m, n, k, 2.f, a.data(), k, b.data(), n, 0.f, want.data(), n, ep);
  kernels::GemmPacked(pa, pb, 2.f, 0.f, got.data(), n, &pool, ep);
  ExpectNear(got, want, k, "epilogue");
  // The clamp really bites on this data.
  int clamped = 0;
  for (float v : got) clamped += v == -0.5f || v == 0.75f;
  EXPECT_GT(clamped, 0);
  // A NaN in A stays NaN through bias and clamp (full 16-column tiles and the remainder).
  a[2 * k + 3] = std::numeric_limits<float>::quiet_NaN();
  kernels::PackA(a.data(), k, false, m, k, &pa, &pool);
  kernels::GemmPacked(pa, pb, 1.f, 0.f, got.data(), n, &pool, ep);
  for (int64_t j = 0; j < n; ++j) EXPECT_TRUE(std::isnan(got[2 * n + j])) << j;
  EXPECT_FALSE(std::isnan(got[3 * n]));
}

TEST_P(GemmTest, PackedBlockWithUnalignedRowRange) {
  // GemmPackedBlock over rows [m0, m1) that start inside a 6-row sliver, columns of a B block.
  std::mt19937 rng(9);
  const int64_t m = 20, n = 21, k = 270;
  auto a = Random(m * k, &rng), b = Random(k * n, &rng), rb = Random(m, &rng);
  kernels::PackedA pa;
  kernels::PackedB pb;
  kernels::PackA(a.data(), k, false, m, k, &pa, nullptr);
  kernels::PackB(b.data(), n, false, k, n, &pb, nullptr);
  for (auto [m0, m1] : {std::pair<int64_t, int64_t>{3, 17}, {0, 20}, {5, 6}, {13, 20}}) {
    std::vector<float> got(m * n, 42.f), want(m * n, 42.f);
    GemmEpilogue ep;
    ep.row_bias = rb.data();
    kernels::GemmPackedBlock(pa, m0, m1, pb.data.data(), n, 1.f, 0.f, got.data(), n, ep);
    // Rows outside [m0, m1) stay untouched.
    Naive(false, false, m1 - m0, n, k, 1.f, a.data() + m0 * k, k, b.data(), n, 0.f,
          want.data() + m0 * n, n);
    for (int64_t i = m0; i < m1; ++i) {
      for (int64_t j = 0; j < n; ++j) want[i * n + j] += rb[i];
    }
    ExpectNear(got, want, k, "rows " + std::to_string(m0) + ".." + std::to_string(m1));
  }
}

INSTANTIATE_TEST_SUITE_P(MicroKernels, GemmTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "Generic" : "Dispatched";
                         });

TEST(GemmKernelName, ReflectsForcing) {
  kernels::GemmForceGeneric(true);
  EXPECT_STREQ(kernels::GemmKernelName(), "GemmF32Generic_6x16");
  kernels::GemmForceGeneric(false);
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_STREQ(kernels::GemmKernelName(), "GemmF32Avx2_6x16");
  }
#elif defined(__aarch64__)
  EXPECT_STREQ(kernels::GemmKernelName(), "GemmF32Neon_6x16");
#endif
}

}  // namespace
}  // namespace onnxedge
