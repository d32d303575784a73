// Copyright onnxedge authors.
// Equal: C = (A == B) as bool (opset 1-21; numeric types, bool, and string (opset 19) at every
// opset). Numpy broadcasting from opset 7, legacy `broadcast`/`axis` attributes before.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct EqualFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a == b;
  }
};

}  // namespace

void RegisterOp_equal(OpRegistry& registry) {
  registry.Register({"", "Equal", 1, 21, MakeFactory<PredicateKernel<EqualTypes, EqualFn>>()});
}

}  // namespace onnxedge::ops
