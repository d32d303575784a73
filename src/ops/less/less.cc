// Copyright onnxedge authors.
// Less: C = (A < B) as bool (opset 1-21; every numeric type). Numpy broadcasting from opset 7,
// legacy `broadcast`/`axis` attributes before.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct LessFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a < b;
  }
};

}  // namespace

void RegisterOp_less(OpRegistry& registry) {
  registry.Register({"", "Less", 1, 21, MakeFactory<PredicateKernel<NumericTypes, LessFn>>()});
}

}  // namespace onnxedge::ops
