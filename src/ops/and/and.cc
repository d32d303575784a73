// Copyright onnxedge authors.
// And: C = A and B (opset 1-21; bool). Numpy broadcasting from opset 7, legacy
// `broadcast`/`axis` attributes before.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct AndFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a && b;
  }
};

}  // namespace

void RegisterOp_and(OpRegistry& registry) {
  registry.Register({"", "And", 1, 21, MakeFactory<PredicateKernel<BoolTypes, AndFn>>()});
}

}  // namespace onnxedge::ops
