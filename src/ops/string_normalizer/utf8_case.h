// Copyright onnxedge authors.
// Locale-independent UTF-8 case mapping for StringNormalizer: simple one-to-one mappings for
// ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. Other code points, and bytes that are
// not valid UTF-8, pass through unchanged (no context-dependent or one-to-many mappings, e.g.
// German sharp s stays as it is).
#pragma once

#include <string>

namespace onnxedge::ops::utf8 {

/// Lower-cases `s`.
std::string ToLower(const std::string& s);
/// Upper-cases `s`.
std::string ToUpper(const std::string& s);

}  // namespace onnxedge::ops::utf8
