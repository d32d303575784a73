// Copyright onnxedge authors.
// Helpers shared by the quantization ops: quantization-parameter layouts (per tensor, per axis,
// blocked), and exact integer convolution and matrix multiplication with zero points on an
// int16-pair GEMM (AVX2 vpmaddwd or portable).
//
// Integer products are accumulated exactly in int32 from 16-bit operands (x - zero_point fits
// in 9 bits); there is no intermediate 16-bit saturation. Sums that exceed int32 wrap, which the
// ONNX definitions allow ("accumulation may overflow if and only if in 32 bits").
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

// ---------------------------------------------------------------------------------------------
// Quantization parameter layout

/// Where the scale / zero point of each element of x lives. x is viewed as (outer, axis_len,
/// inner) around `axis`; the element (o, a, i) uses parameter index
///   ((o * outer_mul) * axis_params + a / block) * inner_params + i * inner_mul.
struct QuantParamLayout {
  int64_t outer = 1, axis_len = 1, inner = 1;
  int64_t block = 1;        ///< Elements along the axis sharing one parameter.
  int64_t axis_params = 1;  ///< Parameters along the axis.
  int64_t outer_mul = 0;    ///< 1 when parameters vary along the outer dims (blocked), else 0.
  int64_t inner_params = 1;
  int64_t inner_mul = 0;
  bool per_tensor = true;

  int64_t Index(int64_t o, int64_t a, int64_t i) const {
    return ((o * outer_mul) * axis_params + a / block) * inner_params + i * inner_mul;
  }
};

/// Validates `scale` (and `zero_point`, when given, which must have the same shape) against
/// x's shape: a scalar or one-element tensor is per-tensor; a 1-D tensor of x.shape[axis]
/// elements is per-axis; with block_size > 0, a tensor of x's rank whose dim `axis` is
/// ceil(x.shape[axis] / block_size) and whose other dims equal x's is blocked. `names` gives the
/// two input names for messages.
StatusOr<QuantParamLayout> MakeQuantParamLayout(const Shape& x_shape, const Tensor& scale,
                                                const Tensor* zero_point, int64_t axis,
                                                int64_t block_size, const std::string& where,
                                                const char* scale_name, const char* zp_name);

/// Reads any numeric tensor as int32 values (zero points).
std::vector<int32_t> ReadInt32s(const Tensor& t);
/// Reads any float or integer tensor as floats (scales).
std::vector<float> ReadFloats(const Tensor& t);
/// The same into `out`, reusing its capacity: kernels that read scales and zero points on every
/// run keep `out` in a buffer of the calling thread (no allocation once grown).
void ReadInt32sInto(const Tensor& t, std::vector<int32_t>* out);
void ReadFloatsInto(const Tensor& t, std::vector<float>* out);
/// Element i of any numeric tensor as int32 / float (a per-tensor zero point or scale).
int32_t ReadInt32At(const Tensor& t, int64_t i);
float ReadFloatAt(const Tensor& t, int64_t i);

// ---------------------------------------------------------------------------------------------
// Integer GEMM on int16 pairs
//
// Operands hold (value - zero point), which fits int16, packed in pairs along K so that one
// multiply-add of two int16 pairs into an int32 (pmaddwd) does two exact products:
//   W: M rows of kp = ceil(K/2) int32 words; word j of a row holds k = 2j (low half) and 2j+1.
//   X: element (k, s) at xp[((k / 2) * ldx + s) * 2 + k % 2]; missing k (odd K) must be 0.
// Values must lie in [-255, 255] (8-bit data minus an 8-bit zero point), so each sum of two
// products is below 2^17 in magnitude: no intermediate saturation, unlike the u8 x s8 -> int16
// instructions. The int32 running sums wrap like int32 arithmetic.

/// Packs two int16 values into one pair word (low = first).
inline int32_t PackPair(int16_t lo, int16_t hi) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(lo)) |
                              (static_cast<uint32_t>(static_cast<uint16_t>(hi)) << 16));
}

/// C[m * ldc + s] = sum_k W[m][k] * X[k][s] for m < M, s < S (C is overwritten).
void IntGemmPairs(const int32_t* wp, int64_t m, int64_t kp, const int16_t* xp, int64_t ldx,
                  int64_t s, int32_t* c, int64_t ldc);
void IntGemmPairsGeneric(const int32_t* wp, int64_t m, int64_t kp, const int16_t* xp, int64_t ldx,
                         int64_t s, int32_t* c, int64_t ldc);
#if defined(__x86_64__)
/// AVX2 version (ops/conv_integer/x86/int_gemm_avx2.cc); call only when the CPU has AVX2.
void IntGemmPairsAvx2(const int32_t* wp, int64_t m, int64_t kp, const int16_t* xp, int64_t ldx,
                      int64_t s, int32_t* c, int64_t ldc);
