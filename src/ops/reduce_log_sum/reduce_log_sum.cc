// Copyright onnxedge authors.
// ReduceLogSum: log of the sum over the axes; the empty set gives -inf. Opsets 1-21 (axes attribute
// before opset 18, optional int64 'axes' input with noop_with_empty_axes from 18; keepdims;
// negative axes from 11). Types: float, double, float16, bfloat16 and every integer type. Computed
// by the shared engine in ops/common/reduce_util.h.
#include "ops/common/reduce_util.h"

namespace onnxedge::ops {

void RegisterOp_reduce_log_sum(OpRegistry& registry) {
  registry.Register({"", "ReduceLogSum", 1, 21, MakeReduceFactory(ReduceKind::kLogSum, 18)});
}

}  // namespace onnxedge::ops
