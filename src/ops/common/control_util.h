// Copyright onnxedge authors.
// Helpers shared by the control-flow, sequence and optional ops (If, Loop, Scan, Sequence*,
// SplitToSequence, ConcatFromSequence, Optional*): scalar reads, type-agnostic slicing along an
// axis, zero-copy views and aliasing checks. In their own namespace so generic names cannot
// collide with other op groups' helpers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "onnxedge/value.h"

namespace onnxedge::ops::control {

/// Reads a bool tensor holding exactly one element (scalar or any shape of size 1).
StatusOr<bool> ReadBoolScalar(const Tensor& t, const std::string& what);
/// Reads an int32/int64 tensor holding exactly one element.
StatusOr<int64_t> ReadIntScalar(const Tensor& t, const std::string& what);

/// Product of dims [begin, end).
int64_t DimProduct(const Shape& shape, size_t begin, size_t end);

/// A read-only view of t[index] along axis 0 (shape t.shape[1:]), sharing t's storage.
/// The view keeps t's storage alive. Callers must never write into it.
Tensor Axis0View(const Tensor& t, int64_t index);

/// Copies t[..., index, ...] (the sub-tensor at `index` along `axis`) into `dst`, which must
/// have t's shape without `axis`.
void GatherSlice(const Tensor& t, size_t axis, int64_t index, Tensor* dst);
/// Copies `src` into dst[..., index, ...] along `axis`; src has dst's shape without `axis`.
void ScatterSlice(const Tensor& src, size_t axis, int64_t index, Tensor* dst);

/// True when the element storage of `a` and `b` overlaps.
bool StorageOverlaps(const Tensor& a, const Tensor& b);

/// The concrete shape of a declared tensor type when every dim is known.
bool KnownShape(const ir::TypeInfo* type, Shape* shape);
/// The tensor element type of a declared type, looking through optional and sequence (so the
/// element type of a sequence's tensors), or kUndefined.
DataType DeclaredElemType(const ir::TypeInfo* type);

/// "tensor", "sequence" or "none", for messages.
const char* ValueKindName(const Value& v);

}  // namespace onnxedge::ops::control
