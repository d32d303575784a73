// Copyright onnxedge authors.
// AVX-512F micro-kernels of the f32 GEMM: tiles of R <= 6 rows x P <= 4 panels of 16 columns
// (6 x 64 with full slivers: 24 zmm accumulators, 4 B vectors and a broadcast of the 32
// registers), and tall tiles of 7-8 rows (a sliver and 1-2 rows of the next) x P <= 2, with the
// fused epilogue and masked stores for column tails. Built with -mavx512f
// (this file only) and called only when cpuid reports AVX-512F and the OS saves its state.
// GCC 12 warns about the intentionally undefined upper lanes inside its own intrinsics headers.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

#include "kernels/gemm.h"
#include "kernels/x86/l2_prefetch.h"
#include "kernels/x86/vec_math_avx512.h"

namespace onnxedge::kernels {

namespace {

using avx512::ActivationVec;

// Distance of the B prefetch, in k steps (16 steps of a 6x64 tile are about 200 cycles).
// Measured on the Intel Xeon: +1-3% alone on an idle core, +6-10% while the other core runs.
constexpr int64_t kPrefetchK = 16;
constexpr int64_t kPrefetchMinK = 128;
constexpr int64_t kPrefetchMaxRowStride = 1024;  // floats between B rows

// Accumulator sets: tiles of fewer than 12 accumulators would wait on the FMA latency (4 cycles
// on 2 ports needs 8 independent chains), so they keep S sets that take alternate k and are
// summed before the epilogue (a 2-row tile runs 2x4 x 2 sets).
template <int R, int P>
constexpr int kSets = R * P >= 12 ? 1 : R * P >= 4 ? 2 : 4;

// Stores a finished tile of R rows x P panels, acc(r, v) giving the sum of row r, panel v:
// alpha, plus C when accumulating, then the row and column bias and the activation.
template <int R, int P, typename Acc>
inline __attribute__((always_inline)) void StoreTile(const GemmTile& t, Acc acc) {
  const __m512 alpha = _mm512_set1_ps(t.alpha);
  const bool scale = t.alpha != 1.f;
  const ActivationVec act(t.epilogue ? t.activation : Activation::None());
  const int last_valid = t.nr - (P - 1) * 16;  // 1..16
  const __mmask16 last_mask = static_cast<__mmask16>((1u << last_valid) - 1u);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* cr = t.c + r * t.ldc;
    const __m512 rb =
        t.epilogue && t.row_bias ? _mm512_set1_ps(t.row_bias[r]) : _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int v = 0; v < P; ++v) {
      const __mmask16 m = v == P - 1 ? last_mask : static_cast<__mmask16>(0xffff);
      const __m512 sum = acc(r, v);
      __m512 x = scale ? _mm512_mul_ps(alpha, sum) : sum;
      if (t.accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, cr + v * 16));
      if (t.epilogue) {
        x = _mm512_add_ps(x, rb);
        if (t.col_bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, t.col_bias + v * 16));
        x = act.Apply(x);
      }
      _mm512_mask_storeu_ps(cr + v * 16, m, x);
    }
  }
}

template <int R, int P>
void Tile(const GemmTile& t) {
  constexpr int S = kSets<R, P>;
  __m512 acc[S][R][P];
#pragma GCC unroll 4
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) acc[s][r][v] = _mm512_setzero_ps();
    }
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t bs = t.b_stride;
  const int64_t bk = t.b_k_stride;
  const int64_t kc = t.kc;
  // One k step into set s. The empty asm keeps each B vector in a register: without it GCC
  // folds the loads into the FMAs of every row (R loads per vector, indexed addresses that
  // Intel cores unlaminate), which halved the speed of the 2- and 3-row tiles.
  // Packed B streams from L2 (a panel group of a K block does not fit in L1): each k step
  // prefetches the B rows kPrefetchK steps ahead into L1, up to the end of the tile's K block.
  // Not for 1-2 rows (bound by B loads; the prefetches took load slots: -5 to -8% with B in
  // L2), nor for B read in place with rows 4 KiB apart or more (N >= 1024: 16 rows ahead is
  // 64+ KiB away; measured -3 to -15% at N = 3072, while N = 768/256 gain 2-20%), nor for K
  // blocks of up to kPrefetchMinK (the group's B, at most 32 KiB, stays in L1 across the
  // slivers: Winograd and 1x1 convolutions with 64 channels lost 2-4%).
  const int64_t pf = kPrefetchK * bk;
  auto step = [&](auto prefetch, __m512(&ac)[R][P], const float* ak, const float* bkp) {
    if constexpr (decltype(prefetch)::value) {
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) {
        _mm_prefetch(reinterpret_cast<const char*>(bkp + v * bs + pf), _MM_HINT_T0);
      }
    }
    __m512 bv[P];
