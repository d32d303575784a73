// Copyright onnxedge authors.
// Minimal leveled logging to stderr. Each session decides its own threshold.
#pragma once

#include <string>

#include "onnxedge/options.h"

namespace onnxedge {

/// Writes "onnxedge [level] message" to stderr when `level` >= `threshold`.
void Log(LogLevel threshold, LogLevel level, const std::string& message);

}  // namespace onnxedge