#endif
/// Forces the portable kernel (for tests of every ISA path); false restores dispatch.
void IntGemmForceGeneric(bool force);

// ---------------------------------------------------------------------------------------------
// Integer convolution (ConvInteger, QLinearConv)

struct ConvAttrs {
  std::string auto_pad = "NOTSET";
  std::vector<int64_t> dilations, kernel_shape, pads, strides;
  int64_t group = 1;
};

/// Reads and validates the Conv attributes of `info`.
StatusOr<ConvAttrs> ReadConvAttrs(const KernelInfo& info);

/// Resolved geometry of one convolution.
struct ConvGeometry {
  int64_t n = 0, c = 0, m = 0, group = 1;
  Shape in_spatial, kernel, out_spatial;
  Shape strides, dilations, pad_begin;
  int64_t kernel_size = 1;  ///< prod(kernel)
  int64_t in_size = 1;      ///< prod(in_spatial)
  int64_t out_size = 1;     ///< prod(out_spatial)
  Shape out_shape;          ///< [N, M, out_spatial...]
};

/// Computes the geometry for x [N, C, D...] and w [M, C/group, K...]; errors name the inputs.
StatusOr<ConvGeometry> MakeConvGeometry(const ConvAttrs& attrs, const Shape& x, const Shape& w,
                                        const std::string& where);

/// Weights minus their zero points, [M, K] (K = C/group * kernel_size), packed for IntGemmPairs:
/// each row is ceil(K/2) words holding two consecutive int16 values.
struct IntWeights {
  int64_t m = 0, k = 0, kp = 0;
  std::vector<int32_t> pairs;  ///< [M, kp]
};

/// Packs w (uint8 or int8, shape [M, ...]) minus w_zp (one value or one per output channel).
StatusOr<IntWeights> PackIntWeights(const Tensor& w, const Tensor* w_zp, const std::string& where,
                                    const char* zp_name);

/// acc[N, M, out_size] = conv(x - x_zp, weights), exact in int32. x is uint8 or int8.
/// Padding contributes 0 (the zero point in x's domain). Parallel over (n, group, column tiles).
void ConvInt32(const Tensor& x, int32_t x_zp, const IntWeights& w, const ConvGeometry& g,
               int32_t* acc, ThreadPool& pool);

// ---------------------------------------------------------------------------------------------
// Integer matrix multiplication (MatMulInteger, QLinearMatMul)

/// numpy-matmul shapes of A [..., M, K] and B [..., K, N] with broadcast batch dims.
struct IntMatMulShapes {
  Shape out;
  int64_t m = 0, n = 0, k = 0, batch = 1;
  int64_t a_batches = 1, b_batches = 1;   ///< Distinct matrices in A and B.
  std::vector<int64_t> a_index, b_index;  ///< Per output batch: matrix of A / of B.
};
StatusOr<IntMatMulShapes> MakeIntMatMulShapes(const Shape& a, const Shape& b,
                                              const std::string& where);

/// Where the parameter (scale or zero point) of a matrix operand lives: one for all, one per
/// row of A / column of B, or one per (matrix, row/column).
struct MatMulParamIndex {
  int64_t per_matrix = 0;  ///< 0: the same for every matrix; else stride between matrices.
  bool per_line = false;   ///< Varies with the row (A) / column (B).
  size_t At(int64_t matrix, int64_t line) const {
    return static_cast<size_t>(matrix * per_matrix + (per_line ? line : 0));
  }
};
/// Validates a parameter tensor of A (`is_a`: scalar, [M], or A's shape with K replaced by 1)
/// or of B (scalar, [N], or B's shape with K replaced by 1).
StatusOr<MatMulParamIndex> MakeMatMulParamIndex(const Tensor& param, const Shape& operand,
                                                const IntMatMulShapes& s, bool is_a,
                                                const std::string& where, const char* name);

/// A zero point of A or B with its layout; no tensor means 0.
struct ZeroPoints {
  std::vector<int32_t> values;
  MatMulParamIndex index;
  int32_t At(int64_t matrix, int64_t line) const {
    return values.empty() ? 0 : values[index.At(matrix, line)];
  }
};
/// Reads a uint8/int8 zero point of A or B (see MakeMatMulParamIndex).
StatusOr<ZeroPoints> ReadMatMulZeroPoints(const Tensor* zp, const Shape& operand,
                                          const IntMatMulShapes& s, bool is_a,
                                          const std::string& where, const char* name);

/// acc[batch, M, N] = (A - a_zp) x (B - b_zp), exact in int32. A and B are uint8 or int8.
/// Parallel over (batch, row, column tiles).
void MatMulInt32(const Tensor& a, const ZeroPoints& a_zp, const Tensor& b, const ZeroPoints& b_zp,
                 const IntMatMulShapes& s, int32_t* acc, ThreadPool& pool);

}  // namespace onnxedge::ops
