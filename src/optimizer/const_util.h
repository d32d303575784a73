// Copyright onnxedge authors.
// Arithmetic on constant tensors for passes that fold weights (BatchNorm into Conv, scales and
// biases into Conv/Gemm, constants moved across transposes).
#pragma once

#include <optional>
#include <vector>

#include "onnxedge/tensor.h"

namespace onnxedge::opt {

/// True for float32, float64, float16 and bfloat16.
bool IsFloatType(DataType type);
/// Values of a float tensor (any IsFloatType type) as doubles; nullopt for other types.
std::optional<std::vector<double>> ReadFloats(const Tensor& t);
/// A tensor of `type` (IsFloatType) and `shape` holding `values` (rounded once).
Tensor MakeFloatTensor(DataType type, const Shape& shape, const std::vector<double>& values);
/// Integer values of an int32/int64 tensor; nullopt for other types.
std::optional<std::vector<int64_t>> ReadInts(const Tensor& t);
/// A 1-D int64 tensor.
Tensor MakeInt64Tensor(const std::vector<int64_t>& values);
/// Numpy broadcast of two shapes; nullopt when incompatible.
std::optional<Shape> BroadcastShapes(const Shape& a, const Shape& b);
/// `values` (laid out as `shape`) broadcast to `to` (numpy rules); `shape` must broadcast.
std::vector<double> BroadcastValues(const std::vector<double>& values, const Shape& shape,
                                    const Shape& to);
/// A constant transposed by `perm` (any element type but string).
std::optional<Tensor> TransposeTensor(const Tensor& t, const std::vector<int64_t>& perm);
/// When a constant of `shape` multiplies/adds the output of a Conv with `out_channels`
/// channels and output rank `rank` without changing its shape, returns the per-channel
/// values (size out_channels, a scalar or size-1 constant is repeated); else nullopt.
std::optional<std::vector<double>> PerChannelValues(const Tensor& c, int64_t out_channels,
                                                    size_t rank);

/// Resolves a Reshape target against a known input shape: 0 copies the input dim unless
/// `allowzero`, one -1 is inferred. Nullopt when the target does not fit the input (or its
/// product overflows int64: targets come from the model file).
std::optional<Shape> ResolveReshapeTarget(const Shape& in, const std::vector<int64_t>& target,
                                          bool allowzero);

}  // namespace onnxedge::opt
