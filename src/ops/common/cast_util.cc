// Copyright onnxedge authors.
#include "ops/common/cast_util.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <system_error>

#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

// ---------------------------------------------------------------------------------------------
// Formatting

// The shortest decimal digits (no dot, no sign) and decimal exponent of |v| such that parsing
// them back gives v again in T. float and double use to_chars' shortest form; 16-bit floats try
// increasing precisions (at most 5 digits are ever needed).
template <typename T>
void ShortestDigits(T v, std::string* digits, int* exp10) {
  char buf[64];
  std::to_chars_result r{buf, std::errc()};
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    r = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  } else {
    const float f = std::fabs(static_cast<float>(v));
    const uint16_t want = T(f).bits;
    for (int p = 0; p <= 9; ++p) {
      r = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific, p);
      float back = 0.f;
      std::from_chars(buf, r.ptr, back);
      if (T(back).bits == want) break;
    }
  }
  const std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  const size_t e = s.find('e');
  digits->clear();
  for (char c : s.substr(0, e)) {
    if (c != '.') digits->push_back(c);
  }
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  std::string_view es = s.substr(e + 1);
  bool neg = false;
  if (!es.empty() && (es[0] == '+' || es[0] == '-')) {
    neg = es[0] == '-';
    es.remove_prefix(1);
  }
  int x = 0;
  std::from_chars(es.data(), es.data() + es.size(), x);
  *exp10 = neg ? -x : x;
}

template <typename T>
std::string FormatFloat(T v) {
  const double d = static_cast<double>(ToCompute(v));
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-INF" : "INF";
  std::string out = std::signbit(d) ? "-" : "";
  if (d == 0) return out + "0.0";
  std::string digits;
  int e = 0;
  ShortestDigits(v, &digits, &e);
  const int n = static_cast<int>(digits.size());
  const double a = std::fabs(d);
  if (a >= 1e-4 && a < 1e16) {
    if (e >= 0) {
      if (n <= e + 1) {
        out += digits;
        out.append(static_cast<size_t>(e + 1 - n), '0');
        out += ".0";
      } else {
        out.append(digits, 0, static_cast<size_t>(e + 1));
        out += '.';
        out.append(digits, static_cast<size_t>(e + 1));
      }
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-e - 1), '0');
      out += digits;
    }
  } else {
    out += digits[0];
    if (n > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += e < 0 ? "e-" : "e+";
    const int ae = e < 0 ? -e : e;
    if (ae < 10) out += '0';
    out += std::to_string(ae);
  }
  return out;
}

template <typename T>
std::string FormatValue(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (kIsFloat<T>) {
    return FormatFloat(v);
  } else {
    return std::to_string(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// Drops one leading '+' (from_chars does not take it); false for "+-..." and empty strings.
bool StripPlus(std::string_view* s) {
  if (!s->empty() && (*s)[0] == '+') {
    s->remove_prefix(1);
    if (s->empty() || (*s)[0] == '-' || (*s)[0] == '+') return false;
  }
  return !s->empty();
}

// Parses a float or double (F) from trimmed text; false when the whole text is not a number.
template <typename F>
bool ParseFloating(std::string_view s, F* out) {
  s = Trim(s);
  if (!StripPlus(&s)) return false;
  const bool neg = s[0] == '-';
  const std::string_view body = neg ? s.substr(1) : s;
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    *out = neg ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
    return true;
  }
  if (EqualsIgnoreCase(body, "nan")) {
    *out = std::numeric_limits<F>::quiet_NaN();
    return true;
  }
  F v{};
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (r.ptr != s.data() + s.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars leaves the value unset: let strtod give +-inf or the underflowed value.
    const std::string copy(s);
    if constexpr (std::is_same_v<F, float>) {
      v = std::strtof(copy.c_str(), nullptr);
    } else {
      v = std::strtod(copy.c_str(), nullptr);
    }
  } else if (r.ec != std::errc()) {
    return false;
  }
  *out = v;
  return true;
}

template <typename T>
bool ParseString(const std::string& text, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    return ParseFloating(text, out);
  } else if constexpr (std::is_floating_point_v<T> || kIsHalf<T>) {
    double d = 0;
    if (!ParseFloating(text, &d)) return false;
    *out = ConvertValue<T>(d);
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    const std::string_view s = Trim(text);
    if (EqualsIgnoreCase(s, "true")) {
      *out = true;
      return true;
    }
    if (EqualsIgnoreCase(s, "false")) {
      *out = false;
      return true;
    }
    double d = 0;
    if (!ParseFloating(s, &d)) return false;
    *out = d != 0;
    return true;
  } else {
    std::string_view s = Trim(text);
    if (!StripPlus(&s)) return false;
    const char* end = s.data() + s.size();
    int64_t i = 0;
    auto r = std::from_chars(s.data(), end, i);
    if (r.ec == std::errc() && r.ptr == end) {
      *out = static_cast<T>(i);
      return true;
    }
    uint64_t u = 0;
    r = std::from_chars(s.data(), end, u);
    if (r.ec == std::errc() && r.ptr == end) {
      *out = static_cast<T>(u);
      return true;
    }
    double d = 0;
    if (!ParseFloating(s, &d)) return false;
    *out = FloatToInt<T>(d);
    return true;
  }
}

}  // namespace

