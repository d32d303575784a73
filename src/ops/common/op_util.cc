// Copyright onnxedge authors.
#include "ops/common/op_util.h"

#include <cstring>
#include <unordered_set>

namespace onnxedge::ops {

StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const std::string& where) {
  if (axis < -rank || axis >= rank) {  // Also rejects every axis of a rank-0 tensor.
    return MakeError(StatusCode::kInvalidArgument, where, ": axis ", axis,
                     " is out of range for rank ", rank);
  }
  return axis < 0 ? axis + rank : axis;
}

StatusOr<std::vector<int64_t>> NormalizeAxes(const std::vector<int64_t>& axes, int64_t rank,
                                             const std::string& where) {
  std::vector<int64_t> out;
  std::unordered_set<int64_t> seen;
  for (int64_t a : axes) {
    OE_ASSIGN_OR_RETURN(int64_t n, NormalizeAxis(a, rank, where));
    if (!seen.insert(n).second) {
      return MakeError(StatusCode::kInvalidArgument, where, ": axis ", a, " is repeated");
    }
    out.push_back(n);
  }
  return out;
}

Status NormalizeAxesInto(const Shape& axes, int64_t rank, const std::string& where, Shape* out) {
  out->clear();
  for (int64_t a : axes) {
    OE_ASSIGN_OR_RETURN(int64_t n, NormalizeAxis(a, rank, where));
    if (std::find(out->begin(), out->end(), n) != out->end()) {
      return MakeError(StatusCode::kInvalidArgument, where, ": axis ", a, " is repeated");
    }
    out->push_back(n);
  }
  return Status::Ok();
}

StatusOr<std::vector<int64_t>> ReadInt64s(const Tensor& t, const std::string& where) {
  std::vector<int64_t> out(static_cast<size_t>(t.size()));
  if (t.dtype() == DataType::kInt64) {
    if (t.size()) std::memcpy(out.data(), t.raw_data(), t.bytes());
  } else if (t.dtype() == DataType::kInt32) {
    const int32_t* p = t.data<int32_t>();
    for (int64_t i = 0; i < t.size(); ++i) out[static_cast<size_t>(i)] = p[i];
  } else {
    return MakeError(StatusCode::kInvalidArgument, where, ": expected an int32 or int64 tensor, got ",
                     DataTypeName(t.dtype()));
  }
  return out;
}

Status ReadInt64sInto(const Tensor& t, const std::string& where, const char* what, Shape* out) {
  out->resize(static_cast<size_t>(t.size()));
  if (t.dtype() == DataType::kInt64) {
    if (t.size()) std::memcpy(out->data(), t.raw_data(), t.bytes());
  } else if (t.dtype() == DataType::kInt32) {
    const int32_t* p = t.data<int32_t>();
    for (int64_t i = 0; i < t.size(); ++i) (*out)[static_cast<size_t>(i)] = p[i];
  } else {
    return MakeError(StatusCode::kInvalidArgument, where, " input '", what,
                     "': expected an int32 or int64 tensor, got ", DataTypeName(t.dtype()));
  }
  return Status::Ok();
}

StatusOr<std::vector<double>> ReadDoubles(const Tensor& t, const std::string& where) {
  std::vector<double> out(static_cast<size_t>(t.size()));
  Status s = Dispatch<NumericTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.size(); ++i) {
      out[static_cast<size_t>(i)] = static_cast<double>(ToCompute(p[i]));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext(where);
  return out;
}

Status ReadDoublesInto(const Tensor& t, const std::string& where, const char* what, double* out) {
  Status s = Dispatch<NumericTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.size(); ++i) out[i] = static_cast<double>(ToCompute(p[i]));
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext(where + " input '" + what + "'");
  return Status::Ok();
}

std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) {
    s[static_cast<size_t>(i)] = s[static_cast<size_t>(i) + 1] * shape[static_cast<size_t>(i) + 1];
  }
  return s;
}

