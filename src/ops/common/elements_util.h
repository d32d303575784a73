// Copyright onnxedge authors.
// Shared by GatherElements and ScatterElements: validation of the element-wise index tensor and
// the walk that maps each index position to the data offset it addresses.
#pragma once

#include <string>
#include <vector>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

/// Checks that `indices` has the rank of `data` and no dim larger than data's (outside `axis`
/// any smaller dim is fine), then reads the indices, normalizing negative ones and rejecting
/// out-of-range ones. `what` names the op's index input in errors.
inline StatusOr<std::vector<int64_t>> ReadElementIndices(const KernelContext& ctx,
                                                         const Tensor& data, const Tensor& indices,
                                                         size_t axis) {
  if (indices.rank() != data.rank()) {
    return ctx.Error(StatusCode::kInvalidArgument, "input 'indices' has rank ", indices.rank(),
                     " but 'data' has rank ", data.rank());
  }
  for (size_t d = 0; d < data.rank(); ++d) {
    if (d != axis && indices.dim(d) > data.dim(d)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'indices' shape ",
                       ShapeToString(indices.shape()), " exceeds 'data' shape ",
                       ShapeToString(data.shape()), " at dim ", d);
    }
  }
  OE_ASSIGN_OR_RETURN(std::vector<int64_t> idx,
                      ReadInt64s(indices, ctx.Describe() + " input 'indices'"));
  const int64_t dim = data.dim(axis);
  for (int64_t& i : idx) {
    if (i < -dim || i >= dim) {
      return ctx.Error(StatusCode::kInvalidArgument, "index ", i,
                       " in input 'indices' is out of range for axis ", axis, " of size ", dim);
    }
    if (i < 0) i += dim;
  }
  return idx;
}

/// Calls f(k, offset) for every position k (row-major) of an index tensor of shape `ishape`,
/// where offset is the element of a data tensor of shape `dshape` that position addresses once
/// its coordinate along `axis` is replaced by idx[k]. Serial (scatter order matters).
template <typename F>
void ForEachElementIndex(const Shape& ishape, const Shape& dshape, size_t axis,
                         const std::vector<int64_t>& idx, F&& f) {
  const int64_t n = ShapeElementCount(ishape);
  if (n <= 0) return;
  const size_t rank = ishape.size();
  const std::vector<int64_t> ds = Strides(dshape);
  std::vector<int64_t> pos(rank, 0);
  int64_t base = 0;  // data offset of pos with the axis coordinate zeroed
  for (int64_t k = 0; k < n; ++k) {
    f(k, base + idx[static_cast<size_t>(k)] * ds[axis]);
    for (size_t d = rank; d-- > 0;) {
      ++pos[d];
      if (d != axis) base += ds[d];
      if (pos[d] < ishape[d]) break;
      if (d != axis) base -= ishape[d] * ds[d];
      pos[d] = 0;
    }
  }
}

}  // namespace onnxedge::ops
