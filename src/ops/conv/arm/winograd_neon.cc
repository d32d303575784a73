// Copyright onnxedge authors.
// Winograd F(4x4, 3x3) transforms (ops/conv/winograd_impl.h) built at -O3 for NEON (baseline
// on aarch64).
#include "ops/conv/winograd_impl.h"

namespace onnxedge::ops {

const WinogradTransforms& WinogradTransformsNeon() { return kTransforms; }

}  // namespace onnxedge::ops
