// Copyright onnxedge authors.
#include "core/compare.h"

#include <cmath>
#include <sstream>

namespace onnxedge {

namespace {

template <typename T>
double AsDouble(const T& v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return static_cast<double>(static_cast<float>(v));
  } else {
    return static_cast<double>(v);
  }
}

template <typename T>
void CompareFloat(const Tensor& got, const Tensor& exp, double rtol, double atol,
                  CompareResult* r) {
  const T* g = got.data<T>();
  const T* e = exp.data<T>();
  for (int64_t i = 0; i < got.size(); ++i) {
    const double gv = AsDouble(g[i]), ev = AsDouble(e[i]);
    if (std::isnan(ev) || std::isnan(gv)) {
      if (std::isnan(ev) != std::isnan(gv)) {
        if (r->mismatches++ == 0) {
          std::ostringstream os;
          os << "element " << i << ": got " << gv << ", expected " << ev;
          r->message = os.str();
        }
      }
      continue;
    }
    if (std::isinf(ev) || std::isinf(gv)) {
      if (gv != ev && r->mismatches++ == 0) {
        std::ostringstream os;
        os << "element " << i << ": got " << gv << ", expected " << ev;
        r->message = os.str();
      }
      continue;
    }
    const double diff = std::fabs(gv - ev);
    r->max_abs_error = std::max(r->max_abs_error, diff);
    if (ev != 0) r->max_rel_error = std::max(r->max_rel_error, diff / std::fabs(ev));
    if (diff > atol + rtol * std::fabs(ev)) {
      if (r->mismatches++ == 0) {
        std::ostringstream os;
        os.precision(9);
        os << "element " << i << ": got " << gv << ", expected " << ev << " (diff " << diff
           << ")";
        r->message = os.str();
      }
    }
  }
}

template <typename T>
void CompareExact(const Tensor& got, const Tensor& exp, CompareResult* r) {
  const T* g = got.data<T>();
  const T* e = exp.data<T>();
  for (int64_t i = 0; i < got.size(); ++i) {
    if (!(g[i] == e[i])) {
      if (r->mismatches++ == 0) {
        std::ostringstream os;
        if constexpr (std::is_same_v<T, std::string>) {
          os << "element " << i << ": got \"" << g[i] << "\", expected \"" << e[i] << "\"";
        } else {
          os << "element " << i << ": got " << +g[i] << ", expected " << +e[i];
        }
        r->message = os.str();
      }
    }
  }
  if constexpr (!std::is_same_v<T, std::string> && !std::is_same_v<T, bool>) {
    for (int64_t i = 0; i < got.size(); ++i) {
      double d = std::fabs(static_cast<double>(g[i]) - static_cast<double>(e[i]));
      r->max_abs_error = std::max(r->max_abs_error, d);
    }
  }
}

}  // namespace

CompareResult CompareTensors(const Tensor& got, const Tensor& exp, double rtol, double atol) {
  CompareResult r;
  if (got.dtype() != exp.dtype()) {
    r.match = false;
    r.message = std::string("type ") + DataTypeName(got.dtype()) + ", expected " +
                DataTypeName(exp.dtype());
    return r;
  }
  if (got.shape() != exp.shape()) {
    r.match = false;
    r.message = "shape " + ShapeToString(got.shape()) + ", expected " + ShapeToString(exp.shape());
    return r;
  }
  switch (got.dtype()) {
    case DataType::kFloat: CompareFloat<float>(got, exp, rtol, atol, &r); break;
    case DataType::kDouble: CompareFloat<double>(got, exp, rtol, atol, &r); break;
    case DataType::kFloat16: CompareFloat<Float16>(got, exp, rtol, atol, &r); break;
    case DataType::kBfloat16: CompareFloat<BFloat16>(got, exp, rtol, atol, &r); break;
    case DataType::kInt8: CompareExact<int8_t>(got, exp, &r); break;
    case DataType::kInt16: CompareExact<int16_t>(got, exp, &r); break;
    case DataType::kInt32: CompareExact<int32_t>(got, exp, &r); break;
    case DataType::kInt64: CompareExact<int64_t>(got, exp, &r); break;
    case DataType::kUint8: CompareExact<uint8_t>(got, exp, &r); break;
    case DataType::kUint16: CompareExact<uint16_t>(got, exp, &r); break;
    case DataType::kUint32: CompareExact<uint32_t>(got, exp, &r); break;
    case DataType::kUint64: CompareExact<uint64_t>(got, exp, &r); break;
    case DataType::kBool: CompareExact<bool>(got, exp, &r); break;
    case DataType::kString: CompareExact<std::string>(got, exp, &r); break;
    default:
      r.match = false;
      r.message = "unsupported type";
      return r;
  }
  if (r.mismatches > 0) {
    r.match = false;
    r.message = std::to_string(r.mismatches) + " of " + std::to_string(got.size()) +
                " elements differ; first: " + r.message;
  }
  return r;
}

CompareResult CompareValues(const Value& got, const Value& exp, double rtol, double atol) {
  CompareResult r;
  if (got.kind() != exp.kind()) {
    r.match = false;
    auto name = [](const Value& v) {
      return v.is_tensor() ? "tensor" : v.is_sequence() ? "sequence" : "none";
    };
    r.message = std::string("got a ") + name(got) + ", expected a " + name(exp);
    return r;
  }
  if (got.is_none()) return r;
  if (got.is_tensor()) return CompareTensors(got.tensor(), exp.tensor(), rtol, atol);
  const auto& gs = got.sequence();
  const auto& es = exp.sequence();
  if (gs.size() != es.size()) {
    r.match = false;
    r.message = "sequence length " + std::to_string(gs.size()) + ", expected " +
                std::to_string(es.size());
    return r;
  }
  for (size_t i = 0; i < gs.size(); ++i) {
    CompareResult e = CompareTensors(gs[i], es[i], rtol, atol);
    r.max_abs_error = std::max(r.max_abs_error, e.max_abs_error);
    r.max_rel_error = std::max(r.max_rel_error, e.max_rel_error);
    r.mismatches += e.mismatches;
    if (!e.match && r.match) {
      r.match = false;
      r.message = "sequence element " + std::to_string(i) + ": " + e.message;
    }
  }
  return r;
}

}  // namespace onnxedge
