// Copyright onnxedge authors.
// Min: elementwise minimum of 1..N inputs with numpy broadcasting (opset 1-21; float types, all
// numeric types from 12). A NaN operand gives NaN (as numpy.minimum). Broadcasting is accepted at
// every opset (opsets < 8 only defined equal shapes); consumed_inputs (opset 1) is ignored.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct MinFn {
  template <typename C>
  C operator()(C a, C b) const {
    return (a <= b || a != a) ? a : b;  // a != a: NaN in a wins; NaN in b fails a <= b.
  }
};

}  // namespace

void RegisterOp_min(OpRegistry& registry) {
  registry.Register({"", "Min", 1, 21, MakeFactory<VariadicKernel<NumericTypes, MinFn>>()});
}

}  // namespace onnxedge::ops
