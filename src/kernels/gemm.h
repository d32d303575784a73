// Copyright onnxedge authors.
// Single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, with an optional fused
// epilogue (row/column bias, then an activation) applied in registers before C is stored.
//
// Both operands are packed into register-tile friendly layouts that are the same for every ISA:
// A in slivers of kGemmMr (6) rows and B in panels of kGemmNr (16) columns, each spanning all
// of K. Constant operands (weights) are packed once at session creation and stay valid whatever
// ISA runs later. A micro-kernel computes one tile of up to 6 rows x (16 * panels) columns: the
// AVX-512 kernels take up to 4 panels (6x64, 24 zmm accumulators), the AVX2 kernels 1 to 4
// panels depending on the row count (6x16 with full slivers; wider tiles when M is small), the
// portable kernels any. The ISA is chosen at run time (MaxIsa(), core/cpu_features.h).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "kernels/activation.h"
#include "core/cpu_features.h"

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::kernels {

constexpr int kGemmMr = 6;
constexpr int kGemmNr = 16;
/// Most rows of a tall tile: a full sliver plus the 1-2 rows of the next one, where those are
/// the last rows of an M block (M = 128 = 21 x 6 + 2). Alone, such a 1-2 row sliver runs a tile
/// that loads as many B vectors per k as the full one for a third of the FMAs (bound by B
/// reads from L2); in a tall tile they reuse the B vectors of the full sliver's rows.
constexpr int kGemmMaxTallRows = kGemmMr + 2;

/// A 64-byte aligned float buffer.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(size_t n) { Resize(n); }
  /// Sets the size. Reallocates (contents are lost) only when `n` exceeds the capacity, so a
  /// scratch buffer reused across calls stops allocating once it reaches its largest size.
  void Resize(size_t n);
  float* data() { return ptr_.get(); }
  const float* data() const { return ptr_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> ptr_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

/// op(A) (M x K) in slivers of kGemmMr rows: element (m, k) at [(m / Mr) * K + k] * Mr + m % Mr.
/// Rows past M in the last sliver are zero.
struct PackedA {
  int64_t M = 0, K = 0;
  AlignedFloats data;
  uint64_t bytes() const { return data.size() * sizeof(float); }
};

/// op(B) (K x N) in panels of kGemmNr columns: element (k, n) at [(n / Nr) * K + k] * Nr + n % Nr.
/// Columns past N in the last panel are zero.
struct PackedB {
  int64_t K = 0, N = 0;
  AlignedFloats data;
  uint64_t bytes() const { return data.size() * sizeof(float); }
};

/// Packing buffers of the calling thread, reused by every GEMM it runs (they only grow), so
/// steady-state runs allocate nothing. Valid until the thread's next GEMM: a caller must not
/// hold one across another GEMM call on the same thread (Gemm and GemmPrepackedB use them).
PackedA& ThreadPackedA();
PackedB& ThreadPackedB();

/// Packs op(A), where op transposes when `trans` (then A is K x M with leading dim lda).
void PackA(const float* a, int64_t lda, bool trans, int64_t m, int64_t k, PackedA* out,
           ThreadPool* pool);
/// Packs one sliver of row-major rows into the PackedA layout: d[k * kGemmMr + r] = rows[r][k]
/// for r < nrows, 0 for nrows <= r < kGemmMr (rows[r] unused there), k < K. Run-time ISA choice.
void PackASliver(const float* const* rows, int nrows, int64_t k, float* d);
/// Packs op(B), where op transposes when `trans` (then B is N x K with leading dim ldb).
void PackB(const float* b, int64_t ldb, bool trans, int64_t k, int64_t n, PackedB* out,
           ThreadPool* pool);

/// Optional fused epilogue applied to C after the product: per-row or per-column bias, then the
/// activation. Defaults do nothing.
struct GemmEpilogue {
  const float* row_bias = nullptr;  ///< Added to every element of row m (size M).
  const float* col_bias = nullptr;  ///< Added to every element of column n (size N).
  Activation activation;

  bool empty() const { return !row_bias && !col_bias && activation.is_none(); }
};

/// C (M x N, leading dim ldc) = alpha * A * B + beta * C, then the epilogue. With beta == 0, C
/// is not read (may hold garbage or NaN).
void GemmPacked(const PackedA& a, const PackedB& b, float alpha, float beta, float* c, int64_t ldc,
                ThreadPool* pool, const GemmEpilogue& epilogue = {});

/// Single-threaded building block for drivers that pack B themselves (convolution packs its
/// im2col columns straight into panels): C[m0:m1, 0:n] = alpha * op(A)[m0:m1, :] * Bp +
/// beta * C[m0:m1, 0:n], then the epilogue. `b_panels` holds n columns of op(B) in the PackedB
/// layout (panels of kGemmNr columns, each spanning all of a.K; 64-byte aligned). `c` points at
/// C's row 0 of this column block; epilogue.row_bias is indexed by the row in [m0, m1),
/// epilogue.col_bias by the column in [0, n). With beta == 0, C is not read.
void GemmPackedBlock(const PackedA& a, int64_t m0, int64_t m1, const float* b_panels, int64_t n,
                     float alpha, float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue);

/// As GemmPackedBlock, but B (a.K x n, row-major with row stride ldb) is read in place by the
/// tiles instead of packed: for operands used by only one block of rows (small M, 1x1
/// convolution inputs), where packing would cost as much as the product. A partial last
/// 16-column panel is copied to a per-thread scratch buffer so no row is read past its end.
void GemmBlockInPlaceB(const PackedA& a, int64_t m0, int64_t m1, const float* b, int64_t ldb,
                       int64_t n, float alpha, float beta, float* c, int64_t ldc,
                       const GemmEpilogue& epilogue);
/// As above, with the partial panel's scratch given by the caller (grown to a.K * kGemmNr
/// floats when smaller): for chunk bodies, whose scratch the caller sizes before the parallel
/// region so no worker allocates.
void GemmBlockInPlaceB(const PackedA& a, int64_t m0, int64_t m1, const float* b, int64_t ldb,
                       int64_t n, float alpha, float beta, float* c, int64_t ldc,
                       const GemmEpilogue& epilogue, AlignedFloats* tail);

/// Single-threaded block with the roles of GemmPackedBlock swapped (channels-last convolution:
/// A is the packed input, B the prepacked weights): C[0:m, n0:n1] = alpha * A * B[:, n0:n1] +
/// beta * C, then the epilogue, with n0 = 16 * p0 and n1 = min(N, 16 * p1). `a_slivers` holds
/// m rows of A (K = b.K) in the PackedA layout; `c` points at C's (0, 0) and col_bias at
/// column 0 (both are offset by n0 here).
void GemmSliversPackedB(const float* a_slivers, int64_t m, const PackedB& b, int64_t p0,
                        int64_t p1, float alpha, float beta, float* c, int64_t ldc,
                        const GemmEpilogue& epilogue);

/// C = alpha * op(A) * B + beta * C with B packed beforehand (weights): A (M x b.K, or its
/// transpose when `trans_a`) is packed here.
void GemmPrepackedB(const float* a, int64_t lda, bool trans_a, int64_t m, const PackedB& b,
                    float alpha, float beta, float* c, int64_t ldc, ThreadPool* pool,
                    const GemmEpilogue& epilogue = {});

/// Packs A and multiplies; a row-major B (trans_b false) is read in place when M <= 256, packed
/// otherwise.
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
          ThreadPool* pool, const GemmEpilogue& epilogue = {});

/// Name of the micro-kernel family in use, e.g. "GemmF32Avx512_6x64", "GemmF32Avx2_6x16",
/// "GemmF32Neon_6x16", "GemmF32Generic_6x16".
const char* GemmKernelName();

// --- Micro-kernel interface (internal; declared here for the ISA files and the tests) -------

/// One tile: acc (mr x nr) = sum over kc of the A sliver x `panels` B panels, then
/// C = alpha * acc + (accumulate ? C : 0); when `epilogue` is set (the last K block) the row and
/// column biases are added and the activation applied, all before the single store.
struct GemmTile {
  int64_t kc = 0;
  const float* a = nullptr;  ///< A sliver at this K block: kGemmMr floats per k.
  /// Tall tiles only (mr > kGemmMr): the next sliver at this K block, whose first
  /// mr - kGemmMr rows are the tile's rows kGemmMr.. (C rows continue at the same ldc).
  const float* a2 = nullptr;
  const float* b = nullptr;  ///< First B panel at this K block (16 floats per k, unaligned).
  int64_t b_stride = 0;      ///< Floats from one panel to the next.
  int64_t b_k_stride = kGemmNr;  ///< Floats from one k to the next inside a panel (16: packed;
                                 ///< the row stride when B is read in place).
  float* c = nullptr;
  int64_t ldc = 0;
  int mr = 0;      ///< Rows, 1..kGemmMr; kGemmMr + 1..kGemmMaxTallRows (with a2) in a
                   ///< family with tall tiles.
  int panels = 0;  ///< 1..the kernel's maximum for mr (tall_panels for tall tiles).
  /// Tall tiles only: the panels of the group the rows would otherwise run in as a 6-row and
  /// a 1-2 row tile. A tall tile accumulates each row in the order those tiles would, so C is
  /// bit for bit the same as without tall tiles.
  int group_panels = 0;
  int nr = 0;      ///< Valid columns, 16 * (panels - 1) < nr <= 16 * panels.
  float alpha = 1.f;
  bool accumulate = false;
  bool epilogue = false;
  const float* row_bias = nullptr;  ///< At the tile's first row (only with epilogue).
  const float* col_bias = nullptr;  ///< At the tile's first column (only with epilogue).
  Activation activation;            ///< Only with epilogue.
  /// Optional hint: `l2_prefetch_lines` contiguous 64-byte lines from `l2_prefetch` (the next
  /// B panel group's share for this tile) to prefetch into L2 while the tile runs, about one
  /// per k step. Kernels may ignore it; prefetches never fault.
  const float* l2_prefetch = nullptr;
  int64_t l2_prefetch_lines = 0;
};

using GemmTileFn = void (*)(const GemmTile&);

/// A micro-kernel family: its entry point and the widest tile (in panels) for each row count.
struct GemmKernelSet {
  Isa isa;
  const char* name;
  GemmTileFn tile;
  int max_panels[kGemmMr + 1];  ///< Indexed by mr (entry 0 unused).
  /// Widest tall tile (kGemmMr + 1 or + 2 rows, GemmTile::a2); 0: the family has none and
  /// the last 1-2 rows of an M block run their own tile.
  int tall_panels = 0;
};

/// The family for `isa` (must be supported by this CPU and compiled in). Adding an ISA (e.g.
/// NEON under src/kernels/arm/): a GemmTileFn that honours every GemmTile field (b_k_stride
/// and unaligned B included; activation is never Sigmoid/SiLU/GELU, see IsTranscendental), its
/// GemmKernelSet here, and a case in GemmKernelsFor; Isas/GemmTest.TilesMatchTheGenericTile
/// and the other per-ISA tests then cover it through AvailableIsas().
const GemmKernelSet& GemmKernelsFor(Isa isa);
/// The family for MaxIsa().
const GemmKernelSet& ActiveGemmKernels();

void GemmTileGeneric(const GemmTile& t);
#if defined(__x86_64__)
void GemmTileAvx2(const GemmTile& t);
void GemmTileAvx512(const GemmTile& t);
/// Packs a sliver of row-major A: d[k * kGemmMr + r] = rows[r][k] for r < nrows, 0 for
/// nrows <= r < 6 (rows[r] unused there), k < K.
void PackASliverAvx2(const float* const* rows, int nrows, int64_t k, float* d);
/// Packs one full panel of a transposed B: d[k * kGemmNr + j] = b[j * ldb + k] for j < 16,
/// k < K (16 rows of B, each contiguous over k), by 8 x 8 transposes.
void PackBTransPanelAvx2(const float* b, int64_t ldb, int64_t k, float* d);
/// Vectorized activation over n floats (used by ApplyActivation).
void ApplyActivationAvx2(float* x, long n, const Activation& act);
void ApplyActivationAvx512(float* x, long n, const Activation& act);
#elif defined(__aarch64__)
/// NEON family (arm/gemm_neon.cc); AdvSIMD is baseline on aarch64.
void GemmTileNeon(const GemmTile& t);
void ApplyActivationNeon(float* x, long n, const Activation& act);
#endif


}  // namespace onnxedge::kernels
