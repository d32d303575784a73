// Copyright onnxedge authors.
// Runs the optimization pipeline on a model: the passes of the requested level in the order of
// pipelines.cc, each on the main graph and every subgraph, with statistics per pass and (in
// debug builds, tests and CI) a structural verification of the graph after every pass.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "onnxedge/options.h"
#include "onnxedge/status.h"

namespace onnxedge::opt {

struct OptimizeOptions {
  OptimizationLevel level = OptimizationLevel::kAll;
  /// Pass names to skip. Unknown names are an error.
  std::vector<std::string> disabled_passes;
  /// Opt-in passes to run (PipelineEntry::opt_in); naming a pass that runs by default changes
  /// nothing. Unknown names are an error.
  std::vector<std::string> enabled_passes;
  /// The result is meant to be saved as ONNX (see PassContext::for_export).
  bool for_export = false;
  /// Verify the graph after every pass. Also on in debug builds and when the environment
  /// variable ONNXEDGE_VERIFY_PASSES=1 is set (tests and CI). Skipped when the input graph
  /// itself fails verification (its errors are the kernels' to report).
  bool verify = false;
  /// Called after each pass that ran (for `onnxedge optimize --dump-after`).
  std::function<Status(const std::string& pass, const ir::Model& model)> after_pass;
};

/// Statistics of one pass.
struct PassStats {
  std::string name;
  int rewrites = 0;            ///< Pattern applications (fusions, removals, folds).
  int64_t nodes_before = 0;    ///< Nodes in all graphs before the pass.
  int64_t nodes_after = 0;
  double ms = 0;
};

struct OptimizeReport {
  int64_t nodes_before = 0;
  int64_t nodes_after = 0;
  double ms = 0;
  std::vector<PassStats> passes;  ///< Passes that ran, in order.
};

/// Optimizes `model` in place.
Status Optimize(ir::Model& model, const OptimizeOptions& options, OptimizeReport* report = nullptr);

/// The optimizer as Session creation runs it (level, disabled passes and verification from
/// the session options).
Status OptimizeForSession(ir::Model& model, const SessionOptions& options);

/// Nodes in a graph and all its subgraphs.
int64_t CountNodes(const ir::Graph& graph);

/// "disabled", "basic", "extended", "all".
const char* LevelName(OptimizationLevel level);
/// Parses a level name (as LevelName returns, case-sensitive).
StatusOr<OptimizationLevel> ParseLevel(const std::string& name);

}  // namespace onnxedge::opt
