// Copyright onnxedge authors.
// Hardmax: 1 at the first maximum along the axis, 0 elsewhere.
// Opsets 1-12: the input is coerced to 2-D at 'axis' (default 1, range [-r, r]); opset 13+:
// the single dim 'axis' (default -1). Types: float, double, float16, bfloat16 (computed in
// float). Shared implementation: ops/common/softmax_util.cc.
#include "ops/common/softmax_util.h"

namespace onnxedge::ops {

void RegisterOp_hardmax(OpRegistry& registry) {
  registry.Register({"", "Hardmax", 1, 21, MakeSoftmaxFactory(SoftmaxMode::kHardmax)});
}

}  // namespace onnxedge::ops
