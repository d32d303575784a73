// Copyright onnxedge authors.
// Environment switches: the engine's paths that have a measured alternative can be turned off
// for A/B measurements (ONNXEDGE_WINOGRAD=0, ONNXEDGE_CONV_DIRECT=0, ...).
#pragma once

#include <cstdlib>
#include <cstring>

namespace onnxedge {

/// False when the environment variable `name` is "0", true when it is unset or anything else.
inline bool EnvSwitchOn(const char* name) {
  const char* v = std::getenv(name);
  return !(v && std::strcmp(v, "0") == 0);
}

}  // namespace onnxedge
