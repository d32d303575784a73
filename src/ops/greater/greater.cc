// Copyright onnxedge authors.
// Greater: C = (A > B) as bool (opset 1-21; every numeric type). Numpy broadcasting from
// opset 7, legacy `broadcast`/`axis` attributes before.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct GreaterFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a > b;
  }
};

}  // namespace

void RegisterOp_greater(OpRegistry& registry) {
  registry.Register(
      {"", "Greater", 1, 21, MakeFactory<PredicateKernel<NumericTypes, GreaterFn>>()});
}

}  // namespace onnxedge::ops
