// Copyright onnxedge authors.
#include "npy.h"

#include <unistd.h>

#include <bit>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "core/file_util.h"

namespace onnxedge::npy {

namespace {

namespace fs = std::filesystem;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// Bound on the header text: real headers are a few hundred bytes; this stops a corrupt length
// field from making us scan megabytes of data as a header.
constexpr size_t kMaxHeaderSize = 1 << 20;

struct TypeEntry {
  const char* code;  // Kind and size without the byte-order character.
  DataType type;
};
constexpr TypeEntry kTypes[] = {
    {"f4", DataType::kFloat},  {"f8", DataType::kDouble}, {"f2", DataType::kFloat16},
    {"i1", DataType::kInt8},   {"u1", DataType::kUint8},  {"i2", DataType::kInt16},
    {"u2", DataType::kUint16}, {"i4", DataType::kInt32},  {"u4", DataType::kUint32},
    {"i8", DataType::kInt64},  {"u8", DataType::kUint64}, {"b1", DataType::kBool},
};

Status Err(const std::string& what, const std::string& msg) {
  return MakeError(StatusCode::kInvalidArgument, "'", what, "': ", msg);
}

// --- A parser for the Python dict literal of the header -------------------------------------

struct Header {
  std::string descr;
  bool has_descr = false, has_order = false, has_shape = false;
  bool fortran_order = false;
  Shape shape;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& what) : s_(text), what_(what) {}

  Status Parse(Header* h) {
    Skip();
    if (!Eat('{')) return Fail("header is not a Python dict");
    Skip();
    while (!Peek('}')) {
      std::string key;
      OE_RETURN_IF_ERROR(ParseString(&key));
      Skip();
      if (!Eat(':')) return Fail("expected ':' after key '" + key + "'");
      Skip();
      if (key == "descr") {
        if (Peek('[')) return Fail("structured dtypes are not supported");
        OE_RETURN_IF_ERROR(ParseString(&h->descr));
        h->has_descr = true;
      } else if (key == "fortran_order") {
        if (EatWord("True")) {
          h->fortran_order = true;
        } else if (EatWord("False")) {
          h->fortran_order = false;
        } else {
          return Fail("fortran_order must be True or False");
        }
        h->has_order = true;
      } else if (key == "shape") {
        OE_RETURN_IF_ERROR(ParseShape(&h->shape));
        h->has_shape = true;
      } else {
        return Fail("unexpected header key '" + key + "'");
      }
      Skip();
      if (Eat(',')) {
        Skip();
        continue;
      }
      if (!Peek('}')) return Fail("expected ',' or '}' in header");
    }
    Eat('}');
    Skip();
    if (pos_ != s_.size()) return Fail("unexpected text after the header dict");
    if (!h->has_descr || !h->has_order || !h->has_shape) {
      return Fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    }
    return Status::Ok();
  }

 private:
  Status Fail(const std::string& msg) const { return Err(what_, "malformed .npy header: " + msg); }
  void Skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  bool EatWord(const char* w) {
    const size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0) return false;
    pos_ += n;
    return true;
  }
  Status ParseString(std::string* out) {
    if (!Peek('\'') && !Peek('"')) return Fail("expected a quoted string");
    const char q = s_[pos_++];
    out->clear();
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\') return Fail("escapes in header strings are not supported");
      out->push_back(s_[pos_++]);
    }
    if (!Eat(q)) return Fail("unterminated string");
    return Status::Ok();
  }
  Status ParseShape(Shape* shape) {
    if (!Eat('(')) return Fail("shape must be a tuple");
    shape->clear();
    Skip();
    while (!Peek(')')) {
      if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        return Fail("shape entries must be non-negative integers");
      }
      int64_t v = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        const int d = s_[pos_++] - '0';
        if (v > (std::numeric_limits<int64_t>::max() - d) / 10) return Fail("dimension too large");
        v = v * 10 + d;
      }
      Eat('L');  // Python 2 long literals.
      shape->push_back(v);
      Skip();
      if (Eat(',')) {
        Skip();
        continue;
      }
      if (!Peek(')')) return Fail("expected ',' or ')' in shape");
    }
    Eat(')');
    return Status::Ok();
  }

  const std::string& s_;
  const std::string& what_;
  size_t pos_ = 0;
};

// --- UTF-8 <-> UTF-32 for <U arrays -----------------------------------------------------------

bool DecodeUtf8(const std::string& s, std::vector<uint32_t>* out) {
  out->clear();
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    out->push_back(cp);
    i += len;
  }
  return true;
}

