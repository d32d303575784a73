// Copyright onnxedge authors.
// Xor: C = A xor B (opset 1-21; bool). Numpy broadcasting from opset 7, legacy
// `broadcast`/`axis` attributes before.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct XorFn {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a != b;
  }
};

}  // namespace

void RegisterOp_xor(OpRegistry& registry) {
  registry.Register({"", "Xor", 1, 21, MakeFactory<PredicateKernel<BoolTypes, XorFn>>()});
}

}  // namespace onnxedge::ops
