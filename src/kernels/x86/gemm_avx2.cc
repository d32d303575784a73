// Copyright onnxedge authors.
// AVX2 + FMA micro-kernels of the f32 GEMM (tiles of R <= 6 rows x P panels of 16 columns) and
// the vectorized fused epilogue. Built with -mavx2 -mfma (this file only) and called only when
// cpuid reports both.
#include <immintrin.h>

#include "kernels/gemm.h"
#include "kernels/x86/vec_math_avx2.h"

namespace onnxedge::kernels {

namespace {

using avx2::ActivationVec;

// Lanes [0, count) set (count may be <= 0 or >= 8).
inline __m256i LaneMask(int count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// acc[r][v] covers rows r < R and vectors v < 2P (8 columns each). The arrays are indexed only
// with constants after unrolling, so they live in registers.
template <int R, int P>
void Tile(const GemmTile& t) {
  constexpr int V = 2 * P;
  __m256 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t bs = t.b_stride;
  const int64_t bk = t.b_k_stride;
  const int64_t kc = t.kc;
  for (int64_t k = 0; k < kc; ++k) {
    __m256 bv[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) bv[v] = _mm256_loadu_ps(b + (v / 2) * bs + (v % 2) * 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += kGemmMr;
    b += bk;
  }
  const __m256 alpha = _mm256_set1_ps(t.alpha);
  const bool scale = t.alpha != 1.f;
  const ActivationVec act(t.epilogue ? t.activation : Activation::None());
  const bool full = t.nr == V * 8;
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    float* cr = t.c + r * t.ldc;
    const __m256 rb =
        t.epilogue && t.row_bias ? _mm256_set1_ps(t.row_bias[r]) : _mm256_setzero_ps();
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const int valid = full ? 8 : t.nr - v * 8;
      if (valid <= 0) break;
      __m256 x = scale ? _mm256_mul_ps(alpha, acc[r][v]) : acc[r][v];
      if (valid >= 8) {
        if (t.accumulate) x = _mm256_add_ps(x, _mm256_loadu_ps(cr + v * 8));
        if (t.epilogue) {
          x = _mm256_add_ps(x, rb);
          if (t.col_bias) x = _mm256_add_ps(x, _mm256_loadu_ps(t.col_bias + v * 8));
          x = act.Apply(x);
        }
        _mm256_storeu_ps(cr + v * 8, x);
      } else {
        const __m256i m = LaneMask(valid);
        if (t.accumulate) x = _mm256_add_ps(x, _mm256_maskload_ps(cr + v * 8, m));
        if (t.epilogue) {
          x = _mm256_add_ps(x, rb);
          if (t.col_bias) x = _mm256_add_ps(x, _mm256_maskload_ps(t.col_bias + v * 8, m));
          x = act.Apply(x);
        }
        _mm256_maskstore_ps(cr + v * 8, m, x);
      }
    }
  }
}

using TileFn = void (*)(const GemmTile&);

// [mr][panels]: the widest tile per row count follows GemmKernelSet::max_panels of
// kAvx2Kernels ({4, 2, 2, 1, 1, 1}); narrower ones serve the last panel group.
constexpr TileFn kTiles[kGemmMr + 1][5] = {
    {nullptr, nullptr, nullptr, nullptr, nullptr},
    {nullptr, Tile<1, 1>, Tile<1, 2>, Tile<1, 3>, Tile<1, 4>},
    {nullptr, Tile<2, 1>, Tile<2, 2>, nullptr, nullptr},
    {nullptr, Tile<3, 1>, Tile<3, 2>, nullptr, nullptr},
    {nullptr, Tile<4, 1>, nullptr, nullptr, nullptr},
    {nullptr, Tile<5, 1>, nullptr, nullptr, nullptr},
    {nullptr, Tile<6, 1>, nullptr, nullptr, nullptr},
};

// Transposes the 8x8 block whose rows are r0..r7: stores column c (r0[c], ..., r7[c]) at
// o + c * stride.
inline void Transpose8x8Store(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 r4, __m256 r5,
                              __m256 r6, __m256 r7, float* o, int64_t stride) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(o + 0 * stride, _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_storeu_ps(o + 1 * stride, _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_storeu_ps(o + 2 * stride, _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_storeu_ps(o + 3 * stride, _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_storeu_ps(o + 4 * stride, _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_storeu_ps(o + 5 * stride, _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_storeu_ps(o + 6 * stride, _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_storeu_ps(o + 7 * stride, _mm256_permute2f128_ps(s3, s7, 0x31));
}

}  // namespace

void GemmTileAvx2(const GemmTile& t) { kTiles[t.mr][t.panels](t); }

void PackASliverAvx2(const float* const* rows, int nrows, int64_t k, float* d) {
  const __m256 zero = _mm256_setzero_ps();
  // Rows past nrows are zero (a partial last sliver).
  auto row = [&](int r, int64_t kk) { return r < nrows ? _mm256_loadu_ps(rows[r] + kk) : zero; };
  int64_t kk = 0;
  // 8 k at a time: an 8x8 transpose of the 6 rows (plus 2 zero rows) gives, per k, the 6
  // values followed by 2 spare lanes; storing the k in increasing order lets each store's
  // spare lanes be overwritten by the next. The loop stops while at least one k remains after
  // the block, so the last spare lanes land on a slot the tail writes (never past the sliver).
  for (; kk + 8 < k; kk += 8) {
    Transpose8x8Store(row(0, kk), row(1, kk), row(2, kk), row(3, kk), row(4, kk), row(5, kk), zero,
                      zero, d + kk * kGemmMr, kGemmMr);
  }
  for (; kk < k; ++kk) {
    float* o = d + kk * kGemmMr;
    for (int r = 0; r < kGemmMr; ++r) o[r] = r < nrows ? rows[r][kk] : 0.f;
  }
}

void PackBTransPanelAvx2(const float* b, int64_t ldb, int64_t k, float* d) {
  int64_t kk = 0;
  // 8 k x 8 rows at a time: the rows' 8 values at k..k+7 transposed into 8 vectors, one per k,
  // stored as half a panel row (j0..j0+7) each.
  for (; kk + 8 <= k; kk += 8) {
    for (int j0 = 0; j0 < kGemmNr; j0 += 8) {
      const float* src = b + j0 * ldb + kk;
      Transpose8x8Store(_mm256_loadu_ps(src), _mm256_loadu_ps(src + ldb),
                        _mm256_loadu_ps(src + 2 * ldb), _mm256_loadu_ps(src + 3 * ldb),
                        _mm256_loadu_ps(src + 4 * ldb), _mm256_loadu_ps(src + 5 * ldb),
                        _mm256_loadu_ps(src + 6 * ldb), _mm256_loadu_ps(src + 7 * ldb),
                        d + kk * kGemmNr + j0, kGemmNr);
    }
  }
  for (; kk < k; ++kk) {
    for (int j = 0; j < kGemmNr; ++j) d[kk * kGemmNr + j] = b[j * ldb + kk];
  }
}

void ApplyActivationAvx2(float* x, long n, const Activation& act) {
  const ActivationVec a(act);
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, a.Apply(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = LaneMask(static_cast<int>(n - i));
    _mm256_maskstore_ps(x + i, m, a.Apply(_mm256_maskload_ps(x + i, m)));
  }
}

}  // namespace onnxedge::kernels
