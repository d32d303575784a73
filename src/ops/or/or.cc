// Copyright onnxedge authors.
// Or: C = A or B (opset 1-21; bool). Numpy broadcasting from opset 7, legacy
// `broadcast`/`axis` attributes before.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct OrFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a || b;
  }
};

}  // namespace

void RegisterOp_or(OpRegistry& registry) {
  registry.Register({"", "Or", 1, 21, MakeFactory<PredicateKernel<BoolTypes, OrFn>>()});
}

}  // namespace onnxedge::ops
