// Copyright onnxedge authors.
// LogSoftmax: x - max - log(sum(exp(x - max))) along the axis.
// Opsets 1-12: the input is coerced to 2-D at 'axis' (default 1, range [-r, r]); opset 13+:
// the single dim 'axis' (default -1). Types: float, double, float16, bfloat16 (computed in
// float). Shared implementation: ops/common/softmax_util.cc.
#include "ops/common/softmax_util.h"

namespace onnxedge::ops {

void RegisterOp_log_softmax(OpRegistry& registry) {
  registry.Register({"", "LogSoftmax", 1, 21, MakeSoftmaxFactory(SoftmaxMode::kLogSoftmax)});
}

}  // namespace onnxedge::ops
