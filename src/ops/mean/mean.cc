// Copyright onnxedge authors.
// Mean: elementwise mean of 1..N inputs with numpy broadcasting (opset 1-21; float types,
// bfloat16 from 13): the left-to-right sum divided by N. Broadcasting is accepted at every
// opset; consumed_inputs (opset 1) is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct MeanFn {
  template <typename C>
  C operator()(C a, C b) const {
    return a + b;
  }
  template <typename C>
  static C Finish(C sum, int64_t n) {
    return sum / static_cast<C>(n);
  }
};

}  // namespace

void RegisterOp_mean(OpRegistry& registry) {
  registry.Register({"", "Mean", 1, 21, MakeFactory<VariadicKernel<FloatTypes, MeanFn>>()});
}

}  // namespace onnxedge::ops
