// Copyright onnxedge authors.
// ArgMax: index (int64) of the largest element along 'axis'; keepdims; select_last_index
// (opset 12+) picks the last of equal extremes. NaN counts as the extreme (numpy). Opsets
// 1-21, every numeric type. An axis of size 0 is a run error (no index exists).
#include "ops/common/reduce_util.h"

namespace onnxedge::ops {

void RegisterOp_arg_max(OpRegistry& registry) {
  registry.Register({"", "ArgMax", 1, 21, MakeArgReduceFactory(true)});
}

}  // namespace onnxedge::ops
