// Copyright onnxedge authors.
// ReduceSum: sum over the axes; the empty set gives 0. Opsets 1-21 (axes attribute before opset 13,
// optional int64 'axes' input with noop_with_empty_axes from 13; keepdims; negative axes from 11).
// Types: float, double, float16, bfloat16 and every integer type. Computed by the shared engine in
// ops/common/reduce_util.h.
#include "ops/common/reduce_util.h"

namespace onnxedge::ops {

void RegisterOp_reduce_sum(OpRegistry& registry) {
  registry.Register({"", "ReduceSum", 1, 21, MakeReduceFactory(ReduceKind::kSum, 13)});
}

}  // namespace onnxedge::ops