Shape InlineStrides(const Shape& shape) {
  Shape s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

StatusOr<Shape> BroadcastShapes(ShapeList shapes, const std::string& where) {
  size_t rank = 0;
  for (const Shape* s : shapes) rank = std::max(rank, s->size());
  Shape out(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    int64_t dim = 1;
    for (const Shape* s : shapes) {
      const size_t pad = rank - s->size();
      if (d < pad) continue;
      const int64_t v = (*s)[d - pad];
      if (v == dim || v == 1) continue;
      if (dim == 1) {
        dim = v;
        continue;
      }
      std::string desc;
      for (const Shape* s2 : shapes) desc += (desc.empty() ? "" : " and ") + ShapeToString(*s2);
      return MakeError(StatusCode::kInvalidArgument, where, ": shapes ", desc,
                       " cannot be broadcast together");
    }
    out[d] = dim;
  }
  return out;
}

StatusOr<BroadcastPlan> BroadcastPlan::Make(ShapeList inputs, const std::string& where) {
  BroadcastPlan plan;
  OE_ASSIGN_OR_RETURN(plan.out_shape_, BroadcastShapes(inputs, where));
  plan.out_size_ = ShapeElementCount(plan.out_shape_);
  const size_t n = inputs.size();
  const size_t rank = plan.out_shape_.size();
  // Per dim (dropping output dims of size 1): output size and which inputs broadcast along it
  // (bcast[dim * n + input]). Adjacent dims with the same pattern merge.
  Shape dims;
  SmallVector<uint8_t, 64> bcast;
  SmallVector<uint8_t, 8> b(n, 0);
  for (size_t d = 0; d < rank; ++d) {
    if (plan.out_shape_[d] == 1) continue;
    for (size_t i = 0; i < n; ++i) {
      const size_t pad = rank - inputs[i]->size();
      b[i] = d < pad || (*inputs[i])[d - pad] == 1;
    }
    if (!dims.empty() && std::equal(b.begin(), b.end(), bcast.end() - n)) {
      dims.back() *= plan.out_shape_[d];
    } else {
      dims.push_back(plan.out_shape_[d]);
      for (size_t i = 0; i < n; ++i) bcast.push_back(b[i]);
    }
  }
  plan.inner_strides_.assign(n, 1);
  if (dims.empty()) {
    plan.inner_ = 1;
    plan.outer_ = plan.out_size_ == 0 ? 0 : 1;
    return plan;
  }
  const size_t k = dims.size();
  auto broadcast = [&](size_t d, size_t i) { return bcast[d * n + i] != 0; };
  plan.inner_ = dims[k - 1];
  for (size_t i = 0; i < n; ++i) plan.inner_strides_[i] = broadcast(k - 1, i) ? 0 : 1;
  plan.outer_dims_.assign(dims.begin(), dims.end() - 1);
  plan.outer_ = plan.inner_ == 0 ? 0 : 1;
  for (int64_t d : plan.outer_dims_) plan.outer_ *= d;
  if (plan.out_size_ == 0) plan.outer_ = 0;
  plan.strides_.assign(n * (k - 1), 0);
  for (size_t i = 0; i < n; ++i) {
    int64_t* s = plan.strides_.data() + i * (k - 1);
    int64_t acc = broadcast(k - 1, i) ? 1 : dims[k - 1];
    for (int64_t d = static_cast<int64_t>(k) - 2; d >= 0; --d) {
      if (broadcast(static_cast<size_t>(d), i)) {
        s[d] = 0;
      } else {
        s[d] = acc;
        acc *= dims[static_cast<size_t>(d)];
      }
    }
  }
  return plan;
}

void BroadcastPlan::Offsets(int64_t o, int64_t* offsets) const {
  const size_t n = inner_strides_.size();
  const size_t k = outer_dims_.size();
  for (size_t i = 0; i < n; ++i) offsets[i] = 0;
  for (int64_t d = static_cast<int64_t>(k) - 1; d >= 0 && o > 0; --d) {
    const int64_t dim = outer_dims_[static_cast<size_t>(d)];
    const int64_t idx = o % dim;
    o /= dim;
    for (size_t i = 0; i < n; ++i) offsets[i] += idx * strides_[i * k + static_cast<size_t>(d)];
  }
}

void CopyElements(DataType type, const void* src, void* dst, int64_t n) {
  if (n <= 0) return;
  if (type == DataType::kString) {
    const auto* s = static_cast<const std::string*>(src);
    auto* d = static_cast<std::string*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    return;
  }
  std::memcpy(dst, src, static_cast<size_t>(n) * DataTypeSize(type));
}

}  // namespace onnxedge::ops
