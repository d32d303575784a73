// Copyright onnxedge authors.
// Floor: Y = floor(X) (opset 1-21; float types, bfloat16 from 13).
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct FloorFn {
  template <typename C>
  C operator()(C x) const {
    return std::floor(x);
  }
};

}  // namespace

void RegisterOp_floor(OpRegistry& registry) {
  registry.Register({"", "Floor", 1, 21, MakeFactory<UnaryKernel<FloatTypes, FloorFn>>()});
}

}  // namespace onnxedge::ops
