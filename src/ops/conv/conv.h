// Copyright onnxedge authors.
// The Conv kernel, shared with com.onnxedge FusedConv.
#pragma once

#include <memory>

#include "runtime/kernel.h"

namespace onnxedge::ops {

/// Creates the Conv kernel. With `fused` (FusedConv) it also reads `activation` /
/// `activation_params` and accepts a fourth input Z added before the activation.
StatusOr<std::unique_ptr<Kernel>> CreateConvKernel(const KernelInfo& info, bool fused);

}  // namespace onnxedge::ops
