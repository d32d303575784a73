// Copyright onnxedge authors.
// Options for creating a Session and for one Run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onnxedge {

/// How much the graph optimizer may rewrite the model (docs/optimizer.md lists the passes).
///   kDisabled: run the graph as loaded.
///   kBasic:    semantics-preserving ONNX rewrites (constant folding, dead nodes, Identity,
///              redundant Cast/Transpose/Reshape, Conv+BatchNorm, bias and scale folding).
///   kExtended: fusions into larger kernels (GELU, LayerNorm, SkipLayerNorm, MatMul+Add,
///              transpose sinking, Conv/Gemm+activation).
///   kAll:      everything, including onnxedge-private layouts and ops.
enum class OptimizationLevel { kDisabled, kBasic, kExtended, kAll };

/// Minimum severity of messages written to stderr.
enum class LogLevel { kVerbose, kInfo, kWarning, kError, kFatal };

/// Settings fixed when a Session is created.
struct SessionOptions {
  /// Threads for intra-op parallelism, including the calling thread. 0 = the number of CPUs this
  /// process may use (affinity mask and cgroup CPU quota).
  int intra_op_threads = 0;
  /// Graph optimization level.
  OptimizationLevel optimization_level = OptimizationLevel::kAll;
  /// Optimizer passes to skip, by name (e.g. "fuse_gelu"; see docs/optimizer.md). Unknown
  /// names make Session creation fail.
  std::vector<std::string> disabled_passes;
  /// Opt-in optimizer passes to run, by name (currently "layout_nhwc", the channels-last
  /// layout at level all; see docs/optimizer.md). The environment variable
  /// ONNXEDGE_ENABLE_PASSES (comma-separated names) adds to this list.
  std::vector<std::string> enabled_passes;
  /// Check the graph's structure after every optimizer pass (slower loading; always on in
  /// debug builds).
  bool verify_optimizer_passes = false;
  /// Messages below this level are not printed.
  LogLevel log_level = LogLevel::kWarning;
  /// Upper bound, in bytes, on the model's weights plus every tensor alive in the session's runs
  /// (intermediates and outputs of all concurrent runs). 0 = no limit. Loading refuses a weight
  /// that would exceed it before allocating it, and a run stops with kOutOfMemory before an
  /// allocation that would exceed it.
  uint64_t memory_limit_bytes = 0;
  /// Maximum number of elements of any single tensor a model file may declare (a bound against
  /// memory bombs even when memory_limit_bytes is 0). Default: 2^34.
  int64_t max_tensor_elements = int64_t{1} << 34;
  /// Plan one arena per input-shape signature from the first run with those shapes and serve
  /// later runs from it without heap allocations. When false, every tensor comes from the heap.
  bool enable_memory_pattern = true;
};

/// Settings for one Session::Run call.
struct RunOptions {
  /// When set and in the past at a check point, the run stops with StatusCode::kCancelled.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// When set and true at a check point, the run stops with StatusCode::kCancelled. The flag
  /// may be set from another thread while the run is in progress.
  const std::atomic<bool>* cancel_flag = nullptr;
  /// A tag included in log lines of this run.
  std::string tag;
};

}  // namespace onnxedge
