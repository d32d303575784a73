// Copyright onnxedge authors.
// ReduceLogSumExp: log(sum(exp(x))) over the axes, computed as max + log(sum(exp(x - max))); the
// empty set gives -inf. Opsets 1-21 (axes attribute before opset 18, optional int64 'axes' input
// with noop_with_empty_axes from 18; keepdims; negative axes from 11). Types: float, double,
// float16, bfloat16 and every integer type. Computed by the shared engine in
// ops/common/reduce_util.h.
#include "ops/common/reduce_util.h"

namespace onnxedge::ops {

void RegisterOp_reduce_log_sum_exp(OpRegistry& registry) {
  registry.Register({"", "ReduceLogSumExp", 1, 21, MakeReduceFactory(ReduceKind::kLogSumExp, 18)});
}

}  // namespace onnxedge::ops
