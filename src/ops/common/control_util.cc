// Copyright onnxedge authors.
#include "ops/common/control_util.h"

#include <memory>

#include "ops/common/op_util.h"

namespace onnxedge::ops::control {

StatusOr<bool> ReadBoolScalar(const Tensor& t, const std::string& what) {
  if (t.dtype() != DataType::kBool || t.size() != 1) {
    return MakeError(StatusCode::kInvalidArgument, what,
                     " must be a bool tensor with one element, got ", DataTypeName(t.dtype()),
                     ShapeToString(t.shape()));
  }
  return *t.data<bool>();
}

StatusOr<int64_t> ReadIntScalar(const Tensor& t, const std::string& what) {
  if (t.size() != 1 || (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32)) {
    return MakeError(StatusCode::kInvalidArgument, what,
                     " must be an int32 or int64 tensor with one element, got ",
                     DataTypeName(t.dtype()), ShapeToString(t.shape()));
  }
  return t.dtype() == DataType::kInt64 ? *t.data<int64_t>()
                                       : static_cast<int64_t>(*t.data<int32_t>());
}

int64_t DimProduct(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) p *= shape[i];
  return p;
}

Tensor Axis0View(const Tensor& t, int64_t index) {
  Shape shape(t.shape().begin() + 1, t.shape().end());
  const int64_t inner = DimProduct(t.shape(), 1, t.rank());
  auto* base = static_cast<char*>(const_cast<void*>(t.raw_data()));
  char* p = base ? base + static_cast<size_t>(index * inner) * DataTypeSize(t.dtype()) : nullptr;
  // The holder keeps the source's storage (owned, shared or borrowed for this run) alive.
  auto holder = std::make_shared<Tensor>(t);
  return Tensor::FromShared(t.dtype(), std::move(shape), std::move(holder), p);
}

void GatherSlice(const Tensor& t, size_t axis, int64_t index, Tensor* dst) {
  const int64_t outer = DimProduct(t.shape(), 0, axis);
  const int64_t len = t.dim(axis);
  const int64_t inner = DimProduct(t.shape(), axis + 1, t.rank());
  const size_t es = DataTypeSize(t.dtype());
  const char* src = static_cast<const char*>(t.raw_data());
  char* out = static_cast<char*>(dst->raw_data());
  if (inner == 0 || outer == 0) return;
  for (int64_t o = 0; o < outer; ++o) {
    CopyElements(t.dtype(), src + static_cast<size_t>((o * len + index) * inner) * es,
                 out + static_cast<size_t>(o * inner) * es, inner);
  }
}

void ScatterSlice(const Tensor& src, size_t axis, int64_t index, Tensor* dst) {
  const int64_t outer = DimProduct(dst->shape(), 0, axis);
  const int64_t len = dst->dim(axis);
  const int64_t inner = DimProduct(dst->shape(), axis + 1, dst->rank());
  const size_t es = DataTypeSize(dst->dtype());
  const char* in = static_cast<const char*>(src.raw_data());
  char* out = static_cast<char*>(dst->raw_data());
  if (inner == 0 || outer == 0) return;
  for (int64_t o = 0; o < outer; ++o) {
    CopyElements(dst->dtype(), in + static_cast<size_t>(o * inner) * es,
                 out + static_cast<size_t>((o * len + index) * inner) * es, inner);
  }
}

bool StorageOverlaps(const Tensor& a, const Tensor& b) {
  if (a.bytes() == 0 || b.bytes() == 0 || !a.raw_data() || !b.raw_data()) return false;
  const char* a0 = static_cast<const char*>(a.raw_data());
  const char* b0 = static_cast<const char*>(b.raw_data());
  return a0 < b0 + b.bytes() && b0 < a0 + a.bytes();
}

bool KnownShape(const ir::TypeInfo* type, Shape* shape) {
  while (type && type->kind == ir::TypeInfo::Kind::kOptional) type = type->elem.get();
  if (!type || type->kind != ir::TypeInfo::Kind::kTensor || !type->has_shape) return false;
  shape->clear();
  for (const auto& d : type->dims) {
    if (!d.known()) return false;
    shape->push_back(d.value);
  }
  return true;
}

DataType DeclaredElemType(const ir::TypeInfo* type) {
  while (type && (type->kind == ir::TypeInfo::Kind::kOptional ||
                  type->kind == ir::TypeInfo::Kind::kSequence)) {
    type = type->elem.get();
  }
  if (!type || type->kind != ir::TypeInfo::Kind::kTensor) return DataType::kUndefined;
  return IsSupportedDataType(type->elem_type) ? type->elem_type : DataType::kUndefined;
}

const char* ValueKindName(const Value& v) {
  return v.is_tensor() ? "tensor" : v.is_sequence() ? "sequence" : "none";
}

}  // namespace onnxedge::ops::control
