// Copyright onnxedge authors.
// Winograd F(4x4, 3x3) transforms (ops/conv/winograd_impl.h) built with this file's ISA flags.
#include "ops/conv/winograd_impl.h"

namespace onnxedge::ops {

const WinogradTransforms& WinogradTransformsAvx512() { return kTransforms; }

}  // namespace onnxedge::ops
