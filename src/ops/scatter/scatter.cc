// Copyright onnxedge authors.
// Scatter: deprecated name (opsets 9-10) of ScatterElements without reductions; it reuses
// that kernel (src/ops/scatter_elements). Opset 11 removed it, so it is not registered there.
#include "runtime/kernel.h"

namespace onnxedge::ops {

void RegisterScatterAlias(OpRegistry& registry);

void RegisterOp_scatter(OpRegistry& registry) { RegisterScatterAlias(registry); }

}  // namespace onnxedge::ops
