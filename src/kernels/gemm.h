// Copyright onnxedge authors.
// Single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, row-major.
//
// Both operands are packed into register-tile friendly layouts (A in slivers of kMr rows, B in
// panels of kNr columns, each spanning all of K), then a micro-kernel computes kMr x kNr tiles
// of C over K blocks. Constant operands (weights) are packed once at session creation. The
// micro-kernel is chosen at run time: AVX2+FMA when the CPU has it, portable C++ otherwise.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace onnxedge {
class ThreadPool;
}

namespace onnxedge::kernels {

constexpr int kGemmMr = 6;
constexpr int kGemmNr = 16;

/// A 64-byte aligned float buffer.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(size_t n) { Resize(n); }
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
};

/// op(A) (M x K) in slivers of kGemmMr rows: element (m, k) at [(m / Mr) * K + k] * Mr + m % Mr.
struct PackedA {
  int64_t M = 0, K = 0;
  AlignedFloats data;
};

/// op(B) (K x N) in panels of kGemmNr columns: element (k, n) at [(n / Nr) * K + k] * Nr + n % Nr.
struct PackedB {
  int64_t K = 0, N = 0;
  AlignedFloats data;
};

/// Packs op(A), where op transposes when `trans` (then A is K x M with leading dim lda).
void PackA(const float* a, int64_t lda, bool trans, int64_t m, int64_t k, PackedA* out,
           ThreadPool* pool);
/// Packs op(B), where op transposes when `trans` (then B is N x K with leading dim ldb).
void PackB(const float* b, int64_t ldb, bool trans, int64_t k, int64_t n, PackedB* out,
           ThreadPool* pool);

/// Optional fused epilogue applied to C after the product: per-row or per-column bias, then
/// clamping (for fused Relu/Clip). Defaults do nothing.
struct GemmEpilogue {
  const float* row_bias = nullptr;  ///< Added to every element of row m (size M).
  const float* col_bias = nullptr;  ///< Added to every element of column n (size N).
  float clamp_min = -__builtin_inff();
  float clamp_max = __builtin_inff();
};

/// C (M x N, leading dim ldc) = alpha * A * B + beta * C, then the epilogue. With beta == 0, C
/// is not read (may hold garbage or NaN).
void GemmPacked(const PackedA& a, const PackedB& b, float alpha, float beta, float* c, int64_t ldc,
                ThreadPool* pool, const GemmEpilogue& epilogue = {});

/// Single-threaded building block for drivers that pack B themselves (convolution packs its
/// im2col columns straight into panels): C[m0:m1, 0:n] = alpha * op(A)[m0:m1, :] * Bp +
/// beta * C[m0:m1, 0:n], then the epilogue. `b_panels` holds n columns of op(B) in the PackedB
/// layout (panels of kGemmNr columns, each spanning all of a.K; 32-byte aligned). `c` points at
/// C's row 0 of this column block; epilogue.row_bias is indexed by the row in [m0, m1),
/// epilogue.col_bias by the column in [0, n). With beta == 0, C is not read.
void GemmPackedBlock(const PackedA& a, int64_t m0, int64_t m1, const float* b_panels, int64_t n,
                     float alpha, float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue);

/// Convenience: packs both operands and multiplies.
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
          ThreadPool* pool);

/// Name of the micro-kernel in use ("GemmF32Avx2_6x16", "GemmF32Neon_6x16" or
/// "GemmF32Generic_6x16").
const char* GemmKernelName();

/// Epilogue of one micro-tile, pointers already offset to the tile's first row / column.
struct GemmTileEpilogue {
  const float* row_bias = nullptr;
  const float* col_bias = nullptr;
  float clamp_min = -__builtin_inff();
  float clamp_max = __builtin_inff();
};

/// Signature shared by the micro-kernels: acc(mr x nr) = sum over kc of a-sliver x b-panel,
/// then C[0:mr, 0:nr] = alpha * acc + (accumulate ? C : 0), then (when `ep` is non-null: the
/// last K block) the biases are added and the result clamped, all before one store. With
/// accumulate == false, C is not read.
using GemmMicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                 int mr, int nr, float alpha, bool accumulate,
                                 const GemmTileEpilogue* ep);
void GemmF32Generic_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                         int nr, float alpha, bool accumulate, const GemmTileEpilogue* ep);
#if defined(__x86_64__)
void GemmF32Avx2_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                      int nr, float alpha, bool accumulate, const GemmTileEpilogue* ep);
#endif
#if defined(__aarch64__)
/// NEON (kernels/arm/gemm_neon.cc); AdvSIMD is baseline on aarch64, so always usable there.
void GemmF32Neon_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr,
                      int nr, float alpha, bool accumulate, const GemmTileEpilogue* ep);
#endif

/// Forces the portable micro-kernel (for tests of every ISA path); false restores dispatch.
void GemmForceGeneric(bool force);
/// True while GemmForceGeneric(true) is in effect (other kernels follow it to pick their
/// portable paths in tests).
bool GemmGenericForced();

}  // namespace onnxedge::kernels
