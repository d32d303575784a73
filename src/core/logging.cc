// Copyright onnxedge authors.
#include "core/logging.h"

#include <cstdio>
#include <mutex>

namespace onnxedge {

void Log(LogLevel threshold, LogLevel level, const std::string& message) {
  if (static_cast<int>(level) < static_cast<int>(threshold)) return;
  static const char* kNames[] = {"verbose", "info", "warning", "error", "fatal"};
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "onnxedge [%s] %s\n", kNames[static_cast<int>(level)], message.c_str());
}

}  // namespace onnxedge
