// Copyright onnxedge authors.
#include "ops/string_normalizer/utf8_case.h"

#include <cstdint>

namespace onnxedge::ops::utf8 {

namespace {

// Decodes one code point at s[i]; returns its byte length, or 0 when the bytes there are not a
// well-formed (shortest-form, non-surrogate) UTF-8 sequence.
int Decode(const std::string& s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0 && left >= 2 && cont(1)) {
    *cp = ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    return *cp >= 0x80 ? 2 : 0;
  }
  if ((b0 & 0xF0) == 0xE0 && left >= 3 && cont(1) && cont(2)) {
    *cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
          (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    return *cp >= 0x800 && (*cp < 0xD800 || *cp > 0xDFFF) ? 3 : 0;
  }
  if ((b0 & 0xF8) == 0xF0 && left >= 4 && cont(1) && cont(2) && cont(3)) {
    *cp = ((b0 & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
          ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
          (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
    return *cp >= 0x10000 && *cp <= 0x10FFFF ? 4 : 0;
  }
  return 0;
}

void Encode(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Blocks [first, last] where upper and lower case alternate, the upper case letter first.
struct PairBlock {
  uint32_t first, last;
};
constexpr PairBlock kPairBlocks[] = {
    {0x0100, 0x012F}, {0x0132, 0x0137}, {0x0139, 0x0148}, {0x014A, 0x0177},
    {0x0179, 0x017E}, {0x0460, 0x0481}, {0x048A, 0x04BF},
};

uint32_t Lower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  for (const auto& b : kPairBlocks) {
    if (c >= b.first && c <= b.last && (c - b.first) % 2 == 0) return c + 1;
  }
  return c;
}

uint32_t Upper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 37;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 63;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  for (const auto& b : kPairBlocks) {
    if (c >= b.first && c <= b.last && (c - b.first) % 2 == 1) return c - 1;
  }
  return c;
}

template <typename F>
std::string Map(const std::string& s, F f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const int len = Decode(s, i, &cp);
    if (len == 0) {  // Not UTF-8: keep the byte.
      out.push_back(s[i]);
      ++i;
      continue;
    }
    Encode(f(cp), &out);
    i += static_cast<size_t>(len);
  }
  return out;
}

}  // namespace

std::string ToLower(const std::string& s) { return Map(s, Lower); }
std::string ToUpper(const std::string& s) { return Map(s, Upper); }

}  // namespace onnxedge::ops::utf8
