// Copyright onnxedge authors.
// Helpers shared by the data-movement ops (Transpose, Slice, Concat, Split, Pad, Tile, Expand,
// DepthToSpace, ...): element moves by element size, and one strided N-d copy that every
// layout-changing op reduces to.
//
// Moving elements by their byte size (uint8/16/32/64) instead of by type keeps one template
// instantiation per size rather than per ONNX type; strings are the one non-trivial element type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

/// Calls `f(TypeTag<U>{})` with U = std::string for string tensors and otherwise the unsigned
/// integer type with the element's size (bool and int8 -> uint8_t, float16 -> uint16_t, ...).
template <typename F>
Status DispatchBySize(DataType type, F&& f) {
  if (type == DataType::kString) return f(TypeTag<std::string>{});
  switch (DataTypeSize(type)) {
    case 1:
      return f(TypeTag<uint8_t>{});
    case 2:
      return f(TypeTag<uint16_t>{});
    case 4:
      return f(TypeTag<uint32_t>{});
    case 8:
      return f(TypeTag<uint64_t>{});
    default:
      return MakeError(StatusCode::kNotImplemented, "element type ", DataTypeName(type),
                       " is not supported here");
  }
}

/// Pointer to element `index` of a buffer of `type` elements.
inline void* ElementPtr(void* base, DataType type, int64_t index) {
  return static_cast<char*>(base) + index * static_cast<int64_t>(DataTypeSize(type));
}
inline const void* ElementPtr(const void* base, DataType type, int64_t index) {
  return static_cast<const char*>(base) + index * static_cast<int64_t>(DataTypeSize(type));
}

/// Copies `w` elements of a short run (a piece of a row): runs of one or two elements inline (a
/// memcpy call per piece of two floats costs more than the copy), longer ones as a loop the
/// compiler vectorizes. No overlap.
template <typename U>
inline void CopyShortRun(const U* __restrict__ s, U* __restrict__ d, int64_t w) {
  switch (w) {
    case 1:
      d[0] = s[0];
      return;
    case 2:
      d[0] = s[0];
      d[1] = s[1];
      return;
    default:
      for (int64_t j = 0; j < w; ++j) d[j] = s[j];
  }
}

/// For every index i of `shape`: dst[sum(i[k] * dst_strides[k])] = src[sum(i[k] * src_strides[k])].
/// Strides are in elements. Source strides may be 0 (broadcast) or negative (reversed slices);
/// `src` and `dst` point at the element of index (0, ..., 0). Adjacent dims are merged, contiguous
/// inner runs are copied with memcpy, a preserved-last-axis transpose copies runs, and a 2-D inner
/// transpose (the source-contiguous dim is not the innermost destination dim) uses cache blocks.
/// Parallel over outer dims when `pool` is non-null and the copy is large. Strides are Shapes
/// (inline storage), so braced lists such as {row, 1} allocate nothing.
void StridedCopy(DataType type, const void* src, const Shape& src_strides, void* dst,
                 const Shape& dst_strides, const Shape& shape, ThreadPool* pool);

/// Copies `src` (contiguous) permuted by `perm` into contiguous `dst`: dst dim i is src dim
/// perm[i]. `perm` must be a permutation of [0, rank).
void TransposeCopy(DataType type, const void* src, const Shape& src_shape,
                   const std::vector<int64_t>& perm, void* dst, ThreadPool* pool);

/// Sets `n` elements of `dst` to the single element at `value` (any type, strings included).
void FillElements(DataType type, void* dst, const void* value, int64_t n);

/// Reads a scalar (or one-element tensor) of any integer type as int64.
StatusOr<int64_t> ReadScalarInt(const Tensor& t, const std::string& what);

/// NormalizeAxes that also rejects any axis for a rank-0 tensor (op_util's NormalizeAxis lets
/// axis 0 / -1 through at rank 0, which would index a dim that does not exist).
StatusOr<std::vector<int64_t>> NormalizeAxesForRank(const std::vector<int64_t>& axes, int64_t rank,
                                                    const std::string& where);

/// Product of dims [begin, end) of `shape`.
int64_t DimProduct(const Shape& shape, size_t begin, size_t end);

}  // namespace onnxedge::ops
