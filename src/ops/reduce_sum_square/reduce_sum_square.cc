// Copyright onnxedge authors.
// ReduceSumSquare: sum of squares over the axes; the empty set gives 0. Opsets 1-21 (axes attribute
// before opset 18, optional int64 'axes' input with noop_with_empty_axes from 18; keepdims;
// negative axes from 11). Types: float, double, float16, bfloat16 and every integer type. Computed
// by the shared engine in ops/common/reduce_util.h.
#include "ops/common/reduce_util.h"

namespace onnxedge::ops {

void RegisterOp_reduce_sum_square(OpRegistry& registry) {
  registry.Register({"", "ReduceSumSquare", 1, 21, MakeReduceFactory(ReduceKind::kSumSquare, 18)});
}

}  // namespace onnxedge::ops
