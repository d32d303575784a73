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
  /// Non-null: the entry is a helper step of the pass with this name and runs only when that
  /// pass runs (it is not disabled, and enabled when `opt_in`): `--disable-pass layout_nhwc`
  /// also drops the transpose clean-ups that follow it.
  const char* group = nullptr;
  /// The entry (its group) runs only when named in OptimizeOptions::enabled_passes. No pass is
  /// opt-in today; the switch stays for passes that do not pay off on every model yet.
  bool opt_in = false;
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
std::unique_ptr<Pass> MakeCascadeMaxPoolsPass();
std::unique_ptr<Pass> MakeFuseSplitConcatPass();
std::unique_ptr<Pass> MakeFuseFocusConvPass();
std::unique_ptr<Pass> MakeFuseConvBatchNormPass();
std::unique_ptr<Pass> MakeFuseConvMulAddPass();
std::unique_ptr<Pass> MakeFuseBiasAddPass();
std::unique_ptr<Pass> MakeFuseMatMulAddPass();
std::unique_ptr<Pass> MakeFuseGeluPass();
std::unique_ptr<Pass> MakeFuseLayerNormPass();
std::unique_ptr<Pass> MakeFuseSkipLayerNormPass();
std::unique_ptr<Pass> MakeSinkTransposesPass();
std::unique_ptr<Pass> MakeFuseConvActivationPass();
std::unique_ptr<Pass> MakeFuseGemmGeluPass();
std::unique_ptr<Pass> MakeFuseQuickGeluPass();
std::unique_ptr<Pass> MakeFuseAttentionPass();
std::unique_ptr<Pass> MakeLayoutNhwcPass();
std::unique_ptr<Pass> MakeFuseExpandDepthwisePass();

}  // namespace onnxedge::opt