Status CastTensor(const Tensor& in, Tensor* out, ThreadPool& pool, const std::string& where) {
  const DataType from = in.dtype(), to = out->dtype();
  const int64_t n = in.size();
  if (from == to) {
    CopyElements(from, in.raw_data(), out->raw_data(), n);
    return Status::Ok();
  }
  return Dispatch<AllTypes>(from, [&](auto ftag) -> Status {
    using F = typename decltype(ftag)::type;
    return Dispatch<AllTypes>(to, [&](auto ttag) -> Status {
      using To = typename decltype(ttag)::type;
      const F* src = in.data<F>();
      To* dst = out->data<To>();
      if constexpr (std::is_same_v<F, To>) {
        for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
      } else if constexpr (std::is_same_v<F, std::string>) {
        for (int64_t i = 0; i < n; ++i) {
          if (!ParseString(src[i], &dst[i])) {
            const std::string shown = src[i].size() > 40 ? src[i].substr(0, 40) + "..." : src[i];
            return MakeError(StatusCode::kInvalidArgument, where, ": cannot parse string \"", shown,
                             "\" (element ", i, ") as ", DataTypeName(to));
          }
        }
      } else if constexpr (std::is_same_v<To, std::string>) {
        pool.ParallelFor(n, 2048, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) dst[i] = FormatValue(src[i]);
        });
      } else {
        pool.ParallelFor(n, kElementwiseMinChunk, [&](int64_t b, int64_t e) {
          const F* __restrict__ s = src;
          To* __restrict__ d = dst;
          for (int64_t i = b; i < e; ++i) d[i] = ConvertValue<To>(s[i]);
        });
      }
      return Status::Ok();
    });
  });
}

DataType ParseCastTypeName(const std::string& name) {
  static const std::pair<const char*, DataType> kNames[] = {
      {"float", DataType::kFloat},   {"uint8", DataType::kUint8},
      {"int8", DataType::kInt8},     {"uint16", DataType::kUint16},
      {"int16", DataType::kInt16},   {"int32", DataType::kInt32},
      {"int64", DataType::kInt64},   {"string", DataType::kString},
      {"bool", DataType::kBool},     {"float16", DataType::kFloat16},
      {"double", DataType::kDouble}, {"uint32", DataType::kUint32},
      {"uint64", DataType::kUint64}, {"bfloat16", DataType::kBfloat16},
  };
  for (const auto& [n, t] : kNames) {
    if (EqualsIgnoreCase(name, n)) return t;
  }
  return DataType::kUndefined;
}

}  // namespace onnxedge::ops
