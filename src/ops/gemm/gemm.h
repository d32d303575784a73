// Copyright onnxedge authors.
// The Gemm kernel, shared with com.onnxedge FusedGemm.
#pragma once

#include <memory>

#include "runtime/kernel.h"

namespace onnxedge::ops {

/// Creates the Gemm kernel. With `fused` (FusedGemm) it also reads `activation` /
/// `activation_params` and accepts an A of rank > 2 when transA = 0.
StatusOr<std::unique_ptr<Kernel>> CreateGemmKernel(const KernelInfo& info, bool fused);

}  // namespace onnxedge::ops
