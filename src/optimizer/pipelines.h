// Copyright onnxedge authors.
// The ordered list of every optimization pass, each with the level that enables it and the
// reason for its position.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "onnxedge/options.h"
#include "optimizer/pass.h"

namespace onnxedge::opt {

struct PipelineEntry {
  std::unique_ptr<Pass> pass;
  OptimizationLevel level;  ///< Lowest level at which the pass runs.
  const char* reason;       ///< Why it sits where it does.
  /// Non-null: the entry runs only when this pass name is enabled (OptimizeOptions::
  /// enabled_passes); the pass is off by default.
  const char* opt_in = nullptr;
};

/// Every pass in pipeline order (a pass may appear more than once; all instances share the
/// name and are disabled together).
const std::vector<PipelineEntry>& Pipeline();

// Factories, one per file in passes/.
std::unique_ptr<Pass> MakeEliminateIdentityPass();
std::unique_ptr<Pass> MakeConstantFoldingPass();
std::unique_ptr<Pass> MakeEliminateDeadNodesPass();
std::unique_ptr<Pass> MakeEliminateRedundantCastPass();
std::unique_ptr<Pass> MakeFuseTransposesPass();
std::unique_ptr<Pass> MakeFuseReshapesPass();
std::unique_ptr<Pass> MakeFuseSlicesToSplitPass();
std::unique_ptr<Pass> MakeFuseConvBatchNormPass();
std::unique_ptr<Pass> MakeFuseConvMulAddPass();
std::unique_ptr<Pass> MakeFuseBiasAddPass();
std::unique_ptr<Pass> MakeFuseMatMulAddPass();
std::unique_ptr<Pass> MakeFuseGeluPass();
std::unique_ptr<Pass> MakeFuseLayerNormPass();
std::unique_ptr<Pass> MakeFuseSkipLayerNormPass();
std::unique_ptr<Pass> MakeSinkTransposesPass();
std::unique_ptr<Pass> MakeFuseConvActivationPass();
std::unique_ptr<Pass> MakeFuseQuickGeluPass();
std::unique_ptr<Pass> MakeFuseAttentionPass();
std::unique_ptr<Pass> MakeLayoutNhwcPass();

}  // namespace onnxedge::opt
