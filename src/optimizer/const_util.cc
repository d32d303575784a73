// Copyright onnxedge authors.
#include "optimizer/const_util.h"

#include <cstring>

namespace onnxedge::opt {

bool IsFloatType(DataType type) {
  return type == DataType::kFloat || type == DataType::kDouble || type == DataType::kFloat16 ||
         type == DataType::kBfloat16;
}

std::optional<std::vector<double>> ReadFloats(const Tensor& t) {
  const size_t n = static_cast<size_t>(t.size());
  std::vector<double> v(n);
  if (n > 0 && !t.raw_data()) return std::nullopt;
  switch (t.dtype()) {
    case DataType::kFloat:
      for (size_t i = 0; i < n; ++i) v[i] = t.data<float>()[i];
      return v;
    case DataType::kDouble:
      for (size_t i = 0; i < n; ++i) v[i] = t.data<double>()[i];
      return v;
    case DataType::kFloat16:
      for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(t.data<Float16>()[i]);
      return v;
    case DataType::kBfloat16:
      for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(t.data<BFloat16>()[i]);
      return v;
    default: return std::nullopt;
  }
}

Tensor MakeFloatTensor(DataType type, const Shape& shape, const std::vector<double>& values) {
  auto r = Tensor::Allocate(type, shape);
  if (!r.ok()) return Tensor();
  Tensor t = std::move(r).value();
  const size_t n = std::min(values.size(), static_cast<size_t>(t.size()));
  for (size_t i = 0; i < n; ++i) {
    switch (type) {
      case DataType::kFloat: t.data<float>()[i] = static_cast<float>(values[i]); break;
      case DataType::kDouble: t.data<double>()[i] = values[i]; break;
      case DataType::kFloat16:
        t.data<Float16>()[i] = Float16(static_cast<float>(values[i]));
        break;
      case DataType::kBfloat16:
        t.data<BFloat16>()[i] = BFloat16(static_cast<float>(values[i]));
        break;
      default: break;
    }
  }
  return t;
}

std::optional<std::vector<int64_t>> ReadInts(const Tensor& t) {
  const size_t n = static_cast<size_t>(t.size());
  if (n > 0 && !t.raw_data()) return std::nullopt;
  std::vector<int64_t> v(n);
  if (t.dtype() == DataType::kInt64) {
    for (size_t i = 0; i < n; ++i) v[i] = t.data<int64_t>()[i];
    return v;
  }
  if (t.dtype() == DataType::kInt32) {
    for (size_t i = 0; i < n; ++i) v[i] = t.data<int32_t>()[i];
    return v;
  }
  return std::nullopt;
}

Tensor MakeInt64Tensor(const std::vector<int64_t>& values) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values);
}

std::optional<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<double> BroadcastValues(const std::vector<double>& values, const Shape& shape,
                                    const Shape& to) {
  const size_t r = to.size();
  std::vector<int64_t> strides(r, 0);
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    const size_t o = r - shape.size() + i;
    strides[o] = shape[i] == 1 ? 0 : acc;
    acc *= shape[i];
  }
  const int64_t n = ShapeElementCount(to);
  std::vector<double> out(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::vector<int64_t> idx(r, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += idx[d] * strides[d];
    out[static_cast<size_t>(k)] = values[static_cast<size_t>(off)];
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < to[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

std::optional<Tensor> TransposeTensor(const Tensor& t, const std::vector<int64_t>& perm) {
  if (t.dtype() == DataType::kString || perm.size() != t.rank()) return std::nullopt;
  if (t.size() > 0 && !t.raw_data()) return std::nullopt;
  const size_t r = t.rank();
  Shape out_shape(r);
  for (size_t i = 0; i < r; ++i) {
    if (perm[i] < 0 || perm[i] >= static_cast<int64_t>(r)) return std::nullopt;
    out_shape[i] = t.dim(static_cast<size_t>(perm[i]));
  }
  auto alloc = Tensor::Allocate(t.dtype(), out_shape);
  if (!alloc.ok()) return std::nullopt;
  Tensor out = std::move(alloc).value();
  const size_t es = DataTypeSize(t.dtype());
  std::vector<int64_t> in_strides(r, 1);
  for (size_t i = r; i-- > 1;) in_strides[i - 1] = in_strides[i] * t.dim(i);
  std::vector<int64_t> idx(r, 0);
  const auto* src = static_cast<const uint8_t*>(t.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (int64_t k = 0; k < out.size(); ++k) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += idx[d] * in_strides[static_cast<size_t>(perm[d])];
    std::memcpy(dst + static_cast<size_t>(k) * es, src + static_cast<size_t>(off) * es, es);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

std::optional<std::vector<double>> PerChannelValues(const Tensor& c, int64_t out_channels,
                                                    size_t rank) {
  auto v = ReadFloats(c);
  if (!v || c.rank() > rank || rank < 2) return std::nullopt;
  if (c.size() == 1) return std::vector<double>(static_cast<size_t>(out_channels), (*v)[0]);
  // Right-aligned against [N, M, spatial...]: only the channel dim may differ from 1.
  const size_t off = rank - c.rank();
  for (size_t i = 0; i < c.rank(); ++i) {
    const size_t axis = off + i;
    const int64_t d = c.dim(i);
    if (axis == 1) {
      if (d != out_channels && d != 1) return std::nullopt;
    } else if (d != 1) {
      return std::nullopt;
    }
  }
  if (c.size() != out_channels) return std::nullopt;
  return v;
}

std::optional<Shape> ResolveReshapeTarget(const Shape& in, const std::vector<int64_t>& target,
                                          bool allowzero) {
  Shape out(target.size());
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allowzero) {
      if (i >= in.size()) return std::nullopt;
      d = in[i];
    }
    if (d == -1) {
      if (infer >= 0) return std::nullopt;
      infer = static_cast<int>(i);
      continue;
    }
    if (d < 0) return std::nullopt;
    out[i] = d;
    // Targets come from the model file: a product past int64 is no shape (UBSan found one).
    if (__builtin_mul_overflow(known, d, &known)) return std::nullopt;
  }
  const int64_t total = ShapeElementCount(in);
  if (total < 0) return std::nullopt;  // unknown or overflowing input shape
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return std::nullopt;
    out[static_cast<size_t>(infer)] = total / known;
  } else if (known != total) {
    return std::nullopt;
  }
  return out;
}

}  // namespace onnxedge::opt