#pragma GCC unroll 4
    for (int v = 0; v < P; ++v) {
      bv[v] = _mm512_loadu_ps(bkp + v * bs);
      asm("" : "+v"(bv[v]));
    }
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(ak[r]);
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) ac[r][v] = _mm512_fmadd_ps(av, bv[v], ac[r][v]);
    }
  };
  // The next B panel group into L2, spread over the tile's rounds of S k steps.
  x86::L2Prefetch l2(t.l2_prefetch, R >= 3 ? t.l2_prefetch_lines : 0, kc / S);
  int64_t k = 0;
  if constexpr (R >= 3) {
    const int64_t k_pf = bk < kPrefetchMaxRowStride && kc > kPrefetchMinK ? kc - kPrefetchK : 0;
    for (; k + S <= k_pf; k += S) {
      l2.Step();
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) {
        step(std::true_type(), acc[s], a + s * kGemmMr, b + s * bk);
      }
      a += S * kGemmMr;
      b += S * bk;
    }
  }
  for (; k + S <= kc; k += S) {
    l2.Step();
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) step(std::false_type(), acc[s], a + s * kGemmMr, b + s * bk);
    a += S * kGemmMr;
    b += S * bk;
  }
  for (; k < kc; ++k) {
    step(std::false_type(), acc[0], a, b);
    a += kGemmMr;
    b += bk;
  }
#pragma GCC unroll 4
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) acc[0][r][v] = _mm512_add_ps(acc[0][r][v], acc[s][r][v]);
    }
  }
  StoreTile<R, P>(t, [&](int r, int v) { return acc[0][r][v]; });
}

// Accumulation order of a tall tile: its rows keep the order of the tiles they would run in
// alone (the full sliver as R0 x np, the 1-2 rows after it as RX x np, np = the group's
// panels): per row, the same sets (k % sets up to the last whole round of sets, the k after it
// into set 0) and the same sum of the sets at the end, so C is bit for bit the same either way
// (a PP-OCR recogniser's softmax moved by 1.5e-4 when the 2 rows summed in one chain).
constexpr int SetsFor(int rows, int panels) {
  return rows * panels >= 12 ? 1 : rows * panels >= 4 ? 2 : 4;
}

