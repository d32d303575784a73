// Copyright onnxedge authors.
// ReduceMax: maximum over the axes; NaN propagates; the empty set gives -inf (lowest for integers).
// Opsets 1-21 (axes attribute before opset 18, optional int64 'axes' input with
// noop_with_empty_axes from 18; keepdims; negative axes from 11). Types: float, double, float16,
// bfloat16 and every integer type and bool (opset 20's addition, accepted at every opset). Computed
// by the shared engine in ops/common/reduce_util.h.
#include "ops/common/reduce_util.h"

namespace onnxedge::ops {

void RegisterOp_reduce_max(OpRegistry& registry) {
  registry.Register({"", "ReduceMax", 1, 21, MakeReduceFactory(ReduceKind::kMax, 18)});
}

}  // namespace onnxedge::ops
