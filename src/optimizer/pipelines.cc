// Copyright onnxedge authors.
// The optimization pipeline, in order. Every level runs the passes of the levels below it
// first. Each entry says why it sits where it does.
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

std::vector<PipelineEntry> Build() {
  using L = OptimizationLevel;
  std::vector<PipelineEntry> p;
  auto add = [&](std::unique_ptr<Pass> pass, L level, const char* reason) {
    p.push_back({std::move(pass), level, reason});
  };
  // --- basic: ONNX-only rewrites that keep the graph standard ONNX -------------------------
  add(MakeEliminateIdentityPass(), L::kBasic,
      "first, so every later pattern sees real producers instead of Identity/Dropout links");
  add(MakeConstantFoldingPass(), L::kBasic,
      "early: turns constant subgraphs and static shape computations into initializers that "
      "the fusions below need as constants (Reshape targets, BN parameters, scales)");
  add(MakeEliminateRedundantCastPass(), L::kBasic, "after folding, which removes constant Casts");
  add(MakeFuseTransposesPass(), L::kBasic, "cancels transpose pairs before reshape merging");
  add(MakeFuseReshapesPass(), L::kBasic, "merges the reshape chains that folding exposed");
  add(MakeFuseSlicesToSplitPass(), L::kBasic,
      "after folding, which makes the exporters' computed slice bounds constant");
  add(MakeFuseFocusConvPass(), L::kBasic,
      "after folding (constant slice bounds) and before the Conv+BatchNorm fusion, which then "
      "folds into the rewritten stride-2 Conv like into any other");
  add(MakeFuseConvBatchNormPass(), L::kBasic,
      "before Mul/Add folding: BatchNormalization is the common case and folds exactly");
  add(MakeFuseConvMulAddPass(), L::kBasic,
      "after BN folding: catches BatchNorm that exporters decomposed into Mul and Add");
  add(MakeFuseBiasAddPass(), L::kBasic, "after the Mul folding so a trailing Add lands in B");
  add(MakeFuseMatMulAddPass(), L::kBasic,
      "after the bias folds (Gemm+Add is handled there); MatMul+Add becomes one Gemm");
  add(MakeCascadeMaxPoolsPass(), L::kBasic,
      "independent of the others; before layout_nhwc, which converts the (cascaded) pools");
  add(MakeEliminateDeadNodesPass(), L::kBasic, "last: removes what the rewrites left unread");
  // --- extended: fusions into larger kernels --------------------------------------------------
  add(MakeSinkTransposesPass(), L::kExtended,
      "pushes transposes below elementwise ops so pairs meet and cancel");
  add(MakeFuseTransposesPass(), L::kExtended, "cancels the pairs that sinking brought together");
  add(MakeFuseAttentionPass(), L::kExtended,
      "after the transpose passes (the head Transposes are final) and the basic Split and "
      "Gemm rewrites it reads the Q/K/V projections from");
  add(MakeFuseGeluPass(), L::kExtended, "before LayerNorm: independent, cheap, fixed shape");
  add(MakeFuseLayerNormPass(), L::kExtended, "before SkipLayerNorm, which builds on it");
  add(MakeFuseSkipLayerNormPass(), L::kExtended, "absorbs the residual Add before LayerNorm");
  add(MakeFuseConvActivationPass(), L::kExtended,
      "after all bias folding so Conv/Gemm is final; only when the fused kernels exist");
  add(MakeFuseGemmGeluPass(), L::kExtended,
      "after fuse_gelu (its Gelu nodes) and fuse_matmul_add (the Gemm); like the Conv/Gemm "
      "activation fusion, private (only at `all` when saving) and only when FusedGemm exists");
  add(MakeFuseQuickGeluPass(), L::kExtended,
      "after the Conv+activation fusion, which takes Conv -> SiLU whole when it can");
  add(MakeFuseSplitConcatPass(), L::kExtended,
      "after fuse_slices_to_split (its Splits); private (only at `all` when saving), only when "
      "ConcatInto exists");
  add(MakeEliminateDeadNodesPass(), L::kExtended, "last: removes what the fusions left unread");
  // --- all: the onnxedge-private channels-last layout (docs/optimizer.md) -------------------
  auto add_layout = [&](std::unique_ptr<Pass> pass, const char* reason) {
    p.push_back({std::move(pass), L::kAll, reason, "layout_nhwc", /*opt_in=*/false});
  };
  add_layout(MakeLayoutNhwcPass(),
             "after the Conv fusions (FusedConv is final, with its activation and residual): "
             "wraps each convolution in NHWC <-> NCHW transposes for the channels-last kernel");
  add_layout(MakeFuseTransposesPass(),
             "cancels the pairs between directly consecutive convolutions first, so a "
             "transpose that also fed one of them has a single reader left and can sink");
  add_layout(MakeSinkTransposesPass(),
             "again: moves the NCHW transposes down through elementwise ops, Concat and "
             "Resize to the next convolution's NHWC transpose");
  add_layout(MakeFuseTransposesPass(), "again: cancels the pairs between convolutions");
  add_layout(MakeEliminateDeadNodesPass(), "removes transposes nothing reads any more");
  add(MakeFuseExpandDepthwisePass(), L::kAll,
      "after layout_nhwc, which decides which convolutions run channels-last: fuses only the "
      "NCHW expansion 1x1 -> depthwise pairs it left (the wide maps); private, only when "
      "FusedExpandDepthwise exists");
  return p;
}

}  // namespace

const std::vector<PipelineEntry>& Pipeline() {
  static const auto* pipeline = new std::vector<PipelineEntry>(Build());
  return *pipeline;
}

}  // namespace onnxedge::opt