// R = 7-8 rows (6 from the sliver at t.a, RX = R - 6 from the one at t.a2) x P panels: Tile's
// loop with the sliver's rows in SM sets and the extra rows in SX (a multiple of SM).
template <int R, int P, int SM, int SX>
void TallTileImpl(const GemmTile& t) {
  constexpr int R0 = R < kGemmMr ? R : kGemmMr;
  constexpr int RX = R - R0;
  constexpr int RXA = RX > 0 ? RX : 1;  // array extent
  constexpr int S = RX > 0 ? SX : SM;    // k steps per round
  static_assert(RX == 0 || SX % SM == 0, "extra rows' sets are a multiple of the sliver's");
  __m512 am[SM][R0][P];
  __m512 ax[RX > 0 ? SX : 1][RXA][P];
#pragma GCC unroll 4
  for (int s = 0; s < SM; ++s) {
#pragma GCC unroll 6
    for (int r = 0; r < R0; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) am[s][r][v] = _mm512_setzero_ps();
    }
  }
  if constexpr (RX > 0) {
#pragma GCC unroll 4
    for (int s = 0; s < SX; ++s) {
#pragma GCC unroll 2
      for (int r = 0; r < RX; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < P; ++v) ax[s][r][v] = _mm512_setzero_ps();
      }
    }
  }
  const float* a = t.a;
  const float* a2 = RX > 0 ? t.a2 : t.a;  // rows kGemmMr.. of a tall tile
  const float* b = t.b;
  const int64_t bs = t.b_stride;
  const int64_t bk = t.b_k_stride;
  const int64_t kc = t.kc;
  // One k step into the sets am[sm] (the sliver's rows) and ax[sx] (the extra rows). The empty
  // asm keeps each B vector in a register: without it GCC folds the loads into the FMAs of
  // every row (R loads per vector, indexed addresses that Intel cores unlaminate), which
  // halved the speed of the 2- and 3-row tiles.
  // Packed B streams from L2 (a panel group of a K block does not fit in L1): each k step
  // prefetches the B rows kPrefetchK steps ahead into L1, up to the end of the tile's K block.
  // Not for 1-2 rows (bound by B loads; the prefetches took load slots: -5 to -8% with B in
  // L2), nor for B read in place with rows 4 KiB apart or more (N >= 1024: 16 rows ahead is
  // 64+ KiB away; measured -3 to -15% at N = 3072, while N = 768/256 gain 2-20%), nor for K
  // blocks of up to kPrefetchMinK (the group's B, at most 32 KiB, stays in L1 across the
  // slivers: Winograd and 1x1 convolutions with 64 channels lost 2-4%).
  const int64_t pf = kPrefetchK * bk;
  // cx: the extra rows' set (an __m512[RX][P]), or a dummy int without extra rows.
  auto step = [&](auto prefetch, __m512(&cm)[R0][P], auto& cx, const float* ak,
                  const float* a2k, const float* bkp) {
    if constexpr (decltype(prefetch)::value) {
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) {
        _mm_prefetch(reinterpret_cast<const char*>(bkp + v * bs + pf), _MM_HINT_T0);
      }
    }
    __m512 bv[P];
#pragma GCC unroll 4
    for (int v = 0; v < P; ++v) {
      bv[v] = _mm512_loadu_ps(bkp + v * bs);
      asm("" : "+v"(bv[v]));
    }
#pragma GCC unroll 6
    for (int r = 0; r < R0; ++r) {
      const __m512 av = _mm512_set1_ps(ak[r]);
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) cm[r][v] = _mm512_fmadd_ps(av, bv[v], cm[r][v]);
    }
    if constexpr (RX > 0) {
#pragma GCC unroll 2
      for (int r = 0; r < RX; ++r) {
        const __m512 av = _mm512_set1_ps(a2k[r]);
#pragma GCC unroll 4
        for (int v = 0; v < P; ++v) cx[r][v] = _mm512_fmadd_ps(av, bv[v], cx[r][v]);
      }
    }
  };
  int no_extra = 0;
  auto ExtraSet = [&](int s) -> auto& {
    if constexpr (RX > 0) {
      return ax[s];
    } else {
      (void)s;
      return no_extra;
    }
  };
  // The next B panel group into L2, spread over the tile's rounds of S k steps.
  x86::L2Prefetch l2(t.l2_prefetch, R >= 3 ? t.l2_prefetch_lines : 0, kc / S);
  int64_t k = 0;
  if constexpr (R >= 3) {
    const int64_t k_pf = bk < kPrefetchMaxRowStride && kc > kPrefetchMinK ? kc - kPrefetchK : 0;
    for (; k + S <= k_pf; k += S) {
      l2.Step();
      // A round of S k steps: step s into the sliver's set s % SM, the extra rows' set s.
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) {
        step(std::true_type(), am[s % SM], ExtraSet(s), a + s * kGemmMr, a2 + s * kGemmMr,
             b + s * bk);
      }
      a += S * kGemmMr;
      a2 += S * kGemmMr;
      b += S * bk;
    }
  }
  for (; k + S <= kc; k += S) {
    l2.Step();
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) {
      step(std::false_type(), am[s % SM], ExtraSet(s), a + s * kGemmMr, a2 + s * kGemmMr,
           b + s * bk);
    }
    a += S * kGemmMr;
    a2 += S * kGemmMr;
    b += S * bk;
  }
  // The last kc % S steps: the extra rows' set 0; the sliver's rows set j % SM in a tall tile
  // (SM <= 2: its own tile's rounds end at most one step earlier, at an even j that goes to set
  // 0 there too), set 0 otherwise (as its own tile's tail).
