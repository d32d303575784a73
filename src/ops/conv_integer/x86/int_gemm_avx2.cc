// Copyright onnxedge authors.
// AVX2 kernel for the int16-pair GEMM shared by ConvInteger, QLinearConv, MatMulInteger and
// QLinearMatMul (see IntGemmPairs in ops/common/quant_util.h). Built with -mavx2 -mfma (this
// file only) and called only when cpuid reports AVX2.
//
// vpmaddwd multiplies 16 int16 pairs and adds each pair into an int32: with X packed as
// (k, k+1) pairs per column and W as broadcast (w_k, w_k+1) words, one instruction does 16 exact
// multiply-adds for 8 columns. Register tile: 4 rows x 16 columns (8 accumulators).
#include <immintrin.h>

#include <algorithm>

#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

template <int kRows, int kVecs>
inline void Tile(const int32_t* wp, int64_t kp, const int16_t* xp, int64_t ldx, int32_t* c,
                 int64_t ldc) {
  __m256i acc[kRows][kVecs];
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVecs; ++v) acc[r][v] = _mm256_setzero_si256();
  }
  for (int64_t p = 0; p < kp; ++p) {
    const int16_t* x = xp + p * ldx * 2;
    __m256i xv[kVecs];
    for (int v = 0; v < kVecs; ++v) {
      xv[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + v * 16));
    }
    for (int r = 0; r < kRows; ++r) {
      const __m256i w = _mm256_set1_epi32(wp[r * kp + p]);
      for (int v = 0; v < kVecs; ++v) {
        acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(xv[v], w));
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVecs; ++v) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * ldc + v * 8), acc[r][v]);
    }
  }
}

template <int kRows>
void RowBlock(const int32_t* wp, int64_t kp, const int16_t* xp, int64_t ldx, int64_t s, int32_t* c,
              int64_t ldc) {
  int64_t j = 0;
  for (; j + 16 <= s; j += 16) Tile<kRows, 2>(wp, kp, xp + j * 2, ldx, c + j, ldc);
  for (; j + 8 <= s; j += 8) Tile<kRows, 1>(wp, kp, xp + j * 2, ldx, c + j, ldc);
  if (j < s) {
    // Fewer than 8 columns left: the portable loop on the remaining columns.
    IntGemmPairsGeneric(wp, kRows, kp, xp + j * 2, ldx, s - j, c + j, ldc);
  }
}

}  // namespace

void IntGemmPairsAvx2(const int32_t* wp, int64_t m, int64_t kp, const int16_t* xp, int64_t ldx,
                      int64_t s, int32_t* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + 4 <= m; i += 4) RowBlock<4>(wp + i * kp, kp, xp, ldx, s, c + i * ldc, ldc);
  switch (m - i) {
    case 3:
      RowBlock<3>(wp + i * kp, kp, xp, ldx, s, c + i * ldc, ldc);
      break;
    case 2:
      RowBlock<2>(wp + i * kp, kp, xp, ldx, s, c + i * ldc, ldc);
      break;
    case 1:
      RowBlock<1>(wp + i * kp, kp, xp, ldx, s, c + i * ldc, ldc);
      break;
    default:
      break;
  }
}

}  // namespace onnxedge::ops
