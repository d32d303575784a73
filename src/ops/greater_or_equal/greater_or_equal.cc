// Copyright onnxedge authors.
// GreaterOrEqual: C = (A >= B) as bool with numpy broadcasting (opset 12-21; every numeric type).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct GreaterOrEqualFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a >= b;
  }
};

}  // namespace

void RegisterOp_greater_or_equal(OpRegistry& registry) {
  registry.Register({"", "GreaterOrEqual", 12, 21,
                     MakeFactory<PredicateKernel<NumericTypes, GreaterOrEqualFn>>()});
}

}  // namespace onnxedge::ops
