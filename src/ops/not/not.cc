// Copyright onnxedge authors.
// Not: Y = !X (opset 1-21; bool).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct NotFn {
  template <typename C>
  C operator()(C x) const {
    return !x;
  }
};

}  // namespace

void RegisterOp_not(OpRegistry& registry) {
  registry.Register({"", "Not", 1, 21, MakeFactory<UnaryKernel<BoolTypes, NotFn>>()});
}

}  // namespace onnxedge::ops
