// Copyright onnxedge authors.
// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
// Supported element types: <f4 <f8 <f2 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 |b1 (little-endian, C
// order) and <U<n> (fixed-width UTF-32 strings, decoded to UTF-8 string tensors). Refused with an
// error naming the file: fortran_order=True, big-endian data, object and structured dtypes,
// truncated data, malformed headers. Data after the array (files written by several np.save
// calls) is ignored, as np.load does. bfloat16 has no NumPy type: it is written as <f4.
//
// Written by hand instead of using a library so the CLI has no dependency beyond the engine.
#pragma once

#include <cstddef>
#include <string>

#include "onnxedge/status.h"
#include "onnxedge/tensor.h"

namespace onnxedge::npy {

/// Parses a whole .npy file held in memory. `what` (usually the file path) prefixes errors.
StatusOr<Tensor> Decode(const void* data, size_t size, const std::string& what);
/// Reads a .npy file. Errors name the file.
StatusOr<Tensor> Read(const std::string& path);

/// Serializes a tensor to .npy bytes (version 1.0, or 2.0 when the header needs it).
StatusOr<std::string> Encode(const Tensor& tensor);
/// Writes a tensor to `path` atomically: the bytes go to a temporary file in the same folder
/// which is then renamed, so `path` never holds a partial file.
Status Write(const std::string& path, const Tensor& tensor);

/// The .npy type string written for `type` ("<f4", "|b1", ...); empty when not representable.
/// Strings are "<U" + width and bfloat16 maps to "<f4", so those two depend on the data.
std::string DescrFor(DataType type);

}  // namespace onnxedge::npy
