// Copyright onnxedge authors.
// Sum: elementwise sum of 1..N inputs with numpy broadcasting (opset 1-21; float types, bfloat16
// from 13). Inputs are added left to right, rounding 16-bit floats after each addition (as
// numpy). Broadcasting is accepted at every opset; consumed_inputs (opset 1) is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct SumFn {
  template <typename C>
  C operator()(C a, C b) const {
    return a + b;
  }
};

}  // namespace

void RegisterOp_sum(OpRegistry& registry) {
  registry.Register({"", "Sum", 1, 21, MakeFactory<VariadicKernel<FloatTypes, SumFn>>()});
}

}  // namespace onnxedge::ops
