// Copyright onnxedge authors.
// Element type conversion shared by Cast and CastLike.
//
// Numeric -> numeric follows ConvertValue (elementwise_util.h): floats -> integers truncate
// toward zero (NaN / out of range: see FloatToInt), integer narrowing wraps, double -> 16-bit
// floats rounds once, anything -> bool is "!= 0".
// Numeric -> string prints like numpy's str() of the value, which the ONNX test data uses: the
// shortest digits that round-trip in the source type, positional for 1e-4 <= |x| < 1e16 (with
// ".0" on integral values) and scientific ("1e-05", "1.5e+20") otherwise; infinities and NaN
// print as "INF", "-INF" and "NaN" (the spellings the ONNX spec reserves). Bools print "True" /
// "False" (numpy).
// String -> numeric parses decimal and scientific notation (locale-independent, surrounding
// whitespace and a leading '+' allowed) and, case-insensitively, "INF", "+INF", "-INF",
// "INFINITY" and "NaN". Integer targets accept integer strings exactly and otherwise truncate a
// parsed float ("100.5" -> 100). Bool accepts "true"/"false" (any case) or a number (!= 0).
// An unparseable string is a run error naming the element.
#pragma once

#include <string>

#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

/// Converts every element of `in` into `out` (same element count, already allocated with the
/// target type). `where` prefixes error messages.
Status CastTensor(const Tensor& in, Tensor* out, ThreadPool& pool, const std::string& where);

/// Parses the opset-1 Cast `to` string ("FLOAT", "INT64", ... any case); kUndefined if unknown.
DataType ParseCastTypeName(const std::string& name);

}  // namespace onnxedge::ops