bool AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    if (cp >= 0xd800 && cp < 0xe000) return false;
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x110000) {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    return false;
  }
  return true;
}

uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

std::string ShapeTuple(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

}  // namespace

std::string DescrFor(DataType type) {
  switch (type) {
    case DataType::kBfloat16:
      return "<f4";
    case DataType::kString:
      return "<U";
    default:
      break;
  }
  for (const auto& e : kTypes) {
    if (e.type == type) {
      const bool one_byte = DataTypeSize(type) == 1;
      return std::string(one_byte ? "|" : "<") + e.code;
    }
  }
  return "";
}

StatusOr<Tensor> Decode(const void* data, size_t size, const std::string& what) {
  if constexpr (std::endian::native != std::endian::little) {
    return Err(what, ".npy files can only be read on little-endian hosts");
  }
  const auto* p = static_cast<const uint8_t*>(data);
  if (size < kMagicSize + 2 || std::memcmp(p, kMagic, kMagicSize) != 0) {
    return Err(what, "not a .npy file (bad magic bytes)");
  }
  const int major = p[6];
  const int minor = p[7];
  size_t header_len = 0;
  size_t prefix = 0;
  if (major == 1) {
    if (size < 10) return Err(what, "truncated .npy header");
    header_len = static_cast<size_t>(p[8]) | (static_cast<size_t>(p[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return Err(what, "truncated .npy header");
    header_len = LoadLe32(p + 8);
    prefix = 12;
  } else {
    return Err(what, "unsupported .npy format version " + std::to_string(major) + "." +
                         std::to_string(minor));
  }
  if (header_len > kMaxHeaderSize) return Err(what, "malformed .npy header: length too large");
  if (header_len > size - prefix) return Err(what, "truncated .npy header");
  const std::string text(reinterpret_cast<const char*>(p + prefix), header_len);
  Header h;
  OE_RETURN_IF_ERROR(HeaderParser(text, what).Parse(&h));
  if (h.fortran_order) {
    return Err(what,
               "fortran_order=True arrays are not supported (save a C-ordered array, "
               "e.g. np.ascontiguousarray)");
  }

  // Type string: byte order ('<', '|', '=' or '>'), kind, size.
  const std::string& d = h.descr;
  if (d.size() < 2) return Err(what, "unsupported dtype '" + d + "'");
  const char order = d[0];
  const std::string code = d.substr(1);
  if (order == '>' && code != "i1" && code != "u1" && code != "b1") {
    return Err(what, "big-endian dtype '" + d +
                         "' is not supported (use a little-endian "
                         "array, e.g. arr.astype(arr.dtype.newbyteorder('<')))");
  }
  if (order != '<' && order != '|' && order != '=' && order != '>') {
    return Err(what, "unsupported dtype '" + d + "'");
  }
  if (code[0] == 'O') return Err(what, "object arrays are not supported");
  DataType type = DataType::kUndefined;
  size_t unicode_width = 0;
  if (code[0] == 'U') {
    for (size_t i = 1; i < code.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(code[i])) || unicode_width > (1u << 24)) {
        return Err(what, "unsupported dtype '" + d + "'");
      }
      unicode_width = unicode_width * 10 + static_cast<size_t>(code[i] - '0');
    }
    // Width 0 would let a tiny file declare billions of (empty) strings.
    if (code.size() < 2 || unicode_width == 0) return Err(what, "unsupported dtype '" + d + "'");
    type = DataType::kString;
  } else {
    for (const auto& e : kTypes) {
      if (code == e.code) type = e.type;
    }
  }
  if (type == DataType::kUndefined) return Err(what, "unsupported dtype '" + d + "'");

  const int64_t count = ShapeElementCount(h.shape);
  if (count < 0) return Err(what, "shape " + ShapeTuple(h.shape) + " is too large");
  const size_t item = type == DataType::kString ? 4 * unicode_width : DataTypeSize(type);
  if (item != 0 && static_cast<uint64_t>(count) > std::numeric_limits<size_t>::max() / item) {
    return Err(what, "shape " + ShapeTuple(h.shape) + " is too large");
  }
  const size_t need = static_cast<size_t>(count) * item;
  const size_t have = size - prefix - header_len;
  if (have < need) {
    return Err(what, "truncated .npy data: shape " + ShapeTuple(h.shape) + " of " + d + " needs " +
                         std::to_string(need) + " bytes, the file has " + std::to_string(have));
  }
  const uint8_t* src = p + prefix + header_len;
  auto t = Tensor::Allocate(type, h.shape);
  if (!t.ok()) return t.status().WithContext("'" + what + "'");
  if (type == DataType::kString) {
    auto* out = t->data<std::string>();
    for (int64_t i = 0; i < count; ++i) {
      const uint8_t* cell = src + static_cast<size_t>(i) * item;
      std::string s;
      for (size_t k = 0; k < unicode_width; ++k) {
        const uint32_t cp = LoadLe32(cell + 4 * k);
        if (cp == 0) break;  // NumPy pads with NUL.
        if (!AppendUtf8(cp, &s)) {
          return Err(what, "invalid code point in string element " + std::to_string(i));
        }
      }
      out[i] = std::move(s);
    }
  } else if (type == DataType::kBool) {
    // Any non-zero byte is true; the engine expects 0/1.
    auto* out = t->data<bool>();
    for (int64_t i = 0; i < count; ++i) out[i] = src[i] != 0;
  } else if (need > 0) {
    std::memcpy(t->raw_data(), src, need);
  }
  return std::move(t).value();
}

StatusOr<Tensor> Read(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Err(path, "is a folder, not a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(StatusCode::kNotFound, "cannot open '", path, "'");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return MakeError(StatusCode::kIoError, "error reading '", path, "'");
  return Decode(bytes.data(), bytes.size(), path);
}

StatusOr<std::string> Encode(const Tensor& tensor) {
  if constexpr (std::endian::native != std::endian::little) {
    return MakeError(StatusCode::kNotImplemented,
                     ".npy files can only be written on "
                     "little-endian hosts");
  }
  const DataType type = tensor.dtype();
  std::string descr = DescrFor(type);
  if (descr.empty()) {
    return MakeError(StatusCode::kNotImplemented, "element type ", DataTypeName(type),
                     " cannot be stored in a .npy file");
  }
  std::string payload;
  const auto count = static_cast<size_t>(tensor.size());
  if (type == DataType::kString) {
    std::vector<std::vector<uint32_t>> cps(count);
    size_t width = 1;
    for (size_t i = 0; i < count; ++i) {
      if (!DecodeUtf8(tensor.data<std::string>()[i], &cps[i])) {
        return MakeError(StatusCode::kInvalidArgument, "string element ", i, " is not valid UTF-8");
      }
      width = std::max(width, cps[i].size());
    }
    descr += std::to_string(width);
    payload.assign(count * width * 4, '\0');
    for (size_t i = 0; i < count; ++i) {
      for (size_t k = 0; k < cps[i].size(); ++k) {
        const uint32_t cp = cps[i][k];
        char* dst = &payload[(i * width + k) * 4];
        for (int b = 0; b < 4; ++b) dst[b] = static_cast<char>((cp >> (8 * b)) & 0xff);
      }
    }
  } else if (type == DataType::kBfloat16) {
    payload.resize(count * 4);
    const auto* src = tensor.data<BFloat16>();
    for (size_t i = 0; i < count; ++i) {
      const float f = static_cast<float>(src[i]);
      std::memcpy(&payload[i * 4], &f, 4);
    }
  } else {
    payload.assign(static_cast<const char*>(tensor.raw_data()), tensor.bytes());
  }

  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " + ShapeTuple(tensor.shape()) + ", }";
  // Pad with spaces and a final newline so the data starts at a multiple of 64 bytes, as NumPy
  // does (keeps the array aligned for memory-mapping readers). Version 2.0 only when the header
  // does not fit the 16-bit length of version 1.0.
  size_t prefix = 10;
  auto pad_for = [&](size_t pre) { return (64 - (pre + header.size() + 1) % 64) % 64; };
  if (header.size() + pad_for(prefix) + 1 > 0xffff) prefix = 12;
  header.append(pad_for(prefix), ' ');
  header.push_back('\n');
  const size_t hlen = header.size();
  std::string out(kMagic, kMagicSize);
  out.push_back(static_cast<char>(prefix == 10 ? 1 : 2));
  out.push_back('\0');
  for (size_t b = 0; b < prefix - 8; ++b) {
    out.push_back(static_cast<char>((hlen >> (8 * b)) & 0xff));
  }
  out += header;
  out += payload;
  return out;
}

Status Write(const std::string& path, const Tensor& tensor) {
  OE_ASSIGN_OR_RETURN(std::string bytes, Encode(tensor));
  return WriteFileAtomically(path, bytes);
}

}  // namespace onnxedge::npy
