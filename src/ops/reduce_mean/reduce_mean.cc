// Copyright onnxedge authors.
// ReduceMean: arithmetic mean over the axes (integers divide truncating; the empty set gives NaN, 0
// for integers). Opsets 1-21 (axes attribute before opset 18, optional int64 'axes' input with
// noop_with_empty_axes from 18; keepdims; negative axes from 11). Types: float, double, float16,
// bfloat16 and every integer type. Computed by the shared engine in ops/common/reduce_util.h.
#include "ops/common/reduce_util.h"

namespace onnxedge::ops {

void RegisterOp_reduce_mean(OpRegistry& registry) {
  registry.Register({"", "ReduceMean", 1, 21, MakeReduceFactory(ReduceKind::kMean, 18)});
}

}  // namespace onnxedge::ops
