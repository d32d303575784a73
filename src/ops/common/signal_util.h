// Copyright onnxedge authors.
// Small helpers shared by the signal ops (DFT, STFT, MelWeightMatrix, window functions).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "ops/common/op_util.h"

namespace onnxedge::ops::signal {

/// Reads a scalar (rank 0, or one element of rank 1) int32/int64 input; `name` is used in
/// errors.
inline StatusOr<int64_t> ReadScalarInt(const KernelContext& ctx, size_t index, const char* name) {
  OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(index));
  if (t->size() != 1 || t->rank() > 1) {
    return ctx.Error(StatusCode::kInvalidArgument, "input '", name,
                     "' must be a scalar, got shape ", ShapeToString(t->shape()));
  }
  if (t->dtype() == DataType::kInt64) return t->data<int64_t>()[0];
  if (t->dtype() == DataType::kInt32) return static_cast<int64_t>(t->data<int32_t>()[0]);
  return ctx.Error(StatusCode::kInvalidArgument, "input '", name, "' must be int32 or int64, got ",
                   DataTypeName(t->dtype()));
}

/// Reads a scalar float/double/float16/bfloat16 input as double.
inline StatusOr<double> ReadScalarFloat(const KernelContext& ctx, size_t index, const char* name) {
  OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(index));
  if (t->size() != 1 || t->rank() > 1) {
    return ctx.Error(StatusCode::kInvalidArgument, "input '", name,
                     "' must be a scalar, got shape ", ShapeToString(t->shape()));
  }
  double v = 0;
  Status s = Dispatch<FloatTypes>(t->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    v = static_cast<double>(ToCompute(t->data<T>()[0]));
    return Status::Ok();
  });
  if (!s.ok()) {
    return ctx.Error(StatusCode::kInvalidArgument, "input '", name, "' must be a float type, got ",
                     DataTypeName(t->dtype()));
  }
  return v;
}

/// Validates an output_datatype attribute against the numeric types the signal ops produce.
inline StatusOr<DataType> ReadOutputDataType(const KernelInfo& info) {
  OE_ASSIGN_OR_RETURN(int64_t v, info.GetInt("output_datatype", 1));
  const auto type = static_cast<DataType>(v);
  switch (type) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kFloat16:
    case DataType::kBfloat16:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
    case DataType::kUint64:
      return type;
    default:
      return info.Error(StatusCode::kInvalidModel, "attribute 'output_datatype' = ", v,
                        " is not a numeric tensor type");
  }
}

/// Converts a double to a numeric T (float types round, integer types truncate toward zero
/// after clamping into T's range so out-of-range values never reach undefined behaviour).
template <typename T>
inline T CastFromDouble(double v) {
  if constexpr (std::is_integral_v<T>) {
    if (!(v == v)) return T(0);
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::lowest();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return FromCompute<T>(static_cast<ComputeType<T>>(v));
  }
}

}  // namespace onnxedge::ops::signal
