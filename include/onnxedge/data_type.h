// Copyright onnxedge authors.
// Element types of tensors. Values match ONNX TensorProto.DataType so files map 1:1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace onnxedge {

/// Tensor element type. The numeric values equal ONNX's TensorProto.DataType.
enum class DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
};

/// Bytes per element; 0 for kUndefined and sizeof(std::string) for kString.
size_t DataTypeSize(DataType type);
/// ONNX-style lowercase name: "float32", "int64", "bool", "string", ...
const char* DataTypeName(DataType type);
/// True for the types onnxedge can hold in a tensor (everything except complex and undefined).
bool IsSupportedDataType(DataType type);
/// Parses names such as "float32", "float", "int8", "uint8", "bool"; kUndefined if unknown.
DataType ParseDataType(const std::string& name);

/// IEEE 754 binary16, stored as bits. Conversions round to nearest even.
struct Float16 {
  uint16_t bits = 0;
  Float16() = default;
  explicit Float16(float f) : bits(FromFloat(f)) {}
  explicit operator float() const { return ToFloat(bits); }
  static uint16_t FromFloat(float f);
  static float ToFloat(uint16_t h);
};

/// bfloat16 (the upper half of a float32), stored as bits. Conversion rounds to nearest even.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float f) : bits(FromFloat(f)) {}
  explicit operator float() const {
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, sizeof(f));
    return f;
  }
  static uint16_t FromFloat(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof(u));
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
  }
};

/// Maps a C++ element type to its DataType at compile time.
template <typename T>
struct DataTypeOf;
#define ONNXEDGE_DATATYPE_OF(T, E) \
  template <>                      \
  struct DataTypeOf<T> {           \
    static constexpr DataType value = DataType::E; \
  };
ONNXEDGE_DATATYPE_OF(float, kFloat)
ONNXEDGE_DATATYPE_OF(uint8_t, kUint8)
ONNXEDGE_DATATYPE_OF(int8_t, kInt8)
ONNXEDGE_DATATYPE_OF(uint16_t, kUint16)
ONNXEDGE_DATATYPE_OF(int16_t, kInt16)
ONNXEDGE_DATATYPE_OF(int32_t, kInt32)
ONNXEDGE_DATATYPE_OF(int64_t, kInt64)
ONNXEDGE_DATATYPE_OF(std::string, kString)
ONNXEDGE_DATATYPE_OF(bool, kBool)
ONNXEDGE_DATATYPE_OF(Float16, kFloat16)
ONNXEDGE_DATATYPE_OF(double, kDouble)
ONNXEDGE_DATATYPE_OF(uint32_t, kUint32)
ONNXEDGE_DATATYPE_OF(uint64_t, kUint64)
ONNXEDGE_DATATYPE_OF(BFloat16, kBfloat16)
#undef ONNXEDGE_DATATYPE_OF

}  // namespace onnxedge
