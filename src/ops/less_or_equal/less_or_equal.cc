// Copyright onnxedge authors.
// LessOrEqual: C = (A <= B) as bool with numpy broadcasting (opset 12-21; every numeric type).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct LessOrEqualFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a <= b;
  }
};

}  // namespace

void RegisterOp_less_or_equal(OpRegistry& registry) {
  registry.Register(
      {"", "LessOrEqual", 12, 21, MakeFactory<PredicateKernel<NumericTypes, LessOrEqualFn>>()});
}

}  // namespace onnxedge::ops