#pragma GCC unroll 3
  for (int j = 0; j < S - 1; ++j) {
    if (k + j < kc) {
      step(std::false_type(), am[RX > 0 ? j % SM : 0], ExtraSet(0), a + j * kGemmMr,
           a2 + j * kGemmMr, b + j * bk);
    }
  }
#pragma GCC unroll 4
  for (int s = 1; s < SM; ++s) {
#pragma GCC unroll 6
    for (int r = 0; r < R0; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < P; ++v) am[0][r][v] = _mm512_add_ps(am[0][r][v], am[s][r][v]);
    }
  }
  if constexpr (RX > 0) {
#pragma GCC unroll 4
    for (int s = 1; s < SX; ++s) {
#pragma GCC unroll 2
      for (int r = 0; r < RX; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < P; ++v) ax[0][r][v] = _mm512_add_ps(ax[0][r][v], ax[s][r][v]);
      }
    }
  }
  StoreTile<R, P>(t, [&](int r, int v) {
    if constexpr (RX > 0) {
      return r < R0 ? am[0][r < R0 ? r : 0][v] : ax[0][r < R0 ? 0 : r - R0][v];
    } else {
      return am[0][r][v];
    }
  });
}

// 7-8 rows: the sets of the tiles the rows would have run in (SetsFor, t.group_panels).
template <int R, int P>
void TallTile(const GemmTile& t) {
  const bool sm2 = SetsFor(kGemmMr, t.group_panels) == 2;
  const bool sx4 = SetsFor(R - kGemmMr, t.group_panels) == 4;
  if constexpr (P == 1) {  // SM = 2 only for a group of one panel
    if (sm2) {
      sx4 ? TallTileImpl<R, P, 2, 4>(t) : TallTileImpl<R, P, 2, 2>(t);
      return;
    }
  }
  {
    sx4 ? TallTileImpl<R, P, 1, 4>(t) : TallTileImpl<R, P, 1, 2>(t);
  }
}

using TileFn = void (*)(const GemmTile&);

constexpr TileFn kTiles[kGemmMaxTallRows + 1][5] = {
    {nullptr, nullptr, nullptr, nullptr, nullptr},
    {nullptr, Tile<1, 1>, Tile<1, 2>, Tile<1, 3>, Tile<1, 4>},
    {nullptr, Tile<2, 1>, Tile<2, 2>, Tile<2, 3>, Tile<2, 4>},
    {nullptr, Tile<3, 1>, Tile<3, 2>, Tile<3, 3>, Tile<3, 4>},
    {nullptr, Tile<4, 1>, Tile<4, 2>, Tile<4, 3>, Tile<4, 4>},
    {nullptr, Tile<5, 1>, Tile<5, 2>, Tile<5, 3>, Tile<5, 4>},
    {nullptr, Tile<6, 1>, Tile<6, 2>, Tile<6, 3>, Tile<6, 4>},
    {nullptr, TallTile<7, 1>, TallTile<7, 2>, nullptr, nullptr},  // GemmKernelSet::tall_panels
    {nullptr, TallTile<8, 1>, TallTile<8, 2>, nullptr, nullptr},
};

}  // namespace

void GemmTileAvx512(const GemmTile& t) { kTiles[t.mr][t.panels](t); }

void ApplyActivationAvx512(float* x, long n, const Activation& act) {
  const ActivationVec a(act);
  long i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, a.Apply(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(x + i, m, a.Apply(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace onnxedge::kernels
