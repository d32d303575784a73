// Copyright onnxedge authors.
// Internal helper for building messages; not part of the stable API.
#pragma once

#include <sstream>
#include <string>
#include <utility>

namespace onnxedge::detail {

/// Concatenates anything that can be streamed into a std::ostream.
template <typename... Args>
std::string StrCat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

}  // namespace onnxedge::detail
