// Copyright onnxedge authors.
// Row statistics shared by the normalization ops (Instance/Layer/GroupNormalization).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

/// Mean and population variance of n values, accumulated in float64 with two passes (stable
/// for large planes and rows with a big offset).
template <typename T>
inline void MeanVar(const T* x, int64_t n, double* mean, double* var) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(ToCompute(x[i]));
  const double m = n > 0 ? s / static_cast<double>(n) : 0.0;
  double v = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(ToCompute(x[i])) - m;
    v += d * d;
  }
  *mean = m;
  *var = n > 0 ? v / static_cast<double>(n) : 0.0;
}

}  // namespace onnxedge::ops

namespace onnxedge::ops {

/// Values of `t` broadcast (numpy rules, aligned right) to `shape`, as doubles in row-major
/// order; error naming `what` when `t` does not broadcast to exactly `shape`.
inline StatusOr<std::vector<double>> BroadcastTo(const Tensor& t, const Shape& shape,
                                                 const std::string& what) {
  const Shape& ts = t.shape();
  if (ts.size() > shape.size()) {
    return MakeError(StatusCode::kInvalidArgument, what, " of shape ", ShapeToString(ts),
                     " does not broadcast to ", ShapeToString(shape));
  }
  const size_t off = shape.size() - ts.size();
  std::vector<int64_t> strides(shape.size(), 0);
  int64_t acc = 1;
  for (size_t i = ts.size(); i-- > 0;) {
    if (ts[i] != 1 && ts[i] != shape[off + i]) {
      return MakeError(StatusCode::kInvalidArgument, what, " of shape ", ShapeToString(ts),
                       " does not broadcast to ", ShapeToString(shape));
    }
    strides[off + i] = ts[i] == 1 ? 0 : acc;
    acc *= ts[i];
  }
  OE_ASSIGN_OR_RETURN(std::vector<double> v, ReadDoubles(t, what));
  const int64_t n = ShapeElementCount(shape);
  std::vector<double> out(static_cast<size_t>(n));
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < shape.size(); ++d) o += idx[d] * strides[d];
    out[static_cast<size_t>(i)] = v[static_cast<size_t>(o)];
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

}  // namespace onnxedge::ops
