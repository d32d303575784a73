// Copyright onnxedge authors.
// Log: Y = ln(X) (opset 1-21; float types, bfloat16 from 13). ln(0) = -inf, ln(<0) = NaN.
#include "ops/common/elementwise_util.h"

namespace onnxedge::ops {

namespace {

struct LogFn {
  template <typename C>
  C operator()(C x) const {
    return std::log(x);
  }
};

}  // namespace

void RegisterOp_log(OpRegistry& registry) {
  registry.Register({"", "Log", 1, 21, MakeFactory<UnaryKernel<FloatTypes, LogFn>>()});
}

}  // namespace onnxedge::ops
