// Copyright onnxedge authors.
// Numeric comparison of run results against references (used by `check` and the test suites).
#pragma once

#include <string>

#include "onnxedge/value.h"

namespace onnxedge {

struct CompareResult {
  bool match = true;
  double max_abs_error = 0;  ///< Over float elements (0 for exact types).
  double max_rel_error = 0;  ///< |got - expected| / |expected| over elements with expected != 0.
  int64_t mismatches = 0;    ///< Elements outside tolerance.
  std::string message;       ///< Why it does not match (first problem), empty when it does.
};

/// Floats match when |got - expected| <= atol + rtol * |expected| (NaN matches NaN, infinities
/// must be equal). Integers, bools and strings must be equal. Shapes and types must be equal.
/// Sequences compare element-wise; none matches none.
CompareResult CompareValues(const Value& got, const Value& expected, double rtol, double atol);
CompareResult CompareTensors(const Tensor& got, const Tensor& expected, double rtol, double atol);

}  // namespace onnxedge
